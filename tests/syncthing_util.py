"""Helpers for tests that run real Syncthing instances on localhost (see tests/adapters/test_syncthing.py).

A test module imports it relatively, as it does the conftest: ``from ..syncthing_util import link, wait_for``.

Every instance :func:`start_instance` starts must be stopped by its test (``stop()``, or
:func:`stop_all` in a fixture's teardown); an atexit hook stops stragglers so none outlive pytest.
"""

from __future__ import annotations

import atexit
import os
import time
from pathlib import Path

from formflow.adapters.syncthing import Syncthing, free_port

_STARTED: list[Syncthing] = []


def start_instance(home: Path, name: str) -> Syncthing:
    """A started Syncthing in ``home``: free GUI/sync ports, listening on 127.0.0.1 only, no discovery.

    An already initialised ``home`` keeps its config and is just started (a "restart").
    """
    instance = Syncthing(home)
    if not instance.initialised():
        gui = free_port()
        listen = free_port()
        while listen == gui:  # two quick picks can, rarely, hand back the same port
            listen = free_port()
        instance.init(name, gui_port=gui, listen=f"tcp://127.0.0.1:{listen}", local_discovery=False)
    instance.start()
    _STARTED.append(instance)
    return instance


def link(a: Syncthing, b: Syncthing) -> None:
    """Make ``a`` and ``b`` know each other by their static 127.0.0.1 listen addresses (running or not)."""
    a.add_device(b.device_id(), b.name(), [b.listen_address()])
    b.add_device(a.device_id(), a.name(), [a.listen_address()])


def wait_for(predicate, timeout: float = 60, every: float = 0.2):
    """Poll ``predicate`` until it returns something truthy and return that; AssertionError on timeout.

    An OSError from the predicate (a file not there yet, a half-written file) counts as "not yet".
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = value
        except OSError as error:
            last = error
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {predicate!r}; last result: {last!r}")
        time.sleep(every)


def processes(home: Path) -> list[int]:
    """Pids of live processes whose command line mentions ``home`` (to prove nothing was left behind)."""
    needle = str(home).encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if b"syncthing" in cmdline and needle in cmdline.split(b"\0"):
                found.append(int(entry))
    return found


@atexit.register
def stop_all() -> None:
    """Stop every instance :func:`start_instance` started that still runs."""
    while _STARTED:
        _STARTED.pop().stop()  # a no-op for one already stopped
