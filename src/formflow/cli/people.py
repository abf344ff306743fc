"""``formflow staff``: the roster's desk PINs (``staff passwd``, ``staff list``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from formflow.cli.common import load, with_root


@click.group()
def staff() -> None:
    """人员 The roster's desk sign-in: set a person's PIN, see who has one."""


@staff.command("passwd")
@click.argument("name")
@click.option("--by", default="", help="设置人 who sets it (a supervisor; kept with the hash)")
@click.option("--pin-stdin", is_flag=True, help="从标准输入读取 read the PIN from standard input (scripts)")
@with_root
def passwd(name: str, by: str, pin_stdin: bool, root: Path) -> None:
    """设置登录密码 Set NAME's desk PIN (asked twice, never shown; only its scrypt hash is kept).

    \b
    例 Example:  formflow staff passwd 李娜
    """
    from formflow.adapters.pins import PinStore, weak

    defs = load(root)
    if defs.settings.person(name) is None:
        raise click.BadParameter(f"“{name}”不在人员名册中（或已离职） not an active person on the roster",
                                 param_hint="NAME")
    if pin_stdin:
        pin = sys.stdin.readline().rstrip("\r\n")
    else:
        pin = click.prompt(f"{name}的新密码 new PIN", hide_input=True, confirmation_prompt="再输入一次 again")
    problem = weak(pin)
    if problem:
        raise click.BadParameter(f"密码不能用 PIN refused: {problem}", param_hint="PIN")
    PinStore(root).set(name, pin, by)
    from formflow.adapters.audit import AuditLog

    AuditLog(root / "data", defs.settings.station).append("pin_set", by or "", "cli", person=name)
    click.echo(f"已设置 set: {name}的登录密码（data/people/pins.json，只存散列 hash only）")


@staff.command("list")
@with_root
def list_staff(root: Path) -> None:
    """人员名册 The roster: roles, department, whether each person has a desk PIN."""
    from formflow.adapters.pins import PinStore

    defs = load(root)
    having = PinStore(root).names()
    for person in defs.settings.staff:
        roles = "、".join(defs.settings.roles.get(r, r) for r in person.roles)
        state = "已离职 left" if not person.active else ("有密码 PIN set" if person.name in having else "无密码 no PIN")
        click.echo(f"{person.name}  {roles}  {person.department}  {state}")
    if defs.settings.sign_in == "none":
        click.echo("服务台不要求登录 desk sign-in is off (desk.sign_in: none)")


@click.command("audit")
@click.option("--person", help="只列此人的 only this person's lines")
@click.option("--since", metavar="YYYY-MM-DD", help="从此日起 from this day on")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式 output format")
@with_root
def audit(person: str | None, since: str | None, fmt: str, root: Path) -> None:
    """审计日志 Who did what, when, from where (desk, file, CLI): sign-ins, submissions, actions, corrections.

    \b
    例 Example:  formflow audit --person 李娜 --since 2026-12-01
    """
    import datetime as dt
    import json

    from formflow.adapters.audit import EVENTS, VIA, read_all

    defs = load(root)
    zone = defs.settings.timezone
    def local_day(entry: dict) -> str:
        try:
            return dt.datetime.fromisoformat(entry["at"]).astimezone(zone).date().isoformat()
        except ValueError:
            return entry["at"][:10]

    lines = [e for e in read_all(root / "data") if (not person or e.get("who") == person or e.get("person") == person)
             and (not since or local_day(e) >= since)]
    if fmt == "json":
        click.echo(json.dumps(lines, ensure_ascii=False, indent=1))
        return
    for e in lines:
        try:
            when = dt.datetime.fromisoformat(e["at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            when = e["at"]
        detail = "  ".join(str(e[k]) for k in ("what", "person", "reason", "note") if e.get(k))
        records = "、".join(e.get("records", []) or [])
        click.echo("  ".join(v for v in (when, e.get("station", ""), EVENTS.get(e.get("event"), e.get("event", "")),
                                         e.get("who", ""), VIA.get(e.get("via"), e.get("via", "")), detail, records,
                                         e.get("file", "")) if v))
    click.echo(f"共 {len(lines)} 条 lines")
