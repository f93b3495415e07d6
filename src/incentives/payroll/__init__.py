"""Payroll files from a run folder: layouts, control totals, reconciliation and corrections.

    from incentives.payroll import export
    result = export("out", "generic", Path("payroll/bonus.csv"))
    print(result.report())

See docs/payroll.md.
"""

from __future__ import annotations

from incentives.payroll.control import CONTROL_FORMAT, Export, control_path
from incentives.payroll.export import PayrollRefused, export
from incentives.payroll.layout import LAYOUTS, Layout, LayoutError, load_layout, shipped_layouts

__all__ = [
    "CONTROL_FORMAT",
    "LAYOUTS",
    "Export",
    "Layout",
    "LayoutError",
    "PayrollRefused",
    "control_path",
    "export",
    "load_layout",
    "shipped_layouts",
]
