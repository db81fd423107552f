"""Pictures of an analysis and of a fit (matplotlib, imported lazily by the drawing functions)."""

from __future__ import annotations

import numpy as np

from physsynth.calibrate.esprit import Analysis
from physsynth.calibrate.fit import Fit
from physsynth.viz._mpl import new_figure
from physsynth.viz.sound import plot_spectrogram

__all__ = ["plot_analysis", "plot_fit"]


def plot_analysis(x, analysis: Analysis, *, sr: float, fmax: float | None = None, dpi: float = 100.0):
    """The recording's spectrogram with the partials found drawn over it: a line at each
    frequency from the onset to its T60 (or the end), thick for the strong ones; doublets in
    another colour.

    Parameters
    ----------
    x : array_like, shape (n,) or (n_channels, n)
    analysis : Analysis
    sr : float, Hz
    fmax : float, Hz, optional
        Top of the picture (default: a little above the highest partial).

    Returns
    -------
    matplotlib.figure.Figure
    """
    a = np.asarray(x, dtype=float)
    a = a.sum(axis=0) if a.ndim == 2 else a
    top = float(fmax) if fmax is not None else min(0.5 * sr, 1.15 * float(analysis.frequencies.max()) + 100.0)
    fig = new_figure(8, 4.5, dpi=dpi)
    ax = fig.add_subplot()
    plot_spectrogram(a, sr=sr, ax=ax, fmax=top)
    end = a.size / sr
    lev = analysis.levels_db
    for i, (f, t60) in enumerate(zip(analysis.frequencies, analysis.t60)):
        t1 = min(end, analysis.onset + (t60 if np.isfinite(t60) and t60 > 0 else end))
        color = "C0" if analysis.doublet[i] < 0 else "C2"
        ax.plot([analysis.onset, t1], [f, f], color=color, lw=0.6 + 1.6 * (lev[i] > -20), alpha=0.9)
    ax.plot([], [], color="C0", label="partial (line: onset to T60)")
    ax.plot([], [], color="C2", label="doublet member")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(f"{analysis.n_partials} partials over the spectrogram", fontsize=9)
    return fig


def plot_fit(fit: Fit, *, dpi: float = 100.0):
    """Two panels: each pair's cents error before and after the fit, and the measured decay
    times against the fitted damping law's (and the initial model's)."""
    fig = new_figure(8, 3.6, dpi=dpi)
    ax1, ax2 = fig.subplots(1, 2)
    fm = fit.analysis.frequencies[fit.partials]
    e0, e1 = fit.errors(fit.initial), fit.errors()
    ax1.axhline(0, color="0.6", lw=0.8)
    ax1.plot(fm, e0["cents"], "o", color="C3", label="before")
    ax1.plot(fm, e1["cents"], "o", color="C0", label="after")
    ax1.set_xscale("log")
    ax1.set_xlabel("frequency (Hz)")
    ax1.set_ylabel("model - measured (cents)")
    ax1.legend(fontsize=8)
    ax1.set_title("frequencies", fontsize=9)
    t = fit.analysis.t60[fit.partials]
    ax2.errorbar(fm, t, yerr=fit.analysis.t60_std[fit.partials], fmt="o", color="k", ms=4, label="measured")
    grid = np.geomspace(fm.min() * 0.8, fm.max() * 1.25, 100)
    ax2.plot(grid, fit.model.material.damping.t60(grid), color="C0", label="fitted law")
    ax2.plot(grid, fit.initial.material.damping.t60(grid), color="C3", ls="--", label="initial law")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("frequency (Hz)")
    ax2.set_ylabel("T60 (s)")
    ax2.legend(fontsize=8)
    ax2.set_title("decay times", fontsize=9)
    from matplotlib.ticker import NullFormatter

    for ax in (ax1, ax2):
        ax.xaxis.set_minor_formatter(NullFormatter())  # log-axis minor labels crowd each other
    return fig
