"""The Syncthing adapter against real Syncthing instances on 127.0.0.1 (nothing leaves the machine)."""

from __future__ import annotations

import re
import socket
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from formflow.adapters.syncthing import (
    Syncthing,
    SyncthingError,
    binary,
    free_port,
    normalise_device_id,
)

from ..syncthing_util import link, processes, start_instance, stop_all, wait_for

pytestmark = pytest.mark.skipif(binary() is None, reason="未安装 Syncthing syncthing is not installed "
                                                         "(apt-get install syncthing)")

ID = re.compile(r"^([A-Z2-7]{7}-){7}[A-Z2-7]{7}$")
FOLDER = "formflow-log-A"


def lan_only(home: Path, name: str, *, start: bool = False) -> Syncthing:
    instance = Syncthing(home)
    instance.init(name, gui_port=free_port(), listen=f"tcp://127.0.0.1:{free_port()}", local_discovery=False)
    if start:
        instance.start()
    return instance


def test_init_writes_a_lan_only_config(tmp_path):
    st = Syncthing(tmp_path / "st")
    assert not st.initialised()
    gui = free_port()
    me = st.init("一号岗 station 1", gui_port=gui, listen="tcp://127.0.0.1:22999", local_discovery=False)
    assert st.initialised() and ID.match(me) and st.device_id() == me
    shown = subprocess.run([binary(), "serve", "--home", str(st.home), "--device-id"],
                           capture_output=True, text=True, timeout=30).stdout
    assert me in shown  # our cert-derived ID is Syncthing's own
    root = ET.parse(st.config).getroot()
    options = {child.tag: child.text for child in root.find("options")}
    assert options["globalAnnounceEnabled"] == "false"
    assert options["relaysEnabled"] == "false"
    assert options["natEnabled"] == "false"
    assert options["localAnnounceEnabled"] == "false"
    assert options["urAccepted"] == "-1"
    assert options["autoUpgradeIntervalH"] == "0"
    assert options["crashReportingEnabled"] == "false"
    assert options["startBrowser"] == "false"
    assert options["listenAddress"] == "tcp://127.0.0.1:22999"
    gui_element = root.find("gui")
    assert gui_element.get("enabled") == "true"
    assert gui_element.findtext("address") == f"127.0.0.1:{gui}" == st.gui_address()
    assert len(st.api_key()) >= 20
    assert root.findall("folder") == []
    assert [d.get("name") for d in root.findall("device")] == ["一号岗 station 1"] and st.name() == "一号岗 station 1"
    assert st.devices() == [] and st.folders() == {}
    with pytest.raises(SyncthingError, match="已初始化 already initialised"):
        st.init("again", gui_port=free_port())
    assert st.device_id() == me


def test_device_ids_are_checked_before_anything_is_written(tmp_path):
    st = lan_only(tmp_path / "st", "A")
    other = lan_only(tmp_path / "other", "B").device_id()
    assert normalise_device_id(other.lower().replace("-", "")) == other
    before = st.config.read_bytes()
    typo = other[:-1] + ("A" if other[-1] != "A" else "B")
    with pytest.raises(SyncthingError, match="校验失败"):
        st.add_device(typo, "typo")
    with pytest.raises(SyncthingError, match="格式不对"):
        st.add_device("ABCDEFG-123", "short")
    with pytest.raises(SyncthingError, match="请先添加设备 add the device"):
        st.share_folder("f", tmp_path / "f", "sendonly", [other])
    with pytest.raises(SyncthingError, match="sendonly"):
        st.share_folder("f", tmp_path / "f", "both", [])
    assert st.config.read_bytes() == before
    with pytest.raises(SyncthingError, match="未运行或无响应 not running"):
        st.peers()


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """A and B configured offline (A sends its log, B receives it), then started."""
    root = tmp_path_factory.mktemp("pair")
    a, b = lan_only(root / "a", "A"), lan_only(root / "b", "B")
    link(a, b)  # offline: both stopped
    a.share_folder(FOLDER, root / "a-log", "sendonly", [b.device_id()], label="A 的日志",
                   ignore=[".pending/", "*.tmp"])
    b.share_folder(FOLDER, root / "b-logs" / "A", "receiveonly", [a.device_id()])
    try:
        a.start()
        b.start()
        yield a, b, root
    finally:
        a.stop()
        b.stop()


def test_offline_configuration_is_what_syncthing_runs_with(pair):
    a, b, root = pair
    assert a.running() and b.running()
    folder = a._api("GET", f"/rest/config/folders/{FOLDER}")
    assert folder["type"] == "sendonly" and folder["path"] == str(root / "a-log")
    assert folder["label"] == "A 的日志"
    assert folder["fsWatcherEnabled"] is True and folder["fsWatcherDelayS"] == 1
    assert folder["rescanIntervalS"] == 60
    assert {d["deviceID"] for d in folder["devices"]} == {a.device_id(), b.device_id()}
    device = a._api("GET", f"/rest/config/devices/{b.device_id()}")
    assert device["name"] == "B" and device["addresses"] == [b.listen_address()]
    assert a.folders() == {FOLDER: {"path": str(root / "a-log"), "type": "sendonly", "label": "A 的日志",
                                    "devices": [b.device_id()]}}
    assert b.folders()[FOLDER]["type"] == "receiveonly" and b.devices() == [a.device_id()]
    assert (root / "a-log" / ".stignore").read_text(encoding="utf-8") == ".pending/\n*.tmp\n"
    options = a._api("GET", "/rest/config/options")
    assert not options["globalAnnounceEnabled"] and not options["relaysEnabled"] and not options["natEnabled"]


def test_a_file_travels_and_ignored_files_do_not(pair):
    a, b, root = pair
    sent, received = root / "a-log", root / "b-logs" / "A"
    (sent / ".pending").mkdir()
    (sent / ".pending" / "half.json").write_text("{}", encoding="utf-8")
    (sent / "2026" / "11").mkdir(parents=True)
    (sent / "2026" / "11" / "x.json.tmp").write_text("{", encoding="utf-8")
    payload = '{"表单": "报修单", "n": 1}\n'.encode() * 200
    (sent / "2026" / "11" / "x.json").write_bytes(payload)

    wait_for(lambda: (received / "2026" / "11" / "x.json").read_bytes() == payload, timeout=30)
    peer = wait_for(lambda: [p for p in a.peers() if p.connected])[0]
    assert peer.device_id == b.device_id() and peer.name == "B" and peer.address.startswith("127.0.0.1:")
    assert peer.last_seen.startswith("20")
    # A never indexed the ignored files, so they cannot travel; B has nothing left to fetch.
    assert wait_for(lambda: a.folder_state(FOLDER)["state"] == "idle")
    assert a.folder_state(FOLDER)["localFiles"] == 1
    assert wait_for(lambda: b.folder_state(FOLDER)["needFiles"] == 0 and b.folder_state(FOLDER)["state"] == "idle")
    # Syncthing reads "dir/" as "dir/**": the files stay home, only the empty folder itself travels.
    assert list((received / ".pending").iterdir()) == []
    assert not (received / "2026" / "11" / "x.json.tmp").exists()
    assert b.pending_folders() == {}


def test_add_device_while_running_goes_through_the_api_and_survives_a_restart(tmp_path, monkeypatch):
    st = start_instance(tmp_path / "st", "C")
    try:
        other, third = sorted(lan_only(tmp_path / n, n).device_id() for n in ("D", "E"))
        with monkeypatch.context() as patch:
            patch.setattr(st, "_write", lambda tree: pytest.fail("edited config.xml under a running Syncthing"))
            st.add_device(other, "D", ["tcp://127.0.0.1:1"])
            st.add_device(other, "D 站", ["tcp://127.0.0.1:2"])  # same ID again: updated in place
            st.add_device(third, "E")
            st.share_folder("f", tmp_path / "f", "sendreceive", [other], label="共享")
            st.share_folder("f", tmp_path / "f", "sendreceive", [third])  # merges the device list
            assert st.devices() == [other, third]
            assert st.folders()["f"] == {"path": str(tmp_path / "f"), "type": "sendreceive", "label": "共享",
                                         "devices": [other, third]}
        st.stop()
        assert not st.running() and st.devices() == [other, third]  # Syncthing saved it to config.xml
        st.start()
        assert st.running()
        device = st._api("GET", f"/rest/config/devices/{other}")
        assert device["name"] == "D 站" and device["addresses"] == ["tcp://127.0.0.1:2"]
        assert sorted((p.device_id, p.connected, p.last_seen) for p in st.peers()) == [(other, False, ""),
                                                                                      (third, False, "")]
        assert st.folders()["f"]["devices"] == [other, third]
    finally:
        stop_all()
    assert processes(st.home) == []


def test_stop_leaves_nothing_behind_even_for_a_process_it_did_not_start(pair):
    a, b, _ = pair
    Syncthing(b.home).stop()  # a fresh object: shuts down through the API
    assert not b.running() and processes(b.home) == []
    a.stop()
    assert not a.running() and processes(a.home) == []
    a.stop()  # stopping a stopped Syncthing is fine
    b.stop()


def test_start_reports_a_busy_gui_port_with_the_log(tmp_path):
    st = lan_only(tmp_path / "st", "A")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", int(st.gui_address().rsplit(":", 1)[1])))
        busy.listen()
        with pytest.raises(SyncthingError, match="(?s)启动失败.*address already in use"):
            st.start()
    assert processes(st.home) == [] and not st.running()


def test_offline_edits_keep_the_config_readable_and_merge_devices(tmp_path):
    st = lan_only(tmp_path / "st", "A")
    b, c = sorted(lan_only(tmp_path / n, n).device_id() for n in ("B", "C"))
    st.add_device(b, "B")
    st.add_device(c, "C", ["tcp://192.168.1.20:22000"])
    st.add_device(c, "C 改名", ["tcp://192.168.1.21:22000"])  # same ID: updated, not doubled
    st.share_folder("log", tmp_path / "log", "sendonly", [b], label="日志")
    st.share_folder("log", tmp_path / "log", "sendonly", [c])
    assert st.devices() == [b, c]
    assert st.folders()["log"] == {"path": str(tmp_path / "log"), "type": "sendonly", "label": "日志",
                                   "devices": [b, c]}
    device = [d for d in ET.parse(st.config).getroot().findall("device") if d.get("id") == c]
    assert len(device) == 1 and device[0].get("name") == "C 改名"
    assert [a.text for a in device[0].findall("address")] == ["tcp://192.168.1.21:22000"]
    assert (tmp_path / "log" / ".stfolder").is_dir()
    with pytest.raises(SyncthingError, match="已在别的路径"):
        st.share_folder("log", tmp_path / "elsewhere", "sendonly", [b])
    assert list(st.home.glob(".config.xml.*")) == []  # no temp file left


def test_the_api_key_only_goes_to_loopback(tmp_path):
    st = lan_only(tmp_path / "st", "A")
    st.config.write_text(st.config.read_text(encoding="utf-8").replace(st.gui_address(), "192.168.1.5:8384"),
                         encoding="utf-8")
    assert not st.running()
    with pytest.raises(SyncthingError, match="不是本机 GUI address is not loopback"):
        st.peers()
