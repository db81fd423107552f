"""Bowed string: a two-segment digital waveguide with a friction junction at the bow.

McIntyre, Schumacher & Woodhouse, JASA 74(5), 1983 (friction law, load line); Smith's
waveguide bowed string (bridge-side and nut-side delay lines meeting at the bow). The loop
through both segments and the bridge reflection is tuned exactly to sr / f0 with the
Jaffe-Smith design of physsynth/models/_design.py (the bridge's one-pole loss filter and the
tuning allpass are counted by their phase delay at f0). Kernel: physsynth/kernels/bowed.py.
Theory: docs/fastpaths-theory.md, "Bowed string".
"""

from __future__ import annotations

import numpy as np

from physsynth import validate
from physsynth.kernels.bowed import bowed_block
from physsynth.models._design import ModelParameterError, design_loop
from physsynth.models.ks import _check_duration, block_size, check_decay

#: Defaults: a violin-like string (Z about 0.55 kg/s for a D string: Cremer, "The physics of the
#: violin", table 3.1 order of magnitude) and rosin-like friction (Smith's / Woodhouse's
#: mu_s = 0.8, mu_d = 0.3).
IMPEDANCE = 0.55
MU_S = 0.8
MU_D = 0.3
V0 = 0.1


#: Bow force range (N) of a sounding note: a violinist's 0.1-2 N with a wide margin each way
#: (below 1 mN the "note" is rounding noise, above 100 N the string would break).
BOW_FORCE = (1e-3, 100.0)
#: Largest bow speed (m/s); players bow at about 0.05-1 m/s.
MAX_BOW_VELOCITY = 10.0
#: Slowest bow speed (m/s) of a sounding note.
MIN_BOW_VELOCITY = 1e-4


def check_bow(force, velocity, *, sounding: bool) -> tuple[float, float]:
    """Bow force (N) and velocity (m/s). ``sounding``: a note must sound (force in
    :data:`BOW_FORCE`, |velocity| in [MIN_BOW_VELOCITY, MAX_BOW_VELOCITY]); otherwise 0 is
    allowed too (lifting the bow off a streaming string)."""
    lo, hi = BOW_FORCE
    f = validate.nonnegative(force, "bow force", "N", hi=hi, error=ModelParameterError)
    v = validate.finite(
        velocity, "bow velocity", "m/s", lo=-MAX_BOW_VELOCITY, hi=MAX_BOW_VELOCITY, error=ModelParameterError
    )
    if sounding or f != 0.0:
        if f < lo:
            raise ModelParameterError(
                f"bow force {f:g} N is below {lo:g} N: the string would not sound; "
                f"use {lo:g}..{hi:g} N (a violin: 0.1-2)"
            )
    if sounding and abs(v) < MIN_BOW_VELOCITY:
        raise ModelParameterError(
            f"bow velocity {v:g} m/s is below {MIN_BOW_VELOCITY:g} m/s: the string would not sound; "
            "use 0.05-1 m/s (either sign)"
        )
    return f, v


class BowedString:
    """A streaming bowed string: :meth:`set_bow` then ``process(n)`` blocks.

    Bow force and velocity start at 0 (silent). A change by :meth:`set_bow` is reached at the
    end of the next block, moving linearly across it, so there is no click; with no change
    the blocks joined are exactly :func:`bow`'s output.

    Parameters
    ----------
    f0 : float, Hz
        Fundamental (the loop round trip is sr / f0 samples, exactly).
    sr : float, Hz
    position : float
        Bow position beta, fraction of the string from the bridge, in (0, 0.5].
    t60, t60_high : float, s
        Decay of the free string at f0 and at ``f_high`` (bridge loss filter).
    f_high : float, Hz, optional
        Default min(max(5000, 4 f0), 0.45 sr).
    impedance : float, kg/s
        Wave impedance Z = sqrt(T rho_lin) of the string.
    mu_s, mu_d : float
        Static and dynamic friction coefficients, mu_s >= mu_d >= 0.
    v0 : float, m/s
        Velocity scale of the friction curve mu(v) = mu_d + (mu_s - mu_d) v0 / (v0 + |v|).
    nut_reflection : float
        Magnitude of the nut's (inverting) reflection, in (0, 1] (1: rigid).

    Examples
    --------
    >>> s = BowedString(196.0, sr=48000, position=0.1)
    >>> s.set_bow(force=0.5, velocity=0.1)
    >>> block = s.process(480)
    >>> block.shape
    (480,)
    """

    def __init__(
        self,
        f0,
        *,
        sr,
        position=0.1,
        t60=1.0,
        t60_high=0.1,
        f_high=None,
        impedance=IMPEDANCE,
        mu_s=MU_S,
        mu_d=MU_D,
        v0=V0,
        nut_reflection=1.0,
    ):
        self.sr = float(validate.sample_rate(sr, error=ModelParameterError))
        beta = validate.finite(position, "bow position", error=ModelParameterError)
        if not (0.0 < beta <= 0.5):
            raise ModelParameterError(
                f"bow position must be in (0, 0.5] (fraction of the string from the bridge), got {position}"
            )
        self.impedance = validate.positive(impedance, "impedance", "kg/s", error=ModelParameterError)
        self.mu_s = validate.finite(mu_s, "mu_s", lo=0.0, hi=10.0, error=ModelParameterError)
        self.mu_d = validate.finite(mu_d, "mu_d", lo=0.0, hi=10.0, error=ModelParameterError)
        self.v0 = validate.positive(v0, "v0", "m/s", error=ModelParameterError)
        if not (0.0 <= self.mu_d <= self.mu_s and self.v0 > 0):
            raise ModelParameterError(
                f"friction needs mu_s >= mu_d >= 0 and v0 > 0 m/s, got mu_s={mu_s}, mu_d={mu_d}, v0={v0}"
            )
        self.nut_reflection = validate.finite(nut_reflection, "nut_reflection", error=ModelParameterError)
        if not 0.0 < self.nut_reflection <= 1.0:
            raise ModelParameterError(f"nut_reflection must be in (0, 1], got {nut_reflection}")
        t60, t60_high = check_decay(f0, t60, t60_high)
        d = design_loop(f0, sr=self.sr, t60=t60, t60_high=t60_high, f_high=f_high)
        if d.n_delay < 4:
            raise ModelParameterError(f"f0 {f0} Hz is too high for sr {sr:g} Hz")
        # the bridge segment's round trip is 2 beta L; whole samples, at least 1 on each side
        nb = min(max(int(round(beta * d.n_delay)), 1), d.n_delay - 1)
        self.design = d
        self.position = nb / d.n_delay  #: the bow position actually used (rounded to a sample)
        self._dn = np.zeros(d.n_delay - nb)
        self._db = np.zeros(nb)
        self._pos = np.zeros(2, np.int64)
        self._st = np.zeros(2)
        self._fv = (0.0, 0.0)
        self._target = (0.0, 0.0)
        self.relative_velocity = np.zeros(0)  #: v_b - v at the bow over the last block, m/s

    def set_bow(self, *, force, velocity):
        """Bow force (N, 0 or in :data:`BOW_FORCE`) and velocity (m/s, either sign, |v| <=
        :data:`MAX_BOW_VELOCITY`), reached at the end of the next block."""
        self._target = check_bow(force, velocity, sounding=False)

    def process(self, n):
        """The next ``n`` samples of the force on the bridge (N), ndarray shape (n,)."""
        n = block_size(n, self.sr)
        out = np.zeros(n)
        self.relative_velocity = np.zeros(n)
        if n == 0:
            return out
        d = self.design
        (F0, V0_), (F1, V1) = self._fv, self._target
        bowed_block(
            self._dn,
            self._db,
            self._pos,
            self._st,
            self.nut_reflection,
            d.eta,
            d.g,
            d.p,
            self.impedance,
            F0,
            F1,
            V0_,
            V1,
            self.mu_s,
            self.mu_d,
            self.v0,
            out,
            self.relative_velocity,
        )
        self._fv = self._target
        return out


def bow(
    f0,
    *,
    sr,
    duration,
    force,
    velocity,
    position=0.1,
    attack=0.02,
    t60=1.0,
    t60_high=0.1,
    f_high=None,
    impedance=IMPEDANCE,
    mu_s=MU_S,
    mu_d=MU_D,
    v0=V0,
    nut_reflection=1.0,
    return_relative=False,
):
    """Render a bowed note: the bow starts from rest and reaches ``force`` and ``velocity``
    linearly over ``attack`` seconds, then holds them.

    Parameters
    ----------
    f0 : float, Hz
    sr : float, Hz
    duration : float, s
    force : float, N
        Bow force (normal to the string); about 0.1-2 N for a violin, within :data:`BOW_FORCE`.
    velocity : float, m/s
        Bow velocity; about 0.05-0.5 m/s, |velocity| in [MIN_BOW_VELOCITY, MAX_BOW_VELOCITY].
    position : float
        Bow position beta, fraction of the string from the bridge, in (0, 0.5].
    attack : float, s
    t60, t60_high, f_high, impedance, mu_s, mu_d, v0, nut_reflection
        See :class:`BowedString`.
    return_relative : bool
        Also return the relative bow-string velocity at the bow.

    Returns
    -------
    y : ndarray, shape (round(duration sr),)
        Transverse force on the bridge, N.
    rel : ndarray, shape (round(duration sr),), m/s
        Only with ``return_relative``: v_b - v at the bow (exactly 0 while sticking).

    Examples
    --------
    >>> y = bow(220.0, sr=44100, duration=0.2, force=0.5, velocity=0.1)
    >>> y.shape
    (8820,)
    """
    n = _check_duration(duration, sr)
    attack = validate.nonnegative(attack, "attack", "s", hi=1e4, error=ModelParameterError)
    check_bow(force, velocity, sounding=True)
    s = BowedString(
        f0,
        sr=sr,
        position=position,
        t60=t60,
        t60_high=t60_high,
        f_high=f_high,
        impedance=impedance,
        mu_s=mu_s,
        mu_d=mu_d,
        v0=v0,
        nut_reflection=nut_reflection,
    )
    s.set_bow(force=force, velocity=velocity)
    na = min(max(int(round(attack * sr)), 1), n)
    y = [s.process(na)]
    rel = [s.relative_velocity]
    if n > na:
        y.append(s.process(n - na))
        rel.append(s.relative_velocity)
    y = np.concatenate(y)
    return (y, np.concatenate(rel)) if return_relative else y
