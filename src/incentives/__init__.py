"""incentives: rules-based compensation and incentive calculation."""

__version__ = "0.1.0"
