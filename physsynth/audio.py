"""Audio output: peak normalisation with headroom and WAV files written atomically."""

from __future__ import annotations

import math
import wave

import numpy as np

from physsynth._io import atomic_path
from physsynth.errors import AudioError, RenderError

#: WAV sample formats: name -> (bytes per sample, is float)
FORMATS = {"pcm16": (2, False), "pcm24": (3, False), "float32": (4, True)}
_ALIASES = {"16": "pcm16", "24": "pcm24", "float": "float32", "f32": "float32", "32f": "float32"}


def normalise(samples: np.ndarray, headroom_db: float = 1.0) -> np.ndarray:
    """Scale so that the largest absolute sample is ``-headroom_db`` dBFS.

    Raises
    ------
    RenderError
        If the signal is silent (all zero) or has non-finite samples.
    """
    x = np.asarray(samples, dtype=np.float64)
    if not np.isfinite(x).all():
        raise RenderError("the signal has NaN or infinite samples; nothing was written")
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak == 0.0 or peak < 1e-300:
        raise RenderError(
            "the rendered signal is silent (the excitation or pickup may sit on a "
            "nodal line, or no mode is below the Nyquist frequency)"
        )
    if headroom_db < 0:
        raise AudioError("headroom must be >= 0 dB")
    return x * (10 ** (-headroom_db / 20) / peak)


def fade_out(samples: np.ndarray, sr: float, seconds: float = 0.05) -> np.ndarray:
    """A copy with a half-cosine fade over the last ``seconds`` (s), so that a render cut
    before the sound has died away ends without a click."""
    x = np.array(samples, dtype=np.float64, copy=True)
    n = min(int(round(seconds * sr)), x.shape[-1])
    if n > 1:
        x[..., -n:] *= 0.5 * (1 + np.cos(np.linspace(0, np.pi, n)))
    return x


def _format(fmt: str) -> str:
    key = _ALIASES.get(str(fmt).lower(), str(fmt).lower())
    if key not in FORMATS:
        raise AudioError(f"unknown WAV format {fmt!r}; use pcm16, pcm24 or float32")
    return key


def write_wav(path, samples: np.ndarray, *, sr: int, fmt: str = "pcm24", headroom_db: float | None = 1.0) -> str:
    """Write samples to a WAV file, atomically.

    Parameters
    ----------
    path : str
    samples : ndarray, shape (n,) or (n_channels, n)
    sr : int, Hz
    fmt : {"pcm16", "pcm24", "float32"}
    headroom_db : float or None
        Peak-normalise to this many dB below full scale; None writes the samples as they are
        (they must then lie within [-1, 1]).

    Returns
    -------
    str
        The path written.
    """
    fmt = _format(fmt)
    x = np.atleast_2d(np.asarray(samples, dtype=np.float64))
    if x.ndim != 2:
        raise AudioError("samples must be 1D or (channels, samples)")
    if not (isinstance(sr, (int, np.integer)) or float(sr).is_integer()) or sr <= 0:
        raise AudioError(f"sample rate must be a positive integer, got {sr}")
    sr = int(sr)
    if headroom_db is not None:
        x = normalise(x, headroom_db)
    elif not np.isfinite(x).all():
        raise RenderError("the signal has NaN or infinite samples; nothing was written")
    if np.max(np.abs(x)) > 1.0:
        raise AudioError("samples exceed full scale; normalise them (headroom_db) first")
    nbytes, is_float = FORMATS[fmt]
    inter = np.ascontiguousarray(x.T)  # (n, channels)
    with atomic_path(path, AudioError, suffix=".wav") as tmp:
        if is_float:
            from scipy.io import wavfile

            wavfile.write(tmp, sr, inter.astype(np.float32))
        else:
            # Scale by 2^(N-1) (the reader's convention) and keep +1.0 representable.
            full = 2 ** (8 * nbytes - 1)
            q = np.clip(np.round(inter * full), -full, full - 1).astype(np.int32)
            if nbytes == 2:
                data = q.astype("<i2").tobytes()
            else:
                b = q.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3]
                data = np.ascontiguousarray(b).tobytes()
            with wave.open(tmp, "wb") as w:
                w.setnchannels(inter.shape[1])
                w.setsampwidth(nbytes)
                w.setframerate(sr)
                w.writeframes(data)
    return str(path)


def read_wav(path) -> tuple[np.ndarray, int]:
    """Read a WAV file as float64 in [-1, 1], shape (n_channels, n). Returns (samples, sr)."""
    from scipy.io import wavfile

    try:
        sr, data = wavfile.read(path)
    except (OSError, ValueError) as exc:
        raise AudioError(f"cannot read {path}: {exc}") from None
    if data.dtype.kind == "f":
        x = data.astype(np.float64)
    else:
        # scipy returns 24-bit PCM left-justified in int32, so the int32 scale fits it too
        x = data.astype(np.float64) / float(2 ** (8 * data.dtype.itemsize - 1))
    return np.atleast_2d(x.T) if x.ndim == 2 else x[None, :], int(sr)


def db(x) -> float:
    """Amplitude ratio in decibels."""
    return 20 * math.log10(x)


def spectral_centroid(samples, sr: float) -> float:
    """Power-weighted mean frequency (Hz) of a signal, Hann-windowed to avoid the leakage
    of its abrupt ends (which would otherwise spread energy over the whole band)."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    p = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    f = np.fft.rfftfreq(len(x), 1.0 / sr)
    return float((p * f).sum() / p.sum())
