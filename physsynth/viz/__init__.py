"""Seeing the modes: galleries, Chladni figures, animations, sound pictures, ParaView export.

Matplotlib is imported only inside the functions that draw (``pip install 'physsynth[plot]'``),
and every figure is drawn on the Agg canvas, so plotting works without a display and leaves
pyplot alone. Functions that make a picture return a :class:`matplotlib.figure.Figure`
(``fig.savefig(path)``, or shown inline in Jupyter).

Mode indices are 0-based in Python (``model.frequencies[k]``); titles, file field names and the
command line number modes from 1, as the ``physsynth modes`` table does.
"""

from physsynth.viz._mpl import PlotError, save_figure
from physsynth.viz.animate import animate_mode, animate_response, modal_response
from physsynth.viz.export import export_modes, export_response, read_modes
from physsynth.viz.modes import (
    is_axisymmetric,
    mode_labels,
    nodal_circles,
    nodal_lines,
    plot_modes,
)
from physsynth.viz.notebook import Sound, model_html
from physsynth.viz.sound import (
    plot_decay,
    plot_sound,
    plot_spectrogram,
    plot_spectrum,
    spectrum,
)

__all__ = [
    "PlotError",
    "Sound",
    "animate_mode",
    "animate_response",
    "export_modes",
    "export_response",
    "is_axisymmetric",
    "modal_response",
    "mode_labels",
    "model_html",
    "nodal_circles",
    "nodal_lines",
    "plot_decay",
    "plot_modes",
    "plot_sound",
    "plot_spectrogram",
    "plot_spectrum",
    "read_modes",
    "save_figure",
    "spectrum",
]
