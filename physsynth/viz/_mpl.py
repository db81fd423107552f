"""Lazy, headless matplotlib: figures drawn by the Agg canvas, no pyplot, no display needed."""

from __future__ import annotations

import io
import os

from physsynth import validate
from physsynth._io import atomic_path
from physsynth.errors import PhyssynthError

#: Resolutions accepted (pixels per inch): a thumbnail to a print at 1200 dpi.
MIN_DPI, MAX_DPI = 10.0, 1200.0
#: Largest side of a figure, inches (2.5 m of paper).
MAX_INCHES = 100.0
#: Largest image, pixels (a 10000 x 10000 picture; Agg holds 4 bytes a pixel, and saving
#: makes a copy or two).
MAX_PIXELS = 100_000_000
#: Most frames of an animation or exported time series (7 minutes at 24 fps).
MAX_FRAMES = 10_000
#: Frame rates accepted (frames per second of the file).
MAX_FPS = 240.0


class PlotError(PhyssynthError):
    """A plot, animation or export cannot be made (missing extra, bad format, bad index)."""


def check_dpi(dpi, name: str = "dpi") -> float:
    """Pixels per inch in [MIN_DPI, MAX_DPI]."""
    return validate.finite(dpi, name, "pixels per inch", lo=MIN_DPI, hi=MAX_DPI, error=PlotError)


def check_figure(width, height, dpi) -> tuple[float, float, float]:
    """A figure's size (inches, each in (0, MAX_INCHES]) and dpi, refused beyond
    :data:`MAX_PIXELS` or the memory budget (4 bytes a pixel, three copies while saving)."""
    w = validate.positive(width, "figure width", "inches", error=PlotError)
    h = validate.positive(height, "figure height", "inches", error=PlotError)
    d = check_dpi(dpi)
    if w > MAX_INCHES or h > MAX_INCHES:
        raise PlotError(
            f"a {w:.3g} x {h:.3g} inch figure is larger than {MAX_INCHES:g} inches a side; "
            "use a smaller panel size or fewer modes"
        )
    px = (w * d) * (h * d)
    if px > MAX_PIXELS:
        raise PlotError(
            f"a {w:.3g} x {h:.3g} inch figure at {d:g} dpi is {px / 1e6:.3g} Mpixels, more than "
            f"{MAX_PIXELS / 1e6:g}; lower the dpi or the panel size"
        )
    validate.check_memory(12 * px, f"a {w * d:.0f} x {h * d:.0f} pixel figure", "lower the dpi", error=PlotError)
    return w, h, d


def check_frames(frames, name: str = "frames", *, lo: int = 2) -> int:
    """A frame count in [lo, MAX_FRAMES]."""
    return validate.integer(frames, name, lo=lo, hi=MAX_FRAMES, error=PlotError)


def require_h5py():
    """Import h5py (XDMF's data files), or raise :class:`PlotError` naming the ``xdmf`` extra."""
    try:
        import h5py
    except ImportError:
        raise PlotError("writing .xdmf needs h5py: pip install 'physsynth[xdmf]' (or write .vtu)") from None
    return h5py


def require_matplotlib():
    """Import matplotlib, or raise :class:`PlotError` naming the ``plot`` extra."""
    try:
        import matplotlib
    except ImportError:
        raise PlotError("plotting needs matplotlib: pip install 'physsynth[plot]'") from None
    return matplotlib


def new_figure(width: float, height: float, *, dpi: float = 100.0):
    """A Figure attached to the Agg canvas (works without a display and without pyplot, so
    nothing here changes the user's pyplot backend or global state). Sizes are checked by
    :func:`check_figure` first."""
    width, height, dpi = check_figure(width, height, dpi)
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def image_formats() -> dict[str, str]:
    """File extensions (without the dot) that figures can be saved to, with descriptions."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    return dict(FigureCanvasAgg.get_supported_filetypes())


def output_path(path) -> str:
    """``path`` as a str, or :class:`PlotError` when it is not a file name."""
    try:
        return os.fspath(path)
    except TypeError:
        raise PlotError(f"the output path must be a file name, got {path!r}") from None


def check_image_path(path) -> str:
    """The extension of an image output path, or :class:`PlotError` if matplotlib can't write it."""
    path = output_path(path)
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    formats = image_formats()
    if ext not in formats:
        known = ", ".join(f".{e}" for e in ("png", "pdf", "svg", "jpg") if e in formats)
        got = f"'.{ext}'" if ext else "no extension"
        raise PlotError(
            f"cannot tell the image format of {os.fspath(path)} ({got}); use one of "
            f"{known} (or any of {', '.join(sorted(formats))})"
        )
    return ext


def save_figure(fig, path, *, dpi: float | None = None, colors: int | None = None) -> str:
    """Save ``fig`` to ``path`` atomically (format from the extension). Returns the path.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str
        The extension picks the format (.png, .pdf, .svg, ...).
    dpi : float, optional
        Pixels per inch (default: the figure's).
    colors : int, optional
        PNG only: reduce to a palette of this many colours (Pillow's median cut), which
        makes smooth colour fields several times smaller, e.g. for documentation.
    """

    ext = check_image_path(path)
    if dpi is not None:
        w, h = fig.get_size_inches()
        dpi = check_figure(w, h, dpi)[2]
    if colors is not None and ext != "png":
        raise PlotError("a reduced palette (colors=) is for .png files")
    if colors is not None:
        colors = validate.integer(colors, "colors", lo=2, hi=256, error=PlotError)
    with atomic_path(path, PlotError, suffix="." + ext) as tmp:
        if colors is None:
            fig.savefig(tmp, format=ext, dpi=dpi)
        else:
            from PIL import Image

            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi)
            buf.seek(0)
            with Image.open(buf) as im:
                im.convert("RGB").quantize(colors=int(colors)).save(tmp, format="PNG", optimize=True)
    return os.fspath(path)
