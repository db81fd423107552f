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


# ------------------------------------------------------------------ refusals (issue 11)
def _corrupt(model, **fields):
    """A copy of ``model`` with fields the constructor would refuse (as a hand-edited file holds)."""
    bad = object.__new__(type(model))
    bad.__dict__.update({k: v for k, v in model.__dict__.items() if not k.startswith("_")})
    bad.__dict__.update(fields)
    return bad


@pytest.fixture(scope="module")
def small():
    model = synthetic_model([300.0, 700.0, 1500.0], [1.0, 0.8, 0.5])
    return model, ps.strike(model, model.mesh.points[0], mallet="hard", sr=48000)


@pytest.mark.parametrize(
    "kw,err,msg",
    [
        (dict(pickups=[]), ps.PhyssynthError, "pickups is empty"),
        (dict(pickups=["0,0,0"]), ps.PhyssynthError, "Pickup objects"),
        (dict(duration=40000.0), ps.PhyssynthError, "GiB"),  # 40000 s x 48 kHz: memory, said before any work
        (dict(duration=0.0), ps.PhyssynthError, "duration"),
        (dict(duration=float("nan")), ps.PhyssynthError, "duration"),
        (dict(quantity="jerk"), ps.PhyssynthError, "unknown pickup quantity"),
    ],
)
def test_render_refuses_bad_requests(small, kw, err, msg, monkeypatch):
    monkeypatch.setenv("PHYSSYNTH_MEMORY_GB", "4")
    model, hit = small
    args = dict(duration=0.1)
    args.update(kw)
    with pytest.raises(err, match=msg):
        ps.render(model, hit, **args)


@pytest.mark.parametrize(
    "field,values,msg",
    [
        ("frequencies", [300.0, np.nan, 1500.0], "frequency nan"),
        ("frequencies", [300.0, 700.0, np.inf], "frequency inf"),
        ("decay_rates", [6.9, -1.0, 13.8], "negative one grows"),
        ("decay_rates", [6.9, np.nan, 13.8], "decay rate nan"),
    ],
)
def test_render_refuses_a_corrupt_model(small, field, values, msg):
    """NaN, inf or negative modal data (a hand-edited file) is a RenderError, not silent or NaN audio."""
    model, hit = small
    with pytest.raises(ps.RenderError, match=msg):
        ps.render(_corrupt(model, **{field: np.array(values)}), hit, duration=0.1)


def test_render_refuses_silent_output(small):
    model, _ = small
    silent = ps.force_strike(model, model.mesh.points[0], np.zeros(64), sr=48000)
    with pytest.raises(ps.RenderError, match="silent"):
        ps.render(model, silent, duration=0.1)
    nodal = _corrupt(model, shapes=np.zeros_like(model.shapes))
    hit = ps.strike(model, model.mesh.points[0], mallet="hard", sr=48000)
    with pytest.raises(ps.RenderError, match="silent"):
        ps.render(nodal, hit, duration=0.1)


@pytest.mark.parametrize("sr", [0, -48000, 1e9, 44100.5, float("nan")])
def test_sample_rates_are_checked_before_any_work(small, sr):
    model, _ = small
    with pytest.raises(ps.PhyssynthError, match="sample rate|Hz"):
        ps.strike(model, model.mesh.points[0], sr=sr)
    with pytest.raises(ps.PhyssynthError, match="sample rate|Hz"):
        ps.contact_pulse(1e-3, sr=sr)


@pytest.mark.parametrize(
    "at,msg",
    [
        ((1e300, 0.0, 0.0), "from the object's surface"),  # an IndexError in the k-d tree before
        ("50,50,50", "86.5 m from"),  # the box's far corner, not snapped 86 m
        ((0.0, 0.0, np.nan), "finite"),
        ([[0.0, 0.0], [0.0]], "3 numbers"),
    ],
)
def test_points_far_from_the_object_are_refused(small, at, msg):
    """The snapping rule (physsynth.pickups): within 10 % of the bounding-box diagonal of a surface node."""
    model, _ = small
    with pytest.raises(ps.PhyssynthError, match=msg):
        ps.strike(model, at, sr=48000)
    with pytest.raises(ps.PhyssynthError):
        ps.pickup(model, at)
    with pytest.raises(ps.PhyssynthError):
        ps.force_strike(model, at, np.ones(8), sr=48000)


def test_points_near_the_surface_snap_to_the_nearest_node(small):
    """The tolerance is 10 % of the diagonal (0.1 x 0.02 x 0.02 m bar: 10.4 mm): 9 mm off the end
    face snaps to the face, 12 mm off is refused."""
    model, _ = small
    diag = float(np.linalg.norm(np.ptp(model.mesh.points, axis=0)))
    assert diag == pytest.approx(0.1039, rel=1e-3)
    near = ps.pickup(model, (0.1 + 0.009, 0.01, 0.01))
    assert model.mesh.points[near.node][0] == pytest.approx(0.1)
    with pytest.raises(ps.PhyssynthError, match="10 %"):
        ps.pickup(model, (0.1 + 0.012, 0.01, 0.01))


def test_render_refuses_what_is_not_a_model_or_a_strike(small):
    model, hit = small
    with pytest.raises(ps.PhyssynthError, match="ModalModel"):
        ps.render(None, hit, duration=0.1)
    with pytest.raises(ps.PhyssynthError, match="Strike"):
        ps.render(model, "strike", duration=0.1)
    with pytest.raises(ps.PhyssynthError, match="ModalModel"):
        ps.strike("bar.npz", (0.0, 0.0, 0.0), sr=48000)
