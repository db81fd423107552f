"""Pieces shared by the finite-difference schemes: excitations, read-out, rate conversion,
cost estimates and budgets (spectral peaks are measured by physsynth.measure)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physsynth import validate
from physsynth.errors import PhyssynthError, RenderError, StabilityError

QUANTITIES = ("velocity", "displacement")

#: Largest oversampling factor: 64 x 48 kHz is a 3 MHz scheme, beyond which the grids and
#: step counts only grow (the scheme rate is what sets the cost, not the audio band).
MAX_OVERSAMPLE = 64
#: Most grid points one scheme may have (2 x 10^9: a 44,000^2 plate, 32 GiB of state).
MAX_GRID_POINTS = 2 * 10**9
#: Grid updates (points x steps) per second each kernel is budgeted at. Measured on a shared
#: 2-core machine under load (the stencils reach 1-2 G/s alone on large grids, benchmarks/
#: bench_fd.py and docs/fd-theory.md; measured under load: plate 0.23, membrane 0.42 G/s on
#: small grids, the string 0.06 G/s on its short rows, the CSR operator of free/mixed edges
#: 4-8 M/s), so that an estimate errs on the long side and a refusal is never a close call.
UPDATE_RATE = {
    "plate": 2e8,
    "plate (free/mixed edges)": 4e6,
    "membrane": 3e8,
    "membrane (free edges)": 7e6,
    "string": 5e7,
}
#: Bytes per grid point the sparse operator of free/mixed edges holds while it is assembled
#: (the stiffness, two step matrices and scipy's temporaries, CSR at about 25 entries a row).
OPERATOR_BYTES_PER_POINT = 4000


@dataclass(frozen=True)
class FDCost:
    """What a finite-difference render will cost, from the sizes alone (nothing allocated).

    Attributes
    ----------
    what : str
        The scheme and its grid, for messages.
    kernel : str
        Key of :data:`UPDATE_RATE`.
    grid_points : int
        Points updated per time step.
    steps : int
        Time steps at the scheme rate.
    memory_bytes : int
        Peak memory estimate: states, operator, output at the scheme rate and its decimated,
        normalised and written copies.
    updates : int
        grid_points x steps.
    seconds : float
        Estimated computing time at the budgeted :data:`UPDATE_RATE`.
    """

    what: str
    kernel: str
    grid_points: int
    steps: int
    memory_bytes: int
    updates: int
    seconds: float


def make_cost(what, kernel, grid_points, state_bytes, duration, sr, oversample, n_pickups) -> FDCost:
    """An :class:`FDCost` for ``duration`` s at ``sr`` Hz x ``oversample`` (checked here)."""
    duration = check_duration(duration)
    steps = int(round(duration * sr)) * int(oversample)
    n_pk = max(int(n_pickups), 1)
    # output at the scheme rate, its decimated copy and the writer's two (float64 + integer)
    out = n_pk * steps * 8 + 3 * n_pk * int(round(duration * sr)) * 8
    updates = int(grid_points) * steps
    return FDCost(what, kernel, int(grid_points), steps, int(state_bytes + out), updates, updates / UPDATE_RATE[kernel])


def check_cost(cost: FDCost, fix: str) -> FDCost:
    """Refuse a render over the memory budget (:func:`physsynth.validate.check_memory`) or the
    time budget (:func:`physsynth.validate.time_budget`); ``fix`` says how to get under them."""
    validate.check_memory(cost.memory_bytes, cost.what, fix)
    budget = validate.time_budget()
    if not cost.seconds <= budget:
        raise PhyssynthError(
            f"{cost.what} needs {cost.updates:.3g} grid updates ({cost.grid_points:.3g} points x {cost.steps} steps), "
            f"about {cost.seconds / 60:.3g} min at {cost.updates / max(cost.seconds, 1e-300):.2g} updates/s, over the "
            f"{budget / 60:.3g} min budget (set PHYSSYNTH_TIME_BUDGET_S to change it); {fix}"
        )
    return cost


def check_grid(nx: float, ny: float, what: str, fix: str) -> None:
    """Refuse a grid of more than :data:`MAX_GRID_POINTS` before any int() of its size."""
    pts = (float(nx) + 1.0) * (float(ny) + 1.0)
    if not pts <= MAX_GRID_POINTS:
        raise PhyssynthError(
            f"{what} would have {nx:.3g} x {ny:.3g} grid intervals ({pts:.3g} points), more than "
            f"{MAX_GRID_POINTS:.3g}; {fix}"
        )


def scheme_rate(sr: int, oversample: int) -> float:
    """Scheme rate (Hz) = audio rate x integer oversampling; both checked
    (:func:`physsynth.validate.sample_rate`, oversample 1..:data:`MAX_OVERSAMPLE`)."""
    sr = validate.sample_rate(sr)
    oversample = validate.integer(oversample, "oversample", lo=1, hi=MAX_OVERSAMPLE)
    return float(sr) * oversample


def t60_value(t60, name: str = "T60") -> float:
    """A decay time > 0 s, or ``inf`` for no loss."""
    if isinstance(t60, (int, float, np.floating)) and not isinstance(t60, bool) and t60 == math.inf:
        return math.inf
    return validate.positive(t60, name, "s")


def raised_cosine_force(duration: float, amplitude: float, fs: float) -> np.ndarray:
    """A raised-cosine force pulse, f(t) = (A/2)(1 - cos(2 pi t / T)) for 0 <= t <= T.

    Parameters
    ----------
    duration : float, s
        Contact time T (> 0).
    amplitude : float, N
        Peak force A.
    fs : float, Hz
        Scheme rate.

    Returns
    -------
    ndarray, shape (ceil(T fs) + 1,), N
    """
    duration = validate.positive(duration, "the strike duration (contact time)", "s", hi=1.0)
    amplitude = validate.finite(amplitude, "the strike force", "N")
    n = max(2, int(math.ceil(duration * fs)) + 1)
    t = np.arange(n) / fs
    f = 0.5 * amplitude * (1.0 - np.cos(2.0 * np.pi * np.minimum(t, duration) / duration))
    return np.ascontiguousarray(f)


def linear_weights_1d(x: float, h: float, n: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and weights of linear interpolation at x (m) on grid points 0..n, spacing h,
    stored at array index ``l + offset``."""
    s = x / h
    l0 = min(max(int(math.floor(s)), 0), n - 1)
    a = s - l0
    return (np.array([l0 + offset, l0 + 1 + offset], dtype=np.int64), np.array([1.0 - a, a], dtype=np.float64))


def bilinear_weights(
    x: float, y: float, hx: float, hy: float, nx: int, ny: int, offset: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices (i, j) and weights of bilinear interpolation at (x, y) (m) on a grid with
    points 0..nx x 0..ny, stored at array index (l + offset, m + offset). The same weights
    spread a point force onto the grid (the transpose of the interpolant, Bilbao NSS
    sec. 10.2.2), which keeps the energy balance of the forced scheme exact."""
    ix, wx = linear_weights_1d(x, hx, nx, offset)
    iy, wy = linear_weights_1d(y, hy, ny, offset)
    ii = np.repeat(ix, 2)
    jj = np.tile(iy, 2)
    ww = np.outer(wx, wy).ravel()
    return ii, jj, ww


def check_inside(name: str, value: float, length: float, unit: str = "m") -> float:
    value = validate.finite(value, name, unit)
    if not (0.0 < value < length):
        raise PhyssynthError(f"{name} {value:g} {unit} lies outside the open interval (0, {length:g}) {unit}")
    return value


def check_quantity(quantity: str) -> bool:
    if not isinstance(quantity, str) or quantity not in QUANTITIES:
        raise PhyssynthError(f"quantity must be one of {', '.join(QUANTITIES)}, got {quantity!r}")
    return quantity == "velocity"


#: Longest render (s) any scheme is asked for: 11.6 days (the budgets refuse far less; this
#: only keeps the step count a finite integer).
MAX_DURATION = 1e6


def check_duration(duration: float) -> float:
    return validate.positive(duration, "the duration", "s", hi=MAX_DURATION)


def to_audio_rate(out: np.ndarray, oversample: int) -> np.ndarray:
    """Decimate scheme-rate samples to the audio rate with a polyphase FIR low-pass
    (Kaiser window, cut-off at the new Nyquist frequency), so that scheme modes above it
    do not alias into the audio band."""

    if not np.isfinite(out).all():
        raise RenderError(
            "the finite-difference scheme produced non-finite samples "
            "(this is a bug: the stability check should have refused the grid)"
        )
    if oversample == 1:
        return out

    from scipy.signal import resample_poly

    return resample_poly(out, 1, int(oversample), axis=-1)


def stability_message(
    what: str, h: float, h_min: float, sr_needed: float, oversample: int, unit: str = "m"
) -> StabilityError:
    return StabilityError(
        f"{what}: grid spacing {h:.4g} {unit} is below the stability limit {h_min:.4g} {unit} "
        f"at this sample rate; use a coarser grid (>= {h_min:.4g} {unit}) or raise the scheme "
        f"rate to >= {sr_needed:.0f} Hz (sr x oversample; oversample is {oversample})"
    )


def render_2d(sch, run, *, duration, strike, pickups, contact_time, force, quantity, precision="double"):
    """Strike a membrane or plate scheme from rest and read it at the audio rate.

    Shared by ``render_membrane`` and ``render_plate``; ``run`` is the scheme's time loop
    (``run_membrane`` or ``run_plate``). Defaults: strike at (0.37 lx, 0.29 ly), one pickup at
    (0.71 lx, 0.63 ly), away from the low modes' nodal lines. ``precision`` ("double" or
    "single") is the grid state's float type (:func:`state_dtype`).
    """
    duration = check_duration(duration)
    velocity = check_quantity(quantity)
    strike = (0.37 * sch.lx, 0.29 * sch.ly) if strike is None else tuple(validate.point(strike, "strike point", dim=2))
    if pickups is None:
        pickups = [(0.71 * sch.lx, 0.63 * sch.ly)]
    else:
        if isinstance(pickups, str) or not hasattr(pickups, "__len__") or len(pickups) == 0:
            raise PhyssynthError(f"pickups must be a list of (x, y) points in metres, got {pickups!r}")
        pickups = [tuple(validate.point(p, f"pickup {i + 1}", dim=2)) for i, p in enumerate(pickups)]
    for i, (x, y) in enumerate(pickups):
        check_inside(f"pickup {i + 1} x", x, sch.lx)
        check_inside(f"pickup {i + 1} y", y, sch.ly)
    check_inside("strike x", strike[0], sch.lx)
    check_inside("strike y", strike[1], sch.ly)
    f = raised_cosine_force(contact_time, force, sch.fs)
    sch.check_budget(duration, n_pickups=len(pickups), precision=precision)
    dtype = state_dtype(precision)
    u0, u1 = aligned_zeros(sch.shape, dtype), aligned_zeros(sch.shape, dtype)
    n = int(round(duration * sch.sr)) * sch.oversample
    out, _ = run(sch, u0, u1, n, pickups=pickups, velocity=velocity, force=f, force_at=strike)
    return to_audio_rate(out, sch.oversample)


EDGE_ORDER = "x=0, x=lx, y=0, y=ly"


def split_edges(bc) -> list:
    """The four edge conditions (x = 0, x = lx, y = 0, y = ly) of a rectangle's ``bc``: one
    value for all edges, four comma-separated, or a sequence of four (not yet checked)."""
    if isinstance(bc, str):
        parts = [bc] * 4 if "," not in bc else bc.split(",")
    elif isinstance(bc, (list, tuple)) and all(isinstance(q, str) for q in bc):
        parts = list(bc)
    else:
        raise PhyssynthError(f"bc takes a name or four names ({EDGE_ORDER}), got {bc!r}")
    if len(parts) != 4:
        raise PhyssynthError(f"bc takes one value or four ({EDGE_ORDER}), got {bc!r}")
    return parts


def aligned_zeros(shape, dtype=np.float64, align: int = 64) -> np.ndarray:
    """Zeros whose first element sits on an ``align``-byte boundary (a cache line): numpy's
    usual 16-byte offset makes every vector load of a stencil kernel straddle two lines
    (measured on the plate kernels: 7-20 % slower)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    buf = np.zeros(n * dtype.itemsize + align, dtype=np.uint8)
    off = (-buf.ctypes.data) % align
    return buf[off : off + n * dtype.itemsize].view(dtype).reshape(shape)


def state_dtype(precision: str):
    """The grid state's float type: "double" (float64, the default: energy conserved to
    round-off, every accuracy test; the plate runs on the explicit-SIMD kernel) or "single"
    (float32: half the memory traffic and twice the values per vector register on the Numba
    kernels, about 1.3x the double-precision plate's speed in cache; the waveform drifts from
    double precision's by about -60 dB (rms, relative) in the first second, partials agree
    within 0.1 cent: measured in tests/test_fd.py)."""
    if isinstance(precision, str) or precision is np.float64 or precision is np.float32:
        if precision in ("double", "float64", np.float64):
            return np.float64
        if precision in ("single", "float32", np.float32):
            return np.float32
    raise PhyssynthError(f"unknown precision {precision!r}: use 'double' or 'single'")


def grid_taps(sch, pickups, force, force_at, *, ghost: int, mass_per_area: float):
    """Pickup and strike taps of a 2D scheme on its grid (bilinear weights).

    ``ghost`` is the number of ghost layers around the grid (0 membrane, 1 plate): the points
    with index ``ghost`` and ``n + ghost`` lie on a fixed, supported or clamped edge, where
    u = 0, so strike weights there are dropped (they would move the edge). The strike weights
    are scaled to k^2 / (h_x h_y mass_per_area (1 + sigma0 k)), which spreads a point force as
    a density over the cell.

    Returns
    -------
    pk_i, pk_j, pk_w : ndarrays, shape (n_pickups, 4)
    force : ndarray, float64 (empty without a strike)
    si, sj, sw : ndarrays, the strike's grid points and weights
    """
    pk_i = np.zeros((len(pickups), 4), dtype=np.int64)
    pk_j = np.zeros((len(pickups), 4), dtype=np.int64)
    pk_w = np.zeros((len(pickups), 4))
    for p, (x, y) in enumerate(pickups):
        pk_i[p], pk_j[p], pk_w[p] = bilinear_weights(
            check_inside("pickup x", x, sch.lx),
            check_inside("pickup y", y, sch.ly),
            sch.hx,
            sch.hy,
            sch.nx,
            sch.ny,
            ghost,
        )
    if force is None:
        return pk_i, pk_j, pk_w, np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    x, y = force_at
    si, sj, sw = bilinear_weights(
        check_inside("strike x", x, sch.lx), check_inside("strike y", y, sch.ly), sch.hx, sch.hy, sch.nx, sch.ny, ghost
    )
    keep = (si > ghost) & (si < sch.nx + ghost) & (sj > ghost) & (sj < sch.ny + ghost)
    sw = sw[keep] * sch.k**2 / (sch.hx * sch.hy * mass_per_area * (1.0 + sch.sigma0 * sch.k))
    return (pk_i, pk_j, pk_w, np.ascontiguousarray(force, dtype=np.float64), si[keep], sj[keep], sw)
