"""Digital waveguide string: two travelling-wave rails, rigid nut, lossy bridge.

Smith, "Physical modeling using digital waveguides", CMJ 16(4), 1992. The string's displacement
is the sum of a right-going and a left-going wave, each a delay line of L samples (one sample
of delay = one spatial sample). The nut reflects with -1; the bridge with -A_d(z)^M A_eta(z) H(z):
the one-pole loss filter from two T60s, the tuning allpass and, for a stiff string
(inharmonicity B > 0), M identical dispersion allpasses. The loop is the one Karplus-Strong
uses, designed by the same :func:`physsynth.models._design.design_loop` with the whole delay
split into two equal rails (granularity 2): 2L plus the filters' phase delays at the first
partial is exactly sr / f1, and the dispersion allpasses are fitted so that partial n sounds at
n f0 sqrt(1 + B n^2) (Fletcher, JASA 36(1), 1964, eq. 21) for n = 1..8. Lumping the stiffness at
the bridge is exact for the loop's resonances, which only see the round trip (Van Duyne &
Smith, ICMC 1994).

A pluck sets an initial displacement (a triangle with its apex at the pluck point, half on each
rail); a strike sets an initial velocity v0 (a raised-cosine of the given width), i.e. the
rails y+ = -(1/2) int v0 dx and y- = +(1/2) int v0 dx (d'Alembert), with c = 1 sample/sample.
The output is the displacement at the pickup.
"""

from __future__ import annotations

import numpy as np

from physsynth import validate
from physsynth.kernels.fastpaths import waveguide_block
from physsynth.models._design import ModelParameterError, design_loop, loss_filter
from physsynth.models.ks import _check_duration, block_size, check_decay


def _fraction(v, name):
    """A point on the string, as a fraction of its length from the nut, strictly inside."""
    v = validate.finite(v, name, error=ModelParameterError)
    if not 0.0 < v < 1.0:
        raise ModelParameterError(f"{name} must be in (0, 1) (fraction of the string from the nut), got {v:g}")
    return v


def _positions(L, position, pickup):
    position, pickup = _fraction(position, "position"), _fraction(pickup, "pickup")
    xe = min(max(int(round(position * L)), 1), L - 1)
    xp = min(max(int(round(pickup * L)), 1), L - 1)
    return xe, xp


def initial_rails(L, *, excitation="pluck", position=0.2, width=0.05, amplitude=1.0):
    """Initial right- and left-going displacement waves, each ndarray shape (L,).

    Parameters
    ----------
    L : int
        Samples per rail.
    excitation : {"pluck", "strike"}
    position : float
        Pluck or strike point, fraction of the string from the nut, in (0, 1).
    width : float
        Width of the strike's velocity profile, fraction of the string.
    amplitude : float
        Peak displacement (pluck), or peak velocity in displacement units per sample (strike).
    """
    if excitation not in ("pluck", "strike"):
        raise ModelParameterError(f"excitation must be 'pluck' or 'strike', got {excitation!r}")
    position = _fraction(position, "position")
    amplitude = validate.finite(amplitude, "amplitude", error=ModelParameterError)
    if amplitude == 0.0:
        raise ModelParameterError("amplitude 0 gives silence; use a non-zero amplitude")
    x = np.arange(L, dtype=float)
    xe = min(max(position * L, 1.0), L - 1.0)
    if excitation == "pluck":
        y0 = np.where(x <= xe, x / xe, (L - x) / (L - xe)) * amplitude
        return 0.5 * y0, 0.5 * y0
    if excitation == "strike":
        width = validate.positive(width, "strike width", hi=1.0, error=ModelParameterError)
        hw = max(width * L / 2, 1.0)
        v0 = np.where(np.abs(x - xe) < hw, 0.5 * (1 + np.cos(np.pi * (x - xe) / hw)), 0.0)
        s = np.cumsum(v0) * amplitude
        return -0.5 * s, 0.5 * s


def _load(L, yr, yl):
    """Place spatial rail samples into the circular buffers for index pos = 0."""
    x = np.arange(L)
    br = np.zeros(L)
    bl = np.zeros(L)
    br[(-x) % L] = yr
    bl[(-(L - 1 - x)) % L] = yl
    return br, bl


def waveguide_pluck(
    f0,
    *,
    sr,
    duration,
    t60=2.0,
    t60_high=None,
    f_high=None,
    inharmonicity=0.0,
    excitation="pluck",
    position=0.2,
    pickup=0.8,
    width=0.05,
    amplitude=1.0,
) -> np.ndarray:
    """Render one note of the waveguide string.

    Parameters
    ----------
    f0 : float, Hz
        Fundamental of the ideal string; with inharmonicity B partial n sounds at
        n f0 sqrt(1 + B n^2).
    sr : float, Hz
    duration : float, s
    t60, t60_high, f_high : float, s, s, Hz
        Decay of the fundamental and at ``f_high`` (see :func:`physsynth.models.ks.ks_pluck`).
    inharmonicity : float
        Stiffness coefficient B, dimensionless, in [0, 0.01] (0: an ideal string; a piano's
        A3 about 2e-4), by the same dispersion design as :func:`physsynth.models.ks.ks_pluck`.
    excitation : {"pluck", "strike"}
    position, pickup : float
        Excitation and pickup points, fractions of the string from the nut, in (0, 1).
    width : float
        Strike width, fraction of the string.
    amplitude : float

    Returns
    -------
    ndarray, shape (round(duration sr),)
        Displacement at the pickup.

    Examples
    --------
    >>> y = waveguide_pluck(110.0, sr=44100, duration=0.25, inharmonicity=2e-4)
    >>> y.shape
    (11025,)
    """
    n = _check_duration(duration, sr)
    v = Waveguide(sr=sr)
    v.note_on(
        f0,
        t60=t60,
        t60_high=t60_high,
        f_high=f_high,
        inharmonicity=inharmonicity,
        excitation=excitation,
        position=position,
        pickup=pickup,
        width=width,
        amplitude=amplitude,
    )
    d = v.design
    out = np.empty(n)
    waveguide_block(v._br, v._bl, v._pos, v._st, v._sd, d.eta, d.g, d.g, d.p, d.p, d.a_disp, v._xp, out)
    return out


class Waveguide:
    """A streaming waveguide string: ``note_on``, ``process(n)`` blocks, ``note_off``.

    Parameters
    ----------
    sr : float, Hz

    Examples
    --------
    >>> v = Waveguide(sr=48000)
    >>> v.note_on(220.0, t60=1.5, inharmonicity=1e-4)
    >>> block = v.process(256)
    >>> v.note_off(release_t60=0.1)
    >>> tail = v.process(256)
    """

    def __init__(self, *, sr):
        self.sr = float(validate.sample_rate(sr, error=ModelParameterError))
        self.design = None

    def note_on(
        self,
        f0,
        *,
        t60=2.0,
        t60_high=None,
        f_high=None,
        inharmonicity=0.0,
        excitation="pluck",
        position=0.2,
        pickup=0.8,
        width=0.05,
        amplitude=1.0,
    ):
        """Start a note (parameters as :func:`waveguide_pluck`)."""
        t60, t60_high = check_decay(f0, t60, t60_high)
        d = design_loop(
            f0, sr=self.sr, t60=t60, t60_high=t60_high, f_high=f_high, inharmonicity=inharmonicity, granularity=2
        )
        L = d.n_delay // 2
        _, self._xp = _positions(L, position, pickup)
        self._f_high = f_high if f_high is not None else min(max(5000.0, 4 * d.f1), 0.45 * self.sr)
        yr, yl = initial_rails(L, excitation=excitation, position=position, width=width, amplitude=amplitude)
        self._br, self._bl = _load(L, yr, yl)
        self._pos = np.zeros(1, np.int64)
        self._st = np.zeros(2)
        self._sd = np.zeros(d.n_sections)
        self.design = d
        self._gp = self._target = (d.g, d.p)

    def set_decay(self, t60, t60_high=None):
        """New decay times (s), reached at the end of the next block."""
        if self.design is None:
            return
        t60_high = t60 if t60_high is None else t60_high
        t60, t60_high = check_decay(self.design.f1, t60, t60_high)
        if t60_high > t60:
            raise ModelParameterError("t60_high must not exceed t60")
        self._target = loss_filter(self.design.f1, t60, t60_high, self._f_high, sr=self.sr)

    def note_off(self, release_t60=0.1):
        """Damp the string to ``release_t60`` (s) over the next block."""
        self.set_decay(release_t60, release_t60)

    def process(self, n):
        """The next ``n`` samples, ndarray shape (n,)."""
        out = np.zeros(block_size(n, self.sr))
        if self.design is None or out.size == 0:
            return out
        d = self.design
        (g0, p0), (g1, p1) = self._gp, self._target
        waveguide_block(
            self._br, self._bl, self._pos, self._st, self._sd, d.eta, g0, g1, p0, p1, d.a_disp, self._xp, out
        )
        self._gp = self._target
        return out
