"""Lazy, headless matplotlib: figures drawn by the Agg canvas, no pyplot, no display needed."""

from __future__ import annotations

import os

from physsynth.errors import PhyssynthError


class PlotError(PhyssynthError):
    """A plot, animation or export cannot be made (missing extra, bad format, bad index)."""


def require_matplotlib():
    """Import matplotlib, or raise :class:`PlotError` naming the ``plot`` extra."""
    try:
        import matplotlib
    except ImportError:
        raise PlotError("plotting needs matplotlib: pip install 'physsynth[plot]'") from None
    return matplotlib


def new_figure(width: float, height: float, *, dpi: float = 100.0):
    """A Figure attached to the Agg canvas (works without a display and without pyplot, so
    nothing here changes the user's pyplot backend or global state)."""
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


def check_image_path(path) -> str:
    """The extension of an image output path, or :class:`PlotError` if matplotlib can't write it."""
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
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
    from physsynth._io import atomic_path

    ext = check_image_path(path)
    if colors is not None and ext != "png":
        raise PlotError("a reduced palette (colors=) is for .png files")
    with atomic_path(path, PlotError, suffix="." + ext) as tmp:
        if colors is None:
            fig.savefig(tmp, format=ext, dpi=dpi)
        else:
            import io

            from PIL import Image

            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi)
            buf.seek(0)
            with Image.open(buf) as im:
                im.convert("RGB").quantize(colors=int(colors)).save(tmp, format="PNG", optimize=True)
    return os.fspath(path)
