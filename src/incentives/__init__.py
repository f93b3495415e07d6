"""incentives: rules-based compensation and incentive calculation.

Policies are plain YAML files; `load_rules` validates and compiles them once into an immutable
`Rulebook`; `calculate` evaluates employees into outcomes with a full trace; `run_job` does the
whole job (roster in, run folder out) that the `incentives` command line runs.
"""

import importlib
from typing import TYPE_CHECKING, Any

from incentives.errors import (
    BudgetExceeded,
    IncentivesError,
    InputFileError,
    MissingValue,
    OptionsError,
    OutputError,
    OutputOverlapsInput,
    OverrideError,
    PolicyError,
    Problem,
    RowError,
    ScenarioError,
    StepError,
    UsageError,
)
from incentives.version import __version__

if TYPE_CHECKING:  # imported on first use (see `__getattr__`); mypy sees them here
    from incentives.engine.calculate import (
        Calculation,
        EmployeeOutcome,
        IncompleteSummaryWarning,
        NotCovered,
        PolicyOutcome,
        Summary,
        calculate,
    )
    from incentives.expr import ExpressionError
    from incentives.io import open_roster, read_rates, read_results
    from incentives.jobs import RunReport, RunRequest, run_job
    from incentives.model import EmployeeInput, GoalInput, Rejection, RowSource
    from incentives.rulebook.rulebook import Rulebook, load_rules

# the public names of modules that are slow to import, each imported on first use: a command
# that needs only some of them (`incentives check` needs no engine) starts sooner
_LAZY = {
    "Calculation": "incentives.engine.calculate",
    "EmployeeOutcome": "incentives.engine.calculate",
    "IncompleteSummaryWarning": "incentives.engine.calculate",
    "NotCovered": "incentives.engine.calculate",
    "PolicyOutcome": "incentives.engine.calculate",
    "Summary": "incentives.engine.calculate",
    "calculate": "incentives.engine.calculate",
    "ExpressionError": "incentives.expr",
    "open_roster": "incentives.io",
    "read_rates": "incentives.io",
    "read_results": "incentives.io",
    "RunReport": "incentives.jobs",
    "RunRequest": "incentives.jobs",
    "run_job": "incentives.jobs",
    "EmployeeInput": "incentives.model",
    "GoalInput": "incentives.model",
    "Rejection": "incentives.model",
    "RowSource": "incentives.model",
    "Rulebook": "incentives.rulebook.rulebook",
    "load_rules": "incentives.rulebook.rulebook",
}

__all__ = [
    "BudgetExceeded",
    "Calculation",
    "EmployeeInput",
    "EmployeeOutcome",
    "ExpressionError",
    "GoalInput",
    "IncentivesError",
    "IncompleteSummaryWarning",
    "InputFileError",
    "MissingValue",
    "NotCovered",
    "OptionsError",
    "OutputError",
    "OutputOverlapsInput",
    "OverrideError",
    "PolicyError",
    "PolicyOutcome",
    "Problem",
    "Rejection",
    "RowError",
    "RowSource",
    "Rulebook",
    "RunReport",
    "RunRequest",
    "ScenarioError",
    "StepError",
    "Summary",
    "UsageError",
    "__version__",
    "calculate",
    "load_rules",
    "open_roster",
    "read_rates",
    "read_results",
    "run_job",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'incentives' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
