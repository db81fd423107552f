"""Rendering and audio output on a synthetic modal model (independent of the FE solver)."""

import os

import numpy as np
import pytest

import physsynth as ps
from physsynth import measure
from physsynth.damping import LN1000


def synthetic_model(freqs, t60, seed=0):
    mesh = ps.bar_mesh(0.1, 0.02, 0.02, (4, 2, 2))
    rng = np.random.default_rng(seed)
    shapes = rng.normal(size=(len(freqs), mesh.n_nodes, 3))
    return ps.ModalModel(
        np.asarray(freqs, float), shapes, LN1000 / np.asarray(t60, float), mesh, ps.get_material("steel")
    )


@pytest.mark.parametrize("quantity", ["displacement", "velocity", "acceleration"])
def test_rendered_decay_matches_specified_t60(quantity):
    sr = 48000
    model = synthetic_model([523.0], [1.7])
    hit = ps.strike(model, model.mesh.points[0], mallet="hard", sr=sr)
    y = ps.render(model, hit, duration=2.0, quantity=quantity)[0]
    np.testing.assert_allclose(measure.t60(y, sr=sr, freqs=523.0), 1.7, rtol=0.05)  # within 5 %


def test_decay_of_each_partial_follows_the_damping_law():
    """Several modes under a loss factor: each partial's T60 (in a band around it) within 5 %."""
    sr = 48000
    law = ps.LossFactor(2e-3)
    freqs = np.array([300.0, 1100.0, 2900.0])
    model = synthetic_model(freqs, law.t60(freqs), seed=2)
    hit = ps.strike(model, model.mesh.points[5], mallet="hard", sr=sr)
    y = ps.render(model, hit, duration=3.0)[0]
    np.testing.assert_allclose(measure.t60(y, sr=sr, freqs=freqs), law.t60(freqs), rtol=0.05)


def test_strike_spectrum_peaks_at_model_frequencies():
    sr = 48000
    freqs = np.array([221.0, 614.0, 1145.0, 1804.0, 2577.0])
    model = synthetic_model(freqs, [6.0, 4.0, 3.0, 2.0, 1.5], seed=4)
    hit = ps.strike(model, model.mesh.points[7], mallet="medium", sr=sr)
    y = ps.render(model, hit, duration=4.0)[0]
    np.testing.assert_allclose(measure.spectral_peaks(y, freqs, sr=sr, pad=8), freqs, rtol=0.005)  # within 0.5 %


def test_mallet_hardness_sets_brightness():
    sr = 48000
    freqs = np.geomspace(200, 12000, 30)
    model = synthetic_model(freqs, np.full(30, 1.0), seed=5)
    centroids = []
    for mallet in ("soft", "medium", "hard"):
        y = ps.render(model, ps.strike(model, model.mesh.points[3], mallet=mallet, sr=sr), duration=0.5)[0]
        centroids.append(ps.spectral_centroid(y, sr=sr))
    assert centroids[0] < centroids[1] < centroids[2]


def test_stereo_pickups_give_two_channels():
    model = synthetic_model([400.0, 900.0], [1.0, 1.0])
    hit = ps.strike(model, model.mesh.points[2], sr=44100)
    pks = [ps.pickup(model, model.mesh.points[i]) for i in (5, 9)]
    y = ps.render(model, hit, pks, duration=0.2)
    assert y.shape == (2, 8820)
    assert not np.allclose(y[0], y[1])


@pytest.mark.parametrize("fmt,tol", [("pcm16", 2.0**-15), ("pcm24", 2.0**-23), ("float32", 1e-7)])
def test_wav_round_trip_and_headroom(tmp_path, fmt, tol):
    sr = 48000
    t = np.arange(4800) / sr
    x = np.vstack([np.sin(2 * np.pi * 440 * t), 0.5 * np.cos(2 * np.pi * 660 * t)])
    path = tmp_path / f"a_{fmt}.wav"
    ps.write_wav(path, 37.0 * x, sr=sr, fmt=fmt, headroom_db=1.0)
    y, sr2 = ps.read_wav(path)
    assert sr2 == sr and y.shape == x.shape
    peak_db = 20 * np.log10(np.abs(y).max())
    assert peak_db == pytest.approx(-1.0, abs=0.01)  # headroom within 0.01 dB
    np.testing.assert_allclose(y, x * 10 ** (-1 / 20), atol=tol)


def test_nan_and_silence_are_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "out.wav"
    path.write_bytes(b"keep me")
    with pytest.raises(ps.RenderError, match="NaN"):
        ps.write_wav(path, np.array([0.1, np.nan, 0.2]), sr=48000)
    with pytest.raises(ps.RenderError, match="silent"):
        ps.write_wav(path, np.zeros(100), sr=48000)
    assert path.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]  # no temp files left


def test_unwritable_output(tmp_path):
    with pytest.raises(ps.AudioError, match="does not exist"):
        ps.write_wav(tmp_path / "no" / "dir.wav", np.ones(10), sr=48000)
    if os.geteuid() != 0:  # root can write anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(ps.AudioError, match="permission"):
            ps.write_wav(ro / "x.wav", np.ones(10), sr=48000)
