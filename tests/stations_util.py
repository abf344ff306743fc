"""Stations of one office for tests: real workspaces side by side, their logs carried as files."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

from formflow.app import App
from formflow.fold import digest
from formflow.stations import export_logs, import_logs
from formflow.workspace import init_workspace

from .conftest import without_pdfs
from .test_pipeline import complaint  # noqa: F401 - a complaint registered by 李娜: the stations' tests use it

def station(parent: Path, code: str) -> Path:
    """A workspace at ``parent/code`` numbering with station code ``code`` (its own ``station.yaml``)."""
    root = parent / code
    init_workspace(root)
    without_pdfs(root)
    (root / "station.yaml").write_text(f"station: {code}\n", encoding="utf-8")
    return root


def drop(root: Path, name: str, text: str) -> None:
    (root / "inbox" / name).write_text(text, encoding="utf-8")


def action(number: str, name: str, by: str, data: str = "{}") -> str:
    return f"record: {number}\naction: {name}\nby: {by}\ndata: {data}\n"


def process(root: Path, at: str) -> list[str]:
    """One pass (folding first what arrived); the lines ``process`` would print."""
    report = App.open(root).process(dt.datetime.fromisoformat(at))
    return [r.line() for r in report.results]


def carry(source: Path, target: Path, stick: Path) -> None:
    """Every log ``source`` holds, over a stick, into ``target`` (then folded there)."""
    export_logs(source / "data", App.open(source).defs.settings.station, stick)
    app = App.open(target)
    import_logs(target / "data", app.defs.settings.station, stick)
    app.fold()
    shutil.rmtree(stick)


def state_of(root: Path) -> str:
    """The digest ``sync status`` prints: equal digests, identical records (and held entries)."""
    app = App.open(root)
    return digest(app.store, app.defs)


def log_files(root: Path, code: str) -> list[str]:
    """The files of station ``root``'s own log, as ``CODE/relative`` paths."""
    archive = root / "data" / "archive"
    found = []
    for folder, dirs, files in os.walk(archive):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith("."):
                found.append(f"{code}/{Path(folder, name).relative_to(archive).as_posix()}")
    return sorted(found)


def delivered_in_any_order(roots: dict[str, Path], base: Path, data, most_cuts: int) -> str:
    """Every file of the logs of ``roots`` delivered to a new station in an order and parts (up to
    ``most_cuts`` + 1) that hypothesis's ``data`` draws, folded after each part (see :func:`fold_in_parts`);
    the digest at the end."""
    from hypothesis import strategies as st

    files = [f for code, root in roots.items() for f in log_files(root, code)]
    order = data.draw(st.permutations(files))
    cuts = sorted(data.draw(st.lists(st.integers(1, len(files) - 1), max_size=most_cuts, unique=True)))
    with tempfile.TemporaryDirectory(dir=base) as temporary:
        return fold_in_parts(roots, Path(temporary), order, cuts)


def fold_in_parts(roots: dict[str, Path], parent: Path, order: list[str], cuts: list[int]) -> str:
    """A new station at ``parent`` receives the files ``order`` names, in parts split at ``cuts``, folding
    after each; after each part its store must equal a full replay of what it holds (asserted). Returns
    the digest at the end."""
    observer = station(parent, "OBS")
    app = App.open(observer)  # (one load of the definitions: they do not change here)
    folded = ""
    for start, end in zip([0, *cuts], [*cuts, len(order)]):
        deliver(roots, observer, order[start:end])
        app.reopen().fold()
        folded = digest(app.store, app.defs)
        app.rebuild()  # everything held, replayed in one go
        assert digest(app.store, app.defs) == folded, (order, cuts, start, end)
    return folded


def deliver(sources: dict[str, Path], target: Path, files: list[str]) -> None:
    """Copy single files of other stations' logs into ``target`` as a sync engine does: each appears
    whole under its name (a temporary name, then a rename), in the order given."""
    for item in files:
        code, relative = item.split("/", 1)
        destination = target / "data" / "stations" / code / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        temporary = destination.with_name(".syncthing." + destination.name + ".tmp")
        shutil.copyfile(sources[code] / "data" / "archive" / relative, temporary)
        os.replace(temporary, destination)
