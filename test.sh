#!/usr/bin/env bash
# Set up (with test dependencies) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh test
# One worker per core (pytest-xdist), each test taken by whichever worker is free: the suite waits more than it
# computes. Add -n 0 to run in one process (a debugger, -x on the first failure in order).
# Python's bytecode cache on: the tests start formflow in hundreds of subprocesses, and where the environment
# switches the cache off (some CI images set PYTHONDONTWRITEBYTECODE) each one compiled formflow again (~0.2 s).
unset PYTHONDONTWRITEBYTECODE
exec .venv/bin/python -m pytest -n auto --dist worksteal "$@"
