"""Other excitations: force signals from audio files, noise bursts, plucks released from rest.

- :func:`force_from_wav`: a recording used as a force (N per full scale), resampled to the
  render's rate with a polyphase filter (scipy.signal.resample_poly).
- :func:`noise_burst`: seeded Gaussian noise, band-limited (Butterworth, zero phase) and
  tapered (Tukey window) so that it starts and stops without a click, scaled to an RMS force.
- :func:`force_strike`: any force signal at a surface point as a ``Strike``, for
  ``physsynth.render``.

(A pluck released from rest is a modal state, not a force: ``physsynth.simulate.pluck_state``.)
"""

from __future__ import annotations

import math
import os
from fractions import Fraction

import numpy as np

from physsynth import validate
from physsynth.audio import read_wav
from physsynth.errors import PhyssynthError
from physsynth.excitation.strike import Strike
from physsynth.pickups import snap, surface_index, surface_normal


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

    sr = validate.sample_rate(sr)
    channel = validate.integer(channel, "channel", lo=0)
    gain = validate.finite(gain, "force gain", "N")
    if gain == 0:
        raise PhyssynthError("the force gain must be a non-zero number of newtons, got 0")
    if not isinstance(path, (str, os.PathLike)):  # an int would be read as a file descriptor
        raise PhyssynthError(f"the force file must be a path to a WAV file, got {type(path).__name__}")
    x, file_sr = read_wav(os.fspath(path))
    if not channel < x.shape[0]:
        raise PhyssynthError(f"{path} has {x.shape[0]} channel(s); channel {channel} does not exist")
    y = x[channel]
    if y.size == 0 or not np.any(y):
        raise PhyssynthError(f"{path} is silent: it would apply no force")
    from scipy.signal import resample_poly

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

    sr = validate.sample_rate(sr)
    duration = validate.positive(duration, "noise duration", "s")
    rms = validate.positive(rms, "noise force", "N rms")
    seed = validate.integer(seed, "noise seed", lo=0)
    taper = validate.finite(taper, "noise taper", lo=0.0, hi=1.0)
    validate.check_samples(duration, sr, 1, copies=4)
    n = max(int(round(duration * sr)), 2)
    x = np.random.default_rng(seed).standard_normal(n)
    from scipy.signal import butter, sosfiltfilt

    if band is not None:
        try:
            lo, hi = (validate.finite(b, "noise band edge", "Hz") for b in band)
        except (TypeError, ValueError):
            raise PhyssynthError(f"noise band must be two frequencies (low, high) in Hz, got {band!r}") from None
        if not (0 < lo < hi < sr / 2):
            raise PhyssynthError(
                f"noise band {lo:g}-{hi:g} Hz must satisfy 0 < low < high < {sr / 2:g} Hz (half the sample rate)"
            )
        sos = butter(4, [lo, hi], btype="band", fs=sr, output="sos")
        x = sosfiltfilt(sos, x, padlen=min(3 * 13, n - 1))
    from scipy.signal.windows import tukey

    x *= tukey(n, taper)
    r = math.sqrt(float(np.mean(x**2)))
    if r == 0:
        raise PhyssynthError("the noise burst is too short to carry any force")
    return x * (rms / r)


def force_strike(model, at, signal, *, sr: float, direction=None):
    """A force signal (N at ``sr``) at the surface node nearest ``at`` (m), as a Strike that
    ``physsynth.render`` accepts. Direction: into the surface unless given."""
    sr = validate.sample_rate(sr)
    idx = surface_index(model)
    node, point = snap(model, at, "force point", index=idx)
    d = -surface_normal(idx, node) if direction is None else validate.direction(direction, "force direction")
    try:
        f = np.ascontiguousarray(np.asarray(signal, dtype=float).reshape(-1))
    except (TypeError, ValueError):
        raise PhyssynthError("the force signal must be an array of newtons") from None
    if f.size == 0 or not np.isfinite(f).all():
        raise PhyssynthError("the force signal must be a non-empty array of finite newtons")
    return Strike(node, d, f, float(sr), point)
