"""physsynth.measure on synthetic signals whose answers are known in closed form.

Each tolerance says what it means physically: cents for pitch, percent for decay times and
centroids. The signals are built here from the quantity being measured, so nothing is taken
from the code under test.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from physsynth import audio, measure
from physsynth.errors import PhyssynthError
from physsynth.measure import (
    band_envelope,
    band_levels,
    cents,
    decay_rates,
    fit_decay_rates,
    frame_rms,
    peak_frequency,
    spectral_centroid,
    spectral_peaks,
    t60,
)
from physsynth.viz import sound

SR = 48000
T = np.arange(SR) / SR  # 1 s
LN1000 = np.log(1000.0)


def damped(f, t60_s, t, phase=0.3, amp=1.0):
    """A sinusoid whose amplitude falls 60 dB in t60_s seconds."""
    return amp * np.exp(-LN1000 * t / t60_s) * np.sin(2 * np.pi * f * t + phase)


def cents_ref(f, ref):  # the definition, written out independently of measure.cents
    return 1200.0 * np.log(np.asarray(f) / ref) / np.log(2.0)


# ----------------------------------------------------------------------------- peak frequency
@pytest.mark.parametrize("f", [97.31, 440.37, 2345.678, 9876.5])
def test_peak_frequency_of_a_sinusoid_between_bins(f):
    x = np.sin(2 * np.pi * f * T + 1.1)
    # 0.01 cent (6e-6 relative): a hundred times finer than the 1-cent tuning checks that use it
    assert abs(cents_ref(peak_frequency(x, sr=SR, f_guess=f * 1.004), f)) < 0.01
    assert abs(cents_ref(peak_frequency(x, sr=SR), f)) < 0.01  # no guess: the strongest peak


def test_peak_frequency_finds_the_weak_partial_in_its_window():
    f1, f2 = 311.13, 1234.56
    x = np.sin(2 * np.pi * f1 * T) + 0.01 * np.sin(2 * np.pi * f2 * T)  # 40 dB apart
    assert abs(cents_ref(peak_frequency(x, sr=SR), f1)) < 0.01  # the strong one without a guess
    assert abs(cents_ref(peak_frequency(x, sr=SR, f_guess=1230.0), f2)) < 0.1  # 0.1 cent


# ----------------------------------------------------------------------------- spectral peaks
def test_spectral_peaks_two_partials_40_db_apart():
    f = np.array([440.37, 1318.51])
    x = np.sin(2 * np.pi * f[0] * T + 0.2) + 0.01 * np.sin(2 * np.pi * f[1] * T + 1.0)  # -40 dB
    got = spectral_peaks(x, f * np.array([1.01, 0.99]), sr=SR)  # targets 1 % off
    # 0.1 cent: the parabola through three log-magnitude bins of a 4x padded Hann spectrum
    assert np.all(np.abs(cents_ref(got, f)) < 0.1), cents_ref(got, f)


def test_spectral_peaks_gives_nan_where_there_is_no_peak():
    x = damped(440.0, 0.5, T)  # decays to silence: a smooth skirt, no window ripples
    got = spectral_peaks(x, [440.0, 700.0], sr=SR)  # nothing near 700 Hz but the 440's skirt
    assert abs(cents_ref(got[0], 440.0)) < 0.1  # 0.1 cent
    assert np.isnan(got[1])


# ----------------------------------------------------------------------------- decay
@pytest.mark.parametrize("f, t60_s", [(220.0, 1.3), (880.0, 0.4), (3000.0, 0.15)])
def test_t60_of_a_damped_sinusoid_in_noise(f, t60_s):
    rng = np.random.default_rng(1)
    t = np.arange(2 * SR) / SR
    x = damped(f, t60_s, t)
    noise = rng.normal(size=x.size)
    x = x + noise * np.sqrt(np.mean(x**2) / np.mean(noise**2)) * 10 ** (-40 / 20)  # 40 dB SNR
    # 2 %: a straight line through 30 dB of the band level; the noise in the band lies ~80 dB
    # below the start, the fit stops 35 dB down
    np.testing.assert_allclose(t60(x, sr=SR, freqs=f), t60_s, rtol=0.02)
    np.testing.assert_allclose(decay_rates(x, sr=SR, freqs=f), LN1000 / t60_s, rtol=0.02)


def test_t60_of_three_modes_at_once():
    t = np.arange(2 * SR) / SR
    f = np.array([440.0, 1000.0, 1700.0])
    t60s = np.array([2.3, 0.86, 0.46])
    x = sum(damped(fk, tk, t) for fk, tk in zip(f, t60s))
    got = t60(x, sr=SR, freqs=f)
    assert got.shape == (3,)
    np.testing.assert_allclose(got, t60s, rtol=0.02)  # 2 % each, the bands apart
    # a band of a given width gives the same
    np.testing.assert_allclose(t60(x, sr=SR, freqs=f, half_width=40.0), t60s, rtol=0.02)


def test_band_envelope_of_a_damped_sinusoid_is_its_amplitude():
    t = np.arange(SR) / SR
    x = damped(500.0, 0.8, t)
    env = band_envelope(x, sr=SR, f=500.0, half_width=50.0)
    mid = slice(SR // 20, 19 * SR // 20)  # away from the filter's edge transients (50 ms)
    amp = np.exp(-LN1000 * t / 0.8)
    # 0.01 dB (0.12 %) down to 57 dB below the start: the band passes the tone at its centre
    # with unit gain and the envelope does not wrap around the record's ends
    np.testing.assert_allclose(env[mid], amp[mid], rtol=0.0012)


def test_band_levels_shapes_and_reference():
    x = damped(500.0, 0.8, T) + 0.5 * damped(1500.0, 0.8, T)
    times, level = band_levels(x, sr=SR, freqs=[500.0, 1500.0], hop=0.01)
    assert level.shape == (2, times.size) and times[1] == pytest.approx(0.01)
    assert level.max() == 0.0  # dB relative to the largest band envelope
    # the second band's peak is 6 dB (a factor 0.5) down, within 0.2 dB
    assert level[1].max() == pytest.approx(20 * np.log10(0.5), abs=0.2)


def test_fit_decay_rates_of_straight_lines():
    t = np.linspace(0.0, 2.0, 401)
    sigma = np.array([2.0, 7.0])
    level = -measure.DB_PER_NEPER * sigma[:, None] * t
    np.testing.assert_allclose(fit_decay_rates(t, level), sigma, rtol=1e-9)  # exact lines
    # a flat line decays at 0 /s; too few points left gives NaN
    np.testing.assert_allclose(fit_decay_rates(t, np.zeros_like(t)), [0.0], atol=1e-12)
    assert np.isnan(fit_decay_rates(t[:5], level[:, :5])).all()


# ----------------------------------------------------------------------------- level
def test_frame_rms_of_a_sinusoid_whose_amplitude_steps():
    # 0.25 s frames hold whole periods of 100 Hz: the RMS of A sin is A / sqrt(2) exactly
    amp = np.where(T < 0.5, 1.0, 0.25)
    got = frame_rms(amp * np.sin(2 * np.pi * 100.0 * T), sr=SR, frame=0.25)
    np.testing.assert_allclose(got, np.array([1.0, 1.0, 0.25, 0.25]) / np.sqrt(2), rtol=1e-9)
    assert frame_rms(np.ones(SR + 100), sr=SR, frame=0.5).shape == (2,)  # the partial frame left out


# ----------------------------------------------------------------------------- centroid
def test_spectral_centroid_per_channel_of_two_tones():
    # channel c holds a1 sin(2 pi f1 t) + a2 sin(2 pi f2 t): power a^2 / 2 at each, so the
    # centroid is (a1^2 f1 + a2^2 f2) / (a1^2 + a2^2); Hann leakage is symmetric about each tone
    f1, f2 = 523.3, 3100.7
    amps = [(1.0, 0.5), (0.3, 1.0)]
    x = np.array([a1 * np.sin(2 * np.pi * f1 * T) + a2 * np.sin(2 * np.pi * f2 * T) for a1, a2 in amps])
    expected = np.array([(a1**2 * f1 + a2**2 * f2) / (a1**2 + a2**2) for a1, a2 in amps])
    got = spectral_centroid(x, sr=SR)
    assert got.shape == (2,)
    np.testing.assert_allclose(got, expected, rtol=0.005)  # 0.5 %
    assert spectral_centroid(x[1], sr=SR) == pytest.approx(expected[1], rel=0.005)  # mono: a float
    assert isinstance(spectral_centroid(x[1], sr=SR), float)


# ----------------------------------------------------------------------------- cents
def test_cents_definition_and_round_trip():
    assert cents(880.0, 440.0) == pytest.approx(1200.0, abs=1e-9)
    assert cents(440.0, 880.0) == pytest.approx(-1200.0, abs=1e-9)
    c = np.array([-250.0, -3.5, 0.0, 0.01, 701.955])
    f = 261.63 * 2 ** (c / 1200)
    np.testing.assert_allclose(cents(f, 261.63), c, atol=1e-9)  # round trip to 1e-9 cent
    assert np.isnan(cents([np.nan, 440.0], 440.0)[0])  # a missing peak stays missing


# ----------------------------------------------------------------------------- bad input
BAD_CALLS = [
    ("empty", lambda: peak_frequency([], sr=SR)),
    ("too short", lambda: spectral_peaks(np.ones(3), [100.0], sr=SR)),
    ("NaN sample", lambda: peak_frequency(np.r_[np.ones(100), np.nan], sr=SR)),
    ("inf sample", lambda: spectral_centroid(np.r_[np.ones(100), np.inf], sr=SR)),
    ("2-D to a mono measure", lambda: peak_frequency(np.ones((2, 100)), sr=SR)),
    ("3-D", lambda: spectral_centroid(np.ones((2, 2, 100)), sr=SR)),
    ("strings", lambda: peak_frequency(["a", "b"], sr=SR)),
    ("silent", lambda: peak_frequency(np.zeros(100), sr=SR)),
    ("silent channel", lambda: spectral_centroid(np.vstack([np.ones(100), np.zeros(100)]), sr=SR)),
    ("sr 0", lambda: peak_frequency(np.ones(100), sr=0)),
    ("sr NaN", lambda: spectral_centroid(np.ones(100), sr=float("nan"))),
    ("sr negative", lambda: t60(np.ones(1000), sr=-48000, freqs=100.0)),
    ("guess above Nyquist", lambda: peak_frequency(np.ones(100), sr=SR, f_guess=30000.0)),
    ("guess negative", lambda: peak_frequency(np.ones(100), sr=SR, f_guess=-1.0)),
    ("window 0", lambda: peak_frequency(np.ones(100), sr=SR, f_guess=100.0, rel_window=0.0)),
    ("target NaN", lambda: spectral_peaks(np.ones(100), [np.nan], sr=SR)),
    ("no targets", lambda: spectral_peaks(np.ones(100), [], sr=SR)),
    ("pad 0", lambda: spectral_peaks(np.ones(100), [100.0], sr=SR, pad=0)),
    ("band above Nyquist", lambda: t60(np.sin(T), sr=SR, freqs=[25000.0])),
    ("band width 0", lambda: band_envelope(np.sin(T), sr=SR, f=100.0, half_width=0.0)),
    ("band wider than its centre", lambda: band_envelope(np.sin(T), sr=SR, f=100.0, half_width=150.0)),
    ("order 0", lambda: band_envelope(np.sin(T), sr=SR, f=100.0, half_width=10.0, order=0)),
    ("half-widths ragged", lambda: t60(np.sin(T), sr=SR, freqs=[100.0, 200.0], half_width=[5.0, 6.0, 7.0])),
    ("neighbours NaN", lambda: t60(np.sin(T), sr=SR, freqs=[100.0], neighbours=[np.nan])),
    ("frame longer than the signal", lambda: frame_rms(np.ones(100), sr=SR, frame=1.0)),
    ("frame below a sample", lambda: frame_rms(np.ones(100), sr=SR, frame=1e-9)),
    ("ragged levels", lambda: fit_decay_rates(np.arange(10.0), np.zeros((2, 9)))),
    ("times not increasing", lambda: fit_decay_rates(np.zeros(10), np.zeros(10))),
    ("complex samples", lambda: peak_frequency(np.ones(100) * 1j, sr=SR)),
    ("cents of None", lambda: cents(None, 440.0)),
    ("cents of 0 Hz", lambda: cents(0.0, 440.0)),
    ("cents of inf", lambda: cents(np.inf, 440.0)),
    ("cents ragged", lambda: cents([1.0, 2.0], [1.0, 2.0, 3.0])),
]


@pytest.mark.parametrize("what, call", BAD_CALLS, ids=[b[0] for b in BAD_CALLS])
def test_bad_input_is_refused(what, call):
    with pytest.raises(PhyssynthError):
        call()


def test_every_measurement_takes_sr_as_a_required_keyword():
    funcs = [getattr(measure, n) for n in measure.__all__ if callable(getattr(measure, n))]
    funcs += [audio.fade_out, sound.spectrum, sound.plot_spectrum, sound.plot_spectrogram, sound.strongest_modes]
    funcs += [sound.plot_sound]
    for f in funcs:
        p = inspect.signature(f).parameters.get("sr")
        if p is None:
            assert f.__name__ in ("cents", "fit_decay_rates"), f.__name__  # rate-free: Hz in, cents or 1/s out
            continue
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, f.__name__
        assert p.default is inspect.Parameter.empty, f.__name__


def test_sr_is_keyword_only_and_required():
    x = np.sin(2 * np.pi * 440.0 * T)
    with pytest.raises(TypeError):
        peak_frequency(x, SR)  # the positional rate of the old physsynth.analysis
    with pytest.raises(TypeError):
        spectral_centroid(x)


# ----------------------------------------------------------------------------- spectral loss
def test_spectral_loss_sizes_are_ddsps():
    # Engel et al., "DDSP", ICLR 2020, sec. 4.2.1: FFT sizes 2048, 1024, 512, 256, 128, 64
    assert measure.SPECTRAL_LOSS_SIZES == (2048, 1024, 512, 256, 128, 64)


def test_spectral_loss_of_a_scaled_noise_in_closed_form():
    """y = g x: each bin's log magnitudes differ by exactly |ln g| and its magnitudes by
    (1 - g) |X|; the mean |X| of white noise of variance v through a Hann window scaled by its
    sum is the Rayleigh mean sqrt(pi v sum(w^2) / 4) / sum(w)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal(SR)
    g = 0.5
    sizes = measure.SPECTRAL_LOSS_SIZES
    got = measure.spectral_loss(x, g * x, sr=SR, eps=1e-300)
    mean_mag = []
    for n in sizes:
        w = np.hanning(n + 2)[1:-1]
        mean_mag.append(np.sqrt(np.pi * np.sum(w**2) / 4.0) / w.sum())
    expected = sum((1 - g) * m + abs(np.log(g)) for m in mean_mag)
    # 2 %: the Rayleigh mean holds for complex bins; DC, Nyquist and the zero-padded end
    # frames (a few of 1000s) pull it by well under 1 %
    np.testing.assert_allclose(got, expected, rtol=0.02)
    assert measure.spectral_loss(x, x, sr=SR) == 0.0
    assert measure.spectral_loss(x, g * x, sr=SR) == measure.spectral_loss(g * x, x, sr=SR)


def test_spectral_loss_grows_with_detuning_and_decay_error():
    def tone(f, t60_s):
        return damped(f, t60_s, T)

    ref = tone(440.0, 0.8)
    by_cents = [measure.spectral_loss(ref, tone(440.0 * 2 ** (c / 1200), 0.8), sr=SR) for c in (1, 10, 100)]
    assert by_cents[0] < by_cents[1] < by_cents[2]
    by_t60 = [measure.spectral_loss(ref, tone(440.0, 0.8 * r), sr=SR) for r in (1.02, 1.2, 2.0)]
    assert by_t60[0] < by_t60[1] < by_t60[2]


@pytest.mark.parametrize(
    "kwargs, y",
    [
        ({}, np.ones(999)),
        ({"fft_sizes": (1000,)}, np.ones(1000)),
        ({"fft_sizes": ()}, np.ones(1000)),
        ({"overlap": 1.0}, np.ones(1000)),
        ({"eps": 0.0}, np.ones(1000)),
    ],
    ids=["lengths differ", "not a power of two", "no sizes", "overlap 1", "eps 0"],
)
def test_spectral_loss_refuses_bad_input(kwargs, y):
    with pytest.raises(PhyssynthError):
        measure.spectral_loss(np.ones(1000), y, sr=SR, **kwargs)
