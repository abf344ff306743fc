"""The benchmark still runs: ``bench/bench.py --quick`` exits 0 and prints its table (no timing asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_quick_benchmark_runs_and_prints_the_table(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    env.pop("FORMFLOW_NOW", None)  # the benchmark fixes its own clock
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "bench.py"), "--quick"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert "| item | measure | median | min | max | runs | target |" in lines, proc.stdout
    for item in ("1 PDF", "2 burst", "3 latency", "4 engine", "5 todo", "5 watcher", "6 start-up", "7 rebuild"):
        assert any(line.startswith(f"| {item} |") for line in lines), (item, proc.stdout)
    assert list(tmp_path.iterdir()) == [], "the benchmark removes its work folder"
