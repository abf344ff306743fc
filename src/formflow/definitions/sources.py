"""Where definition files are read from: the workspace folder, or a kept version held in memory.

Every definition file the loader reads goes through a :class:`Sources`, which remembers the exact
bytes it handed out. Those bytes *are* the version of the definitions a submission is accepted
under: the engine keeps them (``data/definitions/<id>.json``), and ``rebuild`` — or a station
folding another station's log — loads them again with :meth:`Sources.kept`, so an archived
submission is replayed under the very forms and workflows it was checked against, not today's.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from formflow.filenames import is_ignored

#: Format of a kept version (a file of another format is not read).
FORMAT = 1


class Sources:
    """Reads definition files below ``root``, from disk or from ``files`` (relative path → bytes)."""

    def __init__(self, root: Path, files: Mapping[str, bytes] | None = None):
        self.root = root
        self._kept = dict(files) if files is not None else None
        #: What was read, relative path (posix) → bytes: the version these definitions are.
        self.read: dict[str, bytes] = {}

    @classmethod
    def kept(cls, root: Path, files: Mapping[str, bytes]) -> Sources:
        """Sources that read a kept version (no file on disk is looked at)."""
        return cls(root, files)

    @property
    def live(self) -> bool:
        """Whether these are the files on disk (not a kept version)."""
        return self._kept is None

    def _key(self, path: Path) -> str:
        return Path(os.path.relpath(path, self.root)).as_posix()

    def read_bytes(self, path: Path) -> bytes:
        """The content of ``path``; :class:`FileNotFoundError` when there is none."""
        key = self._key(path)
        if self._kept is not None:
            if key not in self._kept:
                raise FileNotFoundError(2, "No such file", str(path))
            data = self._kept[key]
        else:
            data = path.read_bytes()
        self.read[key] = data
        return data

    def is_file(self, path: Path) -> bool:
        if self._kept is not None:
            return self._key(path) in self._kept
        return path.is_file()

    def glob(self, folder: Path, suffix: str) -> list[Path]:
        """Files directly in ``folder`` ending in ``suffix``, sorted; editor and OS clutter skipped."""
        if self._kept is not None:
            prefix = self._key(folder) + "/"
            names = [k[len(prefix):] for k in self._kept if k.startswith(prefix) and "/" not in k[len(prefix):]]
            return sorted(folder / n for n in names if n.endswith(suffix) and not is_ignored(n))
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return []
        # A dangling Emacs lock link (.#x.yaml) or an AppleDouble twin (._x.yaml) is no definition; any
        # other name is one, and a link to nothing there is reported by the loader, not skipped unseen.
        return sorted(Path(e.path) for e in entries if e.name.endswith(suffix) and not is_ignored(e.name))


def version_id(files: Mapping[str, bytes]) -> str:
    """The content hash naming one version of the definitions (the same files give the same id)."""
    digest = hashlib.sha256()
    for key in sorted(files):
        data = files[key]
        digest.update(f"{len(key.encode())}:{key}:{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()


def encode_version(files: Mapping[str, bytes]) -> bytes:
    """A kept version as one JSON file (definition files are UTF-8 text; a BOM is kept as it is)."""
    body = {"format": FORMAT, "id": version_id(files),
            "files": {k: files[k].decode("utf-8", "surrogateescape") for k in sorted(files)}}
    return json.dumps(body, ensure_ascii=False, indent=0, sort_keys=True).encode("utf-8", "surrogateescape")


def decode_version(raw: bytes) -> dict[str, bytes]:
    """The files of a kept version; :class:`ValueError` if it is damaged (its content no longer gives its id)."""
    body = json.loads(raw.decode("utf-8", "surrogateescape"))
    if not isinstance(body, dict) or body.get("format") != FORMAT or not isinstance(body.get("files"), dict):
        raise ValueError("not a kept definitions version")
    files = {str(k): str(v).encode("utf-8", "surrogateescape") for k, v in body["files"].items()}
    if version_id(files) != body.get("id"):
        raise ValueError("content does not match its id")
    return files
