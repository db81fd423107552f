"""Other excitations: force signals from audio files, noise bursts, plucks released from rest.

- :func:`force_from_wav`: a recording used as a force (N per full scale), resampled to the
  render's rate with a polyphase filter (scipy.signal.resample_poly).
- :func:`noise_burst`: seeded Gaussian noise, band-limited (Butterworth, zero phase) and
  tapered (Tukey window) so that it starts and stops without a click, scaled to an RMS force.
- :func:`pluck_state`: a point of the object held deflected by a static force F and let go.
  The static deflection solves K u = f; projected on the mass-normalised modes (K phi_k =
  omega_k^2 M phi_k) its modal coordinates are q_k(0) = g_k F / omega_k^2 with zero velocity
  (docs/contact-theory.md, "Plucks"). Only the modes kept contribute, so the local
  deflection under the finger is smoothed, not its far field.
- :func:`force_strike`: any force signal at a surface point as a ``Strike``, for
  ``physsynth.render``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from physsynth.errors import PhyssynthError


def force_from_wav(path, *, sr: float, gain: float = 1.0, channel: int = 0) -> np.ndarray:
    """A WAV file's samples as a force signal.

    Parameters
    ----------
    path : str
    sr : float, Hz
        Rate of the result (the file is resampled if its rate differs).
    gain : float, N
        Force at full scale (a sample of 1.0).
    channel : int
        Channel of a multi-channel file.

    Returns
    -------
    ndarray, shape (n,), N
    """
    from scipy.signal import resample_poly

    from physsynth.audio import read_wav

    x, file_sr = read_wav(path)
    if not 0 <= channel < x.shape[0]:
        raise PhyssynthError(f"{path} has {x.shape[0]} channel(s); channel {channel} does not exist")
    if not (math.isfinite(gain) and gain != 0):
        raise PhyssynthError(f"the force gain must be a non-zero number of newtons, got {gain}")
    y = x[channel]
    if y.size == 0 or not np.any(y):
        raise PhyssynthError(f"{path} is silent: it would apply no force")
    if int(file_sr) != int(round(sr)):
        ratio = Fraction(int(round(sr)), int(file_sr)).limit_denominator(10000)
        y = resample_poly(y, ratio.numerator, ratio.denominator)
    return np.ascontiguousarray(y * gain)


def noise_burst(
    duration: float, *, sr: float, rms: float = 0.1, band=None, seed: int = 0, taper: float = 0.2
) -> np.ndarray:
    """A burst of band-limited noise as a force signal.

    Parameters
    ----------
    duration : float, s
    sr : float, Hz
    rms : float, N
        RMS force over the burst.
    band : (float, float), optional, Hz
        Pass band (4th-order Butterworth, applied forwards and backwards); default: white.
    seed : int
        Seed of numpy's default generator: the same seed gives the same burst.
    taper : float
        Fraction of the burst in the Tukey window's cosine ramps (0: rectangular).

    Returns
    -------
    ndarray, shape (round(duration sr),), N
    """
    from scipy.signal import butter, sosfiltfilt
    from scipy.signal.windows import tukey

    if not (math.isfinite(duration) and duration > 0):
        raise PhyssynthError(f"noise duration must be > 0 s, got {duration}")
    if not (math.isfinite(rms) and rms > 0):
        raise PhyssynthError(f"noise force must be > 0 N rms, got {rms}")
    n = max(int(round(duration * sr)), 2)
    x = np.random.default_rng(int(seed)).standard_normal(n)
    if band is not None:
        lo, hi = (float(b) for b in band)
        if not (0 < lo < hi < sr / 2):
            raise PhyssynthError(
                f"noise band {lo:g}-{hi:g} Hz must satisfy 0 < low < high < {sr / 2:g} Hz (half the sample rate)"
            )
        sos = butter(4, [lo, hi], btype="band", fs=sr, output="sos")
        x = sosfiltfilt(sos, x, padlen=min(3 * 13, n - 1))
    x *= tukey(n, min(max(taper, 0.0), 1.0))
    r = math.sqrt(float(np.mean(x**2)))
    if r == 0:
        raise PhyssynthError("the noise burst is too short to carry any force")
    return x * (rms / r)


def pluck_state(omega, g, force: float):
    """Modal state of a point held by a static force and released.

    Parameters
    ----------
    omega : array_like, shape (n_modes,), rad/s
    g : array_like, shape (n_modes,), 1/sqrt(kg)
        The point's modal weights phi_k . d.
    force : float, N
        The static force holding the point (along d).

    Returns
    -------
    ModalState
        q_k = g_k F / omega_k^2, v = 0.
    """
    from physsynth.excitation.modal_state import ModalState

    omega = np.asarray(omega, dtype=float)
    g = np.asarray(g, dtype=float)
    if not (math.isfinite(force) and force != 0):
        raise PhyssynthError(f"the pluck force must be a non-zero number of newtons, got {force}")
    q = g * force / omega**2
    return ModalState(q, np.zeros_like(q), np.zeros_like(q))


def force_strike(model, at, signal, *, sr: float, direction=None):
    """A force signal (N at ``sr``) at the surface node nearest ``at`` (m), as a Strike that
    ``physsynth.render`` accepts. Direction: into the surface unless given."""
    from physsynth.excitation.strike import Strike, _point

    hit_dir = None if direction is None else _point(direction, "direction")
    point = _point(at, "force point")
    node = model.nearest_surface_node(point)
    if hit_dir is None:
        d = -model.surface_normal(node)
    elif np.linalg.norm(hit_dir) == 0:
        raise PhyssynthError("the force direction must not be the zero vector")
    else:
        d = hit_dir / np.linalg.norm(hit_dir)
    f = np.ascontiguousarray(np.asarray(signal, dtype=float).reshape(-1))
    if f.size == 0 or not np.isfinite(f).all():
        raise PhyssynthError("the force signal must be a non-empty array of finite newtons")
    return Strike(node, d, f, float(sr), point)
