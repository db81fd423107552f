"""Animations: one mode oscillating, or the response to a strike, written to GIF or MP4.

The response of a struck object is the modal superposition u(x, t) = sum_k q_k(t) phi_k(x),
with the modal coordinates q_k computed by the same exact resonators as
:func:`physsynth.render` (docs/theory.md, "Resonators"), so what is seen is what is heard.
"""

from __future__ import annotations

import math
import os

import numpy as np

from physsynth import validate
from physsynth._io import atomic_path
from physsynth._progress import log
from physsynth.errors import PhyssynthError, RenderError
from physsynth.kernels.resonators import resonator_bank
from physsynth.simulate.modal import QUANTITIES, resonator_coefficients
from physsynth.viz._mpl import MAX_FPS, PlotError, check_figure, check_frames, new_figure, output_path
from physsynth.viz.modes import SurfaceArtist, _view, deformation_scale, mode_indices, mode_labels

#: Animation file types: extension -> matplotlib writer name.
ANIMATION_FORMATS = {"gif": "pillow", "mp4": "ffmpeg"}


def modal_response(model, excitation, *, duration: float, quantity: str = "displacement", fmax: float | None = None):
    """Modal coordinates of a model driven by an excitation (a :class:`~physsynth.Strike`).

    Parameters
    ----------
    model : ModalModel
    excitation : Strike
        Force samples at a node; its ``sr`` is the sample rate of the result.
    duration : float, s
    quantity : {"displacement", "velocity", "acceleration"}
    fmax : float, optional, Hz
        Leave out modes at or above this frequency (default 0.49 sr).

    Returns
    -------
    q : ndarray, shape (n_kept, n_samples)
        Modal coordinates (m sqrt(kg) for displacement, as the shapes are mass-normalised):
        the field at time t_n = n / sr is ``sum_k q[k, n] * model.shapes[keep[k]]``.
    keep : ndarray of int, shape (n_kept,)
        Indices of the modes included.
    """

    if not isinstance(quantity, str) or quantity not in QUANTITIES:
        raise PhyssynthError(f"unknown quantity {quantity!r}; use one of {', '.join(QUANTITIES)}")
    sr = float(validate.sample_rate(excitation.sr, "the excitation's sample rate"))
    duration = validate.positive(duration, "duration", "s")
    if fmax is not None:
        fmax = validate.positive(fmax, "fmax", "Hz")
    limit = 0.49 * sr if fmax is None else min(fmax, 0.49 * sr)
    keep = np.flatnonzero(model.frequencies < limit)
    if keep.size == 0:
        raise RenderError(f"no mode below {limit:.4g} Hz to animate")
    n = validate.check_samples(duration, sr, copies=1)
    # the modal coordinates (one row per mode) and the identity read-out
    validate.check_memory(
        8.0 * keep.size * (n + keep.size),
        f"{keep.size} modes x {n} samples of modal response",
        "shorten the duration or lower fmax",
    )
    a1, a2, b0, b1, b2 = resonator_coefficients(model.omegas[keep], model.decay_rates[keep], sr=sr, quantity=quantity)
    g = model.shapes[keep][:, excitation.node, :] @ excitation.direction
    # One output per mode (w = identity) gives the modal coordinates themselves.
    w = np.eye(keep.size)
    q = np.empty((keep.size, n))
    c = [np.ascontiguousarray(x, dtype=np.float64) for x in (a1, a2, b0 * g, b1 * g, b2 * g)]
    resonator_bank(
        *c, w, np.ascontiguousarray(excitation.force, dtype=np.float64), np.zeros(keep.size), np.zeros(keep.size), q
    )
    return q, keep


def check_animation_path(path) -> str:
    """The writer for an animation output path, or :class:`PlotError` (unknown extension, or
    .mp4 without ffmpeg) before anything is computed."""
    ext = os.path.splitext(output_path(path))[1].lower().lstrip(".")
    if ext not in ANIMATION_FORMATS:
        got = f"'.{ext}'" if ext else "no extension"
        raise PlotError(
            f"cannot tell the animation format of {os.fspath(path)} ({got}); use .gif (or .mp4 with ffmpeg installed)"
        )
    if ext == "mp4":
        from matplotlib.animation import FFMpegWriter

        if not FFMpegWriter.isAvailable():
            raise PlotError("writing .mp4 needs ffmpeg on the PATH (apt-get install ffmpeg); or write a .gif")
    return ext


def _writer(ext, fps):
    from matplotlib.animation import FFMpegWriter, PillowWriter

    if ext == "gif":
        return PillowWriter(fps=fps)
    # yuv420p: the pixel format every player decodes
    return FFMpegWriter(fps=fps, codec="libx264", extra_args=["-pix_fmt", "yuv420p"])


def _write_frames(fig, path, ext, fps, dpi, n_frames, draw):
    """Draw ``n_frames`` frames with ``draw(i)`` and write them atomically to ``path``,
    reporting progress through the physsynth logger (stderr in the CLI)."""

    writer = _writer(ext, fps)
    step = max(1, n_frames // 10)
    with atomic_path(path, PlotError, suffix="." + ext) as tmp:
        with writer.saving(fig, tmp, dpi):
            for i in range(n_frames):
                draw(i)
                writer.grab_frame()
                if (i + 1) % step == 0 or i + 1 == n_frames:
                    log.info("animation: frame %d/%d", i + 1, n_frames)
    return os.fspath(path)


def _check_look(fps, exaggeration):
    fps = validate.positive(fps, "fps", "frames per second", hi=MAX_FPS, error=PlotError)
    exaggeration = validate.nonnegative(exaggeration, "exaggeration", hi=10.0, error=PlotError)
    return fps, exaggeration


def _check_video(ext, n_frames, size, dpi):
    """Frame size and, for a GIF (Pillow keeps every frame until the file is written), all
    the frames against the memory budget, before anything is computed."""
    if isinstance(size, str) or not hasattr(size, "__len__") or len(size) != 2:
        raise PlotError(f"size must be (width, height) in inches, got {size!r}")
    w, h, d = check_figure(size[0], size[1], dpi)
    if ext == "gif":
        px = (w * d) * (h * d)
        validate.check_memory(
            4.0 * px * n_frames,
            f"a GIF of {n_frames} frames of {w * d:.0f} x {h * d:.0f} pixels",
            "use fewer frames, a smaller size or dpi, or write .mp4",
            error=PlotError,
        )


def _frame_figure(model, size, dpi):
    fig = new_figure(size[0], size[1], dpi=dpi)
    ax = fig.add_subplot(projection="3d")
    return fig, ax


def animate_mode(
    model,
    mode: int,
    path,
    *,
    frames: int = 24,
    cycles: int = 1,
    fps: float = 12.0,
    exaggeration: float = 0.08,
    size=(4.0, 3.6),
    dpi: float = 80.0,
    view=(None, -60.0),
) -> str:
    """Write an animation of one mode oscillating: u(t) = phi cos(2 pi j / frames).

    Parameters
    ----------
    model : ModalModel
    mode : int
        0-based mode index.
    path : str
        Output file, .gif (Pillow) or .mp4 (needs ffmpeg).
    frames : int
        Frames per cycle.
    cycles : int
        Cycles in the file (a GIF loops anyway).
    fps : float, frames per second
    exaggeration : float
        The peak displacement is drawn as this fraction of the object's largest extent.
    size : (float, float), inches
    dpi : float
    view : (elevation, azimuth), degrees

    Returns
    -------
    str
        The path written.
    """
    k = int(mode_indices(model, [mode])[0])
    ext = check_animation_path(path)
    frames = check_frames(frames, "frames per cycle")
    cycles = validate.integer(cycles, "cycles", lo=1, error=PlotError)
    check_frames(frames * cycles, "frames x cycles")
    fps, exaggeration = _check_look(fps, exaggeration)
    _check_video(ext, frames * cycles, size, dpi)
    u = model.shapes[k]
    peak = float(np.max(np.linalg.norm(u, axis=1)))
    fig, ax = _frame_figure(model, size, dpi)
    art = SurfaceArtist(
        ax, model, scale=deformation_scale(model.mesh, peak, exaggeration), signed=model.mesh.dim == 2, vmax=peak
    )
    _view(ax, model.mesh, *view)
    ax.set_title(mode_labels(model, [k])[0], fontsize=9)
    n = frames * cycles

    def draw(i):
        art.update(u * math.cos(2 * math.pi * i / frames))

    return _write_frames(fig, path, ext, fps, dpi, n, draw)


def animate_response(
    model,
    excitation,
    path,
    *,
    duration: float | None = None,
    frames: int = 96,
    fps: float = 24.0,
    fmax: float | None = None,
    exaggeration: float = 0.08,
    size=(4.0, 3.6),
    dpi: float = 80.0,
    view=(None, -60.0),
) -> str:
    """Write an animation of the displacement after a strike, in slow motion.

    The frames sample the physical time 0 .. ``duration`` evenly. A mode oscillating faster
    than half the frame rate (in physical time) would be drawn aliased, so such modes are
    left out (and a log line says how many); by default ``duration`` gives the lowest mode
    24 frames per period (four periods in the default 96 frames).

    Parameters
    ----------
    model : ModalModel
    excitation : Strike
    path : str
        .gif or .mp4.
    duration : float, s, optional
        Physical time shown (default: frames / 24 periods of the lowest mode).
    frames : int
    fps : float, frames per second of the file
    fmax : float, Hz, optional
        Leave out modes above this (default and upper limit: frames / (2 duration)).
    exaggeration : float
        The largest displacement over the animation is drawn as this fraction of the object's
        largest extent.

    Returns
    -------
    str
        The path written.
    """
    ext = check_animation_path(path)
    frames = check_frames(frames)
    fps, exaggeration = _check_look(fps, exaggeration)
    _check_video(ext, frames, size, dpi)
    if fmax is not None:
        fmax = validate.positive(fmax, "fmax", "Hz", error=PlotError)
    if duration is None:
        duration = frames / 24.0 / float(model.frequencies[0])
    duration = validate.positive(duration, "duration", "s", error=PlotError)
    # the displacement field of every frame is held at once: frames x nodes x 3 floats
    validate.check_memory(
        24.0 * frames * model.mesh.n_nodes * 2,
        f"{frames} frames of a {model.mesh.n_nodes}-node field",
        "use fewer frames",
        error=PlotError,
    )
    nyquist = 0.5 * frames / duration
    limit = nyquist if fmax is None else min(fmax, nyquist)
    if not (model.frequencies < limit).any():
        raise PlotError(
            f"no mode below {limit:.4g} Hz, the highest frequency {frames} frames over "
            f"{duration:.4g} s can show; use more frames or a shorter duration"
        )
    n_out = int(np.count_nonzero(model.frequencies >= limit))
    if n_out:
        log.info(
            "animation: leaving out %d modes above %.4g Hz (half the frame rate in physical "
            "time; use more frames or a shorter duration to see them)",
            n_out,
            limit,
        )
    q, keep = modal_response(model, excitation, duration=duration, fmax=limit)
    t_frames = np.arange(frames) * (duration / frames)
    idx = np.minimum(np.round(t_frames * excitation.sr).astype(int), q.shape[1] - 1)
    qf = q[:, idx]  # (n_kept, frames)
    shapes = model.shapes[keep]
    fields = np.einsum("kf,knc->fnc", qf, shapes)
    peak = float(np.max(np.linalg.norm(fields, axis=2)))
    if not peak > 0:
        raise RenderError("the strike excites none of the modes shown (it sits on their nodal lines); strike elsewhere")
    fig, ax = _frame_figure(model, size, dpi)
    art = SurfaceArtist(
        ax, model, scale=deformation_scale(model.mesh, peak, exaggeration), signed=model.mesh.dim == 2, vmax=peak
    )
    _view(ax, model.mesh, *view)
    title = ax.set_title("", fontsize=9)

    def draw(i):
        art.update(fields[i])
        title.set_text(f"t = {1e3 * t_frames[i]:.2f} ms ({keep.size} modes < {limit:.0f} Hz)")

    return _write_frames(fig, path, ext, fps, dpi, frames, draw)
