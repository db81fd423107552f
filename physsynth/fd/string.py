"""Stiff lossy string, simply supported, by an explicit finite-difference scheme.

PDE (Bilbao, Numerical Sound Synthesis (NSS), 2009, eq. 7.28), length L = 1 (positions are
fractions of the length):

    u_tt = c^2 u_xx - kappa^2 u_xxxx - 2 sigma0 u_t + 2 sigma1 u_txx

Scheme (NSS eq. 7.29 with the sigma1 term in backward difference, which keeps it explicit):

    d_tt u = c^2 d_xx u - kappa^2 d_xxxx u - 2 sigma0 d_t. u + 2 sigma1 d_t- d_xx u

Stability (NSS eq. 7.31): h >= h_min, with
h_min^2 = (c^2 k^2 + 4 sigma1 k + sqrt((c^2 k^2 + 4 sigma1 k)^2 + 16 kappa^2 k^2)) / 2.

Tuning: with simply supported ends the scheme's modes are exactly sin(p pi l / N), so its
partials follow from the discrete dispersion relation (docs/fd-theory.md, sec. 1.4)

    sin^2(pi f_p k) = (k^2 / 4) (c^2 s_p + kappa^2 s_p^2),   s_p = (4 / h^2) sin^2(p pi / 2N).

Instead of the continuous c and kappa (whose discrete partials run flat by the grid's
dispersion), :func:`stiff_string` fits c^2 and kappa^2 so that the discrete partials hit
n f0 sqrt(1 + B n^2): the "careful implementation" of the issue.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from physsynth import validate
from physsynth.errors import PhyssynthError
from physsynth.fd._common import (
    MAX_GRID_POINTS,
    MAX_OVERSAMPLE,
    FDCost,
    check_cost,
    check_duration,
    check_inside,
    check_quantity,
    linear_weights_1d,
    make_cost,
    scheme_rate,
    stability_message,
    t60_value,
    to_audio_rate,
)
from physsynth.kernels.fd import string_steps

log = logging.getLogger("physsynth")

LN1000 = 3.0 * math.log(10.0)  # 60 dB of amplitude decay = ln(1000) nepers
N_FIT = 8  # partials the tuning fit aims at (the accuracy target)
FIT_TOL = 1e-3  # largest relative error of the scheme's partials the automatic oversampling accepts
#: Lowest fundamental (Hz): below 1 Hz a string is no longer heard as a pitch, and its grid
#: (about sr / (2 f0) points) only grows.
MIN_F0 = 1.0
#: Largest inharmonicity: B = 1 puts the 2nd partial at 2 f0 sqrt(5), a bar rather than a string.
MAX_B = 1.0


def string_h_min(c: float, kappa: float, sigma1: float, k: float) -> float:
    """Smallest stable grid spacing (fraction of the length), NSS eq. 7.31.

    Parameters
    ----------
    c : float, 1/s (L = 1: wave speed in lengths per second)
    kappa : float, 1/s (stiffness, lengths^2 per second)
    sigma1 : float, 1/s (lengths^2 per second)
    k : float, s (time step)
    """
    a = c * c * k * k + 4.0 * sigma1 * k
    return math.sqrt(0.5 * (a + math.sqrt(a * a + 16.0 * kappa * kappa * k * k)))


def sigmas_from_t60(c: float, kappa: float, f1: float, t60_1: float, f2: float, t60_2: float) -> tuple[float, float]:
    """sigma0 (1/s) and sigma1 (lengths^2/s) giving T60 = t60_1 at f1 and t60_2 at f2 (NSS eq. 7.30).

    The decay rate of a mode of wavenumber beta is sigma0 + sigma1 beta^2, and
    zeta(omega) = beta^2 = (-c^2 + sqrt(c^4 + 4 kappa^2 omega^2)) / (2 kappa^2).
    An infinite T60 at both frequencies gives the lossless string.
    """
    if t60_1 <= 0 or t60_2 <= 0:
        raise PhyssynthError("T60 values must be > 0 s")
    if math.isinf(t60_1) and math.isinf(t60_2):
        return 0.0, 0.0

    def zeta(f):
        w = 2 * math.pi * f
        if kappa == 0.0:
            return (w / c) ** 2
        return (-c * c + math.sqrt(c**4 + 4 * kappa * kappa * w * w)) / (2 * kappa * kappa)

    z1, z2 = zeta(f1), zeta(f2)
    # sigma is an amplitude decay rate and T60 the time for the level to fall 60 dB,
    # T60 = 3 ln 10 / sigma, the convention of physsynth.damping. NSS eq. 7.30 carries
    # a factor 6 ln 10 instead: compare conventions before comparing numbers.
    g = LN1000 / (z2 - z1)
    s0 = g * (z2 / t60_1 - z1 / t60_2)
    s1 = g * (-1.0 / t60_1 + 1.0 / t60_2)
    if s1 < 0:
        raise PhyssynthError(
            f"the high-frequency T60 ({t60_2:g} s at {f2:.0f} Hz) must not exceed "
            f"the low-frequency one ({t60_1:g} s at {f1:.0f} Hz)"
        )
    if s0 < 0:
        raise PhyssynthError(
            f"T60 {t60_2:g} s at {f2:.0f} Hz decays too fast for T60 {t60_1:g} s "
            f"at {f1:.0f} Hz (sigma0 would be negative); raise the high-frequency T60"
        )
    return s0, s1


@dataclass(frozen=True)
class StringScheme:
    """A tuned, stable stiff-string scheme (all lengths in units of the string length).

    Attributes
    ----------
    f0 : float, Hz
    B : float
        Inharmonicity coefficient, f_n = n f0 sqrt(1 + B n^2).
    c : float, 1/s
        Wave speed (fitted to the discrete dispersion relation).
    kappa : float, 1/s
        Stiffness parameter (fitted).
    sigma0 : float, 1/s
    sigma1 : float, 1/s
    fs : float, Hz
        Scheme rate (sr x oversample).
    sr : int, Hz
    oversample : int
    N : int
        Number of grid intervals; h = 1/N.
    """

    f0: float
    B: float
    c: float
    kappa: float
    sigma0: float
    sigma1: float
    fs: float
    sr: int
    oversample: int
    N: int

    @property
    def k(self) -> float:
        return 1.0 / self.fs

    @property
    def h(self) -> float:
        return 1.0 / self.N

    @property
    def h_min(self) -> float:
        return string_h_min(self.c, self.kappa, self.sigma1, self.k)

    def estimate(self, duration: float, *, n_pickups: int = 1, precision: str = "double") -> FDCost:
        """Grid points, memory (bytes), updates (points x steps) and seconds of a ``duration`` s
        render, from the sizes alone (cheap: nothing is allocated)."""
        duration = check_duration(duration)
        what = f"a {duration:g} s string render on {self.N} grid intervals at {self.fs:g} Hz"
        return make_cost(
            what, "string", self.N + 1, 3 * (self.N + 3) * 8, duration, self.sr, self.oversample, n_pickups
        )

    def check_budget(self, duration: float, *, n_pickups: int = 1, precision: str = "double") -> FDCost:
        """:meth:`estimate`, refused over the memory or time budget with what would get under it."""
        return check_cost(
            self.estimate(duration, n_pickups=n_pickups, precision=precision),
            "use a lower --oversample or --sr, a higher --f0 (fewer grid points), or a shorter --duration",
        )

    def coefficients(self) -> tuple[np.ndarray, np.ndarray]:
        """(a, b) of the update u2 = a * u1-stencil + b * u0-stencil (see kernels.fd)."""
        k, h = self.k, self.h
        lam2 = (self.c * k / h) ** 2
        mu2 = (self.kappa * k / h / h) ** 2
        s1 = 2.0 * self.sigma1 * k / (h * h)
        den = 1.0 + self.sigma0 * k
        a = np.array([2 - 2 * lam2 - 6 * mu2 - 2 * s1, lam2 + 4 * mu2 + s1, -mu2, -1.0]) / den
        a[3] = -1.0  # ghost sign: odd mirror = simply supported (NSS sec. 7.1.2)
        b = np.array([-(1 - self.sigma0 * k) + 2 * s1, -s1]) / den
        return a, b

    def partials(self, n: int = N_FIT) -> np.ndarray:
        """Partials of the lossless scheme (Hz), from its dispersion relation."""
        return _discrete_partials(self.c**2, self.kappa**2, self.N, self.k, n)

    def targets(self, n: int = N_FIT) -> np.ndarray:
        p = np.arange(1, n + 1)
        return p * self.f0 * np.sqrt(1.0 + self.B * p * p)


def _s(N, p):
    return 4.0 * N * N * np.sin(p * np.pi / (2.0 * N)) ** 2


def _discrete_partials(c2, k2, N, k, n):
    s = _s(N, np.arange(1, n + 1))
    x = 0.5 * k * np.sqrt(c2 * s + k2 * s * s)
    return np.arcsin(np.minimum(x, 1.0)) / (np.pi * k)


def _fit(f0, B, N, k, n_fit):
    """Least-squares c^2, kappa^2 (relative error in omega^2) for the discrete partials."""
    p = np.arange(1, n_fit + 1)
    f = p * f0 * np.sqrt(1.0 + B * p * p)
    omega2 = (4.0 / k**2) * np.sin(np.pi * f * k) ** 2
    s = _s(N, p)
    A = np.stack([s, s * s], axis=1) / omega2[:, None]
    (c2, k2), *_ = np.linalg.lstsq(A, np.ones_like(omega2), rcond=None)
    if B == 0.0 or k2 < 0.0:
        c2 = float(np.sum(s / omega2) / np.sum((s / omega2) ** 2))
        k2 = 0.0
    return float(c2), float(k2)


def stiff_string(
    f0: float,
    *,
    inharmonicity: float = 0.0,
    t60: float = 4.0,
    t60_high: float | None = None,
    f_high: float | None = None,
    sr: int = 48000,
    oversample: int | None = None,
    n_intervals: int | None = None,
) -> StringScheme:
    """Design a stable stiff-string scheme whose partials are n f0 sqrt(1 + B n^2).

    Parameters
    ----------
    f0 : float, Hz
        Fundamental.
    inharmonicity : float
        B >= 0 (a piano's A3 string has about 2.15e-4).
    t60 : float, s
        Decay time at f0 (``inf`` for no loss).
    t60_high : float, s, optional
        Decay time at ``f_high`` (default: the same as ``t60``).
    f_high : float, Hz, optional
        Frequency of ``t60_high`` (default min(8 f0, 0.4 sr)).
    sr : int, Hz
        Audio rate.
    oversample : int, optional
        The scheme runs at sr x oversample and is decimated. Default: the smallest of
        1, 2, 3, 4, 6, 8 whose scheme puts the first 8 partials within ``FIT_TOL`` of their
        targets (a very stiff string needs more grid points than the stability limit at
        the audio rate allows, NSS sec. 7.1.3).
    n_intervals : int, optional
        Grid intervals N (h = 1/N); default: as many as the stability limit allows, which
        minimises numerical dispersion. A request finer than the limit raises
        :class:`~physsynth.errors.StabilityError`.

    Returns
    -------
    StringScheme
    """
    sr = validate.sample_rate(sr)
    f0 = validate.finite(f0, "f0", "Hz", lo=MIN_F0)
    B = validate.finite(inharmonicity, "the inharmonicity B", lo=0.0, hi=MAX_B)
    t60 = t60_value(t60, "T60")
    t60_high = t60 if t60_high is None else t60_value(t60_high, "the high-frequency T60")
    f_high = min(8 * f0, 0.4 * sr) if f_high is None else validate.positive(f_high, "the high-T60 frequency", "Hz")
    if f_high <= f0:
        raise PhyssynthError(f"the high-T60 frequency {f_high:g} Hz must lie above f0 = {f0:g} Hz")
    if oversample is not None:
        oversample = validate.integer(oversample, "oversample", lo=1, hi=MAX_OVERSAMPLE)
    if n_intervals is not None:
        n_intervals = validate.integer(n_intervals, "n_intervals", lo=4, hi=MAX_GRID_POINTS)
    choices = (1, 2, 3, 4, 6, 8) if oversample is None else (oversample,)
    for os_ in choices:
        sch, err = _design(f0, B, t60, t60_high, f_high, sr, os_, n_intervals)
        if err <= FIT_TOL:
            break
    log.info(
        "stiff string: N = %d at %g Hz, c = %.5g, kappa = %.4g, sigma0 = %.4g, sigma1 = %.4g; "
        "scheme partials within %.3g %% of the targets",
        sch.N,
        sch.fs,
        sch.c,
        sch.kappa,
        sch.sigma0,
        sch.sigma1,
        100 * err,
    )
    return sch


def _design(f0, B, t60, t60_high, f_high, sr, oversample, n_intervals):
    fs = scheme_rate(sr, oversample)
    k = 1.0 / fs
    if f0 * math.sqrt(1 + B) >= 0.45 * fs:
        raise PhyssynthError(f"f0 = {f0:g} Hz is too high for a scheme rate of {fs:g} Hz; raise --sr or oversample")
    n_fit = N_FIT
    while n_fit > 1 and n_fit * f0 * math.sqrt(1 + B * n_fit**2) >= 0.45 * fs:
        n_fit -= 1

    def design(N):
        c2, k2 = _fit(f0, B, N, k, n_fit)
        c, kap = math.sqrt(c2), math.sqrt(k2)
        s0, s1 = sigmas_from_t60(c, kap, f0, t60, f_high, t60_high)
        return c, kap, s0, s1

    # Start from the continuous parameters (L = 1: c = 2 f0, kappa = sqrt(B) c / pi).
    c_cont = 2.0 * f0
    kap_cont = math.sqrt(B) * c_cont / math.pi
    s0, s1 = sigmas_from_t60(c_cont, kap_cont, f0, t60, f_high, t60_high)
    if n_intervals is not None:
        N = int(n_intervals)
        if N < 4:
            raise PhyssynthError(f"the string needs at least 4 grid intervals, got {N}")
        c, kap, s0, s1 = design(N)
        h_min = string_h_min(c, kap, s1, k)
        if 1.0 / N < h_min:
            raise _string_unstable(1.0 / N, h_min, c, kap, s1, oversample)
    else:
        N = int(math.floor(1.0 / string_h_min(c_cont, kap_cont, s1, k)))
        while True:
            if N < 4:
                raise PhyssynthError(
                    f"f0 = {f0:g} Hz with B = {B:g} leaves fewer than 4 grid "
                    f"intervals at {fs:g} Hz; raise the scheme rate (--sr or oversample)"
                )
            c, kap, s0, s1 = design(N)
            if 1.0 / N >= string_h_min(c, kap, s1, k):
                break
            N -= 1
    sch = StringScheme(f0, B, c, kap, s0, s1, fs, int(sr), int(oversample), N)
    err = float(np.max(np.abs(sch.partials(n_fit) / sch.targets(n_fit) - 1.0)))
    return sch, err


def _string_unstable(h, h_min, c, kappa, sigma1, oversample):
    # the smallest scheme rate at which h is stable: solve h_min(k) = h for k (monotone in k)
    lo, hi = 1e-9, 1.0
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if string_h_min(c, kappa, sigma1, mid) <= h:
            lo = mid
        else:
            hi = mid
    return stability_message("stiff string", h, h_min, 1.0 / lo, oversample, unit="of the length")


def pluck_shape(N: int, position: float, width: float) -> np.ndarray:
    """Raised-cosine displacement (peak 1) on grid points 0..N, centred at ``position`` with
    total width ``width`` (both fractions of the length); zero at the supported ends."""
    check_inside("pluck position", position, 1.0, unit="(fraction of the length)")
    if not 0 < width <= 1:
        raise PhyssynthError(f"pluck width must be in (0, 1] of the length, got {width}")
    x = np.arange(N + 1) / N
    d = np.abs(x - position)
    u = np.where(d < width / 2, 0.5 * (1 + np.cos(2 * np.pi * d / width)), 0.0)
    u[0] = u[-1] = 0.0
    return u


def initial_state(sch: StringScheme, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Padded state arrays (u0, u1, scratch) at rest in the displacement ``u`` (N + 1 points)."""
    a = np.zeros(sch.N + 3)
    a[1:-1] = u
    a[0] = -a[2]
    a[-1] = -a[-3]
    return a.copy(), a.copy(), np.zeros_like(a)


def run_string(
    sch: StringScheme,
    u0: np.ndarray,
    u1: np.ndarray,
    u2: np.ndarray,
    n_steps: int,
    *,
    pickups=(0.8,),
    velocity: bool = True,
    force=None,
    force_at: float = 0.5,
):
    """Advance ``n_steps`` at the scheme rate; returns (out (n_pk, n_steps), (prev, cur, spare))."""
    a, b = sch.coefficients()
    pk_idx = np.zeros((len(pickups), 2), dtype=np.int64)
    pk_w = np.zeros((len(pickups), 2))
    for i, x in enumerate(pickups):
        check_inside("pickup position", x, 1.0, unit="(fraction of the length)")
        pk_idx[i], pk_w[i] = linear_weights_1d(x, sch.h, sch.N, 1)
    if force is None:
        force = np.zeros(0)
        src_idx, src_w = np.zeros(0, dtype=np.int64), np.zeros(0)
    else:
        # J f / (rho A): with L = 1 and unit mass per length the force is in those units
        src_idx, src_w = linear_weights_1d(force_at, sch.h, sch.N, 1)
        src_w = src_w * sch.k**2 / sch.h / (1 + sch.sigma0 * sch.k)
    out = np.zeros((len(pickups), int(n_steps)))
    r = string_steps(
        u0,
        u1,
        u2,
        a,
        b,
        src_idx,
        src_w,
        np.ascontiguousarray(force, dtype=np.float64),
        pk_idx,
        pk_w,
        velocity,
        sch.fs,
        out,
    )
    arrs = (u0, u1, u2)
    return out, (arrs[r], arrs[(r + 1) % 3], arrs[(r + 2) % 3])


def render_string(
    sch: StringScheme,
    *,
    duration: float,
    pluck: float = 0.137,
    width: float = 0.1,
    pickup: float = 0.83,
    quantity: str = "velocity",
) -> np.ndarray:
    """Pluck the string and record one pickup.

    Parameters
    ----------
    sch : StringScheme
    duration : float, s
    pluck : float
        Pluck position, fraction of the length (0, 1).
    width : float
        Width of the raised-cosine pluck, fraction of the length.
    pickup : float
        Pickup position, fraction of the length (linear interpolation).
    quantity : {"velocity", "displacement"}

    Returns
    -------
    ndarray, shape (round(duration sr),)
        Samples at the audio rate (lengths/s or lengths; normalise before writing).
    """
    duration = check_duration(duration)
    velocity = check_quantity(quantity)
    pluck = check_inside("pluck position", pluck, 1.0, unit="(fraction of the length)")
    pickup = check_inside("pickup position", pickup, 1.0, unit="(fraction of the length)")
    width = validate.positive(width, "pluck width", "(fraction of the length)", hi=1.0)
    sch.check_budget(duration)
    u = pluck_shape(sch.N, pluck, max(width, 2.0 / sch.N))
    u0, u1, u2 = initial_state(sch, u)
    n = int(round(duration * sch.sr)) * sch.oversample
    out, _ = run_string(sch, u0, u1, u2, n, pickups=(pickup,), velocity=velocity)
    return to_audio_rate(out, sch.oversample)[0]


def string_energy(sch: StringScheme, u_prev: np.ndarray, u_cur: np.ndarray) -> float:
    """Numerical energy at step n - 1/2 (per unit linear mass, L = 1), NSS sec. 7.1.4 and 7.3.

    H = 1/2 ||d_t- u||^2 + c^2/2 <d_x+ u, e_t- d_x+ u> + kappa^2/2 <d_xx u, e_t- d_xx u>
        - sigma1 k / 2 ||d_t- d_x+ u||^2

    The last term comes from writing the sigma1 loss in backward difference; with it,
    H^{n+1/2} - H^{n-1/2} = -2 k (sigma0 ||d_t. u||^2 + sigma1 ||d_t. d_x+ u||^2) <= 0.

    Parameters
    ----------
    u_prev, u_cur : ndarray, shape (N + 3,)
        Padded states at steps n-1 and n.
    """
    k, h, N = sch.k, sch.h, sch.N
    g0 = u_prev[1 : N + 2]
    g1 = u_cur[1 : N + 2]
    kin = 0.5 * h * np.sum(((g1 - g0) / k) ** 2)
    dx0 = np.diff(g0) / h
    dx1 = np.diff(g1) / h
    pot = 0.5 * sch.c**2 * h * np.sum(dx0 * dx1)
    dxx0 = (u_prev[2 : N + 1] * -2 + u_prev[1:N] + u_prev[3 : N + 2]) / h**2
    dxx1 = (u_cur[2 : N + 1] * -2 + u_cur[1:N] + u_cur[3 : N + 2]) / h**2
    stiff = 0.5 * sch.kappa**2 * h * np.sum(dxx0 * dxx1)
    corr = -0.5 * sch.sigma1 * k * h * np.sum(((dx1 - dx0) / k) ** 2)
    return float(kin + pot + stiff + corr)
