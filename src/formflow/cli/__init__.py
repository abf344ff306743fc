"""The ``formflow`` command: a thin click layer over the library.

Each command parses its options, calls one library function and prints. Errors are
mapped to exit codes in :func:`main` only (see :mod:`formflow.errors`). Commands live
in one module per concern; importing them registers them on the group.
"""

from formflow.cli import (  # noqa: F401 - registers the commands
    definitions,
    desk,
    feenotice,
    fees,
    feescalls,
    paper,
    reports,
    residents,
    sync,
    workflows,
)
from formflow.cli.main import cli, main, run
from formflow.cli.people import audit, staff
from formflow.web.cli import serve_command

cli.add_command(serve_command)
cli.add_command(staff)
cli.add_command(audit)

__all__ = ["cli", "main", "run"]
