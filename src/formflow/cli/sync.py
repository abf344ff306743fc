"""``formflow sync``: several stations, one office (Syncthing on the network, a USB stick without one)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from formflow.cli.common import FORMAT, open_app, with_root
from formflow.cli.main import cli


@cli.group()
def sync() -> None:
    """多站点同步 Several stations, one office: logs carried by Syncthing or a USB stick.

    \b
    本站只写自己的记录日志，读取其他站点的；各站持有相同的日志即有相同的记录。
    Each station writes only its own log and reads everyone's; equal logs give equal records.
    """


def _print_fold(report) -> None:
    if not (report.applied or report.held or report.replayed):
        click.echo("没有新到达的记录 nothing new from other stations")
    else:
        how = "（按顺序重放全部日志 every log replayed in order）" if report.replayed else ""
        click.echo(f"已合并 folded: {report.applied} 个文件 files{how}"
                   + (f"，{report.held} 个暂缓 held" if report.held else ""))
    for _, why in sorted(report.waiting.items()):
        click.echo(f"  … {why}")


def _print_carried(carried) -> None:
    for code, count in sorted(carried.stations.items()):
        click.echo(f"  {code}: {count} 个新文件 new files")
    for skipped in carried.skipped:
        click.echo(f"  跳过 skipped: {skipped}")


@sync.command("fold")
@with_root
def fold_cmd(root: Path) -> None:
    """合并其他站点的记录 Fold in what other stations' logs brought (``watch`` does this by itself).

    \b
    例 Example:  formflow sync fold
    """
    from formflow.adapters.lock import WorkspaceLock

    with WorkspaceLock(root):  # never beside a running watcher's own fold
        report = open_app(root).fold()
    _print_fold(report)


@sync.command("export")
@click.option("--to", "target", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="目标文件夹（如U盘） target folder (e.g. a USB stick)")
@with_root
def export_cmd(target: Path, root: Path) -> None:
    """导出记录日志到U盘 Copy every log this station holds to a folder (a USB stick).

    \b
    例 Example:  formflow sync export --to /media/u盘/formflow
    """
    from formflow.stations import export_logs

    app = open_app(root)
    carried = export_logs(root / "data", app.defs.settings.station, target)
    _print_carried(carried)
    click.echo(f"已导出 exported {carried.files} 个文件 files → {target}")


@sync.command("import")
@click.option("--from", "source", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="来源文件夹（如U盘） source folder (e.g. a USB stick)")
@with_root
def import_cmd(source: Path, root: Path) -> None:
    """从U盘导入其他站点的记录日志并合并 Copy other stations' logs from a folder, then fold them in.

    \b
    例 Example:  formflow sync import --from /media/u盘/formflow
    """
    from formflow.adapters.lock import WorkspaceLock
    from formflow.stations import import_logs

    with WorkspaceLock(root):
        app = open_app(root)
        carried = import_logs(root / "data", app.defs.settings.station, source)
        report = app.fold()
    _print_carried(carried)
    _print_fold(report)


@sync.command("status")
@FORMAT
@with_root
def status_cmd(fmt: str, root: Path) -> None:
    """同步状态 This station, the other stations' logs, what is still to arrive, conflicts, and a digest.

    \b
    两个站点的 digest 相同，即记录完全相同。 Equal digests: identical records.
    例 Example:  formflow sync status --format json
    """
    from formflow.stations import status

    app = open_app(root)
    found = status(app)
    if fmt == "json":
        click.echo(json.dumps(found, ensure_ascii=False, indent=1))
        return
    click.echo(f"本站 station: {found['station']}   记录 records: {found['records']}")
    if found.get("device_id"):
        click.echo(f"设备号 device ID: {found['device_id']}")
    for peer in found.get("peers", []):
        state = "已连接 connected" if peer["connected"] else f"未连接 offline（最后在线 last seen {peer['last_seen'] or '—'}）"
        click.echo(f"  设备 device {peer['name'] or peer['device_id'][:7]}: {state}")
    for code, log in sorted(found["logs"].items()):
        line = f"  {code}: 已合并 folded {log['folded']}"
        if log.get("waiting"):
            line += f"；等待 waiting: {log['waiting']}"
        click.echo(line)
    for held in found["held"]:
        click.echo(f"  暂缓 held: {held['station']} #{held['seq']} {held['name']}：{held['why']}")
    for conflict in found["conflicts"]:
        click.echo(f"  同步冲突 conflict: {conflict['record']}：{conflict['note']}")
    click.echo(f"digest: {found['digest']}")


@sync.command("init")
@click.option("--station", required=True, help="本站代码（2–6位大写字母/数字，各站不同） this station's code, unique in the office")
@click.option("--publish-definitions", "publisher", is_flag=True,
              help="本站发布表单与流程定义（主管的电脑） this station publishes the definitions (the supervisor's)")
@click.option("--listen", default="tcp://0.0.0.0:22000", show_default=True,
              help="Syncthing 监听地址 where Syncthing listens for the other stations")
@click.option("--gui-port", type=int, default=None, help="Syncthing 管理端口（仅本机） its GUI/API port, loopback only "
                                                         "(default: a free one)")
@with_root
def init_cmd(station: str, publisher: bool, listen: str, gui_port: int | None, root: Path) -> None:
    """设置本站同步 Make this workspace a station: its code, and a Syncthing configuration for its log.

    \b
    之后在其他站点运行 then, at each other station:  formflow sync add-peer 本站设备号 --station 本站代码
    例 Example:  formflow sync init --station YG1 --publish-definitions
    """
    from formflow import syncsetup
    from formflow.adapters.lock import WorkspaceLock

    with WorkspaceLock(root):
        open_app(root)  # a workspace, with definitions that load
        done = syncsetup.init(root, station, listen=listen, gui_port=gui_port, publisher=publisher)
    click.echo(f"本站 station: {done.station}")
    click.echo(f"设备号 device ID: {done.device_id}")
    _qr(done.device_id, root)
    click.echo(f"在其他站点运行 at each other station run:\n"
               f"  formflow sync add-peer {done.device_id} --station {done.station}"
               + (" --publisher" if publisher else ""))
    click.echo("然后运行 then run: formflow watch（同时启动 Syncthing starts Syncthing too）")


def _qr(device_id: str, root: Path) -> None:
    """The device ID as a QR code: in the terminal, and as an SVG to print (``data/sync/device-id.svg``)."""
    import segno

    code = segno.make(device_id, error="m")
    target = root / "data" / "sync" / "device-id.svg"
    code.save(str(target), scale=6)
    try:
        code.terminal(compact=True)
    except (UnicodeEncodeError, OSError):  # a console that cannot show the block characters: the SVG is there
        pass
    click.echo(f"二维码 QR code: {target}")


@sync.command("add-peer")
@click.argument("device_id")
@click.option("--station", "code", required=True, help="对方站点代码 the other station's code")
@click.option("--address", default="", help="对方地址（不填则在局域网内自动发现） its address, e.g. tcp://192.168.1.20:22000 "
                                            "(default: found on the LAN)")
@click.option("--publisher", is_flag=True, help="表单与流程定义由对方发布 the definitions come from that station")
@with_root
def add_peer_cmd(device_id: str, code: str, address: str, publisher: bool, root: Path) -> None:
    """添加其他站点 Let another station take part, by its device ID (``sync init`` printed it there).

    \b
    例 Example:  formflow sync add-peer MFZWI3D-BONSGYC-... --station YG1 --publisher
    """
    from formflow import syncsetup

    app = open_app(root)
    syncsetup.add_peer(root, app.defs.settings.station, device_id, code, address=address, publisher=publisher)
    click.echo(f"已添加站点 added station {code}" + ("（表单与流程定义由其发布 publishes the definitions）" if publisher else ""))
