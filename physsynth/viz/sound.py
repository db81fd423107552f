"""Pictures of sounds: spectrum, spectrogram and per-mode decay, with a model's modes marked.

A mode of decay rate sigma (1/s) loses 20 log10(e) sigma = 8.686 sigma dB per second, so its
60 dB decay time is T60 = 6.908 / sigma (docs/theory.md, "Damping"). The decay of each mode in
a recording is measured by :mod:`physsynth.measure`: the envelope in a narrow band around its
frequency (:func:`~physsynth.measure.band_levels`) and a straight line fitted to its level in
dB (:func:`~physsynth.measure.fit_decay_rates`).
"""

from __future__ import annotations

import math

import numpy as np

from physsynth import validate
from physsynth.errors import PhyssynthError
from physsynth.measure import DB_PER_NEPER, LN1000, band_levels, fit_decay_rates
from physsynth.viz._mpl import new_figure


def _mono(samples, channel: int = 0) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2:
        if not 0 <= channel < x.shape[0]:
            raise PhyssynthError(
                f"channel {channel} does not exist: the sound has {x.shape[0]} channel(s), numbered from 0"
            )
        x = x[channel]
    if x.ndim != 1 or x.size < 16:
        raise PhyssynthError("a sound must be a 1-D array (or channels x samples) of at least 16 samples")
    if not np.isfinite(x).all():
        raise PhyssynthError("the sound has NaN or infinite samples")
    if not np.any(x):
        raise PhyssynthError("the sound is silent: there is nothing to plot")
    return x


def _check_sr(sr) -> float:
    # any positive rate: a picture of a sound scales with the rate it is told
    return validate.positive(sr, "sample rate", "Hz")


def spectrum(samples, *, sr: float, channel: int = 0):
    """Magnitude spectrum of a whole sound, Hann-windowed.

    Returns
    -------
    freqs : ndarray, shape (n_bins,), Hz
    level : ndarray, shape (n_bins,), dB relative to the largest bin
    """
    sr = _check_sr(sr)
    x = _mono(samples, channel)
    mag = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    f = np.fft.rfftfreq(x.size, 1.0 / sr)
    with np.errstate(divide="ignore"):
        level = 20 * np.log10(np.maximum(mag / mag.max(), 1e-12))
    return f, level


def _audible_modes(model, sr):
    f = np.asarray(model.frequencies, float)
    return np.flatnonzero((f > 0) & (f < 0.5 * sr))


def _fmax(model, sr, fmax):
    if fmax is not None:
        return min(float(fmax), 0.5 * sr)
    if model is not None:
        keep = _audible_modes(model, sr)
        if keep.size:
            return min(0.5 * sr, 1.15 * float(model.frequencies[keep].max()))
    return 0.5 * sr


def plot_spectrum(
    samples, *, sr: float, model=None, ax=None, fmax: float | None = None, channel: int = 0, floor_db: float = -100.0
):
    """Spectrum of a sound (dB), with a model's frequencies as dashed lines.

    Parameters
    ----------
    samples : ndarray, shape (n,) or (n_channels, n)
    sr : float, Hz
    model : ModalModel, optional
    ax : matplotlib Axes, optional
        Draw here (default: a new figure).
    fmax : float, Hz, optional
        Upper frequency of the plot (default: just above the model's highest mode, or sr / 2).
    floor_db : float, dB
        Lower limit of the level axis.

    Returns
    -------
    matplotlib.axes.Axes
    """
    f, lev = spectrum(samples, sr=sr, channel=channel)
    fmax = _fmax(model, sr, fmax)
    if ax is None:
        ax = new_figure(7, 3).add_subplot()
    sel = f <= fmax
    ax.plot(f[sel], lev[sel], lw=0.7, color="C0", label="spectrum")
    if model is not None:
        marks = model.frequencies[_audible_modes(model, sr)]
        marks = marks[marks <= fmax]
        for j, fm in enumerate(marks):
            ax.axvline(fm, color="C3", lw=0.6, ls="--", alpha=0.6, label="model frequencies" if j == 0 else None)
        ax.legend(loc="upper right", fontsize=8)
    ax.set_xlim(0, fmax)
    ax.set_ylim(floor_db, 3)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("level (dB)")
    ax.set_title("spectrum", fontsize=9)
    return ax


def plot_spectrogram(
    samples,
    *,
    sr: float,
    model=None,
    ax=None,
    fmax: float | None = None,
    window: float = 0.08,
    channel: int = 0,
    range_db: float = 80.0,
):
    """Spectrogram (short-time spectrum in dB over time), with a model's frequencies marked
    as ticks on the right edge.

    Parameters
    ----------
    window : float, s
        Length of the analysis window (Blackman-Harris, whose sidelobes at -92 dB keep a loud
        mode from smearing over the 80 dB shown; 75 % overlap).
    range_db : float, dB
        Levels more than this below the maximum are drawn black.

    Returns
    -------
    matplotlib.axes.Axes
    """

    sr = _check_sr(sr)
    x = _mono(samples, channel)
    nper = int(min(x.size, 2 ** round(math.log2(max(window * sr, 16)))))
    from scipy.signal import spectrogram

    f, t, S = spectrogram(
        x, fs=sr, window="blackmanharris", nperseg=nper, noverlap=3 * nper // 4, scaling="spectrum", mode="psd"
    )
    with np.errstate(divide="ignore"):
        L = 10 * np.log10(np.maximum(S / S.max(), 1e-30))
    fmax = _fmax(model, sr, fmax)
    sel = f <= fmax
    if ax is None:
        ax = new_figure(7, 3).add_subplot()
    ax.pcolormesh(t, f[sel], L[sel], shading="nearest", cmap="magma", vmin=-range_db, vmax=0, rasterized=True)
    if model is not None:
        marks = model.frequencies[_audible_modes(model, sr)]
        marks = marks[marks <= fmax]
        t1 = t[-1] if t.size else x.size / sr
        ax.plot(np.full(marks.size, t1), marks, ls="none", marker="<", ms=4, color="C2", label="model frequencies")
        if marks.size:
            ax.legend(loc="upper right", fontsize=8)
    ax.set_ylim(0, fmax)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    ax.set_title(f"spectrogram ({1e3 * nper / sr:.0f} ms windows, {range_db:.0f} dB range)", fontsize=9)
    return ax


def strongest_modes(samples, model, n: int = 5, *, sr: float, channel: int = 0, min_separation: float = 0.03):
    """Indices of the ``n`` modes loudest in a sound, skipping modes within ``min_separation``
    (relative) of one already chosen (a doublet is one band: it beats, it does not decay
    cleanly on its own)."""
    f, lev = spectrum(samples, sr=sr, channel=channel)
    cand = _audible_modes(model, sr)
    freqs = model.frequencies[cand]
    order = np.argsort(-np.interp(freqs, f, lev))
    chosen = []
    for j in order:
        fj = freqs[j]
        if all(abs(fj - model.frequencies[c]) > min_separation * fj for c in chosen):
            chosen.append(int(cand[j]))
        if len(chosen) == n:
            break
    return np.array(sorted(chosen), dtype=int)


def plot_decay(
    samples=None,
    *,
    sr: float | None = None,
    model,
    modes=None,
    ax=None,
    n: int = 5,
    channel: int = 0,
    floor_db: float = -80.0,
):
    """Decay of each mode: measured band levels of a sound (solid) against the model's decay
    rates (dashed lines of slope -8.686 sigma dB/s); without a sound, the model's curves.

    Parameters
    ----------
    samples : ndarray, optional
        A render of ``model``; without it only the model's decay is drawn.
    sr : float, Hz
    model : ModalModel
    modes : sequence of int, optional
        0-based mode indices (default: the ``n`` loudest in the sound, or the first ``n``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        ax = new_figure(7, 3).add_subplot()
    if samples is None:
        idx = np.arange(min(n, model.n_modes)) if modes is None else np.asarray(modes, int)
        tmax = float(np.max(model.t60[idx]))
        t = np.linspace(0, tmax, 200)
        for j, k in enumerate(idx):
            ax.plot(
                t,
                -DB_PER_NEPER * model.decay_rates[k] * t,
                color=f"C{j % 10}",
                label=f"{model.frequencies[k]:.0f} Hz, T60 {model.t60[k]:.2f} s",
            )
        ax.set_xlim(0, tmax)
    else:
        sr = _check_sr(sr)
        idx = strongest_modes(samples, model, n, sr=sr, channel=channel) if modes is None else np.asarray(modes, int)
        freqs = model.frequencies[idx]
        t, lev = band_levels(_mono(samples, channel), sr=sr, freqs=freqs, neighbours=model.frequencies)
        measured = fit_decay_rates(t, lev)
        # the band filters settle at the record's ends: leave out the last 5 %
        shown = t <= 0.95 * t[-1]
        t, lev = t[shown], lev[:, shown]
        for j, k in enumerate(idx):
            c = f"C{j % 10}"
            meas = f"{LN1000 / measured[j]:.2f} s" if np.isfinite(measured[j]) else "n/a"
            ax.plot(
                t, lev[j], color=c, lw=0.8, label=f"{freqs[j]:.0f} Hz: T60 model {model.t60[k]:.2f} s, measured {meas}"
            )
            i0 = int(np.argmax(lev[j]))
            ax.plot(
                t[i0:], lev[j, i0] - DB_PER_NEPER * model.decay_rates[k] * (t[i0:] - t[i0]), color=c, lw=1.0, ls="--"
            )
        ax.set_xlim(0, t[-1])
        # zoom on what the curves span (a slow decay is a few dB in a short sound)
        floor_db = max(floor_db, min(-10.0, float(np.percentile(lev, 2)) - 6.0))
    ax.set_ylim(floor_db, 3)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("level (dB)")
    ax.set_title(
        "decay per mode"
        + (" (solid: sound in a band around the mode; dashed: model)" if samples is not None else " (model)"),
        fontsize=9,
    )
    ax.legend(loc="upper right", fontsize=7)
    return ax


def plot_sound(
    samples,
    *,
    sr: float,
    model=None,
    fmax: float | None = None,
    channel: int = 0,
    n_decay: int = 5,
    title: str | None = None,
    width: float = 7.0,
    dpi: float = 100.0,
):
    """Spectrum, spectrogram and (with a model) per-mode decay of a sound, one panel each.

    Returns
    -------
    matplotlib.figure.Figure
        With 2 axes (no model) or 3.
    """
    sr = _check_sr(sr)
    x = np.asarray(samples, dtype=np.float64)
    rows = 3 if model is not None else 2
    fig = new_figure(width, 2.4 * rows + 0.3, dpi=dpi)
    axes = [fig.add_subplot(rows, 1, i + 1) for i in range(rows)]
    plot_spectrum(x, sr=sr, model=model, ax=axes[0], fmax=fmax, channel=channel)
    plot_spectrogram(x, sr=sr, model=model, ax=axes[1], fmax=fmax, channel=channel)
    if model is not None:
        plot_decay(x, sr=sr, model=model, ax=axes[2], n=n_decay, channel=channel)
    n = x.shape[-1]
    fig.suptitle(title or f"{n / sr:.2f} s at {sr:g} Hz", fontsize=10)
    return fig
