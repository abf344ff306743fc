"""The ``formflow`` command: a thin click layer over the library.

Each command parses its options, calls one library function and prints. Errors are
mapped to exit codes in :func:`main` only (see :mod:`formflow.errors`).
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
import traceback
from pathlib import Path

import click

from formflow.errors import EXIT_BUG, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, FormflowError, WorkspaceError

_ROOT_HELP = "工作区目录 workspace folder (default: current folder, or $FORMFLOW_ROOT)"


def _with_root(func):
    @click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=".", envvar="FORMFLOW_ROOT",
                  show_default=True, help=_ROOT_HELP)
    @functools.wraps(func)
    def wrapper(root: Path, **kwargs):
        return func(root=root, **kwargs)

    return wrapper


def _load(root: Path, *, show_warnings: bool = False):
    from formflow.workspace import Workspace

    defs = Workspace(root).load()
    if show_warnings:
        for warning in defs.warnings:
            click.echo(str(warning), err=True)
    return defs


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="formflow")
def cli() -> None:
    """formflow — 物业客服中心的离线表单与流程 offline forms and procedures for a property office.

    \b
    快速开始 Quick start:
      formflow init 我的管理处      建立工作区 create a workspace
      formflow check               检查表单和流程定义 check the definitions
      formflow new complaint       生成填写模板 write a fill-in template
      formflow validate 文件.yaml   检查填好的表单 check a filled form
    """


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """建立新工作区 Create a workspace in DIRECTORY from the shipped defaults.

    \b
    例 Example:  formflow init ~/阳光花园
    """
    from formflow.workspace import init_workspace

    ws = init_workspace(directory)
    click.echo(f"已建立工作区 workspace created: {ws.root}")
    click.echo("下一步 next: 编辑 formflow.yaml 中的管理处名称和人员名册，然后运行 formflow check")


@cli.command()
@_with_root
def check(root: Path) -> None:
    """检查全部定义 Check every definition; list all problems (exit 1) or say OK (exit 0).

    \b
    例 Example:  formflow check --root ~/阳光花园
    """
    from formflow.compat import stored_record_problems
    from formflow.errors import DefinitionError

    defs = _load(root, show_warnings=True)
    db = root / "data" / "db"
    if db.is_dir():
        from formflow.adapters.store import Store

        problems = stored_record_problems(defs, Store(db).states())
        if problems:
            raise DefinitionError(problems)
    click.echo(f"定义检查通过 OK: {len(defs.forms)} 个表单 forms, {len(defs.settings.staff)} 名人员 staff"
               + (f", {len(defs.warnings)} 条警告 warnings" if defs.warnings else ""))


@cli.command("forms")
@_with_root
def list_forms(root: Path) -> None:
    """列出表单 List the forms with their Chinese titles.

    \b
    例 Example:  formflow forms
    """
    defs = _load(root)
    width = max(len(f.id) for f in defs.forms.values())
    for form in defs.forms.values():
        en = f"  {form.title_en}" if form.title_en else ""
        click.echo(f"{form.id:<{width}}  {form.title}（第{form.version}版）{en}")


@cli.command()
@click.argument("form")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="写入文件 write to this file (default: print)")
@_with_root
def new(form: str, output: Path | None, root: Path) -> None:
    """生成填写模板 Write a fill-in template for FORM (a YAML file with Chinese comments).

    \b
    例 Example:  formflow new complaint -o 投诉-张三.yaml
    """
    from formflow.render.fillin import fill_in_template

    defs = _load(root)
    if form not in defs.forms:
        raise WorkspaceError(f"没有表单 no form “{form}”；可用 available: {', '.join(defs.forms)}")
    text = fill_in_template(defs.forms[form], defs.settings)
    if output is None:
        click.echo(text, nl=False)
        return
    if output.exists():
        raise WorkspaceError(f"文件已存在，未覆盖 file exists, not overwritten: {output}")
    output.write_text(text, encoding="utf-8")
    click.echo(f"已生成 written: {output}")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--now", "now_text", metavar="ISO", help="以此时间为“现在” use this time as now (tests, what-ifs)")
@_with_root
def validate(files: tuple[Path, ...], now_text: str | None, root: Path) -> None:
    """检查填好的表单 Check filled forms without storing them; list every problem in Chinese.

    \b
    例 Example:  formflow validate 投诉-张三.yaml
    """
    from formflow.intake import check_file

    defs = _load(root)
    now = _now(now_text, defs.settings.timezone)
    failed = 0
    for path in files:
        problems = check_file(path, defs, now)
        if problems:
            failed += 1
            click.echo(f"✗ {path}：{len(problems)} 处问题")
            for problem in problems:
                click.echo(f"  - {problem}")
        else:
            click.echo(f"✓ {path}：填写正确")
    if failed:
        raise click.exceptions.Exit(1)


@cli.command()
@click.argument("form")
@click.option("--data", "data_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="填好的表单文件 a filled form (as for the inbox)")
@click.option("--at", "at_text", metavar="TIME", help="登记时间 when the record is created (default: the file's at)")
@click.option("--then", "steps", multiple=True, metavar="ACTION@TIME [k=v ...]",
              help="之后的操作，可重复 a later action, repeatable: 'resolve@2026-10-09T10:00 result=已修复'")
@click.option("--until", "until_text", metavar="TIME", help="计算期限的时刻 show the clocks as of this time")
@_with_root
def simulate(form: str, data_file: Path, at_text: str | None, steps: tuple[str, ...], until_text: str | None,
             root: Path) -> None:
    """试算流程和期限 What-if: create a record, apply actions at given times, print states and deadlines.

    \b
    例 Example:
      formflow simulate complaint --data examples/complaint/valid.yaml --at 2025-09-30T17:50 \\
          --then "assign@2025-09-30T18:00 routed_to=工程维修部" --until 2025-10-09T09:00
    """
    from formflow.definitions.yamlsource import load_file
    from formflow.engine.simulate import Step, simulate as run

    defs = _load(root)
    if form not in defs.forms or form not in defs.workflows:
        raise WorkspaceError(f"没有表单或流程 no form/workflow “{form}”；可用 available: {', '.join(defs.workflows)}")
    zone = defs.settings.timezone
    doc = load_file(data_file).data or {}
    data = doc.get("data", doc) if isinstance(doc, dict) else {}
    by = doc.get("by", "") if isinstance(doc, dict) else ""
    at = _now(at_text or (doc.get("at") if isinstance(doc, dict) else None), zone)
    parsed = [_step(text, zone) for text in steps]
    until = _now(until_text, zone) if until_text else None
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
    return Step(action, _now(when, zone), data)


@cli.command()
@click.argument("workflow")
@_with_root
def diagram(workflow: str, root: Path) -> None:
    """流程图 Print WORKFLOW as a Mermaid state diagram (paste into any Mermaid viewer).

    \b
    例 Example:  formflow diagram complaint > complaint.mmd
    """
    from formflow.engine.simulate import diagram as draw

    defs = _load(root)
    if workflow not in defs.workflows:
        raise WorkspaceError(f"没有流程 no workflow “{workflow}”；可用 available: {', '.join(defs.workflows)}")
    click.echo(draw(defs.workflows[workflow], defs), nl=False)


def _open(root: Path):
    from formflow.app import App

    return App.open(root)


_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                       help="输出格式 output format")
_NOW = click.option("--now", "now_text", metavar="ISO", help="以此时间为“现在” fix the clock (tests, what-ifs)")


@cli.command()
@_NOW
@_with_root
def process(now_text: str | None, root: Path) -> None:
    """处理收件箱一遍 One pass over inbox/, then exit (0 all accepted, 1 something rejected, 2 bad definitions).

    \b
    例 Example:  formflow process --root ~/阳光花园
    """
    from formflow.adapters.lock import WorkspaceLock

    with WorkspaceLock(root):
        try:
            app = _open(root)
        except FormflowError as exc:
            exc.exit_code = EXIT_USAGE
            raise
        now = _now(now_text, app.defs.settings.timezone) if now_text else None
        report = app.process(now)
    for result in report.results:
        click.echo(result.line())
        for problem in result.problems if result.status == "rejected" else ():
            click.echo(f"    - {problem}")
    click.echo(f"处理 {len(report.results)} 个文件 files：{len(report.results) - report.rejected} 个已登记 stored，"
               f"{report.rejected} 个未登记 set aside")
    if report.rejected:
        raise click.exceptions.Exit(1)


@cli.command()
@click.option("--poll", is_flag=True, help="定时扫描而非文件事件 poll instead of file events (network/synced folders)")
@_with_root
def watch(poll: bool, root: Path) -> None:
    """持续监视收件箱 Watch inbox/: process files as they arrive, refresh to-dos, reload edited definitions.

    \b
    例 Example:  formflow watch --root ~/阳光花园
    """
    import signal

    from formflow.adapters.lock import WorkspaceLock
    from formflow.watcher import Watcher

    with WorkspaceLock(root):
        app = _open(root)
        for warning in app.defs.warnings:
            click.echo(str(warning), err=True)
        watcher = Watcher(app, echo=click.echo, poll=poll)
        signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
        try:
            watcher.run()
        except KeyboardInterrupt:
            pass
        click.echo("已停止 stopped")


@cli.command()
@click.argument("record")
@click.argument("action")
@click.option("--by", required=True, help="经办人姓名 who does it (from the roster)")
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE", help="填写字段，可重复 a field value, repeatable")
@click.option("--at", "at_text", metavar="ISO", help="办理时间 when it was done (default: when processed)")
@click.option("--note", default="", help="备注 a note for the history")
@_with_root
def act(record: str, action: str, by: str, pairs: tuple[str, ...], at_text: str | None, note: str,
        root: Path) -> None:
    """办理操作 Write an action on RECORD into inbox/ (the engine applies it on its next pass).

    \b
    例 Example:  formflow act TS-YG-202611-0003 reply --by 赵敏 --set reply_method=电话
    """
    import yaml

    from formflow.adapters.atomic import write_text
    from formflow.engine.numbering import SAFE_NUMBER

    if not SAFE_NUMBER.match(record):
        raise WorkspaceError(f"记录编号格式不对 bad record number “{record}”")
    data = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"应写成 expected KEY=VALUE, got {pair!r}", param_hint="--set")
        data[key.strip()] = value
    doc = {"record": record, "action": action, "by": by, "data": data}
    if at_text:
        doc["at"] = at_text
    if note:
        doc["note"] = note
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = root / "inbox" / f"{record}-{action}-{stamp}.yaml"
    write_text(path, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    click.echo(f"已放入收件箱 written: {path}")


@cli.command()
@click.argument("record")
@_FORMAT
@_NOW
@_with_root
def show(record: str, fmt: str, now_text: str | None, root: Path) -> None:
    """查看记录 Show a record: its fields, history and deadlines.

    \b
    例 Example:  formflow show TS-YG-202611-0003
    """
    import json

    from formflow.adapters.store import record_to_doc

    app = _open(root)
    now = _now(now_text, app.defs.settings.timezone)
    rec = app.record(record)
    if fmt == "json":
        click.echo(json.dumps(record_to_doc(rec), ensure_ascii=False, indent=1))
        return
    form = app.defs.forms[rec.form]
    from formflow.engine.records import replay

    view_values = replay(rec, app.defs.workflows[rec.form]).values
    lines = app.explain(record, now)
    click.echo(lines[0])
    for field in form.iter_fields():
        if field.name in view_values:
            value = view_values[field.name]
            if isinstance(value, bool):  # stored typed; a clerk reads 是/否, not True/False
                value = "是" if value else "否"
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):  # multichoice
                value = "、".join(value)
            click.echo(f"  {field.label}：{value}")
    for line in lines[1:]:
        click.echo(line)


@cli.command()
@click.argument("record")
@_NOW
@_with_root
def explain(record: str, now_text: str | None, root: Path) -> None:
    """解释期限 Explain RECORD's deadlines: start, rule, skipped holidays and pauses, due time.

    \b
    例 Example:  formflow explain TS-YG-202611-0003
    """
    app = _open(root)
    for line in app.explain(record, _now(now_text, app.defs.settings.timezone)):
        click.echo(line)


@cli.command("list")
@click.option("--form", "form_id", help="只列此表单 only this form")
@click.option("--state", help="只列此状态 only records in this state")
@click.option("--overdue", is_flag=True, help="只列有逾期期限的 only records with an overdue deadline")
@_FORMAT
@_NOW
@_with_root
def list_records(form_id: str | None, state: str | None, overdue: bool, fmt: str, now_text: str | None,
                 root: Path) -> None:
    """列出记录 List records with their state.

    \b
    例 Example:  formflow list --form complaint --overdue
    """
    import json

    app = _open(root)
    now = _now(now_text, app.defs.settings.timezone)
    late = {t.record for t in app.todo(now) if t.status == "overdue"} if overdue else None
    rows = []
    for rec, current in app.records(form_id, state):
        if late is not None and rec.number not in late:
            continue
        workflow = app.defs.workflows.get(rec.form)
        label = workflow.states[current].label if workflow else ""
        rows.append({"record": rec.number, "form": rec.form, "state": current, "state_label": label,
                     "created": rec.created_at.isoformat()})
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        click.echo(f"{row['record']}  {app.defs.forms[row['form']].title}  {row['state_label']}")
    click.echo(f"共 {len(rows)} 条 records")


@cli.command("todo")
@_FORMAT
@_NOW
@_with_root
def todo_cmd(fmt: str, now_text: str | None, root: Path) -> None:
    """待办事项 The to-do list: overdue, due soon, upcoming.

    \b
    例 Example:  formflow todo --format json
    """
    import json

    app = _open(root)
    tasks = app.todo(_now(now_text, app.defs.settings.timezone))
    if fmt == "json":
        click.echo(json.dumps([t.as_json() for t in tasks], ensure_ascii=False, indent=1))
        return
    for line in app.todo_lines(tasks):
        click.echo(line)


@cli.command()
@_with_root
def rebuild(root: Path) -> None:
    """从存档重建数据库 Rebuild the database from data/archive alone (the old one is kept aside).

    \b
    例 Example:  formflow rebuild
    """
    app = _open(root)
    count = app.rebuild()
    click.echo(f"已重建 rebuilt: {count} 条记录 records")


def _now(text: str | None, zone) -> dt.datetime:
    """``--now`` when given, else the clock (which honours FORMFLOW_NOW)."""
    from formflow import clock

    return clock.parse_moment(text, zone) if text else clock.now(zone)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; the one place exceptions become exit codes."""
    try:
        code = cli.main(args=argv, prog_name="formflow", standalone_mode=False)
        if isinstance(code, int):  # click returns a command's ctx.exit(code) instead of raising
            return code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except FormflowError as exc:
        click.echo(str(exc), err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception:  # a bug: say so plainly, keep the details for the report
        click.echo("formflow 内部错误 internal error — 这是程序缺陷，请把下面的信息发给维护人员:", err=True)
        traceback.print_exc()
        return EXIT_BUG
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
