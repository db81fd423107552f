"""Damping laws: the decay rate of each mode from its frequency.

A damping law maps a mode's undamped angular frequency omega (rad/s) to its modal decay rate
sigma (1/s), so that a freely ringing mode decays as exp(-sigma t). The equivalent viscous
damping ratio is zeta = sigma / omega, the loss factor eta = 2 zeta, and the 60 dB decay time
T60 = 3 ln(10) / sigma (see docs/theory.md, "Damping").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physsynth import validate
from physsynth.errors import MaterialError

#: 60 dB of amplitude decay is a factor 1000: exp(-sigma T60) = 1e-3.
LN1000 = 3.0 * math.log(10.0)


def t60_from_decay_rate(sigma):
    """T60 (s) from decay rate sigma (1/s)."""
    return LN1000 / np.asarray(sigma, dtype=float)


def decay_rate_from_t60(t60):
    """Decay rate sigma (1/s) from T60 (s)."""
    return LN1000 / np.asarray(t60, dtype=float)


def _positive(name: str, value, *, allow_zero: bool = False) -> float:
    check = validate.nonnegative if allow_zero else validate.positive
    return check(value, f"damping parameter {name}", error=MaterialError)


class DampingLaw:
    """Base class: subclasses implement :meth:`decay_rate`."""

    def decay_rate(self, omega):
        """Decay rate sigma (1/s) for undamped angular frequencies omega (rad/s)."""
        raise NotImplementedError

    def t60(self, freq_hz):
        """T60 (s) of modes at frequencies freq_hz (Hz)."""
        return t60_from_decay_rate(self.decay_rate(2 * np.pi * np.asarray(freq_hz, float)))

    def to_dict(self) -> dict:
        raise NotImplementedError

    @staticmethod
    def from_dict(d: dict) -> DampingLaw:
        if not isinstance(d, dict):
            raise MaterialError(f"a damping law is a table with a 'kind', got {d!r}")
        kind = d.get("kind")
        args = {k: v for k, v in d.items() if k != "kind"}
        for cls in (Rayleigh, LossFactor, TwoT60):
            if cls.kind == kind:
                try:
                    return cls(**args)
                except TypeError:
                    raise MaterialError(f"damping law {kind!r} does not take the parameters {sorted(args)}") from None
        raise MaterialError(f"unknown damping law {kind!r}; known: rayleigh, loss_factor, two_t60")


@dataclass(frozen=True)
class Rayleigh(DampingLaw):
    """Rayleigh (proportional) damping C = alpha M + beta K.

    Parameters
    ----------
    alpha : float, 1/s
        Mass-proportional coefficient (damps low modes).
    beta : float, s
        Stiffness-proportional coefficient (damps high modes).

    Notes
    -----
    For mode omega: zeta = alpha / (2 omega) + beta omega / 2, so sigma = (alpha + beta omega^2) / 2.
    """

    alpha: float = 0.0
    beta: float = 0.0
    kind = "rayleigh"

    def __post_init__(self):
        _positive("alpha", self.alpha, allow_zero=True)
        _positive("beta", self.beta, allow_zero=True)

    def decay_rate(self, omega):
        omega = np.asarray(omega, dtype=float)
        return 0.5 * (self.alpha + self.beta * omega**2)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "alpha": self.alpha, "beta": self.beta}


@dataclass(frozen=True)
class LossFactor(DampingLaw):
    """Structural loss factor, optionally frequency dependent.

    eta(f) = eta * (f / f_ref) ** exponent; sigma = eta(f) * omega / 2 (light damping).

    Parameters
    ----------
    eta : float
        Loss factor at f_ref (dimensionless; metals 1e-4..1e-3, wood about 1e-2).
    f_ref : float, Hz
        Reference frequency of the power law.
    exponent : float
        Power-law exponent; 0 gives a constant loss factor (T60 proportional to 1/f).
    """

    eta: float = 1e-3
    f_ref: float = 1000.0
    exponent: float = 0.0
    kind = "loss_factor"

    def __post_init__(self):
        _positive("eta", self.eta)
        _positive("f_ref", self.f_ref)
        validate.finite(self.exponent, "loss-factor exponent", error=MaterialError)

    def decay_rate(self, omega):
        omega = np.asarray(omega, dtype=float)
        f = omega / (2 * np.pi)
        eta = self.eta * (np.maximum(f, 1e-300) / self.f_ref) ** self.exponent
        return 0.5 * eta * omega

    def to_dict(self) -> dict:
        return {"kind": self.kind, "eta": self.eta, "f_ref": self.f_ref, "exponent": self.exponent}


@dataclass(frozen=True)
class TwoT60(DampingLaw):
    """Decay times given at two frequencies, sigma(omega) = sigma0 + sigma1 omega^2.

    The frequency-dependent loss of Bilbao, *Numerical Sound Synthesis* (2009), sec. 7.3:
    the decay rate grows with the square of frequency, fitted through (f1, t60_1), (f2, t60_2).

    Parameters
    ----------
    f1, f2 : float, Hz
        Frequencies at which the decay times are given (f1 < f2).
    t60_1, t60_2 : float, s
        60 dB decay times at f1 and f2 (t60_2 <= t60_1).
    """

    f1: float
    t60_1: float
    f2: float
    t60_2: float
    kind = "two_t60"

    def __post_init__(self):
        for name in ("f1", "t60_1", "f2", "t60_2"):
            _positive(name, getattr(self, name))
        if not self.f1 < self.f2:
            raise MaterialError("TwoT60 needs f1 < f2")
        if self.t60_2 > self.t60_1:
            raise MaterialError("TwoT60 needs t60_2 <= t60_1 (higher partials decay faster); swap or equalise them")

    def _coeffs(self):
        w1, w2 = 2 * np.pi * self.f1, 2 * np.pi * self.f2
        s1, s2 = LN1000 / self.t60_1, LN1000 / self.t60_2
        sigma1 = (s2 - s1) / (w2**2 - w1**2)
        sigma0 = s1 - sigma1 * w1**2
        return sigma0, sigma1

    def decay_rate(self, omega):
        sigma0, sigma1 = self._coeffs()
        omega = np.asarray(omega, dtype=float)
        # Below f1 the fit could turn negative; never let a mode gain energy.
        return np.maximum(sigma0 + sigma1 * omega**2, LN1000 / self.t60_1 * 1e-3)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "f1": self.f1, "t60_1": self.t60_1, "f2": self.f2, "t60_2": self.t60_2}
