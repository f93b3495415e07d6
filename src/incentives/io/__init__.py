"""Input files in, output files out: the roster and its goals, results, rates, atomic writers.

This layer reads and writes files; it knows nothing of the CLI and nothing of policies beyond
the column names it is given.
"""

from incentives.io.csvread import CsvRecord, CsvTable, file_sha256, open_csv
from incentives.io.plan_inputs import (
    MissingRate,
    RateTable,
    ResultFigure,
    read_rates,
    read_results,
)
from incentives.io.roster import Roster, open_roster
from incentives.io.writers import CsvSink, OutputDir, dumps_json, format_cell, write_json

__all__ = [
    "CsvRecord",
    "CsvSink",
    "CsvTable",
    "MissingRate",
    "OutputDir",
    "RateTable",
    "ResultFigure",
    "Roster",
    "dumps_json",
    "file_sha256",
    "format_cell",
    "open_csv",
    "open_roster",
    "read_rates",
    "read_results",
    "write_json",
]
