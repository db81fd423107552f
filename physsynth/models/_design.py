"""Design of a string loop: delay, tuning allpass, loss filter and dispersion allpasses.

A plucked-string loop (Karplus-Strong, or the two rails of a digital waveguide) is

    y[n] = u[n] + A_d(z)^M  A_eta(z)  H(z)  z^-N  y[n]

with N whole samples of delay, H(z) = g (1 - p) / (1 - p z^-1) the loss filter (one pole, from
two T60s), A_eta(z) = (eta + z^-1) / (1 + eta z^-1) the fractional-delay (tuning) allpass and
A_d(z) = (a + z^-1) / (1 + a z^-1) the M identical dispersion sections (stiffness).

Tuning follows Jaffe & Smith (CMJ 7(2), 1983, "Extensions of the Karplus-Strong plucked-string
algorithm"): the loop resonates where its total phase is a whole number of turns, so the *phase
delay* of every element at the fundamental, not its nominal delay, must add up to sr / f1. Each
phase delay is evaluated exactly (closed forms below) and eta is solved exactly for the rest, so
the fundamental is tuned to round-off at every frequency. See docs/fastpaths-theory.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physsynth import validate
from physsynth.errors import PhyssynthError, StabilityError


class ModelParameterError(PhyssynthError):
    """A string-model parameter is out of range (f0, T60s, positions, inharmonicity)."""


#: The fractional part of the loop delay is kept in [D_MIN, D_MIN + granularity): a first-order
#: allpass has a nearly flat phase delay there (Jaffe & Smith keep it near 1 for the same reason).
D_MIN = 0.5
#: Dispersion fit: the first N_PARTIALS partials, at most MAX_SECTIONS identical sections.
N_PARTIALS = 8
MAX_SECTIONS = 16
#: Largest stiffness coefficient B accepted (the design's range; piano strings have about 1e-4
#: to 1e-3 in the middle octaves, more in the treble; tested from 1e-4 to 1e-3).
MAX_INHARMONICITY = 0.01


def allpass_phase_delay(a, w):
    """Phase delay of (a + z^-1) / (1 + a z^-1) at ``w`` rad/sample, in samples (exact)."""
    w = np.asarray(w, dtype=float)
    return (2.0 * np.arctan2(np.sin(w), a + np.cos(w)) - w) / w


def onepole_phase_delay(p, w):
    """Phase delay of b / (1 - p z^-1) at ``w`` rad/sample, in samples (exact)."""
    w = np.asarray(w, dtype=float)
    return np.arctan2(p * np.sin(w), 1.0 - p * np.cos(w)) / w


def allpass_for_delay(d, w):
    """The allpass coefficient whose phase delay at ``w`` rad/sample is exactly ``d`` samples.

    From the phase of (eta + e^-jw) / (1 + eta e^-jw): eta = sin((1-d) w/2) / sin((1+d) w/2).
    """
    return math.sin((1.0 - d) * w / 2.0) / math.sin((1.0 + d) * w / 2.0)


def loss_filter(f1, t60, t60_high, f_high, *, sr, period=None):
    """One-pole loss filter (g, p) from two decay times.

    Parameters
    ----------
    f1 : float, Hz
        Frequency at which the loop decays with ``t60`` (the fundamental).
    t60, t60_high : float, s
        Time to decay by 60 dB at ``f1`` and at ``f_high``; ``t60_high <= t60``.
    f_high : float, Hz
    sr : float, Hz
    period : float, samples, optional
        Round-trip time of the loop (default sr / f1).

    Returns
    -------
    g, p : float
        H(z) = g (1 - p) / (1 - p z^-1); |H| is the gain per round trip.
    """
    P = sr / f1 if period is None else period
    w1 = 2 * math.pi * f1 / sr
    wh = 2 * math.pi * f_high / sr
    # gain per round trip of P samples that gives T60 (s): 10^(-3 P / (sr T60))
    G1 = 10.0 ** (-3.0 * P / (sr * t60))
    Gh = 10.0 ** (-3.0 * P / (sr * t60_high))
    r2 = (Gh / G1) ** 2
    if abs(r2 - 1.0) < 1e-15:
        p = 0.0
    else:
        # |1 - p e^-jw1|^2 = r^2 |1 - p e^-jwh|^2, a quadratic in p; take the root in [0, 1)
        A = r2 - 1.0
        Bq = -2.0 * (r2 * math.cos(wh) - math.cos(w1))
        disc = Bq * Bq - 4 * A * A
        if disc < 0:
            raise ModelParameterError(
                f"no one-pole loss filter gives T60 {t60} s at {f1:.1f} Hz and {t60_high} s at "
                f"{f_high:.1f} Hz; make the two decay times closer"
            )
        roots = [(-Bq - math.sqrt(disc)) / (2 * A), (-Bq + math.sqrt(disc)) / (2 * A)]
        ok = [q for q in roots if 0.0 <= q < 1.0]
        if not ok:
            raise ModelParameterError(
                f"--t60-high {t60_high} s is too short against --t60 {t60} s for a one-pole loss filter; raise it"
            )
        p = ok[0]
    g = G1 * abs(1.0 - p * np.exp(-1j * w1)) / (1.0 - p)
    if not g < 1.0:
        raise StabilityError(
            f"the loop gain at 0 Hz would be {g:.6f} >= 1 (unstable): T60 {t60} s is too long for "
            f"T60 high {t60_high} s; shorten --t60 or lengthen --t60-high"
        )
    return float(g), float(p)


@dataclass(frozen=True)
class LoopDesign:
    """A tuned string loop (see module docstring). Delays in samples, coefficients unitless."""

    sr: float
    f0: float  #: Hz, the ideal-string fundamental of f_n = n f0 sqrt(1 + B n^2)
    f1: float  #: Hz, the first partial, f0 sqrt(1 + B)
    n_delay: int  #: whole samples of delay in the loop
    eta: float  #: tuning allpass coefficient
    g: float  #: loss-filter gain at 0 Hz
    p: float  #: loss-filter pole
    a_disp: float  #: dispersion section coefficient
    n_sections: int  #: number of dispersion sections
    inharmonicity: float

    def phase_delay(self, w):
        """Total loop phase delay at ``w`` rad/sample, samples."""
        w = np.asarray(w, dtype=float)
        tau = self.n_delay + allpass_phase_delay(self.eta, w) + onepole_phase_delay(self.p, w)
        if self.n_sections:
            tau = tau + self.n_sections * allpass_phase_delay(self.a_disp, w)
        return tau

    def partials(self, n_partials=N_PARTIALS):
        """Resonance frequencies of the loop (phase = 2 pi n), Hz, by Newton's method."""
        out = []
        for n in range(1, n_partials + 1):
            w = 2 * math.pi * n * self.f0 * math.sqrt(1 + self.inharmonicity * n * n) / self.sr
            if w >= math.pi:
                break
            for _ in range(30):
                h = 1e-7 * w
                f = w * self.phase_delay(w) - 2 * math.pi * n
                df = ((w + h) * self.phase_delay(w + h) - (w - h) * self.phase_delay(w - h)) / (2 * h)
                step = f / df
                w -= step
                if abs(step) < 1e-15 * w:
                    break
            out.append(w * self.sr / (2 * math.pi))
        return np.array(out)


def _split(D, w1, granularity):
    """Whole delay and tuning allpass for a total delay D at w1."""
    n = math.floor((D - D_MIN) / granularity) * granularity
    d = D - n
    return n, allpass_for_delay(d, w1)


def _dispersion_error(a, M, P1, f0, B, w1, p, sr, granularity):
    """Largest mistuning (cents) of partials 2..8 for M sections of coefficient a."""
    D = P1 - onepole_phase_delay(p, w1) - M * allpass_phase_delay(a, w1)
    if D < D_MIN + 1:
        return np.inf
    n_del, eta = _split(D, w1, granularity)
    n = np.arange(2, N_PARTIALS + 1)
    fn = n * f0 * np.sqrt(1 + B * n * n)
    fn = fn[fn < 0.45 * sr]
    n = n[: fn.size]
    if fn.size == 0:
        return 0.0
    wn = 2 * np.pi * fn / sr
    tau = n_del + allpass_phase_delay(eta, wn) + onepole_phase_delay(p, wn) + M * allpass_phase_delay(a, wn)
    # phase mismatch over the loop's group delay (~ tau) is the frequency error, to first order
    dw = -(wn * tau - 2 * np.pi * n) / tau
    return float(np.max(np.abs(1200 / math.log(2) * dw / wn)))


def design_loop(f0, *, sr, t60, t60_high=None, f_high=None, inharmonicity=0.0, granularity=1):
    """Tune a string loop exactly (Jaffe-Smith) with optional stiffness dispersion.

    Parameters
    ----------
    f0 : float, Hz
        Fundamental of the ideal string; partial n sounds at n f0 sqrt(1 + B n^2) (Fletcher),
        so with B > 0 the first partial is f0 sqrt(1 + B).
    sr : float, Hz
    t60 : float, s
        Decay time of the first partial.
    t60_high : float, s, optional
        Decay time at ``f_high`` (default: ``t60``, no extra damping of high partials).
    f_high : float, Hz, optional
        Default min(max(5000, 4 f1), 0.45 sr).
    inharmonicity : float
        B (0 for an ideal string; a piano's A3 is about 2e-4).
    granularity : {1, 2}
        The whole delay is a multiple of this (2 for a waveguide's two equal rails).

    Returns
    -------
    LoopDesign
    """

    f0 = validate.positive(f0, "f0", "Hz", error=ModelParameterError)
    sr = validate.positive(sr, "sr", "Hz", error=ModelParameterError)
    B = validate.finite(inharmonicity, "inharmonicity B", lo=0.0, hi=MAX_INHARMONICITY, error=ModelParameterError)
    f1 = f0 * math.sqrt(1 + B)
    P1 = sr / f1
    if P1 < 2 * granularity + D_MIN + 1:
        raise ModelParameterError(
            f"f0 {f0} Hz is too high for sr {sr:g} Hz (the loop needs at least "
            f"{2 * granularity + D_MIN + 1:g} samples per period); lower f0 or raise sr"
        )
    t60 = validate.positive(t60, "t60", "s", error=ModelParameterError)
    t60_high = t60 if t60_high is None else validate.positive(t60_high, "t60_high", "s", error=ModelParameterError)
    if t60_high > t60:
        raise ModelParameterError(
            f"t60_high ({t60_high} s) must not exceed t60 ({t60} s): high partials of a string decay faster"
        )
    if f_high is None:
        f_high = min(max(5000.0, 4 * f1), 0.45 * sr)
    f_high = validate.finite(f_high, "f_high", "Hz", error=ModelParameterError)
    if not (f1 < f_high < sr / 2):
        raise ModelParameterError(f"f_high must lie between f1 {f1:.2f} Hz and sr/2, got {f_high}")
    g, p = loss_filter(f1, t60, t60_high, f_high, sr=sr)
    w1 = 2 * math.pi * f1 / sr
    a, M = 0.0, 0
    from scipy.optimize import minimize_scalar

    if B > 0:
        best = (np.inf, 0.0, 0)

        for m in range(1, MAX_SECTIONS + 1):
            # at 0 Hz a section delays (1 - a) / (1 + a); keep the sections within the loop
            d0 = (P1 - D_MIN - 2 * granularity) / m
            a_min = max(-0.999, (1 - d0) / (1 + d0))
            if a_min >= 0:
                break
            r = minimize_scalar(
                _dispersion_error,
                bounds=(a_min, 0.0),
                method="bounded",
                args=(m, P1, f0, B, w1, p, sr, granularity),
                options={"xatol": 1e-7},
            )
            if r.fun < best[0] - 1e-3:
                best = (r.fun, float(r.x), m)
            if best[0] < 0.2:
                break
        _, a, M = best
    D = P1 - onepole_phase_delay(p, w1) - M * allpass_phase_delay(a, w1)
    n_del, eta = _split(D, w1, granularity)
    return LoopDesign(
        sr=sr,
        f0=f0,
        f1=f1,
        n_delay=int(n_del),
        eta=float(eta),
        g=g,
        p=p,
        a_disp=float(a),
        n_sections=int(M),
        inharmonicity=B,
    )
