"""Commands that try out workflows: simulate, diagram."""

from __future__ import annotations

from pathlib import Path

import click

from formflow.cli.common import load, now_from, with_root
from formflow.cli.main import cli
from formflow.errors import WorkspaceError


@cli.command()
@click.argument("form")
@click.option("--data", "data_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="填好的表单文件 a filled form (as for the inbox)")
@click.option("--at", "at_text", metavar="TIME", help="登记时间 when the record is created (default: the file's at)")
@click.option("--then", "steps", multiple=True, metavar="ACTION@TIME [k=v ...]",
              help="之后的操作，可重复 a later action, repeatable: 'resolve@2026-10-09T10:00 result=已修复'")
@click.option("--until", "until_text", metavar="TIME", help="计算期限的时刻 show the clocks as of this time")
@with_root
def simulate(form: str, data_file: Path, at_text: str | None, steps: tuple[str, ...], until_text: str | None,
             root: Path) -> None:
    """试算流程和期限 What-if: create a record, apply actions at given times, print states and deadlines.

    \b
    例 Example:
      formflow simulate complaint --data examples/complaint/valid.yaml --at 2025-09-30T17:50 \\
          --then "assign@2025-09-30T18:00 routed_to=工程维修部" --until 2025-10-09T09:00
    """
    from formflow.definitions.yamlsource import load_file
    from formflow.engine.simulate import simulate as run

    defs = load(root)
    if form not in defs.forms or form not in defs.workflows:
        raise WorkspaceError(f"没有表单或流程 no form/workflow “{form}”；可用 available: {', '.join(defs.workflows)}")
    zone = defs.settings.timezone
    doc = load_file(data_file).data or {}
    data = doc.get("data", doc) if isinstance(doc, dict) else {}
    by = doc.get("by", "") if isinstance(doc, dict) else ""
    at = now_from(at_text or (doc.get("at") if isinstance(doc, dict) else None), zone)
    parsed = [_step(text, zone) for text in steps]
    until = now_from(until_text, zone) if until_text else None
    for line in run(defs, form, data, by, at, parsed, until):
        click.echo(line)


def _step(text: str, zone):
    from formflow.engine.simulate import Step

    head, *pairs = text.split()
    action, _, when = head.partition("@")
    if not when:
        raise click.BadParameter(f"应写成 expected ACTION@TIME, got {text!r}", param_hint="--then")
    data = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"应写成 expected key=value, got {pair!r}", param_hint="--then")
        data[key] = value
    return Step(action, now_from(when, zone), data)


@cli.command()
@click.argument("workflow")
@with_root
def diagram(workflow: str, root: Path) -> None:
    """流程图 Print WORKFLOW as a Mermaid state diagram (paste into any Mermaid viewer).

    \b
    例 Example:  formflow diagram complaint > complaint.mmd
    """
    from formflow.engine.simulate import diagram as draw

    defs = load(root)
    if workflow not in defs.workflows:
        raise WorkspaceError(f"没有流程 no workflow “{workflow}”；可用 available: {', '.join(defs.workflows)}")
    click.echo(draw(defs.workflows[workflow], defs), nl=False)

