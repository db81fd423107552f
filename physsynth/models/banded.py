"""Banded waveguides from a ModalModel (Essl & Cook, ICMC 1999; JASA 115(2), 2004).

One band per mode: a delay line of about sr / f_k samples closed through a tuning allpass, a
two-pole bandpass centred on f_k and a gain,

    L_k(z) = g_k  BP_k(z)  A_eta(z)  z^-N_k,    band:  y_k = BP_k(z) (e_k J + g_k A_eta z^-N_k y_k).

The delay line alone would resonate at every multiple of f_k; the bandpass keeps the one at
f_k. Tuning: rather than matching phase delays on the unit circle (as the string loops do), the
loop's pole is placed exactly where the mode's is, z_k = exp(-sigma_k / sr + j w_k): eta_k is
solved (Newton) so that L_k(z_k) is real and positive, and g_k = 1 / L_k(z_k) then makes
1 - L_k(z_k) = 0. So the band rings at f_k and decays at sigma_k by construction, with the
bandpass's own phase and group delay accounted for. The band's impulse response near that pole
is 2 Re(c_k z_k^n) with c_k = -BP_k(z_k) / (z_k L_k'(z_k)); the input gain e_k = phiA_k / (2 |c_k|)
makes the band's amplitude that of the mode's velocity, phiA_k J (mass-normalised shapes).

Kernel: physsynth/kernels/banded.py. Theory: docs/fastpaths-theory.md, "Banded waveguides".
"""

from __future__ import annotations

import cmath
import math

import numpy as np

from physsynth import validate
from physsynth.kernels.banded import banded_block
from physsynth.models._design import ModelParameterError, allpass_for_delay
from physsynth.models.bowed import MU_D, MU_S, V0, check_bow
from physsynth.models.ks import _check_duration, block_size
from physsynth.pickups import ChannelStream, Listener, as_listeners, output_rows, snap

#: The bandpass is Q_BP times narrower than its centre frequency (Essl & Cook use a fixed,
#: fairly wide band: it has to reject only the loop's neighbouring resonances at 0 and 2 f_k),
#: but never narrower than BW_MIN times the mode's own bandwidth, so that the loop's pole, not
#: the bandpass's, is the slow one.
Q_BP = 20.0
BW_MIN = 4.0


def _loop(z, N, eta, c0, a1, a2):
    zi = 1.0 / z
    bp = c0 * (1 - zi * zi) / (1 + a1 * zi + a2 * zi * zi)
    ap = (eta + zi) / (1 + eta * zi)
    return bp * ap * zi**N


def design_band(f, sigma, *, sr):
    """Delay, allpass, bandpass and gain of one band; returns a dict of floats and ints.

    Parameters
    ----------
    f : float, Hz
        Mode frequency, below sr / 4.
    sigma : float, 1/s
        Mode decay rate (amplitude ~ exp(-sigma t)), > 0.
    sr : float, Hz
    """
    if not (0 < f < sr / 4):
        raise ModelParameterError(
            f"mode at {f:.1f} Hz is outside (0, sr/4) for sr {sr:g} Hz; pass fmax below sr / 4 or raise sr"
        )
    if not sigma > 0:
        raise ModelParameterError(
            f"mode at {f:.1f} Hz has decay rate {sigma} 1/s; banded "
            "waveguides need a damped model (see ModalModel.with_damping)"
        )
    w = 2 * math.pi * f / sr
    zk = cmath.exp(complex(-sigma / sr, w))
    s_bp = max(math.pi * f / Q_BP, BW_MIN * sigma)
    R = math.exp(-s_bp / sr)
    # resonator normalised to unit gain, zero phase at its peak: (1-R^2)/2 (1 - z^-2) / (...)
    c0, a1, a2 = (1 - R * R) / 2, -2 * R * math.cos(w), R * R
    # phase delay the bandpass adds at w, then the whole delay and the allpass for the rest
    bpw = c0 * (1 - cmath.exp(-2j * w)) / (1 + a1 * cmath.exp(-1j * w) + a2 * cmath.exp(-2j * w))
    D = (2 * math.pi + cmath.phase(bpw)) / w
    N = int(math.floor(D - 0.5))
    if N < 1:
        raise ModelParameterError(f"mode at {f:.1f} Hz is too high for sr {sr:g} Hz")
    eta = allpass_for_delay(D - N, w)
    # Newton on eta: make L(z_k) real and positive (its phase zero), z_k off the unit circle

    def ph(e):
        return cmath.phase(_loop(zk, N, e, c0, a1, a2))

    for _ in range(50):
        h = 1e-7
        r = ph(eta)
        step = r / ((ph(eta + h) - ph(eta - h)) / (2 * h))
        eta -= step
        if abs(step) < 1e-15:
            break
    L = _loop(zk, N, eta, c0, a1, a2)
    if not (abs(eta) < 1 and abs(cmath.phase(L)) < 1e-9 and L.real > 1.0):
        raise ModelParameterError(f"cannot tune a band to the mode at {f:.1f} Hz (sr {sr:g} Hz)")
    g = 1.0 / L.real
    hz = 1e-7 * abs(zk)
    dL = g * (_loop(zk + hz, N, eta, c0, a1, a2) - _loop(zk - hz, N, eta, c0, a1, a2)) / (2 * hz)
    zi = 1.0 / zk
    bpk = c0 * (1 - zi * zi) / (1 + a1 * zi + a2 * zi * zi)
    c = -bpk / (zk * dL)
    return dict(N=N, eta=eta, c0=c0, a1=a1, a2=a2, g=g, amp=2 * abs(c))


def _node(model, where, name):
    if where is None:
        return None
    if isinstance(where, (int, np.integer)) and not isinstance(where, bool):
        node = int(where)
        if not 0 <= node < model.mesh.n_nodes:
            raise ModelParameterError(f"{name} node {node} is not in the mesh (nodes 0..{model.mesh.n_nodes - 1})")
        return node
    # a point (m): the nearest surface node, refused when the point is far from the object
    return snap(model, where, f"{name} point")[0]


class BandedWaveguide:
    """A banded waveguide, streaming: ``strike``, ``set_bow`` and ``process(n)``.

    Build it with :func:`banded_from_model`. Output: velocity at the pickup along its surface
    normal, m/s, or with listeners the sound pressure at each, Pa (one row each). Bow force
    and velocity changes are reached at the end of the next block, linearly across it.
    Attributes ``frequencies`` (Hz) and ``decay_rates`` (1/s) are the modes the bands are tuned
    to.
    """

    def __init__(self, bands, frequencies, decay_rates, phia, phip, *, sr, stream=None):
        self.sr = float(sr)
        self.frequencies = np.asarray(frequencies, float)
        self.decay_rates = np.asarray(decay_rates, float)
        K = len(bands)
        self.nd = np.array([b["N"] for b in bands], np.int64)
        self.buf = np.zeros((K, int(self.nd.max())))
        self.pos = np.zeros(K, np.int64)
        self.st = np.zeros((K, 3))
        for name in ("eta", "c0", "a1", "a2", "g"):
            setattr(self, "_" + name, np.array([b[name] for b in bands]))
        self.phia = np.ascontiguousarray(phia, dtype=float)
        self.phip = np.ascontiguousarray(phip, dtype=float)  #: pickup weights (n_bands,), or the listeners' rows
        self._rows = np.ascontiguousarray(np.atleast_2d(self.phip))
        self._stream = stream  # ChannelStream of the listeners' rows (physsynth.pickups), or None
        self._e = self.phia / np.array([b["amp"] for b in bands])
        self.admittance = float(np.sum(self.phia * self._c0 * self._e) / self.sr)  #: m/s per N, at the contact
        if not self.admittance > 0:
            raise ModelParameterError(
                "the contact point does not move in any mode (a node of all of them); choose another point"
            )
        self._w = np.zeros(K)
        self._u = np.zeros(0)
        self._upos = 0
        self._fv = self._target = (0.0, 0.0)
        self.friction = (MU_S, MU_D, V0)
        self.relative_velocity = np.zeros(0)

    def strike(self, impulse=1e-3, *, width=None):
        """Add a strike at the contact: ``impulse`` (N s), spread as a raised cosine over
        ``width`` seconds (default: one sample, an ideal impulse)."""
        impulse = validate.finite(impulse, "impulse", "N s", error=ModelParameterError)
        if impulse == 0.0:
            raise ModelParameterError("a strike of impulse 0 N s is silent; give a non-zero impulse")
        if width is not None:
            width = validate.positive(width, "strike width", "s", hi=1.0, error=ModelParameterError)
        m = 1 if width is None else max(int(round(width * self.sr)), 1)
        pulse = np.ones(1) if m == 1 else 1 - np.cos(2 * np.pi * (np.arange(m) + 0.5) / m)
        force = pulse / pulse.sum() * float(impulse) * self.sr  # N per sample, area = impulse
        rest = self._u[self._upos :]
        u = np.zeros(max(rest.size, m))
        u[: rest.size] += rest
        u[:m] += force
        self._u, self._upos = u, 0

    def set_bow(self, *, force, velocity, mu_s=MU_S, mu_d=MU_D, v0=V0):
        """Bow at the contact with ``force`` (N) and ``velocity`` (m/s, along the normal)."""
        target = check_bow(force, velocity, sounding=False)
        mu_s = validate.finite(mu_s, "mu_s", lo=0.0, hi=10.0, error=ModelParameterError)
        mu_d = validate.finite(mu_d, "mu_d", lo=0.0, hi=10.0, error=ModelParameterError)
        v0 = validate.positive(v0, "v0", "m/s", error=ModelParameterError)
        if not mu_d <= mu_s:
            raise ModelParameterError(f"friction needs mu_s >= mu_d >= 0, got mu_s={mu_s}, mu_d={mu_d}")
        self._target = target
        self.friction = (mu_s, mu_d, v0)

    def process(self, n):
        """The next ``n`` samples of pickup velocity (m/s), ndarray shape (n,); with listeners
        the pressure at each (Pa), shape (n_listeners, n)."""
        n = block_size(n, self.sr)
        out = np.zeros((self._rows.shape[0], n))
        self.relative_velocity = np.zeros(n)
        if n == 0:
            return out[0] if self._stream is None else np.zeros((self._stream.n_channels, 0))
        u = np.ascontiguousarray(self._u[self._upos : self._upos + n])
        self._upos += u.size
        (F0, W0), (F1, W1) = self._fv, self._target
        banded_block(
            u,
            self.buf,
            self.nd,
            self.pos,
            self.st,
            self._eta,
            self._c0,
            self._a1,
            self._a2,
            self._g,
            self._e,
            self.phia,
            self._rows,
            self.admittance,
            1.0 / self.sr,
            F0,
            F1,
            W0,
            W1,
            *self.friction,
            self._w,
            out,
            self.relative_velocity,
        )
        self._fv = self._target
        return out[0] if self._stream is None else self._stream(out)


def _listeners(model, listeners) -> list[Listener]:
    """Listener objects from one or a list of Listener, point (m) or "stereo"."""
    out = as_listeners(model, listeners)
    if not out:
        raise ModelParameterError("the list of listeners is empty; give at least one point (m) or 'stereo'")
    return out


def banded_from_model(model, *, sr, at, pickup=None, fmax=None, listeners=None) -> BandedWaveguide:
    """A banded waveguide with one band per mode of ``model``.

    Parameters
    ----------
    model : ModalModel
        Needs decay rates > 0 (a damped model).
    sr : float, Hz
    at : int or array_like, shape (3,)
        Contact (strike or bow) node, or a point (m) whose nearest surface node is used. Force
        acts along the surface normal there.
    pickup : int or array_like, optional
        Pickup node or point (default: ``at``); velocity is taken along its surface normal.
    fmax : float, Hz, optional
        Keep modes below this (default: all below sr / 4).
    listeners : Listener, array_like (m), "stereo" or a list of them, optional
        Hear the sound pressure (Pa) at these points in the air instead of a pickup (the model
        needs radiation data, :func:`physsynth.radiation.radiate`): one output row each. Band
        k's output y_k is a free decay at the band's pole z_k = exp(-sigma_k / sr + j w_k), so
        the listener's complex gain on the mode's velocity (its pressure per unit modal velocity
        H_k at the mode's frequency, and the flight delay) is two real taps on y_k[n] and
        y_k[n-1], exactly as in :func:`physsynth.render` (physsynth.pickups.output_rows).

    Returns
    -------
    BandedWaveguide
    """
    sr = float(validate.sample_rate(sr, error=ModelParameterError))
    fmax = sr / 4 if fmax is None else min(validate.positive(fmax, "fmax", "Hz", error=ModelParameterError), sr / 4)
    freqs_all = np.asarray(model.frequencies, dtype=float)
    sig_all = np.asarray(model.decay_rates, dtype=float)
    if not (np.isfinite(freqs_all).all() and np.isfinite(sig_all).all()):
        raise ModelParameterError("the model's frequencies or decay rates hold NaN or inf; re-run the modal analysis")
    keep = np.flatnonzero(freqs_all < fmax)
    if keep.size == 0:
        raise ModelParameterError(f"the model has no mode below {fmax:g} Hz")
    if at is None:
        raise ModelParameterError("at (the contact node or point, m) is required")
    if listeners is not None and pickup is not None:
        raise ModelParameterError("give a pickup or listeners, not both")
    a = _node(model, at, "at")
    na = model.surface_normal(a)
    phia = model.shapes[keep, a, :] @ na
    freqs = np.asarray(model.frequencies)[keep]
    sig = np.asarray(model.decay_rates)[keep]
    bands = [design_band(f, s, sr=sr) for f, s in zip(freqs, sig)]
    if listeners is None:
        p = a if pickup is None else _node(model, pickup, "pickup")
        phip = model.shapes[keep, p, :] @ model.surface_normal(p)
        return BandedWaveguide(bands, freqs, sig, phia, phip, sr=sr)
    # the band rings at f_k itself (its pole's angle), so the taps are made for a damped
    # frequency of 2 pi f_k: omega_k^2 = (2 pi f_k)^2 + sigma_k^2
    omega = np.sqrt((2 * np.pi * freqs) ** 2 + sig**2)
    rows, pairs, delays = output_rows(
        model, model.shapes[keep], _listeners(model, listeners), omega=omega, sigma=sig, sr=sr, quantity=1
    )
    return BandedWaveguide(bands, freqs, sig, phia, rows, sr=sr, stream=ChannelStream(pairs, delays))


def banded_strike(model, *, sr, duration, at, pickup=None, fmax=None, impulse=1e-3, width=None, listeners=None):
    """Strike ``model`` once at ``at`` and render ``duration`` s with banded waveguides.

    Parameters as :func:`banded_from_model` and :meth:`BandedWaveguide.strike`.

    Returns
    -------
    ndarray, shape (round(duration sr),)
        Velocity at the pickup along its normal, m/s; with ``listeners`` the pressure at each,
        Pa, shape (n_listeners, round(duration sr)).
    """
    n = _check_duration(duration, sr)
    bw = banded_from_model(model, sr=sr, at=at, pickup=pickup, fmax=fmax, listeners=listeners)
    bw.strike(impulse, width=width)
    return bw.process(n)
