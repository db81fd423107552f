"""Audio output: peak normalisation with headroom and WAV files written atomically."""

from __future__ import annotations

import math
import os
import wave

import numpy as np
from scipy.io import wavfile

from physsynth import validate
from physsynth._io import atomic_path
from physsynth.errors import AudioError, RenderError

#: WAV sample formats: name -> (bytes per sample, is float)
FORMATS = {"pcm16": (2, False), "pcm24": (3, False), "float32": (4, True)}
_ALIASES = {"16": "pcm16", "24": "pcm24", "float": "float32", "f32": "float32", "32f": "float32"}

#: Headroom range (dB below full scale): beyond 60 dB a 16-bit file keeps under 6 bits of its
#: signal, so a larger value is a mistake rather than a level.
MAX_HEADROOM_DB = 60.0
#: Most channels a WAV written here may have (a (samples, channels) array passed the wrong way
#: round would otherwise become thousands of channels).
MAX_CHANNELS = 64
#: A RIFF WAV file's size field is 32 bits.
MAX_WAV_BYTES = 2**32 - 1 - 44


def headroom(headroom_db, name: str = "headroom") -> float:
    """A headroom in [0, MAX_HEADROOM_DB] dB."""
    return validate.finite(headroom_db, name, "dB", lo=0.0, hi=MAX_HEADROOM_DB, error=AudioError)


def _as_signal(samples) -> np.ndarray:
    """Samples as float64 (channels, n), refusing what no audio file can hold."""
    try:
        x = np.asarray(samples)
        if x.dtype == object or np.iscomplexobj(x) or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
            raise ValueError
        x = np.atleast_2d(x.astype(np.float64, copy=False))
    except (TypeError, ValueError):
        raise AudioError("samples must be a real array of shape (n,) or (channels, n) (rows of equal length)") from None
    if x.ndim != 2:
        raise AudioError(f"samples must be 1D or (channels, samples), got shape {np.shape(samples)}")
    if x.shape[1] == 0:
        raise RenderError("the signal has no samples; nothing was written (render a positive duration)")
    if x.shape[0] > MAX_CHANNELS:
        raise AudioError(
            f"samples have {x.shape[0]} channels (shape {x.shape}), more than {MAX_CHANNELS}; "
            "pass shape (channels, samples): transpose a (samples, channels) array"
        )
    if not np.isfinite(x).all():
        raise RenderError("the signal has NaN or infinite samples; nothing was written")
    return x


def normalise(samples: np.ndarray, headroom_db: float = 1.0) -> np.ndarray:
    """Scale so that the largest absolute sample is ``-headroom_db`` dBFS.

    Parameters
    ----------
    samples : ndarray, shape (n,) or (channels, n)
    headroom_db : float, dB
        In [0, ``MAX_HEADROOM_DB``].

    Raises
    ------
    RenderError
        If the signal is empty, silent (all zero) or has non-finite samples.
    AudioError
        If the headroom is not a finite number of dB in range.
    """
    headroom_db = headroom(headroom_db)
    x = _as_signal(samples).reshape(np.shape(samples))  # the caller's shape, (n,) or (channels, n)
    peak = float(np.max(np.abs(x)))
    if peak == 0.0 or peak < 1e-300:
        raise RenderError(
            "the rendered signal is silent (the excitation or pickup may sit on a "
            "nodal line, or no mode is below the Nyquist frequency)"
        )
    return x * (10 ** (-headroom_db / 20) / peak)


def fade_out(samples: np.ndarray, *, sr: int, seconds: float = 0.05) -> np.ndarray:
    """A copy with a half-cosine fade over the last ``seconds``, so that a render cut before
    the sound has died away ends without a click.

    Parameters
    ----------
    samples : array_like, shape (n,) or (n_channels, n)
    sr : int, Hz
        Sample rate (:func:`physsynth.validate.sample_rate`: an audio rate).
    seconds : float, s
        Length of the fade (>= 0; a fade longer than the sound covers all of it).

    Returns
    -------
    ndarray, same shape as ``samples``
    """
    sr = validate.sample_rate(sr, error=AudioError)
    seconds = validate.nonnegative(seconds, "fade length", "s", error=AudioError)
    x = np.array(samples, dtype=np.float64, copy=True)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise AudioError(f"samples must have shape (n,) or (n_channels, n), got shape {x.shape}")
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
    sr = validate.sample_rate(sr, error=AudioError)
    if headroom_db is not None:
        headroom_db = headroom(headroom_db)
    x = _as_signal(samples)
    nbytes, is_float = FORMATS[fmt]
    size = x.size * nbytes
    if size > MAX_WAV_BYTES:
        raise AudioError(
            f"{x.shape[1]} samples x {x.shape[0]} channel(s) in {fmt} make {size / 2**30:.3g} GiB, more than a "
            "WAV file holds (4 GiB); shorten the render or write pcm16"
        )
    if headroom_db is not None:
        x = normalise(x, headroom_db)
    peak = float(np.max(np.abs(x)))
    if peak > 1.0:
        raise AudioError("samples exceed full scale; normalise them (headroom_db) first")
    # Silence is never written: a zero signal, or one below the format's last bit.
    if peak == 0.0 or (not is_float and peak < 0.5 / 2 ** (8 * nbytes - 1)):
        raise RenderError(
            f"the signal is silent in {fmt} (peak {peak:.3g} of full scale); nothing was written: "
            "normalise it (headroom_db) or check the excitation"
        )
    inter = np.ascontiguousarray(x.T)  # (n, channels)
    with atomic_path(path, AudioError, suffix=".wav") as tmp:
        if is_float:
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
    """Read a WAV file as float64 in [-1, 1], shape (n_channels, n). Returns (samples, sr).

    Integer PCM is scaled by 2^(bits-1), so full scale maps to [-1, 1); 8-bit PCM is unsigned
    with 128 as zero (the WAV convention), the wider formats are signed."""

    try:
        path = os.fspath(path)  # never an int: scipy would read (and close) that file descriptor
    except TypeError:
        raise AudioError(f"the WAV path must be a file name, got {path!r}") from None
    try:
        sr, data = wavfile.read(path)
    except FileNotFoundError:
        raise AudioError(f"cannot read {path}: no such file") from None
    except Exception as exc:  # scipy raises ValueError, struct.error, EOFError... for a bad file
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AudioError(f"cannot read {path}: {msg}; is it a WAV file?") from None
    if data.dtype.kind == "f":
        x = data.astype(np.float64)
    elif data.dtype == np.uint8:
        x = (data.astype(np.float64) - 128.0) / 128.0
    else:
        # scipy returns 24-bit PCM left-justified in int32, so the int32 scale fits it too
        x = data.astype(np.float64) / float(2 ** (8 * data.dtype.itemsize - 1))
    return np.atleast_2d(x.T) if x.ndim == 2 else x[None, :], int(sr)


def db(x) -> float:
    """Amplitude ratio in decibels."""
    return 20 * math.log10(x)
