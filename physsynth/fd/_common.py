"""Pieces shared by the finite-difference schemes: excitations, read-out, rate conversion
(spectral peaks are measured by physsynth.measure)."""

from __future__ import annotations

import math

import numpy as np

from physsynth.errors import PhyssynthError, RenderError, StabilityError

QUANTITIES = ("velocity", "displacement")


def scheme_rate(sr: int, oversample: int) -> float:
    """Scheme rate (Hz) = audio rate x integer oversampling; both checked."""
    if not (isinstance(sr, (int, np.integer)) or float(sr).is_integer()) or sr <= 0:
        raise PhyssynthError(f"the sample rate must be a positive integer (Hz), got {sr}")
    if int(oversample) != oversample or oversample < 1:
        raise PhyssynthError(f"oversample must be a positive integer, got {oversample}")
    return float(sr) * int(oversample)


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
    if not duration > 0:
        raise PhyssynthError(f"the strike duration must be > 0 s, got {duration}")
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
    value = float(value)
    if not (0.0 < value < length):
        raise PhyssynthError(f"{name} {value:g} {unit} lies outside the open interval (0, {length:g}) {unit}")
    return value


def check_quantity(quantity: str) -> bool:
    if quantity not in QUANTITIES:
        raise PhyssynthError(f"quantity must be one of {', '.join(QUANTITIES)}, got {quantity!r}")
    return quantity == "velocity"


def check_duration(duration: float) -> float:
    duration = float(duration)
    if not (duration > 0 and math.isfinite(duration)):
        raise PhyssynthError(f"the duration must be a positive number of seconds, got {duration}")
    return duration


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
    strike = (0.37 * sch.lx, 0.29 * sch.ly) if strike is None else strike
    pickups = [(0.71 * sch.lx, 0.63 * sch.ly)] if pickups is None else list(pickups)
    f = raised_cosine_force(contact_time, force, sch.fs)
    dtype = state_dtype(precision)
    u0, u1 = aligned_zeros(sch.shape, dtype), aligned_zeros(sch.shape, dtype)
    n = int(round(duration * sch.sr)) * sch.oversample
    out, _ = run(sch, u0, u1, n, pickups=pickups, velocity=velocity, force=f, force_at=strike)
    return to_audio_rate(out, sch.oversample)


EDGE_ORDER = "x=0, x=lx, y=0, y=ly"


def split_edges(bc) -> list:
    """The four edge conditions (x = 0, x = lx, y = 0, y = ly) of a rectangle's ``bc``: one
    value for all edges, four comma-separated, or a sequence of four (not yet checked)."""
    parts = [bc] * 4 if isinstance(bc, str) and "," not in bc else (bc.split(",") if isinstance(bc, str) else list(bc))
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
