"""Rich display in Jupyter: a ModalModel as a summary table, a rendered sound as a player."""

from __future__ import annotations

import base64
import io
import math
import wave
from dataclasses import dataclass

import numpy as np

from physsynth import validate
from physsynth.audio import normalise, write_wav
from physsynth.errors import AudioError
from physsynth.modal.model import MAX_ROWS, model_html
from physsynth.viz.sound import plot_sound

__all__ = ["MAX_ROWS", "Sound", "model_html", "wav_bytes"]


def wav_bytes(samples, sr: int, *, headroom_db: float = 1.0) -> bytes:
    """A 16-bit PCM WAV file in memory, peak-normalised to ``-headroom_db`` dBFS."""

    sr = validate.sample_rate(sr, error=AudioError)
    x = np.atleast_2d(normalise(samples, headroom_db))
    q = np.clip(np.round(x.T * 32768.0), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(x.shape[0])
        w.setsampwidth(2)
        w.setframerate(int(sr))
        w.writeframes(q.tobytes())
    return buf.getvalue()


@dataclass(frozen=True, eq=False)
class Sound:
    """Rendered samples with their sample rate; shows itself as an audio player in Jupyter.

    Attributes
    ----------
    samples : ndarray, shape (n_channels, n)
        Any unit (m/s from :func:`physsynth.render`); the player normalises the peak.
    sr : int, Hz

    Examples
    --------
    >>> import numpy as np
    >>> s = Sound(np.sin(2 * np.pi * 440 * np.arange(4800) / 48000), sr=48000)
    >>> s.channels, round(s.duration, 3)
    (1, 0.1)
    >>> s._repr_html_().startswith("<div")
    True
    """

    samples: np.ndarray
    sr: int

    def __post_init__(self):
        try:
            x = np.atleast_2d(np.asarray(self.samples, dtype=np.float64))
        except (TypeError, ValueError):
            raise AudioError("a Sound needs a real array of samples, shape (n,) or (channels, n)") from None
        if x.ndim != 2 or x.shape[1] == 0:
            raise AudioError("a Sound needs samples of shape (n,) or (channels, n)")
        object.__setattr__(self, "samples", x)
        object.__setattr__(self, "sr", validate.sample_rate(self.sr, error=AudioError))

    @property
    def channels(self) -> int:
        return self.samples.shape[0]

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.shape[1] / self.sr

    def write(self, path, *, fmt: str = "pcm24", headroom_db: float = 1.0) -> str:
        """Write a WAV file (see :func:`physsynth.write_wav`)."""

        return write_wav(path, self.samples, sr=self.sr, fmt=fmt, headroom_db=headroom_db)

    def plot(self, model=None, **kw):
        """Spectrum, spectrogram and (with a model) decay per mode: see
        :func:`physsynth.viz.plot_sound`."""

        return plot_sound(self.samples, sr=self.sr, model=model, **kw)

    def _repr_html_(self) -> str:
        peak = float(np.max(np.abs(self.samples)))
        desc = f"{self.channels} channel{'s' if self.channels > 1 else ''}, {self.duration:.3f} s at {self.sr} Hz"
        if not (math.isfinite(peak) and peak > 0):
            return f"<div><b>Sound</b> {desc}: silent or not finite, nothing to play</div>"
        data = base64.b64encode(wav_bytes(self.samples, self.sr)).decode("ascii")
        return (
            f"<div><b>Sound</b> {desc}, peak {peak:.3g} (played at -1 dBFS)<br>"
            f"<audio controls preload='none' src='data:audio/wav;base64,{data}'></audio></div>"
        )

    def __repr__(self) -> str:
        return f"Sound({self.channels} ch, {self.duration:.3f} s, sr={self.sr})"
