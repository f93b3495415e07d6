"""`python -m incentives` runs the command line."""

from incentives.cli import main

main()
