"""Commands of the daily desk: process, watch, act, show, explain, list, todo, rebuild."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from formflow.cli.common import FORMAT, FORMAT_X, NOW, OUTPUT, now_from, open_app, with_root, xlsx_target
from formflow.cli.main import cli
from formflow.errors import EXIT_USAGE, CannotWrite, FormflowError, WorkspaceError


@cli.command()
@NOW
@with_root
def process(now_text: str | None, root: Path) -> None:
    """处理收件箱一遍 One pass over inbox/, then exit (0 all accepted, 1 something rejected, 2 bad definitions,
    4 something could not be written: disk full or read-only; what it held back stays for the next run).

    \b
    例 Example:  formflow process --root ~/阳光花园
    """
    from formflow.adapters.atomic import is_write_fault, write_fault_text
    from formflow.adapters.lock import WorkspaceLock

    try:
        with WorkspaceLock(root):
            try:
                app = open_app(root)
            except FormflowError as exc:
                exc.exit_code = EXIT_USAGE
                raise
            now = now_from(now_text, app.defs.settings.timezone) if now_text else None
            report = app.process(now)
    except OSError as exc:  # the pass could not be committed: nothing of it is stored, every file stays in inbox/
        if not is_write_fault(exc):
            raise
        raise CannotWrite(f"✗ 写入故障 cannot write：{write_fault_text(exc, root.resolve())}；"
                          "收到的文件都留在 inbox 中，问题解决后请重新运行 formflow process") from None
    for result in report.results:
        click.echo(result.line())
        for problem in result.problems if result.status == "rejected" else ():
            click.echo(f"    - {problem}")
    stored = sum(1 for r in report.results if r.status == "stored")
    waiting = len(report.results) - stored - report.rejected
    click.echo(f"处理 {len(report.results)} 个文件 files：{stored} 个已登记 stored，{report.rejected} 个未登记 set aside"
               + (f"，{waiting} 个留在 inbox 稍后处理 left in inbox" if waiting else ""))
    faults = report.faults + ([f"{app.outbox.fault}；已登记的记录不受影响，下次运行时补打"] if app.outbox.fault else [])
    if faults:
        raise CannotWrite("\n".join(f"✗ 写入故障 cannot write：{fault}" for fault in faults))
    if report.rejected:
        raise click.exceptions.Exit(1)


@cli.command()
@click.option("--poll", is_flag=True, help="定时扫描而非文件事件 poll instead of file events (network/synced folders)")
@with_root
def watch(poll: bool, root: Path) -> None:
    """持续监视收件箱 Watch inbox/: process files as they arrive, refresh to-dos, reload edited definitions.

    \b
    例 Example:  formflow watch --root ~/阳光花园
    """
    import signal

    from formflow.adapters.lock import WorkspaceLock
    from formflow.watcher import Watcher

    with WorkspaceLock(root):
        app = open_app(root)
        for warning in app.defs.warnings:
            click.echo(str(warning), err=True)
        watcher = Watcher(app, echo=click.echo, poll=poll)
        signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
        sync = _start_syncthing(root)
        try:
            watcher.run()
        except KeyboardInterrupt:
            pass
        finally:
            if sync is not None:
                sync.stop()
        click.echo("已停止 stopped")


def _start_syncthing(root: Path):
    """The station's Syncthing, started beside the watcher (and stopped with it) when ``sync init`` set one
    up and it is not running already (e.g. as a user service); None otherwise."""
    from formflow import syncsetup

    if not syncsetup.configured(root):
        return None
    st = syncsetup.syncthing(root)
    if st.running():
        return None
    st.start()
    click.echo(f"Syncthing 已启动 started（管理页面 GUI: http://{st.gui_address()}）")
    return st


@cli.command()
@click.argument("record")
@click.argument("action")
@click.option("--by", required=True, help="经办人姓名 who does it (from the roster)")
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE", help="填写字段，可重复 a field value, repeatable")
@click.option("--at", "at_text", metavar="ISO", help="办理时间 when it was done (default: when processed)")
@click.option("--note", default="", help="备注 a note for the history")
@with_root
def act(record: str, action: str, by: str, pairs: tuple[str, ...], at_text: str | None, note: str,
        root: Path) -> None:
    """办理操作 Write an action on RECORD into inbox/ (the engine applies it on its next pass).

    \b
    例 Example:  formflow act TS-YG-202611-0003 reply --by 赵敏 --set reply_method=电话
    """
    from formflow.adapters.inbox import put
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
    path = put(root / "inbox", f"{record}-{action}-{stamp}.yaml", doc)
    from formflow.adapters.audit import AuditLog
    from formflow.cli.common import load

    AuditLog(root / "data", load(root).settings.station).append("written", by, "cli", file=path.name)
    click.echo(f"已放入收件箱 written: {path}")


@cli.command()
@click.argument("record")
@FORMAT
@NOW
@with_root
def show(record: str, fmt: str, now_text: str | None, root: Path) -> None:
    """查看记录 Show a record: its fields, history and deadlines.

    \b
    例 Example:  formflow show TS-YG-202611-0003
    """
    import json

    app = open_app(root)
    now = now_from(now_text, app.defs.settings.timezone)
    rec = app.record(record)
    if fmt == "json":
        click.echo(json.dumps(_record_json(app.defs, rec, now), ensure_ascii=False, indent=1))
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


def _record_json(defs, rec, now: dt.datetime) -> dict:
    """A record as ``show --format json`` gives it: as stored, plus its state and deadlines at ``now``.

    The clocks are the engine's own (the ones ``explain`` and the text output print), so the JSON
    can never disagree with what a clerk reads; times are ISO 8601 with their offset.
    """
    from formflow.adapters.store import record_to_doc
    from formflow.engine.clocks import STATUS_LABELS
    from formflow.reports.base import view_and_clocks

    workflow = defs.workflows.get(rec.form)
    if workflow is None:  # a form without a workflow: a record with no state and no clocks, not an error
        return {**record_to_doc(rec), "state_label": "", "as_of": now.isoformat(), "deadlines": []}
    view, clocks = view_and_clocks(defs, rec, now)
    state = workflow.states.get(view.state)
    doc = record_to_doc(rec, view.state)
    doc["state_label"] = state.label if state else ""
    doc["as_of"] = now.isoformat()
    doc["deadlines"] = [{
        "key": c.key, "label": c.label, "task": c.task, "who": list(c.who), "status": c.status,
        "status_label": STATUS_LABELS[c.status], "rule": c.rule, "started": c.started.isoformat(),
        "due": c.due.isoformat(), "stopped": c.stopped.isoformat() if c.stopped else None,
        "escalated_to": list(c.escalated_to), "explanation": list(c.explanation)} for c in clocks]
    return doc


@cli.command()
@click.argument("record")
@NOW
@with_root
def explain(record: str, now_text: str | None, root: Path) -> None:
    """解释期限 Explain RECORD's deadlines: start, rule, skipped holidays and pauses, due time.

    \b
    例 Example:  formflow explain TS-YG-202611-0003
    """
    app = open_app(root)
    for line in app.explain(record, now_from(now_text, app.defs.settings.timezone)):
        click.echo(line)


@cli.command("list")
@click.option("--form", "form_id", help="只列此表单 only this form")
@click.option("--state", help="只列此状态 only records in this state")
@click.option("--overdue", is_flag=True, help="只列有逾期期限的 only records with an overdue deadline")
@FORMAT_X
@OUTPUT
@NOW
@with_root
def list_records(form_id: str | None, state: str | None, overdue: bool, fmt: str, output: Path | None,
                 now_text: str | None, root: Path) -> None:
    """列出记录 List records with their state (as an Excel table with every field: --format xlsx -o FILE).

    \b
    例 Examples:  formflow list --form complaint --overdue
                  formflow list --form repair --format xlsx -o 维修登记.xlsx
    """
    import json

    target = xlsx_target(fmt, output)
    app = open_app(root)
    now = now_from(now_text, app.defs.settings.timezone)
    late = {t.record for t in app.todo(now) if t.status == "overdue"} if overdue else None
    import datetime as dt

    rows = []
    zone = app.defs.settings.timezone
    for number, rec_form, current, created in app.indexed(form_id, state):  # all from the store's index:
        if late is not None and number not in late:                        # no record is read
            continue
        workflow = app.defs.workflows.get(rec_form)
        label = workflow.states[current].label if workflow and current in workflow.states else ""
        rows.append({"record": number, "form": rec_form, "state": current, "state_label": label,
                     "created": dt.datetime.fromtimestamp(created, zone).isoformat()})
    if target is not None:
        from formflow import exporting

        headers, table = exporting.records_table(app.defs, (app.store.get(r["record"]) for r in rows), now)
        title = app.defs.forms[form_id].title if form_id in app.defs.forms else "全部记录"
        exporting.save(target, headers, table, title=f"{app.defs.settings.office} {title}", sheet=title)
        click.echo(f"已写入 written: {target}（{len(table)} 条 records）")
        return
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        click.echo(f"{row['record']}  {app.defs.forms[row['form']].title}  {row['state_label']}")
    click.echo(f"共 {len(rows)} 条 records")


@cli.command("todo")
@click.option("--person", help="只列此人的待办 only this person's own tasks (a name from the roster)")
@FORMAT_X
@OUTPUT
@NOW
@with_root
def todo_cmd(person: str | None, fmt: str, output: Path | None, now_text: str | None, root: Path) -> None:
    """待办事项 The to-do list: overdue, due today, due soon, later.

    \b
    例 Examples:  formflow todo --format json
                  formflow todo --person 刘强
                  formflow todo --format xlsx -o 待办.xlsx
    """
    import json

    target = xlsx_target(fmt, output)
    app = open_app(root)
    now = now_from(now_text, app.defs.settings.timezone)
    tasks = app.todo(now)
    if person is not None:
        from formflow.render.todolist import tasks_for

        if app.defs.settings.person(person) is None:
            raise click.BadParameter(f"“{person}”不在人员名册中 not on the roster", param_hint="--person")
        tasks = tasks_for(app.defs, tasks, person)
    if target is not None:
        from formflow import exporting

        headers, rows = exporting.todo_table(app.defs, tasks, app.defs.settings.timezone)
        exporting.save(target, headers, rows, title=f"{app.defs.settings.office} 待办事项 {now:%Y-%m-%d %H:%M}",
                       sheet="待办事项")
        click.echo(f"已写入 written: {target}（{len(rows)} 项 tasks）")
        return
    if fmt == "json":
        click.echo(json.dumps([t.as_json() for t in tasks], ensure_ascii=False, indent=1))
        return
    for line in app.todo_lines(tasks, now):
        click.echo(line)


@cli.command()
@with_root
def rebuild(root: Path) -> None:
    """从存档重建数据库 Rebuild the database from data/archive alone (the old one is kept aside).

    \b
    例 Example:  formflow rebuild
    """
    from formflow.adapters.lock import WorkspaceLock

    with WorkspaceLock(root):  # never under a running watcher
        app = open_app(root)
        report = app.rebuild()
    click.echo(f"已重建 rebuilt: {report.records} 条记录 records，{report.files} 个存档文件 archived files，"
               f"按 {len(report.versions)} 个定义版本重放 replayed under {len(report.versions)} definitions version(s)")
    if report.without_version:
        click.echo(f"  其中 {report.without_version} 个文件由旧版本登记、未保存当时的定义，按现在的定义重放 "
                   "archived by an older formflow without kept definitions: replayed under today's")

