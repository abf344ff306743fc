"""Stations over real Syncthing on localhost: each runs ``formflow watch`` (which starts its Syncthing),
they register and act at the same time, one is stopped and comes back, two act on one record while
apart — and in the end every station holds the same records, conflicts and numbers."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from formflow import syncsetup
from formflow.adapters.store import Store
from formflow.adapters.syncthing import Syncthing, binary, free_port
from formflow.app import App
from formflow.errors import WorkspaceError
from formflow.fold import digest

from .stations_util import action, complaint, station
from .syncthing_util import processes, wait_for

pytestmark = pytest.mark.skipif(binary() is None, reason="syncthing is not installed (scripts/setup.sh test installs it)")
NOW = "2026-11-28T10:00:00+08:00"


def formflow(*args: str, root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "FORMFLOW_NOW": NOW}
    return subprocess.run([sys.executable, "-m", "formflow", *args, "--root", str(root)], env=env,
                          capture_output=True, text=True, timeout=120)


def status(root: Path) -> dict:
    """What ``formflow sync status --format json`` prints (the real command, once a station has settled)."""
    done = formflow("sync", "status", "--format", "json", root=root)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def holding(desk: "Desk") -> tuple[int, str]:
    """Records and digest of a station's store, read in this process while its watcher writes (polling
    with a subprocess per look would spend most of the test starting Python)."""
    store = Store(desk.root / "data" / "db", finish_commit=False)
    return store.count(), digest(store, desk.defs)


class Desk:
    """One station: a workspace set up with ``sync init`` and a ``formflow watch`` running on it."""

    def __init__(self, parent: Path, code: str, *, publisher: bool = False):
        self.code = code
        self.root = station(parent, code)
        (self.root / "station.yaml").unlink()  # `sync init` writes it
        port = free_port()
        done = syncsetup.init(self.root, code, listen=f"tcp://127.0.0.1:{port}", publisher=publisher,
                              local_discovery=False)
        self.device, self.address = done.device_id, f"tcp://127.0.0.1:{port}"
        self.watcher: subprocess.Popen | None = None
        self.defs = App.open(self.root).defs

    def start(self) -> None:
        env = {**os.environ, "FORMFLOW_NOW": NOW}
        log = open(self.root / "watch.log", "a", encoding="utf-8")
        self.watcher = subprocess.Popen([sys.executable, "-m", "formflow", "watch", "--root", str(self.root)],
                                        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: Syncthing(self.root / syncsetup.HOME).running(), timeout=60)

    def stop(self) -> None:
        if self.watcher is not None and self.watcher.poll() is None:
            self.watcher.send_signal(signal.SIGTERM)
            self.watcher.wait(timeout=60)
        self.watcher = None

    def drop(self, name: str, text: str) -> None:
        temporary = self.root / "inbox" / f".{name}.part"
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.root / "inbox" / name)  # whole at once, as a desk's form app saves


def _numbers(text: str) -> list[str]:
    """The numbers ``watch``/``process`` printed as given (``✓ file → number``)."""
    return [line.split("→ ")[1] for line in text.splitlines() if line.startswith("✓ ") and "→ " in line]


def test_init_and_add_peer_share_each_log_with_every_station(tmp_path):
    a = Desk(tmp_path, "YGA", publisher=True)
    b = Desk(tmp_path, "YGB")
    assert (b.root / "station.yaml").read_text(encoding="utf-8").endswith("station: YGB\n")
    with pytest.raises(WorkspaceError, match="已设置同步"):
        syncsetup.init(b.root, "YGB")
    with pytest.raises(WorkspaceError, match="本机的设备号"):
        syncsetup.add_peer(b.root, "YGB", b.device, "YGC")
    syncsetup.add_peer(b.root, "YGB", a.device, "YGA", address=a.address, publisher=True)
    syncsetup.add_peer(a.root, "YGA", b.device, "YGB", address=b.address)
    folders = syncsetup.syncthing(b.root).folders()
    assert {k: (Path(v["path"]), v["type"], v["devices"]) for k, v in folders.items()} == {
        "formflow-log-YGB": (b.root / "data" / "archive", "sendonly", [a.device]),
        "formflow-log-YGA": (b.root / "data" / "stations" / "YGA", "receiveonly", [a.device]),
        "formflow-definitions": (b.root / syncsetup.PUBLISHED, "receiveonly", [a.device])}
    assert syncsetup.syncthing(a.root).folders()["formflow-definitions"]["path"] == str(a.root)
    assert (a.root / ".stignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert ".*" in (b.root / "data" / "archive" / ".stignore").read_text(encoding="utf-8").splitlines()


def test_published_definitions_are_taken_over_only_when_they_load(tmp_path):
    a, b = station(tmp_path, "YGA"), station(tmp_path, "YGB")
    published = b / syncsetup.PUBLISHED
    for name in syncsetup.SHARED:
        source = a / name
        if source.is_dir():
            shutil.copytree(source, published / name)
        else:
            published.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, published / name)
    today = dt.date(2026, 11, 28)
    assert syncsetup.apply_published(b, today) == []  # the same as its own: nothing to do
    form = published / "forms" / "complaint.yaml"
    form.write_text(form.read_text(encoding="utf-8").replace("title: 投诉处理记录", "title: 住户投诉处理记录", 1),
                    encoding="utf-8")
    broken = published / "forms" / "repair.yaml"
    good = broken.read_text(encoding="utf-8")
    broken.write_text(good + "\nunknown_key: 1\n", encoding="utf-8")  # half-way through an edit
    assert syncsetup.apply_published(b, today) == []
    assert "title: 投诉处理记录" in (b / "forms" / "complaint.yaml").read_text(encoding="utf-8")
    broken.write_text(good, encoding="utf-8")
    assert syncsetup.apply_published(b, today) == ["forms/complaint.yaml"]
    assert App.open(b).defs.forms["complaint"].title == "住户投诉处理记录"
    assert App.open(b).defs.settings.station == "YGB"  # its own code stays


@pytest.mark.parametrize("count", [2, 3])
def test_stations_converge_over_syncthing(tmp_path, count):
    codes = ["YGA", "YGB", "YGC"][:count]
    desks = [Desk(tmp_path, code, publisher=(code == "YGA")) for code in codes]
    for desk in desks:
        for other in desks:
            if other is not desk:
                syncsetup.add_peer(desk.root, desk.code, other.device, other.code, address=other.address,
                                   publisher=(other.code == "YGA"))
    try:
        for desk in desks:
            desk.start()
        # Registrations at every station at the same time.
        for i in range(3):
            for desk in desks:
                desk.drop(f"{desk.code}-{i}.yaml", complaint(f"{desk.code}住户{i}", "2026-11-28T09:50:00+08:00"))
        expected = 3 * count
        wait_for(lambda: len({holding(d) for d in desks}) == 1 and holding(desks[0])[0] == expected, timeout=120, every=0.5)

        # The last station goes offline; the first two act on one record while apart from it.
        away = desks[-1]
        away.stop()
        assert processes(away.root / syncsetup.HOME) == []
        target = "TS-YGA-202611-0001"
        desks[0].drop("assign-a.yaml", action(target, "assign", "李娜", "{routed_to: 环境部}"))
        away.drop("offline.yaml", complaint("离线登记", "2026-11-28T09:55:00+08:00"))
        offline = formflow("process", root=away.root)  # registered while apart
        assert offline.returncode == 0, offline.stdout
        given = _numbers(offline.stdout)
        # ... and the offline station assigns the same record too (it will lose: a conflict everywhere).
        away.drop("assign-z.yaml", action(target, "assign", "王芳", "{routed_to: 工程维修部}"))
        assert formflow("process", root=away.root).returncode == 0
        # The supervisor edits a form label at the publishing station.
        form = desks[0].root / "forms" / "complaint.yaml"
        form.write_text(form.read_text(encoding="utf-8").replace("title: 投诉处理记录", "title: 住户投诉处理记录", 1),
                        encoding="utf-8")
        away.start()

        wait_for(lambda: len({holding(d) for d in desks}) == 1 and holding(desks[0])[0] == expected + 1, timeout=120,
                 every=0.5)
        final = wait_for(lambda: (lambda found: found if len({s["digest"] for s in found}) == 1 else None)(
            [status(d.root) for d in desks]), timeout=120, every=1)
        conflicts = [s["conflicts"] for s in final]
        assert all(c == conflicts[0] for c in conflicts) and [c["record"] for c in conflicts[0]] == [target]
        assert f"{away.code} 站 王芳" in conflicts[0][0]["note"]
        # The edited definitions reached every station (taken over once complete and valid).
        wait_for(lambda: all((d.root / "forms" / "complaint.yaml").read_bytes() == form.read_bytes() for d in desks),
                 timeout=60, every=1)
    finally:
        for desk in desks:
            desk.stop()
    for desk in desks:
        assert processes(desk.root / syncsetup.HOME) == []
    # The numbers each station gave are the records every station holds: none changed, none doubled.
    for desk in desks:
        given += _numbers((desk.root / "watch.log").read_text(encoding="utf-8"))
    given = sorted(set(given))  # (an action's line names the record it acted on: given before)
    assert len(given) == expected + 1
    for desk in desks:
        held = sorted(r.number for r in Store(desk.root / "data" / "db").records())
        assert held == given
