"""Modal parameters from a recording: ESPRIT in narrow bands.

A struck object rings as a sum of exponentially damped sinusoids. Each partial is one complex
pole z = exp((-sigma + 2 pi i f) / fs): its frequency f (Hz) and decay rate sigma (1/s, so
T60 = ln(1000) / sigma), with a complex amplitude (level and phase). :func:`analyse` finds the
poles of a recording in three steps:

1. **Peaks**: the spectrum of the sound after its onset (a decreasing half-Hann window, so the
   loud start counts most and the end has no edge), peaks that stand ``threshold_db`` above the
   local noise floor (a running median of the spectrum) grouped into bands.
2. **Bands**: each band is cut out of one long FFT of the zero-padded record by a flat-topped
   window with raised-cosine edges, shifted to 0 Hz and transformed back at a rate just above
   its width (a few hundred samples a band). A linear time-invariant filter keeps a damped
   sinusoid a damped sinusoid with the same pole, so once the filter's own response to the onset
   has died away (its length is measured, not assumed) the band holds exactly the poles of the
   partials in it.
3. **ESPRIT** (Roy & Kailath, IEEE Trans. ASSP 37, 1989; the Hankel form of Hua & Sarkar, IEEE
   Trans. ASSP 38, 1990, "matrix pencil"): the signal subspace of the band's Hankel matrix, its
   order the singular values above the noise edge sigma_n (sqrt(M) + sqrt(L)) of an M x L
   Hankel matrix of white noise (Marchenko-Pastur), and the poles as the eigenvalues of the
   shift-invariance operator. Two partials closer than the spectrum can separate (a doublet of
   a nearly symmetric object, a beat of a fraction of a hertz) are two poles of one band.
   Amplitudes and phases follow by least squares on the poles' Vandermonde matrix.

The uncertainty given with each frequency and decay rate is the Cramer-Rao bound of a single
damped exponential in white noise (Yao & Pandit, IEEE Trans. SP 43, 1995, eq. 9), from the
residual of the band's fit: the spread an efficient estimator would have with this much noise.
ESPRIT reaches it within a factor of about 2 at these SNRs; close doublets share their
information and have more.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from physsynth import validate
from physsynth.errors import PhyssynthError
from physsynth.measure import LN1000

__all__ = ["Analysis", "RecordingError", "analyse", "check_recording"]

#: Shortest recording analysed, s: a partial needs tens of periods and some decay.
MIN_DURATION = 0.05
#: Samples at the exact peak level that mark a clipped recording (a clean one has one or two).
CLIP_SAMPLES = 8
#: Pair partials closer than this fraction of their frequency as a doublet (about 8.6 cents).
DOUBLET_REL = 0.005
#: Most Hankel columns: ESPRIT's variance is near its best with L about N / 3; past a few
#: hundred columns the SVD costs more than the accuracy it buys.
MAX_COLUMNS = 200
#: Most samples of one band used (after the filter settles): the late samples of a decaying
#: partial are noise.
MAX_BAND_SAMPLES = 1500


class RecordingError(PhyssynthError):
    """The recording cannot be analysed: silent, clipped, too short, or with no clear partials."""


@dataclass(frozen=True)
class Analysis:
    """The partials found in a recording, sorted by frequency.

    Attributes
    ----------
    frequencies : ndarray, shape (n,), Hz
    decay_rates : ndarray, shape (n,), 1/s
        Amplitude decays as exp(-sigma t).
    amplitudes : ndarray, shape (n,), unit of the samples
        Amplitude of each partial at the onset.
    phases : ndarray, shape (n,), rad
        Cosine phase of each partial at the onset.
    frequency_std, decay_rate_std : ndarray, shape (n,), Hz and 1/s
        Standard uncertainties (Cramer-Rao bound from the band's residual).
    snr_db : ndarray, shape (n,), dB
        Amplitude at the start of its band's fit over the band's residual noise.
    doublet : ndarray of int, shape (n,)
        Index of the other member of a close pair (a doublet), -1 for none.
    sr : float, Hz
    onset : float, s
        Where the sound starts in the recording.
    duration : float, s
        Length of the recording.
    noise_floor_db : float, dB
        Median level of the spectrum's floor relative to its highest peak.
    warnings : tuple of str
        What looked doubtful (each a sentence).
    """

    frequencies: np.ndarray
    decay_rates: np.ndarray
    amplitudes: np.ndarray
    phases: np.ndarray
    frequency_std: np.ndarray
    decay_rate_std: np.ndarray
    snr_db: np.ndarray
    doublet: np.ndarray
    sr: float
    onset: float
    duration: float
    noise_floor_db: float
    warnings: tuple = field(default_factory=tuple)

    @property
    def n_partials(self) -> int:
        return len(self.frequencies)

    @property
    def t60(self) -> np.ndarray:
        """60 dB decay time of each partial (s; inf for a partial that does not decay)."""
        with np.errstate(divide="ignore"):
            return LN1000 / self.decay_rates

    @property
    def t60_std(self) -> np.ndarray:
        """Standard uncertainty of each T60 (s), propagated from the decay rate's."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return LN1000 * self.decay_rate_std / self.decay_rates**2

    @property
    def levels_db(self) -> np.ndarray:
        """Level of each partial at the onset, dB relative to the strongest."""
        return 20 * np.log10(self.amplitudes / self.amplitudes.max())

    @property
    def beats(self) -> np.ndarray:
        """Beat frequency (Hz) of each doublet member with its partner, NaN for a single partial."""
        out = np.full(self.n_partials, np.nan)
        has = self.doublet >= 0
        out[has] = np.abs(self.frequencies[has] - self.frequencies[self.doublet[has]])
        return out

    def rows(self) -> list[dict]:
        """One dict per partial: the table that JSON and CSV carry."""
        out = []
        for i in range(self.n_partials):
            out.append(
                {
                    "partial": i + 1,
                    "frequency_hz": float(self.frequencies[i]),
                    "frequency_std_hz": float(self.frequency_std[i]),
                    "frequency_std_cents": float(1200 / math.log(2) * self.frequency_std[i] / self.frequencies[i]),
                    "decay_rate_per_s": float(self.decay_rates[i]),
                    "decay_rate_std_per_s": float(self.decay_rate_std[i]),
                    "t60_s": float(self.t60[i]),
                    "t60_std_s": float(self.t60_std[i]),
                    "amplitude": float(self.amplitudes[i]),
                    "level_db": float(self.levels_db[i]),
                    "phase_rad": float(self.phases[i]),
                    "snr_db": float(self.snr_db[i]),
                    "doublet_with": int(self.doublet[i] + 1) if self.doublet[i] >= 0 else None,
                    "beat_hz": None if np.isnan(self.beats[i]) else float(self.beats[i]),
                }
            )
        return out

    def to_json(self) -> dict:
        return {
            "sr": self.sr,
            "onset_s": self.onset,
            "duration_s": self.duration,
            "noise_floor_db": self.noise_floor_db,
            "n_partials": self.n_partials,
            "warnings": list(self.warnings),
            "partials": self.rows(),
        }

    def to_csv(self) -> str:
        rows = self.rows()
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else v for k, v in r.items()})
        return buf.getvalue()

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1, allow_nan=True)

    def table(self) -> str:
        """The partials as a fixed-width text table."""
        lines = [
            f"# {self.n_partials} partials, onset {self.onset:.4f} s, noise floor {self.noise_floor_db:.1f} dB",
            f"{'#':>3} {'freq_hz':>11} {'+-cents':>8} {'t60_s':>8} {'+-%':>6} {'level_db':>8} {'snr_db':>6}  doublet",
        ]
        for i, r in enumerate(self.rows()):
            pct = 100 * r["t60_std_s"] / r["t60_s"] if np.isfinite(r["t60_s"]) and r["t60_s"] > 0 else float("nan")
            d = f"with {r['doublet_with']}, beat {r['beat_hz']:.3f} Hz" if r["doublet_with"] else ""
            lines.append(
                f"{i + 1:>3} {r['frequency_hz']:>11.4f} {r['frequency_std_cents']:>8.4f} {r['t60_s']:>8.4g} "
                f"{pct:>6.2f} {r['level_db']:>8.2f} {r['snr_db']:>6.1f}  {d}"
            )
        lines += [f"# warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def model_signal(self, n: int) -> np.ndarray:
        """The partials summed as a signal of ``n`` samples from the onset (samples after the onset)."""
        t = np.arange(n) / self.sr
        out = np.zeros(n)
        for f, s, a, p in zip(self.frequencies, self.decay_rates, self.amplitudes, self.phases):
            out += a * np.exp(-s * t) * np.cos(2 * np.pi * f * t + p)
        return out


# ------------------------------------------------------------------ checks of a recording
def _mono(x) -> np.ndarray:
    if np.iscomplexobj(x):
        raise RecordingError("the recording must be real samples, got complex ones")
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise RecordingError(f"the recording must be an array of samples, got {type(x).__name__}") from None
    if a.ndim == 2:
        a = a.sum(axis=0)  # channels of one object share its poles
    if a.ndim != 1 or a.size == 0:
        raise RecordingError(f"the recording must have shape (n,) or (n_channels, n), got shape {np.shape(x)}")
    if not np.isfinite(a).all():
        raise RecordingError("the recording has NaN or infinite samples")
    return a


def check_recording(x, *, sr: float) -> np.ndarray:
    """The recording as one channel, refused when it cannot be analysed.

    Parameters
    ----------
    x : array_like, shape (n,) or (n_channels, n)
        Channels are summed (they share the object's poles).
    sr : float, Hz

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    RecordingError
        Shorter than :data:`MIN_DURATION`, silent, or clipped (:data:`CLIP_SAMPLES` or more
        samples at exactly the peak level: a clean recording reaches its peak once).
    """
    sr = validate.positive(sr, "sample rate", "Hz", error=RecordingError)
    a = _mono(x)
    if a.size < max(64, MIN_DURATION * sr):
        raise RecordingError(
            f"the recording is too short ({a.size} samples, {a.size / sr:.3g} s); analysis needs at least "
            f"{MIN_DURATION:g} s of the ringing sound"
        )
    peak = float(np.max(np.abs(a)))
    if peak == 0.0 or peak < 1e-9:
        raise RecordingError(
            "the recording is silent (peak below -180 dBFS): check the input channel and the recording level"
        )
    at_peak = int(np.count_nonzero(np.abs(a) >= peak * (1 - 1e-9)))
    if at_peak >= CLIP_SAMPLES:
        raise RecordingError(
            f"the recording is clipped: {at_peak} samples sit at exactly its peak level ({20 * math.log10(peak):.2f} "
            "dBFS); clipping adds partials that are not the object's, so record again with less gain"
        )
    return a


# ------------------------------------------------------------------ analysis
def _onset(a: np.ndarray, sr: float) -> tuple[int, int]:
    """(onset, peak) sample indices: the envelope's maximum (2 ms RMS frames), and the first
    frame before it within 20 dB of that maximum."""
    m = max(1, int(0.002 * sr))
    k = a.size // m
    e = np.sqrt(np.mean(a[: k * m].reshape(k, m) ** 2, axis=1))
    p = int(np.argmax(e))
    before = np.flatnonzero(e[: p + 1] >= 0.1 * e[p])
    return int(before[0]) * m, p * m


def _noise_floor(power: np.ndarray, df: float) -> np.ndarray:
    """The level the peaks stand on: the lower quartile of the power spectrum in blocks of
    about 100 Hz (at least 64 bins), linearly interpolated between block centres.

    The lower quartile rather than the median, because the skirts of strong partials (the
    Lorentzian of a damped sinusoid falls only as 1 / df^2) fill much of a block; for bins of
    noise alone the quartile is -ln(3/4) = 0.288 of their mean power (an exponential
    distribution)."""
    b = max(64, int(100.0 / df))
    n = power.size // b
    if n < 2:
        return np.full(power.size, np.quantile(power, 0.25))
    q = np.quantile(power[: n * b].reshape(n, b), 0.25, axis=1)
    centres = (np.arange(n) + 0.5) * b
    return np.interp(np.arange(power.size), centres, q)


def _bands(peaks_hz: np.ndarray, fmin: float, fmax: float) -> list[tuple[float, float, int]]:
    """Group sorted peak frequencies into bands (lo, hi, n_peaks) that partition the axis
    between groups: neighbours closer than twice their margin share a band (at most 8)."""
    margin = np.maximum(5.0, 0.01 * peaks_hz)
    groups = [[0]]
    for i in range(1, peaks_hz.size):
        close = peaks_hz[i] - peaks_hz[i - 1] < margin[i - 1] + margin[i]
        if close and len(groups[-1]) < 8:
            groups[-1].append(i)
        else:
            groups.append([i])
    out = []
    for g_i, g in enumerate(groups):
        lo = peaks_hz[g[0]] - margin[g[0]]
        hi = peaks_hz[g[-1]] + margin[g[-1]]
        if g_i > 0:
            lo = max(lo, 0.5 * (peaks_hz[g[0]] + peaks_hz[groups[g_i - 1][-1]]))
        if g_i + 1 < len(groups):
            hi = min(hi, 0.5 * (peaks_hz[g[-1]] + peaks_hz[groups[g_i + 1][0]]))
        out.append((max(lo, 0.5 * fmin), min(hi, fmax), len(g)))
    return out


def _esprit(y: np.ndarray, k_max: int):
    """Poles and amplitudes of a complex signal y[j] = sum_k c_k z_k^j + noise.

    The Hankel matrix's singular subspace once; a first pass at the generous order ``k_max`` gives the
    residual, hence the noise; the order is then the number of singular values above twice
    the largest a Hankel matrix of that noise has (about sigma (sqrt(M) + sqrt(L)), 1.1 to 1.4
    times that for these sizes), and the poles follow by least squares on the shift
    invariance of the signal subspace. Returns (z, c, residual variance)."""
    n = y.size
    L = int(min(MAX_COLUMNS, max(4, n // 3)))
    M = n - L + 1
    H = np.lib.stride_tricks.sliding_window_view(y, L)  # (M, L), H[i, j] = y[i + j]
    # H = A C B^T with B[j, k] = z_k^j: the eigenvectors of the L x L Gram matrix H^T conj(H)
    # with the largest eigenvalues span B, and the eigenvalues are the squared singular values
    # (an L x L eigenproblem instead of the M x L SVD: M L^2 to form, a tenth of the time)
    lam, vec = scipy.linalg.eigh(H.T @ H.conj(), check_finite=False)
    s = np.sqrt(np.maximum(lam[::-1], 0.0))
    U = vec[:, ::-1]
    j = np.arange(n)[:, None]

    def fit(k):
        Uk = U[:, :k]
        z = np.linalg.eigvals(np.linalg.lstsq(Uk[:-1], Uk[1:], rcond=None)[0])
        # a pole growing by more than e^3 over the band is noise, not a partial; kept, its
        # powers would overflow the Vandermonde matrix
        z = z[(np.abs(z) > 0) & (n * np.log(np.maximum(np.abs(z), 1e-300)) < 3.0)]
        V = z[None, :] ** j
        c = np.linalg.lstsq(V, y, rcond=None)[0]
        return z, c, float(np.mean(np.abs(y - V @ c) ** 2))

    k_max = int(min(k_max, L - 1, M - 1))
    _, _, var = fit(k_max)
    edge = math.sqrt(var) * (math.sqrt(M) + math.sqrt(L))
    k = int(min(k_max, np.count_nonzero(s > 2.0 * edge)))
    if k == 0:
        return np.zeros(0, complex), np.zeros(0, complex), var
    return fit(k)


def _crb(z: np.ndarray, c: np.ndarray, n: int, var: float) -> tuple[np.ndarray, np.ndarray]:
    """Cramer-Rao bounds (std) of the angular frequencies (rad/sample) and damping rates
    (1/sample) of the poles z, with amplitudes c, of n samples in complex white noise of
    variance ``var``: the inverse of the Fisher information (2 / var) Re(J^H J), J the
    derivatives of the model sum_k c_k z_k^j by each real parameter (Yao & Pandit, IEEE Trans.
    SP 43, 1995). Joint over the band's poles, so a close doublet's shared information counts."""
    j = np.arange(n)[:, None]
    V = z[None, :] ** j
    cv = V * c[None, :]
    J = np.concatenate([1j * j * cv, -j * cv, V, 1j * V], axis=1)
    fim = (2.0 / var) * (J.conj().T @ J).real
    try:
        cov = np.linalg.inv(fim)
    except np.linalg.LinAlgError:
        inf = np.full(z.size, np.inf)
        return inf, inf
    d = np.sqrt(np.maximum(np.diag(cov), 0.0))
    k = z.size
    return d[:k], d[k : 2 * k]


def analyse(
    x,
    *,
    sr: float,
    fmin: float = 20.0,
    fmax: float | None = None,
    threshold_db: float = 20.0,
    max_partials: int = 100,
    min_snr_db: float = 10.0,
) -> Analysis:
    """Partials of a struck or rubbed object's recording: frequency, decay rate, amplitude,
    phase, each with an uncertainty, and the close pairs (doublets) with their beat.

    Parameters
    ----------
    x : array_like, shape (n,) or (n_channels, n)
        The recording (channels are summed), at least :data:`MIN_DURATION` s.
    sr : float, Hz
        Its sample rate.
    fmin, fmax : float, Hz
        Partials are looked for between these (default 20 Hz .. min(20 kHz, 0.45 sr)).
    threshold_db : float, dB
        How far a spectral peak must stand above the local noise floor to count (the largest
        of 10^5 bins of white noise stands about 12 dB above their median).
    max_partials : int
        At most this many spectral peaks (the strongest) are analysed.
    min_snr_db : float, dB
        Poles weaker than this over their band's residual are dropped as noise.

    Returns
    -------
    Analysis

    Raises
    ------
    RecordingError
        Silent, clipped or too short (:func:`check_recording`), or no partial found.

    Examples
    --------
    >>> sr = 16000
    >>> t = np.arange(2 * sr) / sr
    >>> x = np.exp(-3.0 * t) * np.cos(2 * np.pi * 440.0 * t) + 0.5 * np.exp(-5.0 * t) * np.cos(2 * np.pi * 1230 * t)
    >>> a = analyse(x, sr=sr)
    >>> [round(float(f), 3) for f in a.frequencies], [round(float(s), 3) for s in a.decay_rates]
    ([440.0, 1230.0], [3.0, 5.0])
    """
    sr = validate.positive(sr, "sample rate", "Hz", error=RecordingError)
    a = check_recording(x, sr=sr)
    fmin = validate.positive(fmin, "fmin", "Hz", error=RecordingError)
    fmax = min(20000.0, 0.45 * sr) if fmax is None else validate.positive(fmax, "fmax", "Hz", error=RecordingError)
    if not fmin < fmax < 0.5 * sr:
        raise RecordingError(
            f"the band {fmin:g}..{fmax:g} Hz must lie below Nyquist ({0.5 * sr:g} Hz) with fmin < fmax"
        )
    threshold_db = validate.positive(threshold_db, "threshold_db", "dB", error=RecordingError)
    max_partials = validate.integer(max_partials, "max_partials", lo=1, hi=10000, error=RecordingError)
    min_snr_db = validate.finite(min_snr_db, "min_snr_db", "dB", error=RecordingError)
    n = a.size
    n2 = 1 << int(math.ceil(math.log2(2 * n)))
    validate.check_memory(48.0 * n2, f"the spectrum of {n} samples", "analyse a shorter piece", error=RecordingError)
    warnings = []
    on, pk = _onset(a, sr)
    if on == 0 and pk == 0:
        warnings.append("the sound is loudest at the very start: the recording may begin after the strike")
    seg = a[pk:]
    if seg.size < MIN_DURATION * sr:
        raise RecordingError(
            f"only {seg.size / sr:.3g} s of the sound follow its loudest point; record at least {MIN_DURATION:g} s "
            "of the ringing"
        )

    # 1. peaks of the decaying sound's spectrum over its local noise floor
    w = np.cos(0.5 * np.pi * np.arange(seg.size) / seg.size) ** 2
    nfft = 1 << int(math.ceil(math.log2(seg.size)))
    power = np.abs(np.fft.rfft(seg * w, nfft)) ** 2
    df_seg = sr / nfft
    floor = _noise_floor(power, df_seg)
    freqs_seg = np.arange(power.size) * df_seg
    with np.errstate(divide="ignore"):
        spec_db = 10 * np.log10(np.maximum(power, 1e-300))
        floor_db = 10 * np.log10(np.maximum(floor, 1e-300))
    from scipy.signal import find_peaks
    from scipy.special import erf

    inband = (freqs_seg >= fmin) & (freqs_seg <= fmax)
    idx, props = find_peaks(np.where(inband, spec_db, -np.inf), prominence=6.0)
    above = spec_db[idx] - floor_db[idx]
    best = float(above.max()) if idx.size else -np.inf
    keep = above >= threshold_db
    idx, above = idx[keep], above[keep]
    top = spec_db.max()
    noise_floor_db = float(np.median(floor_db[inband]) - top)
    if idx.size == 0:
        raise RecordingError(
            f"no clear partials: the strongest spectral peak between {fmin:g} and {fmax:g} Hz stands "
            f"{best:.1f} dB above the noise floor (a partial needs {threshold_db:g} dB); is this a struck object, "
            "recorded close enough?"
        )
    if idx.size > max_partials:
        idx = np.sort(idx[np.argsort(above)[::-1][:max_partials]])
    peaks_hz = freqs_seg[idx]

    # 2. the bands cut out of one FFT of the whole record
    X = np.fft.rfft(a, n2)
    df = sr / n2
    # a pole belongs to a peak found in the spectrum when it lies within the peak's main lobe
    # (a doublet too close to show two peaks) or 1.5 Hz of it
    near_hz = max(1.5, 4.0 * sr / seg.size)
    found = []
    for lo, hi, _n in _bands(peaks_hz, fmin, fmax):
        fc = 0.5 * (lo + hi)
        # Gaussian-smoothed edges (a rectangle convolved with a Gaussian of std taper / 6):
        # the band's impulse response is a sinc times a Gaussian, 120 dB down after 4.3 / taper
        # seconds, where raised-cosine edges of the same width take 3 / taper for 60 dB
        taper = float(np.clip(0.05 * fc, 20.0, 300.0))
        taper = min(taper, 0.5 * lo, (0.5 * sr - hi) / 1.5)
        if taper <= 4 * df:
            continue
        k_lo = max(int(math.floor((lo - 1.5 * taper) / df)), 1)
        k_hi = min(int(math.ceil((hi + 1.5 * taper) / df)), X.size - 1)
        kk = np.arange(k_lo, k_hi + 1)
        fk = kk * df
        g = math.sqrt(2.0) * taper / 6.0
        W = 0.5 * (erf((fk - (lo - 0.5 * taper)) / g) - erf((fk - (hi + 0.5 * taper)) / g))
        span = kk.size
        m = 1 << int(math.ceil(math.log2(1.25 * span + 8)))
        k0 = int(round(fc / df))
        buf = np.zeros(m, complex)
        buf[(kk - k0) % m] = X[kk] * W
        dec = n2 // m
        b = np.fft.ifft(buf) * (2.0 * m / n2)  # baseband at rate fs_d: b[j] = analytic signal / e^{i 2 pi f0 t}
        fs_d = sr / dec
        f0 = k0 * df
        # the filter's own response to the onset and to the end: where |ifft(W)| stays below
        # 1e-6 of its peak (-120 dB)
        h = np.abs(np.fft.ifft(np.pad(W, (0, m - span))))
        h /= h.max()
        tail = np.flatnonzero(h[: m // 2] > 1e-6)
        settle = (int(tail[-1]) + 1 if tail.size else 1) * dec
        start = max(pk + int(0.003 * sr), on + settle)
        j0 = int(math.ceil(start / dec))
        j1 = min(int((n - settle) // dec), j0 + MAX_BAND_SAMPLES)
        y = b[j0:j1]
        if y.size < 16:
            continue
        # each spectral peak may hide a doublet; the tapers may bring in neighbours' partials
        inside = np.count_nonzero((peaks_hz > lo - taper) & (peaks_hz < hi + taper))
        z, c, var_r = _esprit(y, 2 * inside + 4)
        if z.size == 0:
            continue
        f = f0 + np.angle(z) * fs_d / (2 * np.pi)
        sigma = -np.log(np.abs(z)) * fs_d
        snr = 20 * np.log10(np.maximum(np.abs(c), 1e-300) / math.sqrt(var_r))
        near = np.abs(f[:, None] - peaks_hz[None, :]).min(axis=1) <= np.maximum(near_hz, 0.003 * f)
        keep = (
            (f >= lo)
            & (f < hi)
            & (f >= fmin)
            & (f <= fmax)
            & near
            & (snr >= min_snr_db)
            & (sigma < 0.5 * fs_d)  # faster than this is a click, not a partial
            & (sigma > -sr / n)  # growing by more than e over the record: not a free decay
        )
        if not keep.any():
            continue
        z, f, sigma, snr = z[keep], f[keep], sigma[keep], snr[keep]
        V = z[None, :] ** np.arange(y.size)[:, None]
        c = np.linalg.lstsq(V, y, rcond=None)[0]
        var_k = max(float(np.mean(np.abs(y - V @ c) ** 2)), var_r)
        std_w, std_a = _crb(z, c, y.size, var_k)
        t_s = j0 * dec / sr
        t_on = on / sr
        amp = np.abs(c) * np.exp(sigma * (t_s - t_on))
        phase = np.angle(c) + 2 * np.pi * f0 * t_s - 2 * np.pi * f * (t_s - t_on)
        phase = (phase + np.pi) % (2 * np.pi) - np.pi
        for row in zip(f, sigma, amp, phase, std_w * fs_d / (2 * np.pi), std_a * fs_d, snr):
            found.append(tuple(float(v) for v in row))
    if not found:
        raise RecordingError(
            f"no clear partials: {idx.size} spectral peaks stand out, but none rings as a damped sinusoid "
            f"above the noise ({min_snr_db:g} dB); is this a struck object?"
        )
    found.sort()
    arr = np.array(found)
    freqs, sig = arr[:, 0], arr[:, 1]
    doublet = np.full(freqs.size, -1)
    for i in range(freqs.size - 1):
        if doublet[i] < 0 and doublet[i + 1] < 0 and freqs[i + 1] - freqs[i] < DOUBLET_REL * freqs[i]:
            doublet[i], doublet[i + 1] = i + 1, i
    if np.any(sig < 0):
        warnings.append(
            f"{int(np.count_nonzero(sig < 0))} partial(s) grow slightly over the recording (a decay too slow to "
            "measure in this length, or a sound still driven)"
        )
    late = a[-max(1, int(0.05 * sr)) :]
    if np.sqrt(np.mean(late**2)) > 0.1 * np.sqrt(np.mean(a[pk : pk + max(1, int(0.05 * sr))] ** 2)):
        warnings.append("the sound is still ringing at the end (within 20 dB of its start): long decays are uncertain")
    return Analysis(
        frequencies=freqs,
        decay_rates=sig,
        amplitudes=arr[:, 2],
        phases=arr[:, 3],
        frequency_std=arr[:, 4],
        decay_rate_std=arr[:, 5],
        snr_db=arr[:, 6],
        doublet=doublet,
        sr=float(sr),
        onset=on / sr,
        duration=n / sr,
        noise_floor_db=noise_floor_db,
        warnings=tuple(warnings),
    )
