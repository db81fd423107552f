"""Progress of long steps, reported through the ``physsynth`` logger (stderr in the CLI)."""

from __future__ import annotations

import contextlib
import logging
import time

log = logging.getLogger("physsynth")


@contextlib.contextmanager
def step(message: str):
    """Log ``message ...`` before a long step and its duration after it."""
    log.info("%s ...", message)
    t0 = time.perf_counter()
    info: dict = {}
    yield info
    dt = time.perf_counter() - t0
    extra = f" ({info['result']})" if "result" in info else ""
    log.info("%s: done in %.2f s%s", message, dt, extra)
    info["seconds"] = dt
