"""The one exception tree of formflow, and the exit codes it maps to.

    FormflowError                 user-facing; exit code ``EXIT_USER`` unless a subclass says otherwise
    ├── DefinitionError           forms/, workflows/, settings or calendar fail ``check``; carries every problem
    ├── WorkspaceError            no workspace here, workspace already exists, unknown form, ...
    ├── CannotWrite               disk full, read-only folder: what could not be done waits for the next run
    └── SubmissionError           a filled form or action is invalid; carries every problem

Anything else that escapes is a bug (``EXIT_BUG``). The mapping to exit codes lives in
:func:`formflow.cli.main` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

EXIT_OK = 0
#: Something the user can fix: bad definitions, bad input, a missing workspace.
EXIT_USER = 1
#: A usage or definition error for commands whose 1 means "something was rejected".
EXIT_USAGE = 2
#: A bug in formflow itself.
EXIT_BUG = 3
#: Something could not be written (disk full, read-only folder); nothing is lost, the rest waits for the next run.
EXIT_CANNOT_WRITE = 4
EXIT_INTERRUPTED = 130


class FormflowError(Exception):
    """Root of every error formflow reports to its user without a traceback."""

    exit_code = EXIT_USER


class CannotWrite(FormflowError):
    """A disk or folder refused a write; the message says which and that nothing was lost."""

    exit_code = EXIT_CANNOT_WRITE


class WorkspaceError(FormflowError):
    """The workspace is missing, malformed on disk, or a named thing in it does not exist."""


@dataclass(frozen=True)
class Problem:
    """One problem in a definition file, located to the line.

    ``path`` is the file (as given to the user), ``line``/``column`` are 1-based, ``keys``
    is the key path inside the document (``fields[3].type``), ``message`` says what is
    wrong and ``fix`` (optional) how to mend it.
    """

    path: str
    line: int
    column: int
    keys: str
    message: str
    fix: str = ""
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        keys = f" {self.keys}:" if self.keys else ""
        kind = " 警告 warning:" if self.warning else ""
        text = f"{where}:{kind}{keys} {self.message}"
        if self.fix:
            text += f"\n    修改建议 fix: {self.fix}"
        return text


class DefinitionError(FormflowError):
    """The workspace's definitions are invalid; ``problems`` lists all of them."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        errors = [p for p in self.problems if not p.warning]
        super().__init__(f"{len(errors)} 处定义错误 definition error(s)")

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems]
        errors = sum(1 for p in self.problems if not p.warning)
        lines.append(f"共 {errors} 处错误，请修改后重新运行 formflow check。")
        return "\n".join(lines)


class SubmissionError(FormflowError):
    """A filled form is invalid; ``problems`` holds every :class:`~formflow.engine.validate.DataProblem`."""

    def __init__(self, problems):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
