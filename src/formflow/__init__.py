"""formflow: offline forms and procedures for a Chinese property-management service desk.

The library API the CLI (and the web desk) is built on::

    from formflow import Workspace, validate_data
    defs = Workspace(Path(".")).load()
    result = validate_data(defs.forms["complaint"], data, defs.settings, now)
"""

from formflow.engine.validate import DataProblem, Validated, validate_data
from formflow.errors import DefinitionError, FormflowError, SubmissionError, WorkspaceError
from formflow.workspace import Workspace, init_workspace

__version__ = "0.1.0"

__all__ = [
    "DataProblem", "DefinitionError", "FormflowError", "SubmissionError", "Validated", "Workspace",
    "WorkspaceError", "init_workspace", "validate_data",
]
