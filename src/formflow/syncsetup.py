"""Syncthing for one workspace: which folders it shares with whom, so the office's logs meet.

Per workspace one Syncthing configuration in ``data/sync/syncthing/`` (its own keys: the station's
device ID), shared folders:

- ``formflow-log-<CODE>``: this station's log (``data/archive``), **send-only** here; at every other
  station a **receive-only** copy in ``data/stations/<CODE>``. Every station shares every log with
  every device it knows, so a log reaches a station through any other that holds it (a laptop that is
  off is no bottleneck).
- ``formflow-definitions``: forms, workflows, settings, calendar, duties and choice lists, published
  by one station (the supervisor's: its workspace folder, **send-only**, whose ``.stignore`` admits
  those files only — never ``data/``, the inbox, the outbox or ``station.yaml``). The others receive
  them into ``data/sync/definitions/`` and take them over only once the copy is complete and passes
  ``check`` (:func:`apply_published`): a half-synced or broken edit never stops a station.

Global discovery, relays and NAT traversal are off (:meth:`Syncthing.init`): devices find each other
on the office LAN (local discovery) or at the address given to ``add-peer``. Only devices added by
their ID take part. formflow opens no port and speaks no network protocol itself.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from formflow.adapters.atomic import write_bytes, write_text
from formflow.adapters.stationlog import CODE, DEFINITIONS, STATIONS
from formflow.adapters.syncthing import (
    Peer,
    Syncthing,
    SyncthingError,
    free_port,
    normalise_device_id,
)
from formflow.adapters.events import definition_files
from formflow.definitions.loader import SETTINGS_FILE, STATION_FILE, load_definitions
from formflow.definitions.sources import Sources
from formflow.errors import DefinitionError, WorkspaceError
from formflow.workspace import DEFAULT_CONTENT

HOME = Path("data") / "sync" / "syncthing"
#: Where the published definitions arrive at a station that does not publish them.
PUBLISHED = Path("data") / "sync" / "definitions"
#: The definition files and folders that travel: what ``formflow init`` writes, but the data.
SHARED = DEFAULT_CONTENT
DEFINITIONS_FOLDER = "formflow-definitions"
#: What a log folder never carries: our temporary files and the staging folder (dot names), the sync engine's.
LOG_IGNORE = ["// formflow: 临时文件不同步 temporary files stay here", ".*", "~*"]
#: The definitions folder is the workspace itself: only the definition files travel.
DEFINITIONS_IGNORE = ["// formflow: 只同步表单与流程定义 only the definitions travel",
                      *(f"!/{name}" for name in SHARED), "*"]


def log_folder(code: str) -> str:
    """The Syncthing folder ID of ``code``'s log."""
    return f"formflow-log-{code}"


def syncthing(root: Path) -> Syncthing:
    """The Syncthing of the workspace at ``root`` (configured or not)."""
    return Syncthing(root / HOME)


def configured(root: Path) -> bool:
    return syncthing(root).initialised()


@dataclass(frozen=True)
class Initialised:
    device_id: str
    station: str
    gui: str


def init(root: Path, station: str, *, listen: str = "tcp://0.0.0.0:22000", gui_port: int | None = None,
         publisher: bool = False, local_discovery: bool = True) -> Initialised:
    """Make this workspace a station: its code in ``station.yaml``, a Syncthing configuration sharing its
    log (and, for the ``publisher``, the definitions). Raises if it is one already."""
    if not CODE.match(station):
        raise WorkspaceError(f"站点代码无效 station code must be 2–6 capitals/digits: {station!r}")
    st = syncthing(root)
    if st.initialised():
        raise WorkspaceError(f"本工作区已设置同步 sync is set up already ({st.home})；"
                             "用 formflow sync status 查看 see formflow sync status")
    local = root / STATION_FILE
    write_text(local, f"# 本站代码（仅本机，不同步） this laptop's station code, never synced\nstation: {station}\n")
    device = st.init(station, gui_port=gui_port or free_port(), listen=listen, local_discovery=local_discovery)
    data = root / "data"
    _carry_kept_versions(data)
    st.share_folder(log_folder(station), data / "archive", "sendonly", [], label=f"formflow {station} 记录日志",
                    ignore=LOG_IGNORE, rescan_s=60)
    if publisher:
        st.share_folder(DEFINITIONS_FOLDER, root, "sendonly", [], label="formflow 表单与流程定义",
                        ignore=DEFINITIONS_IGNORE, rescan_s=60)
    return Initialised(device, station, st.gui_address())


def add_peer(root: Path, station: str, device_id: str, code: str, *, address: str = "",
             publisher: bool = False) -> None:
    """Let the station ``code`` (device ``device_id``) take part: it receives every log held here, its own
    log comes into ``data/stations/<code>``; ``publisher``: the definitions come from it."""
    if not CODE.match(code) or code == station:
        raise WorkspaceError(f"站点代码无效或与本站相同 station code invalid or this station's own: {code!r}")
    st = _ready(root)
    device = normalise_device_id(device_id)
    if device == st.device_id():
        raise WorkspaceError("这是本机的设备号 that is this laptop's own device ID")
    st.add_device(device, code, [address] if address else ["dynamic"])
    folders = st.folders()
    devices = st.devices()
    for folder_id, folder in folders.items():
        if folder_id.startswith("formflow-log-"):
            st.share_folder(folder_id, Path(folder["path"]), folder["type"], [device])
    data = root / "data"
    peer_log = log_folder(code)
    if peer_log not in folders:
        st.share_folder(peer_log, data / STATIONS / code, "receiveonly", devices, label=f"formflow {code} 记录日志",
                        ignore=LOG_IGNORE, rescan_s=60)
    if publisher:
        st.share_folder(DEFINITIONS_FOLDER, root / PUBLISHED, "receiveonly", [device], label="formflow 表单与流程定义",
                        ignore=DEFINITIONS_IGNORE, rescan_s=60)
    elif folders.get(DEFINITIONS_FOLDER, {}).get("type") == "sendonly":
        st.share_folder(DEFINITIONS_FOLDER, root, "sendonly", [device])


def apply_published(root: Path, today) -> list[str]:
    """Take over the definitions the publishing station sent (``data/sync/definitions/``) when they differ
    from the workspace's and load without an error; returns the files changed ([] when nothing changed
    or they do not load yet — an edit half-way through syncing, or one the publisher must still fix)."""
    published = root / PUBLISHED
    if not (published / SETTINGS_FILE).is_file():
        return []
    theirs, ours = _definition_files(published), _definition_files(root)
    if theirs == ours:
        return []
    try:
        load_definitions(root, today, Sources.kept(root, theirs))
    except DefinitionError:
        return []
    changed = sorted(set(theirs) ^ set(ours) | {k for k in theirs if k in ours and theirs[k] != ours[k]})
    for key in changed:
        target = root / key
        if key in theirs:
            write_bytes(target, theirs[key])
        else:
            target.unlink(missing_ok=True)
    return changed


def _definition_files(base: Path) -> dict[str, bytes]:
    """The definition files under ``base`` — those a hot reload watches — relative posix path → bytes."""
    return {path.relative_to(base).as_posix(): path.read_bytes() for path in definition_files(base)}


def peers(root: Path) -> list[Peer]:
    """The devices this station shares with, as the running Syncthing sees them (all offline when it is
    not running)."""
    st = syncthing(root)
    if not st.initialised():
        return []
    if st.running():
        return st.peers()
    names = _names(st)
    return [Peer(device, names.get(device, ""), False, "", "") for device in st.devices()]


def _names(st: Syncthing) -> dict[str, str]:
    import xml.etree.ElementTree as ET

    tree = ET.parse(st.config)
    return {d.get("id", ""): d.get("name", "") for d in tree.getroot().findall("device")}


def _ready(root: Path) -> Syncthing:
    st = syncthing(root)
    if not st.initialised():
        raise WorkspaceError("本工作区尚未设置同步 sync is not set up here\n"
                             "    修改建议 fix: formflow sync init --station 本站代码")
    return st


def _carry_kept_versions(data: Path) -> None:
    """Definition versions kept before this workspace was a station go into its log too: the others
    replay its older files under them."""
    kept = data / "definitions"
    if not kept.is_dir():
        return
    target = data / "archive" / DEFINITIONS
    target.mkdir(parents=True, exist_ok=True)
    for path in kept.glob("*.json"):
        if not (target / path.name).exists():
            shutil.copyfile(path, target / path.name)


__all__ = ["SyncthingError", "add_peer", "configured", "init", "peers", "syncthing"]
