"""One place for checking arguments: numbers, points, sample rates, counts and budgets.

Every public function of physsynth and every command-line option checks its input through
these, so a bad value gets the same one-line message (the problem and the fix) wherever it is
given, and is refused before any heavy work. Each check returns the cleaned value or raises a
:class:`~physsynth.errors.PhyssynthError` (``error=`` picks the subclass).

The budgets are stated, not guessed: :func:`memory_budget` is what one job may allocate (by
default half the machine's physical memory, ``PHYSSYNTH_MEMORY_GB`` overrides it) and
:data:`MAX_SAMPLE_RATE` bounds sample rates to what audio hardware and our resonator
discretisation are meant for.

>>> positive(2.5, "--duration", "s")
2.5
>>> sample_rate(48000)
48000
>>> point("0.09, 0, 0.075", "strike point")
array([0.09 , 0.   , 0.075])
"""

from __future__ import annotations

import math
import numbers
import os
import re

import numpy as np

from physsynth.errors import PhyssynthError

#: Sample rates accepted anywhere (Hz): telephone audio up to 8x a 96 kHz studio rate.
MIN_SAMPLE_RATE = 1000
MAX_SAMPLE_RATE = 768000
#: Highest frequency any option takes (Hz): modes up to 10 MHz (ultrasound); beyond is a typo.
MAX_FREQUENCY = 1e7


def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # not POSIX: assume a small machine
        return 8 * 2**30


#: Seconds of computing one job may take before it is refused up front
#: (``PHYSSYNTH_TIME_BUDGET_S`` overrides it).
TIME_BUDGET_S = 600.0


def _env_positive(name: str) -> float | None:
    """A positive finite number from the environment variable ``name``, or None."""
    try:
        v = float(os.environ.get(name) or "nan")
    except ValueError:
        return None
    return v if math.isfinite(v) and v > 0 else None


def memory_budget() -> int:
    """Bytes one job may allocate: ``PHYSSYNTH_MEMORY_GB`` or half the physical memory."""
    gb = _env_positive("PHYSSYNTH_MEMORY_GB")
    return int(gb * 2**30) if gb is not None else _physical_memory() // 2


def time_budget() -> float:
    """Seconds one job may take: ``PHYSSYNTH_TIME_BUDGET_S`` or :data:`TIME_BUDGET_S`."""
    s = _env_positive("PHYSSYNTH_TIME_BUDGET_S")
    return s if s is not None else TIME_BUDGET_S


def _num(value, name: str, error) -> float:
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer, str)):
        raise error(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise error(f"{name} must be a number, got {value!r}") from None


def finite(value, name: str, unit: str = "", *, lo=None, hi=None, lo_open=False, error=PhyssynthError) -> float:
    """A finite float within [lo, hi] (``lo_open``: strictly above ``lo``)."""
    v = _num(value, name, error)
    u = f" {unit}" if unit else ""
    if not math.isfinite(v):
        raise error(f"{name} must be a finite number{u}, got {value!r}")
    if lo is not None and (v < lo or (lo_open and v == lo)):
        rel = ">" if lo_open else ">="
        raise error(f"{name} must be {rel} {lo:g}{u}, got {v:g}")
    if hi is not None and v > hi:
        raise error(f"{name} must be <= {hi:g}{u}, got {v:g}")
    return v


def positive(value, name: str, unit: str = "", *, hi=None, error=PhyssynthError) -> float:
    """A finite float > 0 (and <= ``hi``)."""
    return finite(value, name, unit, lo=0.0, lo_open=True, hi=hi, error=error)


def nonnegative(value, name: str, unit: str = "", *, hi=None, error=PhyssynthError) -> float:
    """A finite float >= 0 (and <= ``hi``)."""
    return finite(value, name, unit, lo=0.0, hi=hi, error=error)


def integer(value, name: str, *, lo=None, hi=None, error=PhyssynthError) -> int:
    """A whole number within [lo, hi]; floats must be whole (3.0 is 3, 0.5 is refused)."""
    if isinstance(value, bool):
        raise error(f"{name} must be a whole number, got {value!r}")
    if isinstance(value, (numbers.Integral, np.integer)):
        v = int(value)
    else:
        f = _num(value, name, error)
        if not (math.isfinite(f) and f == int(f)):
            raise error(f"{name} must be a whole number, got {value!r}")
        v = int(f)
    if lo is not None and v < lo:
        raise error(f"{name} must be >= {lo}, got {v}")
    if hi is not None and v > hi:
        raise error(f"{name} must be <= {hi}, got {v}")
    return v


def sample_rate(sr, name: str = "sample rate", *, error=PhyssynthError) -> int:
    """A whole number of Hz in [MIN_SAMPLE_RATE, MAX_SAMPLE_RATE]."""
    v = integer(sr, f"{name} (Hz)", error=error)
    if not MIN_SAMPLE_RATE <= v <= MAX_SAMPLE_RATE:
        raise error(
            f"{name} {v} Hz is outside {MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE} Hz; use an audio rate such as 48000"
        )
    return v


def point(value, name: str = "point", *, dim: int = 3, error=PhyssynthError) -> np.ndarray:
    """A point or vector of ``dim`` finite floats, from an array or a string ``"x,y,z"``."""
    if isinstance(value, str):
        parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
        try:
            arr = np.array([float(p) for p in parts])
        except ValueError:
            raise error(f"{name} must be {dim} numbers separated by commas, got {value!r}") from None
    else:
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise error(f"{name} must be {dim} numbers, got {value!r}") from None
    if arr.shape != (dim,):
        raise error(f"{name} must be {dim} numbers, got {value!r}")
    if not np.isfinite(arr).all():
        raise error(f"{name} must be finite, got {value!r}")
    return arr.copy()


def direction(value, name: str = "direction", *, dim: int = 3, error=PhyssynthError) -> np.ndarray:
    """A unit vector from any non-zero finite vector."""
    v = point(value, name, dim=dim, error=error)
    n = float(np.linalg.norm(v))
    if not (n > 0 and math.isfinite(n)):
        raise error(f"{name} must be a non-zero vector, got {value!r}")
    return v / n


def _gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.3g} GiB"


def check_memory(nbytes: float, what: str, fix: str, *, error=PhyssynthError) -> None:
    """Refuse a job whose estimated memory exceeds :func:`memory_budget`.

    ``what`` names the job ("a 40000 s render at 48000 Hz, 2 channels"), ``fix`` how to get
    under the budget ("shorten --duration or lower --sr").
    """
    budget = memory_budget()
    if not (nbytes <= budget):  # also catches NaN
        raise error(
            f"{what} needs about {_gib(nbytes)}, more than the {_gib(budget)} budget "
            f"(set PHYSSYNTH_MEMORY_GB to change it); {fix}"
        )


def check_samples(duration, sr, channels: int = 1, *, bytes_per_sample: int = 8, copies: int = 3, error=PhyssynthError):
    """Check a render's length: duration > 0, and duration x sr x channels within the budget.

    ``copies`` counts the buffers a render holds at once (output, normalised copy, the WAV's
    integer samples). Returns the number of samples.
    """
    duration = positive(duration, "duration", "s", error=error)
    sr = sample_rate(sr, error=error)
    n = duration * sr
    if n < 1:
        raise error(f"duration {duration:g} s is shorter than one sample at {sr} Hz; make it longer")
    check_memory(
        n * max(int(channels), 1) * bytes_per_sample * copies,
        f"a {duration:g} s render at {sr} Hz with {int(channels)} channel(s)",
        "shorten the duration or lower the sample rate",
        error=error,
    )
    return int(round(n))
