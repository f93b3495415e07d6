"""incentives: rules-based compensation and incentive calculation.

Policies are plain YAML files; `load_rules` validates and compiles them once into an immutable
`Rulebook`; `calculate` evaluates employees into outcomes with a full trace; `run_job` does the
whole job (roster in, run folder out) that the `incentives` command line runs.
"""

from incentives.engine.calculate import (
    Calculation,
    EmployeeOutcome,
    IncompleteSummaryWarning,
    NotCovered,
    PolicyOutcome,
    Summary,
    calculate,
)
from incentives.errors import (
    BudgetExceeded,
    IncentivesError,
    InputFileError,
    MissingValue,
    OptionsError,
    OutputError,
    OutputOverlapsInput,
    PolicyError,
    Problem,
    RowError,
    StepError,
)
from incentives.expr import ExpressionError
from incentives.io import open_roster, read_rates, read_results
from incentives.jobs import RunReport, RunRequest, run_job
from incentives.model import EmployeeInput, GoalInput, Rejection, RowSource
from incentives.rulebook.rulebook import Rulebook, load_rules
from incentives.version import __version__

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
    "PolicyError",
    "PolicyOutcome",
    "Problem",
    "Rejection",
    "RowError",
    "RowSource",
    "Rulebook",
    "RunReport",
    "RunRequest",
    "StepError",
    "Summary",
    "__version__",
    "calculate",
    "load_rules",
    "open_roster",
    "read_rates",
    "read_results",
    "run_job",
]
