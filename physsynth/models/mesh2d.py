"""2-D digital waveguide mesh: a rectangular membrane (Van Duyne & Smith, ICMC 1993).

The rectilinear mesh: junctions on a square grid of spacing h = c sqrt(2) / sr, each joined to
its four neighbours by bidirectional unit-delay waveguides. Waves cross one spacing per sample
along the axes, so the plane-wave speed is c = h / (sqrt(2) T) at low frequency. Its junction
form is the 5-point finite-difference scheme of the wave equation at Courant number 1/sqrt(2)
(kernel: physsynth/kernels/mesh2d.py; derivation: docs/fastpaths-theory.md).

Dispersion (the mesh's own, exact): a plane wave of wave vector (kx, ky) oscillates at

    cos(w T) = (cos(kx h) + cos(ky h)) / 2,

so high frequencies travel slower than c, most along the axes and not at all along the
diagonals: the modes of the mesh are flat against the continuous membrane's
f_mn = (c/2) sqrt((m/a)^2 + (n/b)^2). :func:`mesh_mode_frequencies` gives the mesh's own mode
frequencies; :func:`membrane_mode_frequencies` the continuous ones.
"""

from __future__ import annotations

import math

import numpy as np

from physsynth import validate
from physsynth.fd._common import FDCost, check_cost
from physsynth.kernels.mesh2d import mesh_block
from physsynth.models._design import ModelParameterError
from physsynth.models.ks import _check_duration, block_size

#: Most junctions a mesh may have (64 MiB of state).
MAX_JUNCTIONS = 4_000_000
#: Junction updates per second the mesh kernel is budgeted at (measured: 0.64 G/s on a
#: loaded 2-core machine, a 5-point stencil like the FD membrane's).
UPDATE_RATE = 3e8


def _grid(size, c, sr):
    if isinstance(size, str) or not hasattr(size, "__len__") or len(size) != 2:
        raise ModelParameterError(f"size must be two positive lengths (a, b) in metres, got {size!r}")
    a, b = (validate.positive(v, "membrane side", "m", error=ModelParameterError) for v in size)
    c = validate.positive(c, "wave speed c", "m/s", error=ModelParameterError)
    sr = validate.sample_rate(sr, error=ModelParameterError)
    h = c * math.sqrt(2.0) / sr
    if not (a / h + 1.0) * (b / h + 1.0) <= MAX_JUNCTIONS:
        raise ModelParameterError(
            f"a {a:g} x {b:g} m mesh at h = {h * 1000:.3g} mm has about {a / h:.3g} x {b / h:.3g} junctions, more "
            f"than {MAX_JUNCTIONS:.3g}; make it smaller, or lower sr or raise c"
        )
    Mx = int(round(a / h))
    My = int(round(b / h))
    if Mx < 3 or My < 3:
        raise ModelParameterError(
            f"the membrane {a} x {b} m is smaller than 3 mesh spacings (h = {h * 1000:.3g} mm "
            f"at c {c} m/s, sr {sr} Hz); make it larger or raise sr"
        )
    return h, Mx, My


def waveguide_mesh_estimate(size, *, c, sr, duration) -> FDCost:
    """What :func:`waveguide_mesh_strike` will cost (junctions, memory, updates, seconds at
    :data:`UPDATE_RATE`), from the sizes alone; :meth:`FDCost` as for the FD schemes."""
    _, Mx, My = _grid(size, c, sr)
    n = _check_duration(duration, sr)
    pts = (Mx + 1) * (My + 1)
    return FDCost(
        f"a {float(duration):g} s waveguide mesh of {Mx} x {My} junctions at {int(sr)} Hz",
        "waveguide mesh",
        pts,
        n,
        int(2 * pts * 8 + 3 * n * 8),
        pts * n,
        pts * n / UPDATE_RATE,
    )


def _check_mesh_budget(size, *, c, sr, duration) -> None:
    cost = waveguide_mesh_estimate(size, c=c, sr=sr, duration=duration)
    check_cost(cost, "make the membrane smaller, lower sr, raise c (fewer junctions) or shorten the duration")


def mesh_mode_frequencies(size, modes, *, c, sr):
    """Mode frequencies of the fixed rectilinear mesh (its own dispersion relation), Hz.

    Parameters
    ----------
    size : (float, float), m
        Requested membrane size; the mesh realises Mx h by My h (see :func:`mesh_size`).
    modes : array-like of (m, n)
        Mode numbers, m, n >= 1.
    c : float, m/s
    sr : float, Hz

    Returns
    -------
    ndarray, shape (n_modes,), Hz
        f = (sr / 2 pi) arccos((cos(m pi / Mx) + cos(n pi / My)) / 2).
    """
    _, Mx, My = _grid(size, c, sr)
    mn = np.atleast_2d(np.asarray(modes, dtype=float))
    cw = 0.5 * (np.cos(np.pi * mn[:, 0] / Mx) + np.cos(np.pi * mn[:, 1] / My))
    return np.arccos(cw) * sr / (2 * np.pi)


def membrane_mode_frequencies(size, modes, *, c):
    """Continuous fixed rectangular membrane, f_mn = (c/2) sqrt((m/a)^2 + (n/b)^2), Hz."""
    if isinstance(size, str) or not hasattr(size, "__len__") or len(size) != 2:
        raise ModelParameterError(f"size must be two positive lengths (a, b) in metres, got {size!r}")
    a, b = (validate.positive(v, "membrane side", "m", error=ModelParameterError) for v in size)
    c = validate.positive(c, "wave speed c", "m/s", error=ModelParameterError)
    mn = np.atleast_2d(np.asarray(modes, dtype=float))
    return 0.5 * c * np.sqrt((mn[:, 0] / a) ** 2 + (mn[:, 1] / b) ** 2)


def mesh_size(size, *, c, sr):
    """The size the mesh realises, (Mx h, My h) in m: whole spacings of h = c sqrt(2) / sr."""
    h, Mx, My = _grid(size, c, sr)
    return Mx * h, My * h


def wave_speed(tension, density):
    """Membrane wave speed c = sqrt(tension / areal density), m/s (tension N/m, density kg/m^2)."""
    tension = validate.positive(tension, "tension", "N/m", error=ModelParameterError)
    density = validate.positive(density, "areal density", "kg/m^2", error=ModelParameterError)
    return math.sqrt(tension / density)


def _bilinear(p, h, Mx, My, name):
    x, y = validate.point(p, f"{name} point (x, y) in metres", dim=2, error=ModelParameterError)
    a, b = Mx * h, My * h
    tol = 1e-9 * max(a, b)
    if not (-tol <= x <= a + tol and -tol <= y <= b + tol):
        raise ModelParameterError(
            f"{name} ({x:g}, {y:g}) m lies outside the {a:.4g} x {b:.4g} m membrane; give a point "
            "with 0 <= x <= a and 0 <= y <= b, from the corner (0, 0)"
        )
    # keep all four junctions interior: index coordinates in [1, M - 1] (a point on the rim
    # or in its outermost cell is moved to the nearest interior cell)
    xi = min(max(x / h, 1.0), Mx - 1.0)
    yi = min(max(y / h, 1.0), My - 1.0)
    i0 = min(int(math.floor(xi)), Mx - 2)
    j0 = min(int(math.floor(yi)), My - 2)
    fx, fy = xi - i0, yi - j0
    ii = np.array([i0, i0 + 1, i0, i0 + 1], np.int64)
    jj = np.array([j0, j0, j0 + 1, j0 + 1], np.int64)
    w = np.array([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy])
    return ii, jj, w


def strike_pulse(*, sr, width=0.5e-3, amplitude=1.0):
    """Raised-cosine junction-velocity source e[n] of ``width`` s and peak ``amplitude`` m/s."""
    width = validate.positive(width, "strike width", "s", hi=1.0, error=ModelParameterError)
    amplitude = validate.finite(amplitude, "strike amplitude", "m/s", error=ModelParameterError)
    if amplitude == 0.0:
        raise ModelParameterError("strike amplitude 0 m/s is silent; give a non-zero amplitude")
    m = max(int(round(width * sr)), 1)
    return amplitude * 0.5 * (1 - np.cos(2 * np.pi * (np.arange(m) + 0.5) / m))


def junction_loss(t60, *, sr):
    """Gain g per unit delay that makes every mode decay by 60 dB in ``t60`` s (None: 1)."""
    if t60 is None:
        return 1.0
    if isinstance(t60, (int, float, np.floating)) and t60 == math.inf:
        return 1.0
    t60 = validate.positive(t60, "t60", "s", error=ModelParameterError)
    return 10.0 ** (-3.0 / (sr * t60))


class WaveguideMesh:
    """A streaming rectangular waveguide-mesh membrane: ``strike``, then ``process(n)`` blocks.

    Parameters
    ----------
    size : (float, float), m
        Membrane size a x b; the mesh rounds it to whole spacings (``self.size``).
    c : float, m/s
        Wave speed (:func:`wave_speed` from tension and areal density).
    sr : float, Hz
    pickup : (float, float), m
        Pickup point (bilinear between the four nearest junctions).
    t60 : float, s, optional
        Decay time of every mode (a frequency-independent loss per unit delay); None: lossless.
    bc : {"fixed", "free"}
        Inverting (clamped rim) or non-inverting (free rim) boundary.
    boundary_filter : (float, float), optional
        Extra boundary loss: reflection gain at 0 Hz and one-pole pole (gb, p), gb <= 1,
        0 <= p < 1; the reflection is sgn gb (1 - p) / (1 - p z^-1).
    """

    def __init__(self, size, *, c, sr, pickup, t60=None, bc="fixed", boundary_filter=None):
        self.sr = float(validate.sample_rate(sr, error=ModelParameterError))
        self.c = validate.positive(c, "wave speed c", "m/s", error=ModelParameterError)
        self.h, self.Mx, self.My = _grid(size, self.c, self.sr)
        self.size = (self.Mx * self.h, self.My * self.h)
        if not isinstance(bc, str) or bc not in ("fixed", "free"):
            raise ModelParameterError(f"bc must be 'fixed' or 'free', got {bc!r}")
        self.bc = bc
        self.g = junction_loss(t60, sr=self.sr)
        if boundary_filter is None:
            gb, pb = 1.0, 0.0
        else:
            if isinstance(boundary_filter, str) or not hasattr(boundary_filter, "__len__") or len(boundary_filter) != 2:
                raise ModelParameterError(f"boundary_filter must be (gain, pole), got {boundary_filter!r}")
            gb, pb = (validate.finite(v, "boundary_filter", error=ModelParameterError) for v in boundary_filter)
        if not (0.0 < gb <= 1.0 and 0.0 <= pb < 1.0):
            raise ModelParameterError(
                f"boundary_filter (gain, pole) must have 0 < gain <= 1 and 0 <= pole < 1, got {boundary_filter}"
            )
        self.gb, self.pb = gb, pb
        self.sgn = -1.0 if bc == "fixed" else 1.0
        self._pk = _bilinear(pickup, self.h, self.Mx, self.My, "pickup")
        self.state = np.zeros((2, self.Mx + 1, self.My + 1))
        self._par = np.zeros(1, np.int64)
        self._wo = np.zeros((2, 4, max(self.Mx, self.My) + 1))
        self._src = np.zeros(0)
        self._si = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))

    def strike(self, at, *, amplitude=1.0, width=0.5e-3):
        """Strike at ``at`` (x, y) m: a raised-cosine force of ``width`` s, injected as a
        junction-velocity source of peak ``amplitude`` m/s spread bilinearly over the four
        nearest junctions. Replaces any strike still being injected."""
        e = strike_pulse(sr=self.sr, width=width, amplitude=amplitude)
        # a force injected at a junction of the wave-variable mesh is the source
        # s[n] = e[n] - g^2 e[n-2] in the junction (FDTD) form (docs/fastpaths-theory.md)
        s = np.zeros(e.size + 2)
        s[: e.size] += e
        s[2:] -= self.g**2 * e
        self._src = s
        self._si = _bilinear(at, self.h, self.Mx, self.My, "at")

    def process(self, n):
        """The next ``n`` samples of junction velocity at the pickup, ndarray shape (n,)."""
        out = np.zeros(block_size(n, self.sr))
        if out.size == 0:
            return out
        src = np.ascontiguousarray(self._src[: out.size])
        mesh_block(
            self.state,
            self._par,
            self._wo,
            self.g,
            self.sgn,
            self.gb,
            self.pb,
            src,
            self._si[0],
            self._si[1],
            self._si[2],
            self._pk[0],
            self._pk[1],
            self._pk[2],
            out,
        )
        self._src = self._src[out.size :]
        return out

    def velocities(self):
        """Junction velocities now (v[n-1] of the next block), shape (Mx + 1, My + 1), m/s."""
        return self.state[self._par[0]].copy()

    def energy(self):
        """The scheme's energy, unitless: constant when lossless, times g^2 each sample with loss.

        E = v1^T M v1 + g^2 v0^T M v0 - g v1^T A v0, with v1, v0 the last two velocity fields,
        M the diagonal of half the port counts (2 inside, 1/2 on a free rim) and A the adjacency
        of the junctions. Holds once the strike has ended, for a lossless boundary
        (``boundary_filter`` None); see docs/fastpaths-theory.md.
        """
        v1 = self.state[self._par[0]]
        v0 = self.state[1 - self._par[0]]
        m = _mass(v1.shape, self.bc)
        g = self.g
        return float(np.sum(m * v1 * v1) + g * g * np.sum(m * v0 * v0) - g * np.sum(v1 * _adjacent(v0, self.bc)))


def _adjacent(v, bc):
    """A v: the sum over the neighbours joined to each junction by a waveguide."""
    a = np.zeros_like(v)
    a[1:-1, 1:-1] = v[:-2, 1:-1] + v[2:, 1:-1] + v[1:-1, :-2] + v[1:-1, 2:]
    if bc == "free":
        a[0, 1:-1] = v[1, 1:-1]
        a[-1, 1:-1] = v[-2, 1:-1]
        a[1:-1, 0] = v[1:-1, 1]
        a[1:-1, -1] = v[1:-1, -2]
    return a


def _mass(shape, bc):
    m = np.zeros(shape)
    m[1:-1, 1:-1] = 2.0
    if bc == "free":
        m[0, 1:-1] = m[-1, 1:-1] = m[1:-1, 0] = m[1:-1, -1] = 0.5
    return m


def waveguide_mesh_strike(
    size, *, c, sr, duration, at, pickup, t60=None, bc="fixed", amplitude=1.0, width=0.5e-3, boundary_filter=None
) -> np.ndarray:
    """Strike a rectangular waveguide-mesh membrane once.

    Parameters
    ----------
    size : (float, float), m
        a x b (rounded to whole spacings h = c sqrt(2) / sr; see :func:`mesh_size`).
    c : float, m/s
        Wave speed; :func:`wave_speed` (tension N/m, areal density kg/m^2) gives it.
    sr : float, Hz
    duration : float, s
    at, pickup : (float, float), m
        Strike and pickup points, from the corner (0, 0).
    t60 : float, s, optional
        Decay time of every mode; None for a lossless mesh.
    bc : {"fixed", "free"}
    amplitude, width : float
        Peak junction-velocity source, m/s, and strike duration, s.
    boundary_filter : (float, float), optional
        One-pole boundary loss (gain, pole); see :class:`WaveguideMesh`.

    Returns
    -------
    ndarray, shape (round(duration sr),)
        Junction velocity at the pickup, m/s.

    Examples
    --------
    >>> y = waveguide_mesh_strike((0.3, 0.2), c=100.0, sr=16000, duration=0.05,
    ...                           at=(0.1, 0.07), pickup=(0.2, 0.13), t60=1.0)
    >>> y.shape
    (800,)
    """
    n = _check_duration(duration, sr)
    _check_mesh_budget(size, c=c, sr=sr, duration=duration)
    m = WaveguideMesh(size, c=c, sr=sr, pickup=pickup, t60=t60, bc=bc, boundary_filter=boundary_filter)
    m.strike(at, amplitude=amplitude, width=width)
    return m.process(n)
