"""Rich display in Jupyter: a ModalModel as a summary table, a rendered sound as a player."""

from __future__ import annotations

import base64
import html
import io
import math
import wave
from dataclasses import dataclass

import numpy as np

from physsynth.errors import AudioError

#: Rows of the mode table shown before "... and N more".
MAX_ROWS = 24


def _esc(x) -> str:
    return html.escape(str(x))


def model_html(model, *, max_rows: int = MAX_ROWS) -> str:
    """HTML summary of a ModalModel: what it is made of, and a table of its modes
    (frequency, ratio to the first, T60). Used by ``ModalModel._repr_html_``."""
    mesh, mat = model.mesh, model.material
    kind = model.provenance.get("model", "solid" if mesh.dim == 3 else "sheet")
    lo, hi = mesh.bounding_box
    size = " x ".join(f"{1e3 * v:.1f}" for v in (hi - lo)[: mesh.dim])
    if mat.name == "membrane":
        material = f"membrane: tension {mat.E:g} N/m, areal density {mat.rho:g} kg/m<sup>2</sup>"
    else:
        material = f"{_esc(mat.name)}: E {mat.E / 1e9:.4g} GPa, &nu; {mat.nu:.3g}, &rho; {mat.rho:.5g} kg/m<sup>3</sup>"
    damping = ", ".join(f"{_esc(k)}={_esc(v)}" for k, v in mat.damping.to_dict().items())
    extra = []
    if model.provenance.get("thickness_m"):
        extra.append(f"thickness {1e3 * model.provenance['thickness_m']:.4g} mm")
    for key in ("clamp", "support"):
        if model.provenance.get(key):
            extra.append(f"{key}: {_esc(', '.join(map(str, model.provenance[key])))}")
    info = [
        (
            "model",
            f"{_esc(kind)}, {model.n_modes} modes, {model.dofs} DOF, "
            f"{model.rigid_body_modes} rigid-body modes excluded",
        ),
        (
            "mesh",
            f"{_esc(mesh.source) or '(arrays)'}: {mesh.n_nodes} nodes, {mesh.n_cells} cells, "
            f"{size} mm" + (f"; {'; '.join(extra)}" if extra else ""),
        ),
        ("material", material),
        ("damping", damping),
    ]
    head = "".join(
        f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>{v}</td></tr>" for k, v in info
    )
    f = model.frequencies
    rows = []
    for i in range(min(model.n_modes, max_rows)):
        rows.append(
            f"<tr><td>{i + 1}</td><td>{f[i]:.2f}</td><td>{f[i] / f[0]:.4f}</td><td>{model.t60[i]:.3g}</td></tr>"
        )
    if model.n_modes > max_rows:
        rows.append(f"<tr><td colspan='4'>... and {model.n_modes - max_rows} more, up to {f[-1]:.1f} Hz</td></tr>")
    return (
        "<div class='physsynth-model'><b>ModalModel</b>"
        f"<table>{head}</table>"
        "<table><thead><tr><th>mode</th><th>frequency (Hz)</th><th>ratio</th><th>T60 (s)</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def wav_bytes(samples, sr: int, *, headroom_db: float = 1.0) -> bytes:
    """A 16-bit PCM WAV file in memory, peak-normalised to ``-headroom_db`` dBFS."""
    from physsynth.audio import normalise

    x = np.atleast_2d(np.asarray(samples, dtype=np.float64))
    x = normalise(x, headroom_db)
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
        x = np.atleast_2d(np.asarray(self.samples, dtype=np.float64))
        if x.ndim != 2 or x.shape[1] == 0:
            raise AudioError("a Sound needs samples of shape (n,) or (channels, n)")
        if not (float(self.sr).is_integer() and self.sr > 0):
            raise AudioError(f"sample rate must be a positive integer, got {self.sr}")
        object.__setattr__(self, "samples", x)
        object.__setattr__(self, "sr", int(self.sr))

    @property
    def channels(self) -> int:
        return self.samples.shape[0]

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.shape[1] / self.sr

    def write(self, path, *, fmt: str = "pcm24", headroom_db: float = 1.0) -> str:
        """Write a WAV file (see :func:`physsynth.write_wav`)."""
        from physsynth.audio import write_wav

        return write_wav(path, self.samples, sr=self.sr, fmt=fmt, headroom_db=headroom_db)

    def plot(self, model=None, **kw):
        """Spectrum, spectrogram and (with a model) decay per mode: see
        :func:`physsynth.viz.plot_sound`."""
        from physsynth.viz.sound import plot_sound

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
