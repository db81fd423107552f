"""Measuring sounds: pitch, partials, decay, brightness, intervals.

The one place where physsynth, its examples and its tests measure audio. Every function takes
the samples first and the sample rate as the keyword ``sr`` (Hz), and checks its input with
:mod:`physsynth.validate`: a bad signal or parameter raises
:class:`~physsynth.errors.PhyssynthError` with a one-line message.

The sample rate here is any positive, finite number of Hz, not only an audio rate
(:func:`physsynth.validate.sample_rate`): a measurement scales with the rate it is told, and the
same functions measure decimated envelopes (a few hundred Hz) and scheme-rate signals.

========================  ====================================================================
:func:`peak_frequency`    the strongest partial near a guess, to a small fraction of a cent
:func:`spectral_peaks`    the partial near each of many targets (parabolic interpolation)
:func:`band_envelope`     the amplitude envelope of the sound in a band around a frequency
:func:`band_levels`       the level (dB) over time in a narrow band around each frequency
:func:`fit_decay_rates`   decay rates (1/s) from band levels: straight lines in dB
:func:`decay_rates`       decay rate (1/s) near each frequency: band levels, then the fit
:func:`t60`               60 dB decay time (s) near each frequency, ln(1000) / decay rate
:func:`frame_rms`         RMS level of each frame of a given length (does the tone sustain?)
:func:`spectral_centroid` power-weighted mean frequency (Hz), one per channel
:func:`cents`             the interval from one frequency to another, 1200 log2(f / f_ref)
:func:`spectral_loss`     multi-scale spectral distance of two sounds (L1 magnitude + L1 log)
========================  ====================================================================

A mode of decay rate sigma (1/s) loses 20 log10(e) sigma = 8.686 sigma dB per second, so its
60 dB decay time is T60 = ln(1000) / sigma = 6.908 / sigma (docs/theory.md, "Damping").

>>> sr = 48000
>>> t = np.arange(sr) / sr
>>> x = np.exp(-6.908 * t / 0.5) * np.sin(2 * np.pi * 440.7 * t)  # T60 = 0.5 s
>>> round(peak_frequency(x, sr=sr, f_guess=440.0), 3)
440.7
>>> round(float(t60(x, sr=sr, freqs=440.7)), 3)
0.5
>>> round(cents(880.0, 440.0), 6)
1200.0
"""

from __future__ import annotations

import math

import numpy as np

from physsynth import validate
from physsynth.errors import PhyssynthError

__all__ = [
    "DB_PER_NEPER",
    "LN1000",
    "SPECTRAL_LOSS_SIZES",
    "band_envelope",
    "band_levels",
    "cents",
    "decay_rates",
    "fit_decay_rates",
    "frame_rms",
    "peak_frequency",
    "spectral_centroid",
    "spectral_loss",
    "spectral_peaks",
    "t60",
]

#: dB lost per unit of sigma t: 20 / ln(10) = 8.686.
DB_PER_NEPER = 20.0 / math.log(10.0)
#: T60 = LN1000 / sigma: a 60 dB fall is a factor 1000 in amplitude.
LN1000 = math.log(1000.0)

# Fewest samples a measurement accepts: below this no spectrum or band filter means anything.
_MIN_SAMPLES = 16


def _rate(sr) -> float:
    return validate.positive(sr, "sample rate", "Hz")


def _signal(x, name: str = "signal", *, channels: bool = False, min_samples: int = _MIN_SAMPLES) -> np.ndarray:
    """``x`` as float64: shape (n,) (or (n_channels, n) with ``channels``), finite, long enough."""
    if np.iscomplexobj(x):
        raise PhyssynthError(f"the {name} must be real samples, got complex ones; measure x.real or abs(x)")
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise PhyssynthError(f"the {name} must be an array of numbers, got {type(x).__name__}") from None
    shape = "(n,) or (n_channels, n)" if channels else "(n,); pick one channel, e.g. x[0]"
    if a.ndim not in ((1, 2) if channels else (1,)) or a.shape[-1] == 0 or a.size == 0:
        raise PhyssynthError(f"the {name} must have shape {shape}, got shape {a.shape}")
    if a.shape[-1] < min_samples:
        raise PhyssynthError(f"the {name} has {a.shape[-1]} samples; a measurement needs at least {min_samples}")
    if not np.isfinite(a).all():
        raise PhyssynthError(f"the {name} has NaN or infinite samples; measure only finite audio")
    return a


def _not_silent(x: np.ndarray, name: str = "signal") -> None:
    if not np.any(x):
        raise PhyssynthError(f"the {name} is silent (all zeros): there is nothing to measure")


def _freqs(freqs, name: str, sr: float | None = None) -> np.ndarray:
    """Frequencies (Hz) as a 1-D array, each > 0 (and below Nyquist, given ``sr``)."""
    try:
        f = np.atleast_1d(np.asarray(freqs, dtype=np.float64))
    except (TypeError, ValueError):
        raise PhyssynthError(f"{name} must be numbers (Hz), got {freqs!r}") from None
    if f.ndim != 1 or f.size == 0:
        raise PhyssynthError(f"{name} must be one frequency or a 1-D sequence of them (Hz), got shape {f.shape}")
    if not (np.isfinite(f).all() and (f > 0).all()):
        raise PhyssynthError(f"{name} must be finite frequencies > 0 Hz, got {freqs!r}")
    if sr is not None and (f >= 0.5 * sr).any():
        bad = float(f[f >= 0.5 * sr][0])
        raise PhyssynthError(f"{name}: {bad:g} Hz is at or above the Nyquist frequency {0.5 * sr:g} Hz; lower it")
    return f


def _fraction(value, name: str) -> float:
    return validate.finite(value, name, lo=0.0, lo_open=True, hi=1.0)


# ------------------------------------------------------------------------------- pitch
def peak_frequency(x, *, sr: float, f_guess: float | None = None, rel_window: float = 0.01) -> float:
    """Frequency (Hz) of the strongest spectral peak within +-``rel_window`` of ``f_guess``
    (of the whole spectrum, DC excluded, without a guess).

    A Blackman-Harris window (sidelobes below -92 dB, so neighbouring partials do not pull the
    peak), the largest bin of an 8x zero-padded FFT as the start, then the maximum of the
    windowed signal's DTFT magnitude found to 1e-7 of the frequency: accurate to far below a
    cent for a steady partial of a few hundred periods (0.01 cent for a sinusoid of 1 s).

    Parameters
    ----------
    x : array_like, shape (n,)
        The signal (one channel), at least 16 samples.
    sr : float, Hz
        Its sample rate (any positive rate).
    f_guess : float, Hz, optional
        Centre of the search window, below the Nyquist frequency.
    rel_window : float
        Half-width of the search window as a fraction of ``f_guess`` (0 < rel_window <= 1).

    Returns
    -------
    float, Hz

    Examples
    --------
    >>> t = np.arange(48000) / 48000
    >>> x = np.sin(2 * np.pi * 261.63 * t) + 0.5 * np.sin(2 * np.pi * 523.26 * t)
    >>> round(peak_frequency(x, sr=48000, f_guess=523.0), 4)
    523.26
    """

    sr = _rate(sr)
    x = _signal(x)
    _not_silent(x)
    rel_window = _fraction(rel_window, "rel_window")
    nfft = 1 << int(np.ceil(np.log2(8 * x.size)))
    # the padded FFT (16 bytes a bin) and the DTFT's complex phasors (16 bytes a sample, twice)
    what = f"a peak search over {x.size} samples"
    validate.check_memory(16.0 * nfft + 32.0 * x.size, what, "measure a shorter piece")
    from scipy.signal.windows import blackmanharris

    xw = x * blackmanharris(x.size)
    n = np.arange(x.size)
    spec = np.abs(np.fft.rfft(xw, nfft))
    df = sr / nfft
    if f_guess is None:
        lo, hi = 1, spec.size - 2
    else:
        if np.ndim(f_guess) != 0:
            raise PhyssynthError(f"f_guess must be one frequency (Hz), got {f_guess!r}")
        f_guess = float(_freqs(f_guess, "f_guess", sr)[0])
        lo = max(int(f_guess * (1 - rel_window) / df), 1)
        hi = min(int(np.ceil(f_guess * (1 + rel_window) / df)), spec.size - 2)
    k = lo + int(np.argmax(spec[lo : hi + 1]))
    if spec[k] == 0:
        raise PhyssynthError("the signal has no energy in the search window; widen rel_window or check f_guess")
    from scipy.optimize import minimize_scalar

    r = minimize_scalar(
        lambda f: -abs(np.dot(xw, np.exp(-2j * np.pi * f / sr * n))),
        bounds=((k - 1) * df, (k + 1) * df),
        method="bounded",
        options={"xatol": 1e-7 * (k * df if f_guess is None else f_guess)},
    )
    return float(r.x)


def spectral_peaks(x, targets, *, sr: float, rel_window: float = 0.03, pad: int = 4) -> np.ndarray:
    """Frequency (Hz) of the strongest spectral peak within +-``rel_window`` of each target.

    Hann window, zero-padded FFT, and a parabola through the log magnitudes of the maximum bin
    and its neighbours (accurate to a small fraction of a bin: ~0.1 cent at 440 Hz for 1 s of
    sound). A target whose maximum lies on the edge of its window (no true peak there) gives
    NaN, so a comparison against it fails instead of passing on a neighbour's skirt.

    Parameters
    ----------
    x : array_like, shape (n,)
        The signal (one channel), at least 16 samples.
    targets : float or array_like, shape (n_targets,), Hz
        Where to look, each below the Nyquist frequency.
    sr : float, Hz
        Sample rate (any positive rate).
    rel_window : float
        Half-width of each search window as a fraction of its target (0 < rel_window <= 1).
    pad : int
        Zero-padding factor (1..64).

    Returns
    -------
    ndarray, shape (n_targets,), Hz
        NaN where no peak lies inside the window.

    Examples
    --------
    >>> t = np.arange(48000) / 48000
    >>> x = np.sin(2 * np.pi * 300.2 * t) + 0.01 * np.sin(2 * np.pi * 1234.5 * t)
    >>> np.round(spectral_peaks(x, [300.0, 1230.0], sr=48000), 2)
    array([ 300.2, 1234.5])
    """
    sr = _rate(sr)
    x = _signal(x)
    targets = _freqs(targets, "targets", sr)
    rel_window = _fraction(rel_window, "rel_window")
    pad = validate.integer(pad, "pad", lo=1, hi=64)
    n = x.size * pad
    what = f"a {pad}x padded spectrum of {x.size} samples"
    validate.check_memory(24.0 * n, what, "lower pad or measure a shorter piece")
    mag = np.abs(np.fft.rfft(x * np.hanning(x.size), n))
    logm = np.log(mag + 1e-300)
    df = sr / n
    res = []
    for f in targets:
        lo = max(1, int(math.floor(f * (1 - rel_window) / df)))
        hi = min(mag.size - 2, int(math.ceil(f * (1 + rel_window) / df)))
        if hi <= lo + 2:
            res.append(np.nan)
            continue
        b = lo + int(np.argmax(mag[lo : hi + 1]))
        if b in (lo, hi):
            res.append(np.nan)
            continue
        y0, y1, y2 = logm[b - 1], logm[b], logm[b + 1]
        d = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
        res.append((b + d) * df)
    return np.array(res)


# ------------------------------------------------------------------------------- decay
def band_envelope(x, *, sr: float, f: float, half_width: float, order: int = 2) -> np.ndarray:
    """Amplitude envelope of the signal in the band ``f`` +- ``half_width``.

    The signal is shifted down by ``f`` (multiplied by exp(-2 pi i f t)), low-passed at
    ``half_width`` by a zero-phase Butterworth filter (``scipy.signal.sosfiltfilt``, so the
    envelope is not delayed), and twice the magnitude of the result is the envelope: the
    analytic-signal envelope of the sound band-passed to ``f`` +- ``half_width``, without the
    Hilbert transform's wrap-around at the ends of a finite record (which lifts the last
    tenth of a decaying tone by several dB).

    A band of half-width B Hz rings down at about 2 pi 0.7 B per second; it must be several
    times wider than the decay rate it is to measure.

    Parameters
    ----------
    x : array_like, shape (n,)
        The signal (one channel), at least 16 samples.
    sr : float, Hz
        Sample rate (any positive rate).
    f : float, Hz
        Centre of the band, below the Nyquist frequency.
    half_width : float, Hz
        Half-width of the band: below ``f`` and below the Nyquist frequency minus ``f``.
    order : int
        Order of the Butterworth low-pass (1..8; the forward-backward pass doubles its
        attenuation in dB).

    Returns
    -------
    ndarray, shape (n,), same unit as x

    Examples
    --------
    >>> t = np.arange(48000) / 48000
    >>> env = band_envelope(0.5 * np.sin(2 * np.pi * 440 * t), sr=48000, f=440.0, half_width=40.0)
    >>> round(float(env[24000]), 4)
    0.5
    """

    sr = _rate(sr)
    x = _signal(x)
    if np.ndim(f) != 0:
        raise PhyssynthError(f"the band centre f must be one frequency (Hz), got {f!r}")
    f = float(_freqs(f, "band centre f", sr)[0])
    half_width = validate.positive(half_width, "half_width", "Hz")
    order = validate.integer(order, "order", lo=1, hi=8)
    if not (half_width < f and f + half_width < 0.5 * sr):
        raise PhyssynthError(
            f"the band {f:g} +- {half_width:g} Hz must lie inside 0 .. {0.5 * sr:g} Hz (Nyquist); narrow it"
        )
    # Reflect the record about its end values first (the odd extension sosfiltfilt itself
    # uses, long enough for the filter to settle): the continuation keeps the tone's amplitude
    # and phase, and the constant it adds sits at -f after the shift, where the low-pass
    # removes it. Extending the shifted signal instead would add a constant inside the band.
    n = x.size
    pad = min(n - 1, int(math.ceil(4.0 * sr / half_width)))
    ext = np.concatenate([2.0 * x[0] - x[pad:0:-1], x, 2.0 * x[-1] - x[-2 : -pad - 2 : -1]])
    z = ext * np.exp(-2j * np.pi * (f / sr) * (np.arange(ext.size) - pad))
    from scipy.signal import butter, sosfiltfilt

    sos = butter(order, half_width, btype="lowpass", fs=sr, output="sos")
    try:
        base = sosfiltfilt(sos, z.real) + 1j * sosfiltfilt(sos, z.imag)
    except ValueError:  # shorter than the filter's edge padding
        raise PhyssynthError(
            f"the signal ({x.size} samples) is too short for a band filter of order {order}; give a longer one"
        ) from None
    base = base[pad : pad + n]
    return 2.0 * np.abs(base)


def _auto_half_width(f: float, others: np.ndarray) -> float:
    gaps = np.abs(others - f)
    gaps = gaps[gaps > 0.005 * f]
    hw = 0.3 * gaps.min() if gaps.size else 0.1 * f
    return float(np.clip(hw, 2.0, 0.1 * f))


def band_levels(x, *, sr: float, freqs, neighbours=None, half_width=None, hop: float = 0.002):
    """Level over time of the signal in a narrow band around each frequency
    (:func:`band_envelope`, in dB).

    Without ``half_width`` each band's half-width is 30 % of the gap to the nearest other
    frequency (of ``freqs`` and ``neighbours``), at most 10 % of the frequency and at least
    2 Hz: narrow enough to hold one mode, wide enough not to ring longer than it. Frequencies
    within 0.5 % of the centre count as the same mode (the two members of a degenerate
    doublet share one band and one decay).

    Parameters
    ----------
    x : array_like, shape (n,)
        The signal (one channel), at least 16 samples.
    sr : float, Hz
        Sample rate (any positive rate).
    freqs : float or array_like, shape (n_f,), Hz
        Band centres, below the Nyquist frequency.
    neighbours : array_like, optional, Hz
        Other frequencies to keep out of the bands (e.g. all of a model's).
    half_width : float or array_like, shape (n_f,), Hz, optional
        The bands' half-widths, instead of the rule above.
    hop : float, s
        Time step of the result (at least one sample).

    Returns
    -------
    times : ndarray, shape (n_t,), s
    level : ndarray, shape (n_f, n_t), dB relative to the largest band envelope
    """
    sr = _rate(sr)
    x = _signal(x)
    _not_silent(x)
    freqs = _freqs(freqs, "freqs", sr)
    others = freqs
    if neighbours is not None:
        try:
            nb = np.asarray(neighbours, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise PhyssynthError(f"neighbours must be frequencies (Hz), got {neighbours!r}") from None
        if not np.isfinite(nb).all():
            raise PhyssynthError("neighbours must be finite frequencies (Hz)")
        others = np.concatenate([freqs, nb[nb > 0]])  # rigid-body (0 Hz) entries keep out of no band
    if half_width is None:
        hws = [_auto_half_width(f, others) for f in freqs]
    else:
        hws = _freqs(half_width, "half_width")
        if hws.size == 1:
            hws = np.full(freqs.size, hws[0])
        elif hws.size != freqs.size:
            raise PhyssynthError(f"half_width must be one width or one per frequency ({freqs.size}), got {hws.size}")
    hop = validate.positive(hop, "hop", "s")
    step = max(1, int(round(hop * sr)))
    env = np.array([band_envelope(x, sr=sr, f=f, half_width=hw)[::step] for f, hw in zip(freqs, hws)])
    with np.errstate(divide="ignore", invalid="ignore"):
        level = 20 * np.log10(np.maximum(env / env.max(), 1e-12))
    return np.arange(env.shape[1]) * (step / sr), level


def fit_decay_rates(times, level, *, top_db: float = 5.0, range_db: float = 30.0, tail: float = 0.1) -> np.ndarray:
    """Decay rates (1/s) from band levels: a least-squares straight line through each level
    curve from ``top_db`` below its peak (past the attack) down to ``top_db + range_db`` below
    it (before any noise floor), leaving out the last ``tail`` of the time span (filter edge
    effects, fade-outs). A mode that decays less than ``top_db`` in the sound is fitted from
    10 % of the way between its peak and the end.

    Parameters
    ----------
    times : array_like, shape (n_t,), s
        Increasing.
    level : array_like, shape (n_t,) or (n_f, n_t), dB
        As :func:`band_levels` gives it.
    top_db, range_db : float, dB
        Where the fit starts below the peak, and how far it spans.
    tail : float
        Fraction of the time span left out at the end (0 <= tail < 1).

    Returns
    -------
    ndarray, shape (n_f,), 1/s
        NaN where fewer than 8 points are left to fit. A growing level gives a negative rate.

    Examples
    --------
    >>> t = np.linspace(0, 1, 101)
    >>> fit_decay_rates(t, -DB_PER_NEPER * 3.0 * t).round(6)
    array([3.])
    """
    times = np.asarray(times, dtype=np.float64)
    level = np.atleast_2d(np.asarray(level, dtype=np.float64))
    if times.ndim != 1 or times.size < 2 or level.ndim != 2 or level.shape[1] != times.size:
        raise PhyssynthError(f"times must have shape (n_t,) and level (n_f, n_t), got {times.shape} and {level.shape}")
    if not (np.isfinite(times).all() and (np.diff(times) > 0).all()):
        raise PhyssynthError("times must be finite and increasing (s)")
    if np.isnan(level).any() or np.isposinf(level).any():
        raise PhyssynthError("level must not hold NaN or +inf (dB)")
    top_db = validate.nonnegative(top_db, "top_db", "dB")
    range_db = validate.positive(range_db, "range_db", "dB")
    tail = validate.finite(tail, "tail", lo=0.0, hi=0.99)
    end = times[0] + (times[-1] - times[0]) * (1.0 - tail)
    out = np.full(level.shape[0], np.nan)
    for i, lev in enumerate(level):
        k = int(np.argmax(lev))
        peak = lev[k]
        after = np.flatnonzero((np.arange(lev.size) > k) & (times <= end))
        if after.size < 8:
            continue
        below = after[lev[after] <= peak - top_db]
        if below.size:
            start = below[0]
        else:
            j = min(np.searchsorted(times[after], times[k] + 0.1 * (end - times[k])), after.size - 1)
            start = after[j]
        rest = after[after >= start]
        floor = np.flatnonzero(lev[rest] < peak - top_db - range_db)
        idx = rest[: floor[0]] if floor.size else rest
        if idx.size >= 8:
            slope = np.polyfit(times[idx], lev[idx], 1)[0]
            out[i] = -slope / DB_PER_NEPER
    return out


def decay_rates(x, *, sr: float, freqs, neighbours=None, half_width=None):
    """Decay rate sigma (1/s) of the signal near each frequency: :func:`band_levels`, then
    :func:`fit_decay_rates` with its defaults (the fall from 5 to 35 dB below the peak).

    Parameters
    ----------
    x : array_like, shape (n,)
    sr : float, Hz
    freqs : float or array_like, shape (n_f,), Hz
    neighbours, half_width
        As :func:`band_levels`.

    Returns
    -------
    float or ndarray, shape (n_f,), 1/s
        A float for one frequency given as a scalar. NaN where too little decay is left to fit.
    """
    t, lev = band_levels(x, sr=sr, freqs=freqs, neighbours=neighbours, half_width=half_width)
    sigma = fit_decay_rates(t, lev)
    return float(sigma[0]) if np.ndim(freqs) == 0 else sigma


def t60(x, *, sr: float, freqs, neighbours=None, half_width=None):
    """60 dB decay time (s) of the signal near each frequency: ln(1000) / :func:`decay_rates`,
    whose parameters it takes.

    Returns
    -------
    float or ndarray, shape (n_f,), s
        A float for one frequency given as a scalar (inf for no decay, negative for growth).
    """
    sigma = decay_rates(x, sr=sr, freqs=freqs, neighbours=neighbours, half_width=half_width)
    with np.errstate(divide="ignore"):
        out = LN1000 / np.asarray(sigma, dtype=np.float64)
    return float(out) if np.ndim(freqs) == 0 else out


# ------------------------------------------------------------------------------- level, brightness, intervals
def frame_rms(x, *, sr: float, frame: float) -> np.ndarray:
    """Root-mean-square of each whole frame of ``frame`` seconds (the last, partial frame is
    left out): how a sound's level evolves, e.g. whether a bowed or rubbed tone sustains.

    Parameters
    ----------
    x : array_like, shape (n,)
        The signal (one channel), at least 16 samples.
    sr : float, Hz
        Sample rate (any positive rate).
    frame : float, s
        Frame length: at least one sample, at most the whole signal.

    Returns
    -------
    ndarray, shape (n // round(frame sr),), same unit as x

    Examples
    --------
    >>> t = np.arange(48000) / 48000
    >>> frame_rms(np.sin(2 * np.pi * 100 * t) * np.where(t < 0.5, 1.0, 0.5), sr=48000, frame=0.25).round(4)
    array([0.7071, 0.7071, 0.3536, 0.3536])
    """
    sr = _rate(sr)
    x = _signal(x)
    frame = validate.positive(frame, "frame", "s")
    m = int(round(frame * sr))
    if not 1 <= m <= x.size:
        raise PhyssynthError(
            f"a frame of {frame:g} s is {m} samples at {sr:g} Hz; give one between 1 sample and the signal's "
            f"{x.size / sr:g} s"
        )
    k = x.size // m
    return np.sqrt(np.mean(x[: k * m].reshape(k, m) ** 2, axis=1))


def spectral_centroid(x, *, sr: float):
    """Power-weighted mean frequency (Hz) of each channel, Hann-windowed to avoid the leakage
    of its abrupt ends (which would otherwise spread energy over the whole band).

    Parameters
    ----------
    x : array_like, shape (n,) or (n_channels, n)
        At least 16 samples per channel, none of them silent.
    sr : float, Hz
        Sample rate (any positive rate).

    Returns
    -------
    float (for shape (n,)) or ndarray, shape (n_channels,), Hz

    Examples
    --------
    >>> t = np.arange(48000) / 48000
    >>> x = np.array([np.sin(2 * np.pi * 1000 * t), np.sin(2 * np.pi * 3000 * t)])
    >>> spectral_centroid(x, sr=48000).round(3)
    array([1000., 3000.])
    """
    sr = _rate(sr)
    x = _signal(x, channels=True)
    p = np.abs(np.fft.rfft(x * np.hanning(x.shape[-1]), axis=-1)) ** 2
    f = np.fft.rfftfreq(x.shape[-1], 1.0 / sr)
    total = p.sum(axis=-1)
    if not (total > 0).all():
        which = "the signal is" if x.ndim == 1 else f"channel {int(np.flatnonzero(~(total > 0))[0])} is"
        raise PhyssynthError(f"{which} silent (all zeros): it has no spectral centroid")
    c = (p * f).sum(axis=-1) / total
    return float(c) if x.ndim == 1 else c


def cents(f, f_ref):
    """The interval from ``f_ref`` up to ``f`` in cents: 1200 log2(f / f_ref).

    Parameters
    ----------
    f, f_ref : float or array_like (broadcast together), Hz
        Frequencies > 0. A NaN (a peak :func:`spectral_peaks` did not find) gives NaN, so a
        comparison against it fails.

    Returns
    -------
    float (for scalars) or ndarray, cents

    Examples
    --------
    >>> round(cents(440.0 * 2 ** (7 / 12), 440.0), 9)
    700.0
    >>> cents([220.0, 880.0], 440.0)
    array([-1200.,  1200.])
    """
    if any(v is None or isinstance(v, bool) for v in (f, f_ref)):
        raise PhyssynthError(f"cents needs frequencies (Hz), got {f!r} and {f_ref!r}")
    try:
        a, b = np.broadcast_arrays(np.asarray(f, dtype=np.float64), np.asarray(f_ref, dtype=np.float64))
    except (TypeError, ValueError):
        raise PhyssynthError(f"cents needs frequencies (Hz) of matching shapes, got {f!r} and {f_ref!r}") from None
    for v, name in ((a, "f"), (b, "f_ref")):
        bad = ~np.isnan(v) & ~(np.isfinite(v) & (v > 0))
        if bad.any():
            raise PhyssynthError(f"cents: {name} must be finite frequencies > 0 Hz, got {float(v[bad][0])!r}")
    out = 1200.0 * np.log2(a / b)
    return float(out) if out.ndim == 0 else out


# ------------------------------------------------------------------------------- comparing two sounds
#: FFT sizes of :func:`spectral_loss`: the multi-scale loss of DDSP (Engel et al., ICLR 2020).
SPECTRAL_LOSS_SIZES = (2048, 1024, 512, 256, 128, 64)


def _stft_magnitude(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """|STFT| of frames centred on t = 0, hop, 2 hop, ... (zero-padded by n_fft / 2 at both
    ends), Hann window scaled by its sum: a steady sinusoid of amplitude A reads A / 2."""
    w = np.hanning(n_fft + 2)[1:-1]  # periodic-like Hann with no zero end points
    xp = np.pad(x, (n_fft // 2, n_fft // 2))
    frames = np.lib.stride_tricks.sliding_window_view(xp, n_fft)[::hop]
    return np.abs(np.fft.rfft(frames * (w / w.sum()), axis=-1))


def spectral_loss(
    x, y, *, sr: float, fft_sizes=SPECTRAL_LOSS_SIZES, overlap: float = 0.75, eps: float = 1e-7, fmax=None
):
    """Multi-scale spectral loss between two sounds: for each FFT size, the mean absolute
    difference of their STFT magnitudes plus the mean absolute difference of the natural logs
    of the magnitudes, summed over the sizes.

    The loss DDSP trains with (Engel, Hantrakul, Gu & Roberts, "DDSP: Differentiable Digital
    Signal Processing", ICLR 2020, sec. 4.2.1: FFT sizes 2048 .. 64, L1 of magnitude plus L1
    of log magnitude, each weighted 1). The large FFTs judge frequencies and decays, the small
    ones the attack. It is blind to phase, so a pickup's polarity does not count. Magnitudes
    are in the signals' own unit (a Hann window scaled by its sum: a steady sinusoid of
    amplitude A reads A / 2), so scale the two sounds alike before comparing them; ``eps``
    keeps the log of silent bins finite and sets the level below which differences stop
    counting.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The two sounds (one channel each, the same length, at least 16 samples).
    sr : float, Hz
        Their sample rate.
    fft_sizes : sequence of int
        Frame lengths, each a power of two from 16 to 65536.
    overlap : float
        Fraction of each frame shared with the next (0 <= overlap < 1; hop = n_fft (1 - overlap)).
    eps : float, sequence of float, or "floor"
        Added to each magnitude before its log (> 0, in the unit of the signals), one for all
        sizes or one per size; ``"floor"``: at each size 10 times (20 dB above) the median
        magnitude of ``x``. Most time-frequency bins of a decaying recording hold only its
        noise, so the median is its noise floor; 20 dB above it, the noise of a recording
        against a clean resynthesis costs log(1.1) = 0.1 a bin, where an eps at the floor
        itself would charge log 2 = 0.7 for each bin of noise.
    fmax : float, Hz, optional
        Compare only bins at or below this frequency (default: up to Nyquist).

    Returns
    -------
    float
        0 for identical sounds; never negative.

    Examples
    --------
    >>> t = np.arange(4800) / 48000
    >>> a = np.sin(2 * np.pi * 440 * t)
    >>> spectral_loss(a, a, sr=48000)
    0.0
    >>> bool(spectral_loss(a, 0.5 * a, sr=48000) > spectral_loss(a, 0.9 * a, sr=48000))  # 6 dB costs more than 1
    True
    """
    sr = _rate(sr)
    a = _signal(x, "first signal")
    b = _signal(y, "second signal")
    if a.shape != b.shape:
        raise PhyssynthError(
            f"the two signals must have the same length to be compared, got {a.size} and {b.size} samples; "
            "trim or zero-pad one of them"
        )
    try:
        sizes = [int(validate.integer(n, "FFT size", lo=16, hi=65536)) for n in np.atleast_1d(fft_sizes)]
    except TypeError:
        raise PhyssynthError(f"fft_sizes must be whole numbers, got {fft_sizes!r}") from None
    if not sizes or any(n & (n - 1) for n in sizes):
        raise PhyssynthError(f"fft_sizes must be powers of two from 16 to 65536, got {fft_sizes!r}")
    overlap = validate.finite(overlap, "overlap", lo=0.0, hi=0.99)
    floor = isinstance(eps, str) and eps == "floor"
    if floor:
        eps_all = [None] * len(sizes)
    else:
        eps_all = np.atleast_1d(np.asarray(eps, dtype=object))
        if eps_all.size not in (1, len(sizes)):
            raise PhyssynthError(f"eps must be one number, one per FFT size ({len(sizes)}) or 'floor', got {eps!r}")
        eps_all = [validate.positive(e, "eps") for e in np.broadcast_to(eps_all, (len(sizes),))]
    if fmax is not None:
        fmax = validate.positive(fmax, "fmax", "Hz")
    # two padded copies of each signal framed, windowed and transformed: 3 x 16 bytes a bin
    biggest = max(a.size / max(1, int(n * (1 - overlap))) * (n // 2 + 1) for n in sizes)
    validate.check_memory(96.0 * biggest, f"a spectral loss over {a.size} samples", "compare shorter pieces")
    total = 0.0
    for n, eps in zip(sizes, eps_all):
        hop = max(1, int(round(n * (1.0 - overlap))))
        sa, sb = _stft_magnitude(a, n, hop), _stft_magnitude(b, n, hop)
        if eps is None:
            eps = max(10.0 * float(np.median(sa)), 1e-300)
        if fmax is not None:
            keep = np.fft.rfftfreq(n, 1.0 / sr) <= fmax
            sa, sb = sa[:, keep], sb[:, keep]
        total += float(np.mean(np.abs(sa - sb)) + np.mean(np.abs(np.log(sa + eps) - np.log(sb + eps))))
    return total
