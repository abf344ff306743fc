"""The schema is the reference: every key documented, and docs/reference.md up to date."""

from __future__ import annotations

from formflow.definitions.reference import documented_schemas, render, walk

from ..conftest import REPO


def test_every_schema_key_has_a_description():
    missing = [f"{pattern}: {path}" for pattern, schema in documented_schemas()
               for path, node, _ in walk(schema, schema)
               if not (node.get("description") or schema.get("$defs", {}).get(node.get("$ref", "").rsplit("/", 1)[-1], {})
                       .get("description"))]
    assert missing == []


def test_reference_page_is_current():
    committed = (REPO / "docs" / "reference.md").read_text(encoding="utf-8")
    assert committed == render(), "run: python -m formflow.definitions.reference > docs/reference.md"


def test_every_schema_is_valid_json_schema():
    """Checked here once, not at every start of formflow (see definitions/checking.py)."""
    from jsonschema import Draft202012Validator

    from formflow.definitions.calendar_schema import CALENDAR_SCHEMA
    from formflow.definitions.notice import NOTICE_SCHEMA
    from formflow.definitions.schema import CHOICES_SCHEMA, FORM_SCHEMA, SETTINGS_SCHEMA, STATION_SCHEMA
    from formflow.definitions.scripts import SCRIPTS_SCHEMA
    from formflow.definitions.units import UNITS_SCHEMA
    from formflow.definitions.workflow_schema import DUTIES_SCHEMA, WORKFLOW_SCHEMA

    schemas = [CALENDAR_SCHEMA, CHOICES_SCHEMA, FORM_SCHEMA, SETTINGS_SCHEMA, STATION_SCHEMA, DUTIES_SCHEMA,
               WORKFLOW_SCHEMA, UNITS_SCHEMA, NOTICE_SCHEMA, SCRIPTS_SCHEMA]
    assert {id(s) for _, s in documented_schemas()} <= {id(s) for s in schemas}
    for schema in schemas:
        Draft202012Validator.check_schema(schema)
