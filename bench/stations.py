"""Item 9 of the benchmark: several stations (folding other stations' logs, Syncthing, a headquarters).

Called by bench.py with its helpers (``ctx``): a station's log is made by ``formflow process`` from
filled forms, then copied to an observer as Syncthing would deliver it, and folded with
``formflow sync fold``. A headquarters of K estates is K copies of one estate's log under K station
codes (the files hold no record numbers: only each meta's numbers are rewritten), so the fold and the
monthly report are measured at two sizes and extrapolated to 50 estates × 20,000 records.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from formflow.adapters.store import Store


def _process(ctx, ws: Path, n: int, seed: int) -> float:
    """``n`` filled forms stored by ``formflow process`` in passes; the seconds the passes took."""
    total = 0.0
    for start in range(0, n, ctx.batch):
        count = min(ctx.batch, n - start)
        ctx.fill_inbox(ws, count, seed + start)
        began = time.perf_counter()
        done = subprocess.run([*ctx.formflow_cmd(), "process", "--root", str(ws)], env=ctx.env(),
                              capture_output=True, text=True)
        total += time.perf_counter() - began
        if done.returncode != 0:
            raise SystemExit(f"stations: formflow process exited {done.returncode}\n{done.stderr[-2000:]}")
    return total


def _station(ctx, ws: Path, code: str) -> Path:
    ctx.new_workspace(ws, pdfs=False)
    (ws / "station.yaml").write_text(f"station: {code}\n", encoding="utf-8")
    return ws


def _copy_log(source: Path, target: Path, code: str = "", was: str = "") -> None:
    """A station's log as another station holds it; with ``code``, renumbered as estate ``code``'s."""
    shutil.copytree(source / "data" / "archive", target, ignore=shutil.ignore_patterns(".*"))
    if not code:
        return
    for meta in target.glob("[0-9]*/[0-9]*/*.meta.json"):
        body = json.loads(meta.read_text(encoding="utf-8"))
        body["created"] = [n.replace(f"-{was}-", f"-{code}-") for n in body.get("created", [])]
        meta.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")


def _timed(ctx, ws: Path, *args: str) -> tuple[float, float | None, str]:
    """A formflow command on ``ws``: seconds, peak RSS (MB), its output."""
    peak = None
    began = time.perf_counter()
    proc = subprocess.Popen([*ctx.formflow_cmd(), *args, "--root", str(ws)], env=ctx.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while proc.poll() is None:
        peak = max(peak or 0.0, ctx.rss_peak_mb(proc.pid) or 0.0) or None
        time.sleep(0.05)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"stations: formflow {' '.join(args)} exited {proc.returncode}: {out[-500:]}{err[-2000:]}")
    return time.perf_counter() - began, peak, out


def bench_fold(ctx, work: Path, n: int) -> None:
    """Fold ``n`` submissions of another station: appended, and with the observer's own later file undone
    and applied again after them."""
    source = _station(ctx, work / "fold-source", "YGS")
    local = _process(ctx, source, n, 9000)
    ctx.add("9 stations", f"{n:,} files processed locally (formflow process, passes of {ctx.batch:,})", [local])
    for mode in ("append", "undo"):
        observer = _station(ctx, work / f"fold-{mode}", "OBS")
        if mode == "undo":
            _process(ctx, observer, 1, 1)  # received after the incoming ones: undone, applied again after them
        _copy_log(source, observer / "data" / "stations" / "YGS")
        seconds, peak, _ = _timed(ctx, observer, "sync", "fold")
        expected = _count(source) + (mode == "undo")
        if _count(observer) != expected:
            raise SystemExit(f"stations: {_count(observer)} records after the fold, {expected} expected")
        how = "appended in order" if mode == "append" else "a later file of its own undone and applied again"
        ctx.add("9 stations", f"fold {n:,} incoming files ({how})", [seconds],
                text=f"{seconds / local:.2f}× local processing")
        if peak:
            ctx.add("9 stations", f"fold {n:,} incoming files ({how}): peak RSS", [peak], unit="MB")
        shutil.rmtree(observer)
    shutil.rmtree(source)


def bench_latency(ctx, work: Path, runs: int) -> None:
    """A file written at station A → the record visible in station B's store, two `formflow watch` each
    with its Syncthing on localhost."""
    from formflow import syncsetup
    from formflow.adapters.syncthing import binary, free_port

    if binary() is None or runs == 0:
        ctx.add("9 stations", "A → B over Syncthing", [],
                text="skipped: " + ("syncthing not installed" if runs else "--quick (tests/test_syncsetup.py runs it)"))
        return
    desks = {}
    for code in ("YGA", "YGB"):
        ws = _station(ctx, work / f"latency-{code}", code)
        (ws / "station.yaml").unlink()
        port = free_port()
        done = syncsetup.init(ws, code, listen=f"tcp://127.0.0.1:{port}", local_discovery=False)
        desks[code] = SimpleNamespace(ws=ws, device=done.device_id, address=f"tcp://127.0.0.1:{port}")
    for code, desk in desks.items():
        for other_code, other in desks.items():
            if other is not desk:
                syncsetup.add_peer(desk.ws, code, other.device, other_code, address=other.address)
    watchers = [subprocess.Popen([*ctx.formflow_cmd(), "watch", "--root", str(d.ws)], env=ctx.env(),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                for d in desks.values()]
    try:
        a, b = desks["YGA"].ws, desks["YGB"].ws
        deadline = time.monotonic() + 60
        while not all(syncsetup.syncthing(d.ws).running() for d in desks.values()):
            if time.monotonic() > deadline:
                raise SystemExit("stations: Syncthing did not start")
            time.sleep(0.2)
        while not any(p.connected for p in syncsetup.peers(a)):
            if time.monotonic() > deadline:
                raise SystemExit("stations: the two Syncthing instances did not connect")
            time.sleep(0.2)
        times = []
        for run in range(runs):
            before = _count(b)
            ctx.fill_inbox(a, 1, 7000 + run)
            name = next((a / "inbox").iterdir())
            os.replace(name, name.with_name(f"latency-{run}-{name.name}"))
            began = time.perf_counter()
            while _count(b) == before:
                if time.perf_counter() - began > 120:
                    raise SystemExit("stations: the record never reached station B")
                time.sleep(0.05)
            times.append(time.perf_counter() - began)
        ctx.add("9 stations", "file dropped at A → record in B's store (watch + Syncthing, localhost)", times,
                target="≤ 5 s")
    finally:
        for proc in watchers:
            proc.terminate()
        for proc in watchers:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


def _count(ws: Path) -> int:
    try:
        return Store(ws / "data" / "db", finish_commit=False).count()
    except Exception:  # noqa: BLE001 - read while the watcher commits: try again
        return -1


def bench_headquarters(ctx, work: Path, per_estate: int, estates: tuple[int, ...]) -> None:
    """A headquarters folding K estates' logs (``per_estate`` records each) and reporting a month across
    them, at each K; the growth extrapolated to 50 estates × 20,000 records."""
    source = _station(ctx, work / "estate", "YGS")
    _process(ctx, source, per_estate, 5000)
    found = {}
    for count in estates:
        hq = _station(ctx, work / f"hq{count}", "HQ")
        for i in range(count):
            _copy_log(source, hq / "data" / "stations" / f"E{i:02d}", code=f"E{i:02d}", was="YGS")
        fold, peak, _ = _timed(ctx, hq, "sync", "fold")
        report, _, _ = _timed(ctx, hq, "report", "callbacks", "--month", "2026-11")
        records = count * per_estate
        found[records] = (fold, report, peak)
        ctx.add("9 stations", f"headquarters, {count} estates × {per_estate:,}: fold {records:,} records", [fold])
        if peak:
            ctx.add("9 stations", f"headquarters, {count} estates × {per_estate:,}: fold peak RSS", [peak], unit="MB")
        ctx.add("9 stations", f"headquarters, {count} estates × {per_estate:,}: report callbacks (a month)", [report])
        shutil.rmtree(hq)
    shutil.rmtree(source)
    (small, (f1, r1, _)), (big, (f2, r2, _)) = list(found.items())[0], list(found.items())[-1]
    if big > small and big >= 5_000:  # (below that, start-up and noise are most of each figure)
        per_fold, per_report = (f2 - f1) / (big - small), (r2 - r1) / (big - small)
        target = 50 * 20_000
        ctx.add("9 stations", "headquarters fold: per 1,000 more records", [per_fold * 1000])
        ctx.add("9 stations", "headquarters fold of 50 × 20,000 (extrapolated)", [f2 + per_fold * (target - big)])
        ctx.add("9 stations", "headquarters report: per 1,000 more records", [per_report * 1000])
        ctx.add("9 stations", "headquarters report over 50 × 20,000 (extrapolated)",
                [r2 + per_report * (target - big)])


def run(ctx, cfg, work: Path) -> None:
    ctx.log(f"9. stations: fold {cfg['fold']:,}, Syncthing latency, "
            f"headquarters {cfg['hq_estates']} × {cfg['hq_records']:,}")
    bench_fold(ctx, work, cfg["fold"])
    bench_latency(ctx, work, cfg["sync_runs"])
    bench_headquarters(ctx, work, cfg["hq_records"], cfg["hq_estates"])


if __name__ == "__main__":
    sys.exit("run it through bench/bench.py --only 9")
