"""Drive a local Syncthing (1.19+) that carries the stations' logs between offices.

Syncthing is configured offline by editing its ``config.xml`` (atomically) while it is stopped,
and through its REST API while it runs, so ``formflow sync add-peer`` works either way.
Everything stays on the local network: global discovery, relays, NAT traversal, STUN, usage and
crash reporting and auto-upgrade are switched off at ``init``, and the REST API is only ever
reached on the loopback GUI address.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from formflow.errors import FormflowError

SYNCTHING = "syncthing"
FOLDER_TYPES = ("sendonly", "receiveonly", "sendreceive")
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
# An explicit empty proxy map: an http_proxy in the environment must never see our API key.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SyncthingError(FormflowError):
    """Syncthing is missing, misconfigured, or did not do what was asked."""


@dataclass(frozen=True)
class Peer:
    """One remote device as the running Syncthing sees it."""

    device_id: str
    name: str
    connected: bool
    address: str
    last_seen: str  # ISO 8601 text, "" when never seen


def binary() -> str | None:
    """Path of the syncthing executable, or None when it is not installed."""
    return shutil.which(SYNCTHING)


def _exe() -> str:
    found = binary()
    if found is None:
        raise SyncthingError("未安装 Syncthing syncthing is not installed: apt-get install syncthing")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _luhn32(group: str) -> str:
    # Syncthing's check character: Luhn mod 32 over the base32 alphabet (lib/protocol/luhn.go).
    factor, total = 1, 0
    for char in group:
        addend = factor * _B32.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return _B32[(32 - total % 32) % 32]


def _format_id(raw52: str) -> str:
    groups = [raw52[i:i + 13] for i in range(0, 52, 13)]
    full = "".join(g + _luhn32(g) for g in groups)
    return "-".join(full[i:i + 7] for i in range(0, 56, 7))


def normalise_device_id(device_id: str) -> str:
    """The canonical ``XXXXXXX-...`` form of ``device_id``; SyncthingError if it is not one.

    Checking the Luhn characters catches a mistyped ID here, with a clear message, instead of
    Syncthing silently waiting for a device that does not exist.
    """
    text = re.sub(r"[\s-]", "", device_id).upper()
    if len(text) != 56 or any(c not in _B32 for c in text):
        raise SyncthingError(f"设备 ID 格式不对 not a Syncthing device ID: {device_id!r} "
                             "(8 组 7 个字母数字 8 groups of 7 letters/digits, e.g. ABCDEFG-HIJKLMN-...)")
    raw = "".join(text[i:i + 13] for i in range(0, 56, 14))
    if _format_id(raw).replace("-", "") != text:
        raise SyncthingError(f"设备 ID 校验失败（可能抄错了） device ID checksum fails (typo?): "
                             f"{device_id}")
    return _format_id(raw)


class Syncthing:
    """One Syncthing instance, identified by its home (config) directory."""

    def __init__(self, home: Path):
        self.home = Path(home)
        self.config = self.home / "config.xml"
        self.log = self.home / "syncthing.log"
        self._pidfile = self.home / "syncthing.pid"
        self._proc: subprocess.Popen | None = None

    # ---- setup -------------------------------------------------------------------------
    def initialised(self) -> bool:
        """True when this home already holds a config.xml."""
        return self.config.exists()

    def init(self, name: str, *, gui_port: int, listen: str = "tcp://0.0.0.0:22000",
             local_discovery: bool = True) -> str:
        """Generate keys and a LAN-only config named ``name``; return this device's ID."""
        if self.initialised():
            raise SyncthingError(f"Syncthing 已初始化 already initialised: {self.config}")
        self.home.mkdir(parents=True, exist_ok=True)
        # --skip-port-probing: the ports are ours to choose, probing would only race with tests.
        done = subprocess.run([_exe(), "generate", "--home", str(self.home), "--no-default-folder",
                               "--skip-port-probing"], capture_output=True, text=True, timeout=60,
                              env=self._env())
        if done.returncode != 0 or not self.config.exists():
            raise SyncthingError(f"Syncthing 初始化失败 syncthing generate failed: {done.stderr.strip()}")
        tree = self._read()
        root = tree.getroot()
        me = self.device_id()
        for device in root.findall("device"):
            if device.get("id") == me:
                device.set("name", name)
        for folder in root.findall("folder"):  # no "default" folder, whatever generate did
            root.remove(folder)
        gui = root.find("gui")
        gui.set("enabled", "true")
        gui.set("tls", "false")
        _set(gui, "address", f"127.0.0.1:{gui_port}")
        _set(gui, "apikey", "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32)))
        options = root.find("options")
        for key, value in {
            "listenAddress": listen, "globalAnnounceEnabled": "false", "relaysEnabled": "false",
            "natEnabled": "false", "localAnnounceEnabled": str(local_discovery).lower(),
            "urAccepted": "-1", "autoUpgradeIntervalH": "0", "crashReportingEnabled": "false",
            "startBrowser": "false",
            # STUN would ask public servers for our address; zero keepalives disable it outright.
            "stunKeepaliveStartS": "0", "stunKeepaliveMinS": "0",
        }.items():
            _set(options, key, value)
        self._write(tree)
        return me

    def device_id(self) -> str:
        """This device's ID, computed from cert.pem like Syncthing does (SHA-256 of the DER)."""
        cert = self.home / "cert.pem"
        if not cert.exists():
            raise SyncthingError(f"Syncthing 未初始化 not initialised (no {cert}): formflow sync init")
        pem = re.search(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----",
                        cert.read_text(encoding="ascii"), re.S)
        digest = hashlib.sha256(base64.b64decode("".join(pem.group(1).split()))).digest()
        return _format_id(base64.b32encode(digest).decode("ascii").rstrip("="))

    def name(self) -> str:
        """This device's own name, from config.xml."""
        me = self.device_id()
        return next((d.get("name", "") for d in self._read().getroot().findall("device") if d.get("id") == me), "")

    def gui_address(self) -> str:
        """``host:port`` of the GUI/REST API, from config.xml."""
        return self._read().getroot().findtext("gui/address", "")

    def api_key(self) -> str:
        """The REST API key from config.xml."""
        return self._read().getroot().findtext("gui/apikey", "")

    def listen_address(self) -> str:
        """The first sync listen address (e.g. ``tcp://127.0.0.1:22000``), from config.xml."""
        return self._read().getroot().findtext("options/listenAddress", "")

    # ---- configuration -----------------------------------------------------------------
    def add_device(self, device_id: str, name: str, addresses: list[str] | None = None) -> None:
        """Add (or update) a remote device; via the API when running, else in config.xml."""
        device_id = normalise_device_id(device_id)
        addresses = list(addresses or ["dynamic"])
        if device_id == self.device_id():
            raise SyncthingError(f"不能添加本机 this is this station's own device ID: {device_id}")
        if self.running():
            # POST adds or replaces a whole device; Syncthing fills the unsent fields with its defaults,
            # and saves config.xml itself, so the change survives a restart.
            body = self._api("GET", f"/rest/config/devices/{device_id}") if device_id in self.devices() else {}
            self._api("POST", "/rest/config/devices",
                      {**body, "deviceID": device_id, "name": name, "addresses": addresses})
            return
        tree = self._read()
        root = tree.getroot()
        device = next((d for d in root.findall("device") if d.get("id") == device_id), None)
        if device is None:
            # Start from <defaults><device>: Syncthing's own defaults for every other field.
            device = copy.deepcopy(root.find("defaults/device"))
            device.set("id", device_id)
            root.insert(_last_index(root, "device") + 1, device)
        device.set("name", name)
        for old in device.findall("address"):
            device.remove(old)
        for position, address in enumerate(addresses):
            element = ET.Element("address")
            element.text = address
            device.insert(position, element)  # first, where Syncthing writes them
        self._write(tree)

    def share_folder(self, folder_id: str, path: Path, kind: str, devices: list[str], *, label: str = "",
                     ignore: list[str] | None = None, rescan_s: int = 60) -> None:
        """Share ``path`` as ``folder_id`` (sendonly | receiveonly | sendreceive) with ``devices``.

        Sharing an existing folder again merges the device lists. ``ignore`` (if given) becomes the
        folder's ``.stignore``, written before Syncthing sees the folder so the first scan obeys it.
        Syncthing reads ``dir/`` as ``dir/**``: the files stay home but the empty folder travels;
        write ``dir`` to keep the folder itself home too.
        """
        if kind not in FOLDER_TYPES:
            raise SyncthingError(f"文件夹类型不对 folder type must be one of {', '.join(FOLDER_TYPES)}: "
                                 f"{kind!r}")
        path = Path(path).absolute()
        wanted = [normalise_device_id(d) for d in devices]
        known = self.devices()
        unknown = [d for d in wanted if d not in known]
        if unknown:
            raise SyncthingError(f"请先添加设备 add the device(s) first (formflow sync add-peer): "
                                 f"{', '.join(unknown)}")
        current = self.folders().get(folder_id)
        if current and Path(current["path"]) != path:
            raise SyncthingError(f"文件夹 {folder_id} 已在别的路径 folder already shared at {current['path']}, not {path}")
        members = list(dict.fromkeys((current["devices"] if current else []) + wanted))
        # The marker tells Syncthing the folder is really there (not an unmounted disk); we made the path.
        (path / ".stfolder").mkdir(parents=True, exist_ok=True)
        if ignore is not None:
            (path / ".stignore").write_text("".join(f"{line}\n" for line in ignore), encoding="utf-8")
        settings = {"label": label or (current or {}).get("label") or folder_id, "path": str(path), "type": kind, "rescanIntervalS": rescan_s,
                    "fsWatcherEnabled": True, "fsWatcherDelayS": 1}  # a new file travels in seconds
        if self.running():
            body = self._api("GET", f"/rest/config/folders/{folder_id}") if current else {}
            body.update(settings, id=folder_id, devices=[{"deviceID": d} for d in [self.device_id(), *members]])
            self._api("POST", "/rest/config/folders", body)
            return
        tree = self._read()
        root = tree.getroot()
        folder = next((f for f in root.findall("folder") if f.get("id") == folder_id), None)
        if folder is None:
            folder = copy.deepcopy(root.find("defaults/folder"))
            folder.set("id", folder_id)
            root.insert(_last_index(root, "folder") + 1, folder)
        for key, value in settings.items():
            folder.set(key, str(value).lower() if isinstance(value, bool) else str(value))
        for old in folder.findall("device"):
            folder.remove(old)
        for position, device_id in enumerate([self.device_id(), *members]):
            element = ET.Element("device", id=device_id, introducedBy="")
            ET.SubElement(element, "encryptionPassword")
            folder.insert(position + 1, element)  # after <filesystemType>, where Syncthing writes them
        self._write(tree)

    def folders(self) -> dict[str, dict]:
        """Configured folders: id -> {"path", "type", "label", "devices": [remote device ids, sorted]}."""
        me = self.device_id()
        if self.running():
            return {f["id"]: {"path": f["path"], "type": f["type"], "label": f["label"],
                              "devices": sorted(d["deviceID"] for d in f["devices"] if d["deviceID"] != me)}
                    for f in self._api("GET", "/rest/config/folders")}
        return {f.get("id"): {"path": f.get("path"), "type": f.get("type"), "label": f.get("label", ""),
                              "devices": sorted(d.get("id") for d in f.findall("device") if d.get("id") != me)}
                for f in self._read().getroot().findall("folder")}

    def devices(self) -> list[str]:
        """IDs of the configured remote devices (this device left out), sorted as Syncthing keeps them."""
        me = self.device_id()
        if self.running():
            ids = [d["deviceID"] for d in self._api("GET", "/rest/config/devices")]
        else:
            ids = [d.get("id") for d in self._read().getroot().findall("device")]
        return sorted(i for i in ids if i != me)

    # ---- running it --------------------------------------------------------------------
    def start(self) -> None:
        """Start ``syncthing serve`` in its own process group and wait (30 s) until its API answers."""
        if self.running():
            return
        self._read()  # a clear "not initialised" before anything else
        if self.log.exists() and self.log.stat().st_size > 1_000_000:
            os.replace(self.log, self.log.with_suffix(".log.1"))  # keep one old log, never an endless one
        with open(self.log, "ab") as log:
            # --no-restart: no monitor process, so the pid we get is Syncthing itself and stop() is exact.
            self._proc = subprocess.Popen(
                [_exe(), "serve", "--home", str(self.home), "--no-browser", "--no-restart", "--no-upgrade",
                 "--logflags=3"], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self._env(), start_new_session=True)
        self._pidfile.write_text(str(self._proc.pid), encoding="ascii")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise SyncthingError(f"Syncthing 启动失败 syncthing exited with code {self._proc.returncode}; "
                                     f"{self.log}:\n{self._tail()}")
            if self.running():
                return
            time.sleep(0.1)
        self._kill(self._proc.pid)
        raise SyncthingError(f"Syncthing 30 秒内未就绪 syncthing did not answer within 30 s; {self.log}:\n{self._tail()}")

    def running(self) -> bool:
        """True when this home's REST API answers a ping with our API key."""
        if not self.initialised():
            return False
        try:
            return self._api("GET", "/rest/system/ping", timeout=2) == {"ping": "pong"}
        except SyncthingError:
            return False

    def stop(self) -> None:
        """Shut Syncthing down through its API (also one we did not start); kill it after 10 s."""
        pid = self._proc.pid if self._proc else _read_pid(self._pidfile)  # our child, or an earlier start's
        if self.running():
            try:
                self._api("POST", "/rest/system/shutdown", timeout=5)
            except SyncthingError:
                pass  # it may drop the connection while going down; the wait below decides
        deadline = time.monotonic() + 10
        while (self._alive(pid) or self.running()) and time.monotonic() < deadline:
            time.sleep(0.1)
        if self._alive(pid):
            self._kill(pid)
        elif self.running():
            raise SyncthingError(f"Syncthing 未能停止 syncthing does not stop (GUI {self.gui_address()})")
        self._pidfile.unlink(missing_ok=True)
        self._proc = None

    def peers(self) -> list[Peer]:
        """Every configured remote device with its connection state and when it was last seen."""
        connections = self._api("GET", "/rest/system/connections").get("connections", {})
        stats = self._api("GET", "/rest/stats/device")
        me = self.device_id()
        result = []
        for device in self._api("GET", "/rest/config/devices"):
            device_id = device["deviceID"]
            if device_id == me:
                continue
            link = connections.get(device_id, {})
            seen = stats.get(device_id, {}).get("lastSeen", "")
            result.append(Peer(device_id, device.get("name", ""), bool(link.get("connected")),
                               link.get("address", "") or "", "" if seen.startswith("1970-") else seen))
        return result

    def folder_state(self, folder_id: str) -> dict:
        """/rest/db/status for the folder: state, needFiles, needBytes, globalFiles, localFiles, ..."""
        return self._api("GET", f"/rest/db/status?folder={urllib.parse.quote(folder_id)}")

    def rescan(self, folder_id: str) -> None:
        """Ask Syncthing to scan the folder now instead of waiting for the watcher or the interval."""
        self._api("POST", f"/rest/db/scan?folder={urllib.parse.quote(folder_id)}")

    def pending_folders(self) -> dict:
        """Folders remote devices offer that are not configured here (/rest/cluster/pending/folders)."""
        return self._api("GET", "/rest/cluster/pending/folders") or {}  # exists since Syncthing 1.13

    # ---- plumbing ----------------------------------------------------------------------
    def _api(self, method: str, path: str, body=None, *, timeout: float = 10):
        address = self.gui_address()
        if address.rsplit(":", 1)[0] not in _LOOPBACK:
            # The API key grants full control: never send it anywhere but this machine.
            raise SyncthingError(f"Syncthing GUI 地址不是本机 GUI address is not loopback: {address}")
        request = urllib.request.Request(
            f"http://{address}{path}", method=method,
            data=None if body is None else json.dumps(body).encode("utf-8"),
            headers={"X-API-Key": self.api_key(), "Content-Type": "application/json"})
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace").strip()
            raise SyncthingError(f"Syncthing 拒绝请求 refused {method} {path}: {error.code} {detail}") from error
        except OSError as error:  # URLError, refused, timeout
            raise SyncthingError(f"Syncthing 未运行或无响应 not running or not answering at {address}: "
                                 f"{error}") from error
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError as error:  # something else answers on that port
            raise SyncthingError(f"{address} 上不是 Syncthing not Syncthing's API at {address}{path}") from error

    def _read(self) -> ET.ElementTree:
        if not self.initialised():
            raise SyncthingError(f"Syncthing 未初始化 not initialised (no {self.config}): formflow sync init")
        try:
            return ET.parse(self.config)
        except ET.ParseError as error:
            raise SyncthingError(f"Syncthing 配置文件损坏 config.xml is damaged: {self.config}: {error}") from error

    def _write(self, tree: ET.ElementTree) -> None:
        # Temp file + os.replace: a crash mid-write must never leave Syncthing a half config.
        temp = self.config.with_name(f".config.xml.{os.getpid()}.tmp")
        ET.indent(tree, space="    ")  # people read and diff this file too
        with open(temp, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)  # it holds the API key
            tree.write(handle, encoding="utf-8")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.config)

    def _env(self) -> dict[str, str]:
        return {**os.environ, "STNODEFAULTFOLDER": "1", "STNOUPGRADE": "1", "STNORESTART": "1"}

    def _tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def _alive(self, pid: int | None) -> bool:
        if pid is None:
            return False
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None  # poll() also reaps, so a zombie does not count
        try:  # not ours: only count it if it is Syncthing on this home (pids get reused)
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return any(b"syncthing" in arg for arg in cmdline[:1]) and str(self.home).encode() in cmdline

    def _kill(self, pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)  # start() made it a group leader
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self._proc is not None and self._proc.pid == pid:
            self._proc.wait(timeout=5)


def _read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def _set(parent: ET.Element, tag: str, text: str) -> None:
    child = parent.find(tag)
    if child is None:
        child = ET.SubElement(parent, tag)
    child.text = text


def _last_index(root: ET.Element, tag: str) -> int:
    return max((i for i, child in enumerate(root) if child.tag == tag), default=-1)
