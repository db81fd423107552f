"""Bowed string and banded waveguides: pitch (cents), sustain (dB), Helmholtz stick-slip,
the Schelleng minimum force, kernels vs plain loops, streaming vs one-shot, CLI.

Pitch is measured from the audio with physsynth.measure.peak_frequency (0.01 cent on a steady
partial; tests/conftest.py's peak_freq gives it a search window in cents).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import cents, peak_freq, rms, run_cli

from physsynth.kernels.bowed import bowed_block
from physsynth.measure import peak_frequency
from physsynth.models import BowedString, ModelParameterError, bow

SR = 48000


# ----------------------------------------------------------------- bowed string
@pytest.mark.parametrize("f0", [98.0, 196.0, 440.0])
def test_bowed_pitch_within_five_cents(f0):
    y = bow(f0, sr=SR, duration=1.0, force=0.7, velocity=0.1, position=0.13)
    # the loop is tuned to round-off (< 0.01 cent, as the plucked string); the nonlinear
    # Helmholtz motion shifts the period by a few cents (measured: 2.8, 2.7, 1.4 cents)
    assert abs(cents(peak_freq(y[SR // 4 :], SR, f0), f0)) < 5.0


def test_bowed_sustains():
    y = bow(196.0, sr=SR, duration=1.5, force=0.7, velocity=0.1, position=0.13)
    a, b = rms(y[SR // 2 : SR]), rms(y[SR : 3 * SR // 2])
    assert abs(20 * np.log10(b / a)) < 3.0  # 3 dB
    assert a > 0.05  # N at the bridge: a real note, not a residue


@pytest.mark.parametrize("f0, beta, force", [(196.0, 0.13, 1.0), (440.0, 0.13, 0.7), (196.0, 0.2, 0.7)])
def test_helmholtz_stick_slip(f0, beta, force):
    y, rel = bow(f0, sr=SR, duration=1.0, force=force, velocity=0.1, position=beta, return_relative=True)
    seg = rel[SR // 2 :]
    slip = seg != 0.0
    # Helmholtz motion: one slip per period ...
    onsets = int(np.sum(slip[1:] & ~slip[:-1]))
    assert abs(onsets - f0 * seg.size / SR) <= 2
    # ... lasting beta of it. The ideal corner is sharp; the bridge loss filter rounds it over
    # a few samples (and beta is rounded to a whole sample of a 110-245 sample loop), which
    # lengthens the slip: 20 % of beta allows 3-6 samples here (measured +2 to +6 %).
    np.testing.assert_allclose(slip.mean(), beta, rtol=0.20)
    # and during the slip the string flies back at v_b / beta (Helmholtz), here within 20 %
    np.testing.assert_allclose(np.median(seg[slip]), 0.1 / beta, rtol=0.20)


def test_too_little_force_gives_no_helmholtz_motion():
    # Schelleng's minimum force: below it the bow cannot hold the string; it slips all the time
    # and only a weak "surface sound" remains (qualitative check: no sticking at all, and more
    # than 40 dB below the normally bowed note)
    y, rel = bow(196.0, sr=SR, duration=1.0, force=0.005, velocity=0.1, position=0.13, return_relative=True)
    good = bow(196.0, sr=SR, duration=1.0, force=0.7, velocity=0.1, position=0.13)
    assert np.all(rel[SR // 2 :] != 0.0)
    assert 20 * np.log10(rms(y[SR // 2 :]) / rms(good[SR // 2 :])) < -40.0


def friction_reference(dh, F, zz, mus, mud, v0):
    """Stick if static friction can hold; else intersect curve and load line by bisection."""
    if zz * abs(dh) <= mus * F:
        return zz * dh, 0.0
    s = math.copysign(1.0, dh)
    D = abs(dh)
    lo, hi = 0.0, D  # g(lo) < 0 < g(hi)
    for _ in range(200):
        u = 0.5 * (lo + hi)
        if F * (mud + (mus - mud) * v0 / (v0 + u)) - zz * (D - u) > 0:
            hi = u
        else:
            lo = u
    u = 0.5 * (lo + hi)
    return zz * (dh - s * u), s * u


def bowed_reference(Nn, Nb, r_nut, eta, g, p, z, F0, F1, V0, V1, mus, mud, v0, n):
    """Plain-Python bowed string: lists as delay lines, bisection at the bow."""
    dn = [0.0] * Nn
    db = [0.0] * Nb
    sl = sa = 0.0
    out, rel = [], []
    for t in range(n):
        F = F0 + (F1 - F0) / n * (t + 1)
        vb = V0 + (V1 - V0) / n * (t + 1)
        vin_n = -r_nut * dn.pop(0)
        x = db.pop(0)
        sl = g * (1 - p) * x + p * sl
        y = eta * sl + sa
        sa = sl - eta * y
        vin_b = -y
        f, xr = friction_reference(vb - vin_n - vin_b, F, 2 * z, mus, mud, v0)
        dn.append(vin_b + f / (2 * z))
        db.append(vin_n + f / (2 * z))
        out.append(z * (x + y))
        rel.append(xr)
    return np.array(out), np.array(rel)


def test_bowed_kernel_matches_plain_loop():
    n, Nn, Nb = 4000, 71, 9
    args = (0.98, 0.3, 0.995, 0.4, 0.55, 0.0, 0.8, 0.0, 0.15, 0.8, 0.3, 0.1)
    out, rel = np.empty(n), np.empty(n)
    bowed_block(np.zeros(Nn), np.zeros(Nb), np.zeros(2, np.int64), np.zeros(2), *args, out, rel)
    ref, rref = bowed_reference(Nn, Nb, *args, n)
    assert np.mean(rref == 0) > 0.5  # the run does stick and slip
    # the kernel's closed-form root and the bisection agree to round-off; a chaotic system
    # could amplify that, but over 4000 samples it has not
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-9 * np.abs(ref).max())
    np.testing.assert_allclose(rel, rref, rtol=0, atol=1e-9)


BLOCKS = (1, 64, 333, 1024, 5000, 17, 2560)


def test_bowed_streaming_equals_one_shot_exactly():
    kw = dict(position=0.13, t60=0.8)
    s = BowedString(220.0, sr=SR, **kw)
    s.set_bow(force=0.6, velocity=0.12)
    n_att = int(round(0.02 * SR))
    streamed = [s.process(n_att)] + [s.process(b) for b in BLOCKS]
    streamed = np.concatenate(streamed)
    one = bow(220.0, sr=SR, duration=streamed.size / SR, force=0.6, velocity=0.12, attack=0.02, **kw)
    np.testing.assert_array_equal(streamed, one)


def test_bow_changes_without_a_click():
    s = BowedString(196.0, sr=SR, position=0.13)
    s.set_bow(force=0.7, velocity=0.1)
    before = np.concatenate([s.process(256) for _ in range(150)])
    s.set_bow(force=0.9, velocity=0.15)
    after = np.concatenate([s.process(256) for _ in range(40)])
    # no step: sample-to-sample changes stay of the order of the sustained note's (the
    # Helmholtz corner itself is a jump of about 2 Z v_b / beta), and the note goes on
    assert np.abs(np.diff(after)).max() < 2.0 * np.abs(np.diff(before[-SR // 4 :])).max()
    assert rms(after[-SR // 10 :]) > 0.5 * rms(before[-SR // 10 :])


def test_bowed_errors():
    with pytest.raises(ModelParameterError):
        bow(196.0, sr=SR, duration=0.1, force=-1.0, velocity=0.1)
    with pytest.raises(ModelParameterError):
        bow(196.0, sr=SR, duration=0.1, force=0.5, velocity=0.1, position=0.7)
    with pytest.raises(ModelParameterError):
        bow(196.0, sr=SR, duration=0.1, force=0.5, velocity=0.1, mu_s=0.2, mu_d=0.5)
    with pytest.raises(ModelParameterError):
        bow(30000.0, sr=SR, duration=0.1, force=0.5, velocity=0.1)


def test_cli_bow(tmp_path):
    from physsynth.audio import read_wav

    out = tmp_path / "b.wav"
    rc, _, err = run_cli(
        "bow",
        "--f0",
        "196",
        "--force",
        "0.7",
        "--velocity",
        "0.1",
        "--position",
        "0.13",
        "--duration",
        "0.8",
        "--sr",
        "48000",
        "-o",
        str(out),
    )
    assert rc == 0, err
    x, sr = read_wav(out)
    assert sr == 48000 and x.shape[-1] == int(0.8 * 48000)
    assert abs(cents(peak_freq(np.ravel(x)[sr // 4 : -sr // 10], sr, 196.0), 196.0)) < 5.0
    bad = tmp_path / "c.wav"
    rc, _, err = run_cli(
        "bow", "--f0", "196", "--force", "-1", "--velocity", "0.1", "--duration", "0.5", "-o", str(bad)
    )
    assert rc == 2 and "Traceback" not in err and not bad.exists(), err
    assert len([s for s in err.splitlines() if s.startswith("physsynth: error:")]) == 1, err


# ----------------------------------------------------------------- banded waveguides
from test_export import LISTENERS, PLATE_POINTS, radiating  # noqa: E402, F401 (the radiating plate)

from physsynth.kernels.banded import banded_block  # noqa: E402
from physsynth.models import BandedWaveguide, banded_from_model, banded_strike  # noqa: E402
from physsynth.models.banded import design_band  # noqa: E402


@pytest.fixture(scope="module")
def bar():
    import physsynth

    # a free steel bar, 8 modes 575 Hz - 5.8 kHz (about 1 s to compute)
    return physsynth.modal_analysis(
        physsynth.bar_mesh(0.3, 0.02, 0.01, (30, 2, 1)), physsynth.get_material("steel"), n_modes=8
    )


END = [0.0, 0.0, 0.005]
FAR = [0.3, 0.02, 0.01]


def test_band_design_puts_the_pole_on_the_mode():
    # the loop's characteristic equation 1 - L(z) = 0 holds at z_k = exp(-sigma/sr + j w_k)
    from physsynth.models.banded import _loop

    sr = 48000
    for f, sig in ((100.0, 0.5), (574.6, 0.36), (3064.0, 1.9), (11000.0, 30.0)):
        b = design_band(f, sig, sr=sr)
        zk = np.exp(-sig / sr + 2j * np.pi * f / sr)
        L = b["g"] * _loop(zk, b["N"], b["eta"], b["c0"], b["a1"], b["a2"])
        assert abs(L - 1.0) < 1e-9 and 0 < b["g"] < 1


def test_struck_bar_peaks_and_decays(bar):
    from physsynth.measure import t60

    sr = 48000
    y = banded_strike(bar, sr=sr, duration=2.0, at=END, pickup=FAR)
    f = bar.frequencies
    # modes 4 and 5 are a pair 18 Hz apart (bending and torsion): a 2 s window cannot measure
    # either alone, so the pair is left out; the others are 0.01-cent measurements
    for k in (0, 1, 2, 5, 6, 7):
        assert abs(cents(peak_freq(y, sr, f[k], search_cents=30.0), f[k])) < 1.0  # 1 cent
    # T60 19, 9.7, 7.0 s from 2 s of sound: each band's pole sits on its mode's decay rate,
    # so only the fit's error is left (measured within 0.15 %)
    got = t60(y, sr=sr, freqs=f)[:3]
    np.testing.assert_allclose(got, bar.t60[:3], rtol=0.01)  # 1 %


def test_struck_amplitudes_follow_the_mode_shapes(bar):
    # a unit impulse J gives mode k a velocity amplitude phiA_k phiP_k J at the pickup
    sr = 48000
    J = 1e-3
    y = banded_strike(bar, sr=sr, duration=0.5, at=END, pickup=FAR, impulse=J)
    bw = banded_from_model(bar, sr=sr, at=END, pickup=FAR)
    n = np.arange(y.size)
    for k in (0, 1, 2):
        f, s = bar.frequencies[k], bar.decay_rates[k]
        # least-squares amplitude of exp(-s t) cos(w t + phi) in the response
        basis = np.exp(-s * n / sr) * np.exp(2j * np.pi * f * n / sr)
        amp = 2 * abs(np.vdot(basis, y) / np.vdot(basis, basis))
        np.testing.assert_allclose(amp, abs(bw.phia[k] * bw.phip[k]) * J, rtol=0.05)  # 5 %


BAND_BLOCKS = (1, 100, 2048, 7, 999)


def test_banded_streaming_equals_one_shot(bar):
    sr = 44100
    bw = banded_from_model(bar, sr=sr, at=END, pickup=FAR)
    bw.strike(2e-3, width=0.001)
    streamed = np.concatenate([bw.process(b) for b in BAND_BLOCKS])
    one = banded_strike(bar, sr=sr, duration=streamed.size / sr, at=END, pickup=FAR, impulse=2e-3, width=0.001)
    np.testing.assert_array_equal(streamed, one)


def banded_reference(bands, e, phia, phip, y0, sr, u, n, F, vb, mus, mud, v0):
    """Plain-Python banded waveguide: one list per delay line, bandpass in direct form I."""
    K = len(bands)
    lines = [[0.0] * b["N"] for b in bands]
    sa = [0.0] * K
    sx = [[0.0, 0.0] for _ in range(K)]  # bandpass input history s[n-1], s[n-2]
    sy = [[0.0, 0.0] for _ in range(K)]  # output history
    out, rel = [], []
    for t in range(n):
        wk, hk = [], []
        for k, b in enumerate(bands):
            x = lines[k].pop(0)
            a = b["eta"] * x + sa[k]
            sa[k] = x - b["eta"] * a
            wk.append(b["g"] * a)
            # the bandpass's output without this sample's input, c0 (s - s[n-2]) - a1 y1 - a2 y2
            hk.append(-b["c0"] * sx[k][1] - b["a1"] * sy[k][0] - b["a2"] * sy[k][1])
        vh = sum(phia[k] * (bands[k]["c0"] * wk[k] + hk[k]) for k in range(K))
        ext = u[t] if t < len(u) else 0.0
        fr, xr = friction_reference(vb - vh - y0 * ext, F, 1 / y0, mus, mud, v0) if F > 0 else (0.0, 0.0)
        J = (ext + fr) / sr
        acc = 0.0
        for k, b in enumerate(bands):
            s = wk[k] + e[k] * J
            y = b["c0"] * s + hk[k]
            sx[k] = [s, sx[k][0]]
            sy[k] = [y, sy[k][0]]
            lines[k].append(y)
            acc += phip[k] * y
        out.append(acc)
        rel.append(xr)
    return np.array(out), np.array(rel)


@pytest.mark.parametrize("bowed", [False, True])
def test_banded_kernel_matches_plain_loop(bowed):
    sr = 8000.0
    bands = [design_band(f, s, sr=sr) for f, s in ((300.0, 3.0), (710.0, 8.0), (1234.0, 20.0))]
    K = len(bands)
    phia = np.array([0.8, -0.5, 0.3])
    phip = np.array([0.2, 0.7, -0.4])
    e = phia / np.array([b["amp"] for b in bands])
    c0 = np.array([b["c0"] for b in bands])
    y0 = float(np.sum(phia * c0 * e) / sr)
    u = np.zeros(0) if bowed else np.array([50.0, 20.0, -10.0])
    F, vb = (500.0, 0.02) if bowed else (0.0, 0.0)
    # bowed, the stick/slip system amplifies round-off (DF-I vs TDF-II bandpass, bisection vs
    # closed-form root: 1e-16 apart): the two agree to 1e-10 for a few hundred samples, then
    # drift apart chaotically (by 500 samples), so the bowed comparison is 400 samples at 1e-6
    n = 400 if bowed else 3000
    arr = {k: np.array([b[k] for b in bands]) for k in ("eta", "c0", "a1", "a2", "g")}
    nd = np.array([b["N"] for b in bands], np.int64)
    out, rel = np.empty((1, n)), np.empty(n)
    banded_block(
        u,
        np.zeros((K, nd.max())),
        nd,
        np.zeros(K, np.int64),
        np.zeros((K, 3)),
        arr["eta"],
        arr["c0"],
        arr["a1"],
        arr["a2"],
        arr["g"],
        e,
        phia,
        phip[None, :],
        y0,
        1 / sr,
        F,
        F,
        vb,
        vb,
        0.8,
        0.3,
        0.1,
        np.zeros(K),
        out,
        rel,
    )
    ref, rref = banded_reference(bands, e, phia, phip, y0, sr, u, n, F, vb, 0.8, 0.3, 0.1)
    if bowed:
        assert 0.02 < np.mean(rref == 0) < 0.98  # it sticks and slips
    tol = 1e-6 if bowed else 1e-12
    np.testing.assert_allclose(out[0], ref, rtol=0, atol=tol * np.abs(ref).max())
    np.testing.assert_allclose(rel, rref, rtol=0, atol=tol * np.abs(rref).max() + 1e-15)


def test_bowed_bar_sustains_near_its_first_mode(bar):
    sr = 48000
    bw = banded_from_model(bar, sr=sr, at=END, pickup=FAR)
    bw.set_bow(force=5.0, velocity=0.01)
    y = np.concatenate([bw.process(480) for _ in range(150)])  # 1.5 s in 10 ms blocks
    a, b = rms(y[sr // 2 : sr]), rms(y[sr:])
    assert abs(20 * np.log10(b / a)) < 3.0  # sustains: 3 dB
    f1 = bar.frequencies[0]
    seg = y[sr // 2 :]
    # stick-slip locks to the first mode: the strongest peak of the whole spectrum (no guess,
    # so a tone on another mode would show) is within 20 cents of it, and flat, as bowing
    # flattens (the sticking lengthens each period; measured -9.2 cents). (Its harmonics, e.g.
    # 2 x 571.5 Hz beside the second mode's 1135 Hz, are the stick-slip's, 7.6 dB down.)
    f_peak = peak_frequency(seg, sr=sr)
    assert -20.0 < cents(f_peak, f1) < 0.0, f_peak
    assert 0.02 < np.mean(bw.relative_velocity == 0) < 0.98


def test_banded_at_listeners_matches_render(radiating):  # noqa: F811 (the fixture imported above)
    """Banded waveguides of the plate of tests/test_export.py (simply supported, 8 modes
    172-1126 Hz, baffled radiation) heard at a listener off its axis and at the stereo pair:
    each band's output is a free decay at the mode's pole, so a listener is two taps a band
    (its complex gain and flight delay, physsynth.pickups.output_rows); the partial levels
    (band envelopes of physsynth.measure, 0.05-0.3 s) are those of physsynth.render at the same
    listeners, for the same force at the same node, within 0.5 dB (the issue's tolerance)."""
    import physsynth as ps
    from physsynth.excitation.strike import Strike
    from physsynth.measure import band_envelope
    from physsynth.pickups import listener, stereo_pair

    sr, dur, J, width = 48000, 0.4, 1e-2, 5e-4
    bw = banded_from_model(radiating, sr=sr, at=PLATE_POINTS[0], listeners=LISTENERS)
    bw.strike(J, width=width)
    y = bw.process(int(dur * sr))
    assert y.shape == (3, int(dur * sr)) and np.all(np.isfinite(y))
    # the same force (N per sample, the strike's raised cosine) at the same node and normal
    node = int(np.argmin(np.linalg.norm(radiating.mesh.points - np.asarray(PLATE_POINTS[0]), axis=1)))
    m = int(round(width * sr))
    pulse = 1 - np.cos(2 * np.pi * (np.arange(m) + 0.5) / m)
    force = pulse / pulse.sum() * J * sr
    hit = Strike(node, radiating.surface_normal(node), force, sr, radiating.mesh.points[node])
    heard = [listener(LISTENERS[0])] + stereo_pair(radiating)
    x = ps.render(radiating, hit, heard, duration=dur)
    f = radiating.frequencies
    win = slice(int(0.05 * sr), int(0.3 * sr))

    def levels(s):  # dB re 1 Pa: each partial's band envelope, its median over the window
        hw = [0.3 * np.min(np.abs(f[f != fk] - fk)) for fk in f]  # 30 % of the gap to the nearest
        env = [band_envelope(s, sr=sr, f=fk, half_width=h)[win] for fk, h in zip(f, hw)]
        return 20 * np.log10(np.median(env, axis=1))

    for c in range(3):
        lx, ly = levels(x[c]), levels(y[c])
        audible = lx > lx.max() - 60  # the partials within 60 dB of the loudest (5-7 of 8 here)
        assert audible.sum() >= 5, lx
        np.testing.assert_array_less(np.abs(ly - lx)[audible], 0.5)  # dB
    with pytest.raises(ModelParameterError, match="not both"):
        banded_from_model(radiating, sr=sr, at=PLATE_POINTS[0], pickup=PLATE_POINTS[1], listeners=LISTENERS)


def test_banded_errors(bar):
    with pytest.raises(ModelParameterError):
        banded_from_model(bar, sr=48000, at=END, fmax=10.0)
    with pytest.raises(ModelParameterError):
        design_band(100.0, 0.0, sr=48000)
    assert isinstance(banded_from_model(bar, sr=48000, at=0), BandedWaveguide)
