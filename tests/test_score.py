"""Scores: CSV/JSON/MIDI events, sample-exact timing, overlap through the shared modal state,
other excitations (plucks, noise, recorded forces), positions, the `play` command, examples."""

import json
import os

import numpy as np
import pytest
from conftest import gmsh_box, gmsh_cylinder
from conftest import run_cli as run

import physsynth as ps
from physsynth.excitation.score import Event, ScoreError, read_score, resolve_position, spread_nodes
from physsynth.excitation.signals import force_from_wav, noise_burst
from physsynth.measure import peak_frequency
from physsynth.simulate.score import render_score

SR = 48000
P1, P2 = (0.02, 0.006, 0.006), (0.2, 0.0, 0.003)


def write_click(path, sr=SR, n=64):
    x = np.zeros(n)
    x[0] = 1.0
    ps.write_wav(str(path), x, sr=sr, fmt="float32", headroom_db=None)
    return str(path)


def write_midi(path, notes, tempo_changes=(), ticks_per_beat=480):
    """notes: (tick, note, velocity); tempo_changes: (tick, microseconds per beat)."""
    mido = pytest.importorskip("mido")
    msgs = [(t, mido.Message("note_on", note=n, velocity=v)) for t, n, v in notes]
    msgs += [(t, mido.Message("note_off", note=n, velocity=0)) for t, n, _ in notes]
    msgs += [(t, mido.MetaMessage("set_tempo", tempo=us)) for t, us in tempo_changes]
    msgs.sort(key=lambda m: (m[0], m[1].type != "set_tempo"))
    mid = mido.MidiFile(ticks_per_beat=ticks_per_beat)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    last = 0
    for t, msg in msgs:
        track.append(msg.copy(time=t - last))
        last = t
    mid.save(str(path))
    return str(path)


# ---------------------------------------------------------------- parsing
def test_csv_score_with_every_kind(tmp_path):
    click = write_click(tmp_path / "click.wav")
    (tmp_path / "s.csv").write_text(
        "time,kind,at,direction,mallet,velocity,impulse,force,duration,band,seed,file,gain\n"
        "# comments and blank lines are skipped\n\n"
        "0.5,strike,0.1 0.006 0.006,,hard,,0.02,,,,,,\n"
        "0.0,mallet,0.02;0.006;0.006,0 0 -1,felt,1.5,,,,,,,\n"
        "0.25,pluck,node:3,,,,,2.0,,,,,\n"
        "0.75,noise,x>=0.29,,,,,0.3,0.2,200-4000,7,,\n"
        f"1.0,force,rim,,,,,,,,,{os.path.basename(click)},5.0\n"
    )
    s = read_score(tmp_path / "s.csv")
    assert [e.kind for e in s.events] == ["mallet", "pluck", "strike", "noise", "force"]
    m = s.events[0]
    assert m.at == (0.02, 0.006, 0.006) and m.direction == (0.0, 0.0, -1.0)
    assert m.params == {"mallet": "felt", "velocity": 1.5}
    assert s.events[1].at == "node:3" and s.events[1].params == {"force": 2.0}
    assert s.events[2].params == {"mallet": "hard", "impulse": 0.02}
    assert s.events[3].params == {"force": 0.3, "duration": 0.2, "band": (200.0, 4000.0), "seed": 7}
    assert s.events[4].params["file"] == click and s.events[4].params["gain"] == 5.0
    assert s.events[0].origin == "s.csv row 5"


def test_json_score_and_event_api(tmp_path):
    (tmp_path / "s.json").write_text(
        json.dumps(
            {
                "events": [
                    {"time": 0.3, "kind": "mallet", "at": [0.02, 0.006, 0.006], "mallet": "metal"},
                    {"time": 0.1, "kind": "strike", "at": "end", "angle": 45, "contact_time": 5e-4},
                ]
            }
        )
    )
    s = read_score(tmp_path / "s.json")
    assert [e.time for e in s.events] == [0.1, 0.3]
    assert s.events[0].angle == 45 and s.events[0].params == {"contact_time": 5e-4}
    ev = Event.make(0.5, "mallet", "rim", mallet="wood", velocity=2)
    assert ev.params == {"mallet": "wood", "velocity": 2.0}


def test_midi_times_follow_the_tempo_map_and_velocity_scales(tmp_path):
    """480 ticks per beat: at 120 bpm (500000 us per beat) a beat is 0.5 s; after a change
    to 60 bpm at tick 960 (1.0 s) a beat is 1.0 s, so tick 1440 is at 2.0 s."""
    path = write_midi(
        tmp_path / "p.mid", [(0, 60, 64), (480, 62, 127), (1440, 64, 32)], tempo_changes=[(0, 500000), (960, 1000000)]
    )
    mapping = {"mallet": "felt", "velocity_max": 3.0, "notes": {"60": {"at": [0.02, 0.006, 0.006]}}}
    s = read_score(path, midi_map=mapping)
    np.testing.assert_allclose([e.time for e in s.events], [0.0, 0.5, 2.0], rtol=0, atol=1e-12)
    assert s.events[0].at == (0.02, 0.006, 0.006) and s.events[1].at == "note:62"
    np.testing.assert_allclose(
        [e.params["velocity"] for e in s.events], [3.0 * 64 / 127, 3.0, 3.0 * 32 / 127], rtol=1e-12
    )
    assert all(e.kind == "mallet" and e.params["mallet"] == "felt" for e in s.events)
    # the same map from a JSON score that names the MIDI file
    (tmp_path / "s.json").write_text(json.dumps({"midi": "p.mid", "map": mapping}))
    assert [e.time for e in read_score(tmp_path / "s.json").events] == [e.time for e in s.events]


@pytest.mark.parametrize(
    "text,match",
    [
        ("time,kind,at\n0,hammer,0 0 0\n", r"s.csv row 2, field 'kind': unknown kind 'hammer'"),
        ("time,kind,at,velocity\n0,mallet,0 0 0,fast\n", r"row 2, field 'velocity': must be a number"),
        ("time,kind,at,velocity\n0,mallet,0 0 0,-1\n", r"row 2, field 'velocity': must be > 0"),
        ("time,kind,at,velocity\n0,pluck,0 0 0,1\n", r"row 2, field 'velocity': not a parameter of a pluck"),
        ("time,kind,at\n-1,pluck,0 0 0\n", r"row 2, field 'time': must be >= 0"),
        ("time,kind,at\n0,pluck,0 0\n", r"row 2, field 'at': expected three numbers"),
        ("time,kind\n0,pluck\n", r"needs a 'at' column"),
        ("time,kind,at,colour\n0,pluck,0 0 0,red\n", r"unknown column 'colour'"),
        ("time,kind,at,band\n0,noise,0 0 0,4000-200\n", r"row 2, field 'band': the low edge"),
        ("time,kind,at,file\n0,force,0 0 0,missing.wav\n", r"row 2, field 'file': no such file"),
        ("time,kind,at,mallet\n0,mallet,0 0 0,soft\n", r"field 'mallet'.*use kind 'strike'"),
        ("time,kind,at\n0,pluck,z>>1\n", r"row 2, field 'at': a comparison needs one variable"),
        ("time,kind,at\n", r"no events"),
    ],
)
def test_bad_csv_rows_name_the_row_and_field(tmp_path, text, match):
    (tmp_path / "s.csv").write_text(text)
    with pytest.raises(ScoreError, match=match):
        read_score(tmp_path / "s.csv")


def test_bad_json_and_midi_and_positions(tmp_path, bar_model):
    (tmp_path / "a.json").write_text("{not json")
    with pytest.raises(ScoreError, match="not valid JSON"):
        read_score(tmp_path / "a.json")
    (tmp_path / "b.json").write_text(json.dumps({"events": [{"time": 0, "kind": "pluck"}]}))
    with pytest.raises(ScoreError, match=r"b.json event 1, field 'at': missing"):
        read_score(tmp_path / "b.json")
    (tmp_path / "c.mid").write_bytes(b"not a midi file")
    with pytest.raises(ScoreError, match="cannot read MIDI"):
        read_score(tmp_path / "c.mid")
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(ScoreError, match="unknown score format"):
        read_score(tmp_path / "a.txt")
    ev = Event.make(0.0, "mallet", "no_such_region", origin="x.csv row 9")
    with pytest.raises(ScoreError, match=r"x.csv row 9, field 'at': unknown position 'no_such_region'"):
        render_score(bar_model, [ev], sr=SR, duration=0.1)


# ---------------------------------------------------------------- timing
@pytest.mark.parametrize("t", [0.0, 0.0123457, 0.1 + 0.4 / SR, 0.25 - 0.6 / SR])
def test_onsets_are_exact_to_the_sample(tmp_path, bar_model, t):
    """A click (one force sample) at time t moves the pickup first at sample round(t sr); a
    mallet arriving at t touches from that instant, so its response starts right after."""
    n0 = int(round(t * SR))
    click = Event.make(t, "force", list(P1), file=write_click(tmp_path / "c.wav"))
    y = render_score(bar_model, [click], ps.pickup(bar_model, P2), sr=SR, duration=0.3, quantity="displacement").audio[
        0
    ]
    assert np.all(y[:n0] == 0) and y[n0] != 0
    hit = Event.make(t, "mallet", list(P1), mallet="wood")
    y = render_score(bar_model, [hit], ps.pickup(bar_model, P2), sr=SR, duration=0.3).audio[0]
    assert np.all(y[: n0 + 1] == 0) and y[n0 + 1] != 0


def test_click_from_another_sample_rate_is_resampled(tmp_path):
    """A 1 kHz tone recorded at 44.1 kHz drives a 48 kHz render at 1 kHz, same amplitude."""
    t = np.arange(4410) / 44100
    ps.write_wav(
        str(tmp_path / "tone.wav"), 0.5 * np.sin(2 * np.pi * 1000 * t), sr=44100, fmt="float32", headroom_db=None
    )
    f = force_from_wav(str(tmp_path / "tone.wav"), sr=SR, gain=2.0)
    assert abs(len(f) - 4800) <= 1
    mid = f[500:-500]
    np.testing.assert_allclose(np.abs(mid).max(), 1.0, rtol=0.01)  # 2 N x 0.5 full scale, 1 %
    assert abs(peak_frequency(mid, sr=SR) - 1000) < SR / len(mid)  # within one FFT bin


def test_noise_bursts_are_seeded_band_limited_and_scaled():
    a = noise_burst(0.2, sr=SR, rms=0.3, band=(500, 2000), seed=4)
    b = noise_burst(0.2, sr=SR, rms=0.3, band=(500, 2000), seed=4)
    c = noise_burst(0.2, sr=SR, rms=0.3, band=(500, 2000), seed=5)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    np.testing.assert_allclose(np.sqrt(np.mean(a**2)), 0.3, rtol=1e-12)
    p = np.abs(np.fft.rfft(a)) ** 2
    f = np.fft.rfftfreq(len(a), 1 / SR)
    # a 4th-order Butterworth applied twice: 99 % of the power within half an octave of the band
    assert p[(f > 500 / 1.41) & (f < 2000 * 1.41)].sum() > 0.99 * p.sum()
    assert a[0] == 0 and a[-1] == 0  # tapered: no click


# ---------------------------------------------------------------- shared modal state
def test_a_second_strike_meets_the_moving_surface(bar_model):
    """Two rubber strikes at the same point, the second while the bar rings: its contact
    force differs from the first's (the surface moves), the render is one continuous
    simulation (equal to rendering up to a split and continuing from the state), and it is
    not the sum of two independent renders."""
    e1 = Event.make(0.0, "mallet", list(P1), mallet="rubber")
    e2 = Event.make(0.0503, "mallet", list(P1), mallet="rubber")
    pk = ps.pickup(bar_model, P2)
    both = render_score(bar_model, [e1, e2], pk, sr=SR, duration=0.1)
    f1, f2 = (m["peak_force"] for m in both.mallets)
    assert abs(f2 / f1 - 1) > 0.01  # the second contact differs by more than 1 %
    # continuous: split at 0.04 s (1920 samples) and carry the modal state across
    a = render_score(bar_model, [e1], pk, sr=SR, duration=0.04)
    b = render_score(
        bar_model, [Event.make(0.0103, "mallet", list(P1), mallet="rubber")], pk, sr=SR, duration=0.06, state=a.state
    )
    joined = np.hstack([a.audio, b.audio])
    np.testing.assert_allclose(joined, both.audio, rtol=0, atol=1e-12 * np.abs(both.audio).max())
    # not a sum of separate renders: after the second strike they differ by more than 1 %
    alone1 = render_score(bar_model, [e1], pk, sr=SR, duration=0.1).audio
    alone2 = render_score(bar_model, [e2], pk, sr=SR, duration=0.1).audio
    tail = slice(int(0.06 * SR), None)
    diff = np.abs(both.audio[:, tail] - (alone1 + alone2)[:, tail]).max()
    assert diff > 0.01 * np.abs(both.audio[:, tail]).max()


def test_linear_events_do_add(bar_model):
    """Prescribed forces and plucks are linear: their sum is the sum of their renders."""
    evs = [
        Event.make(0.0, "strike", list(P1), mallet="hard"),
        Event.make(0.01, "pluck", list(P2), force=0.5),
        Event.make(0.02, "noise", list(P1), duration=0.01, seed=3),
    ]
    pk = ps.pickup(bar_model, P2)
    together = render_score(bar_model, evs, pk, sr=SR, duration=0.05).audio
    apart = sum(render_score(bar_model, [e], pk, sr=SR, duration=0.05).audio for e in evs)
    np.testing.assert_allclose(together, apart, rtol=0, atol=1e-10 * np.abs(apart).max())


# ---------------------------------------------------------------- positions
def _dummy_model(mesh):
    return ps.ModalModel(
        np.array([100.0]), np.zeros((1, mesh.n_nodes, 3)), np.array([1.0]), mesh, ps.get_material("steel")
    )


def test_rim_region_and_selector_positions(tmp_path):
    cyl = _dummy_model(ps.load_mesh(gmsh_cylinder(tmp_path / "c.msh", radius=0.02, height=0.06)))
    node, d = resolve_position(cyl, "rim", angle=90)
    p = cyl.mesh.points[node]
    np.testing.assert_allclose(p, [0.0, 0.02, 0.06], atol=0.004)  # within a mesh cell (8 mm)
    np.testing.assert_allclose(d, -p * [1, 1, 0] / np.hypot(p[0], p[1]), atol=1e-12)  # towards the axis
    box = _dummy_model(ps.load_mesh(gmsh_box(tmp_path / "b.msh", size=(0.1, 0.02, 0.01))))
    node, d = resolve_position(box, "end")  # the x = 0 face, at its centre
    assert box.mesh.points[node][0] == pytest.approx(0.0, abs=1e-12)
    assert d[0] > 0.5  # into the body (minus a vertex normal, which may lean at an edge)
    node, _ = resolve_position(box, "x>=0.0999 and z>=0.0099")
    assert box.mesh.points[node][0] > 0.099 and box.mesh.points[node][2] > 0.0099
    spread = spread_nodes(box, 16)
    pts = box.mesh.points[spread]
    dmin = min(np.linalg.norm(pts[i] - pts[j]) for i in range(16) for j in range(i))
    assert dmin > 0.01  # 16 points over a 100 x 20 x 10 mm box stay at least 10 mm apart


def test_deeply_nested_json_is_a_score_error(tmp_path):
    """100k-deep arrays (a RecursionError in json before) are refused as a ScoreError."""
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ScoreError, match="nested too deeply"):
        read_score(tmp_path / "deep.json")
    at = "[" * 50_000 + "]" * 50_000
    (tmp_path / "deep_at.json").write_text('{"events": [{"time": 0, "kind": "mallet", "at": ' + at + "}]}")
    with pytest.raises(ScoreError, match="nested too deeply"):
        read_score(tmp_path / "deep_at.json")
    (tmp_path / "nested.json").write_text(json.dumps({"events": [{"time": 0, "kind": "mallet", "at": [[[1, 2, 3]]]}]}))
    with pytest.raises(ScoreError, match="field 'at'"):
        read_score(tmp_path / "nested.json")


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(kind=["mallet"]), "field 'kind'"),
        (dict(time=float("nan")), "field 'time'"),
        (dict(time=1e12), "more than a day"),
        (dict(at=(np.nan, 0.0, 0.0)), "field 'at'"),
        (dict(at=(1.0, 2.0)), "field 'at'"),
        (dict(at=-3), "field 'at'"),
        (dict(direction=(0.0, 0.0, 0.0)), "field 'direction'"),
        (dict(angle=float("inf")), "field 'angle'"),
        (dict(params={"velocity": -1.0}), "field 'velocity'"),
        (dict(params={"velocity": 1e6}), "field 'velocity'"),
        (dict(params={"impulse": 1.0}), "field 'impulse'"),
        (dict(params=[1, 2]), "field 'params'"),
    ],
)
def test_events_made_directly_are_checked_like_score_rows(kw, match):
    fields = dict(time=0.0, kind="mallet", at=P1)
    fields.update(kw)
    with pytest.raises(ScoreError, match=match):
        Event(**fields)


@pytest.mark.parametrize(
    "kw,err,match",
    [
        (dict(sr=0), ps.PhyssynthError, "sample rate"),
        (dict(duration=40000.0), ps.PhyssynthError, "GiB"),
        (dict(pickups=[]), ps.PhyssynthError, "pickups is empty"),
        (dict(quantity="jerk"), ps.PhyssynthError, "unknown pickup quantity"),
        (dict(state="rest"), ps.PhyssynthError, "ModalState"),
    ],
)
def test_render_score_refuses_before_any_work(bar_model, kw, err, match, monkeypatch):
    monkeypatch.setenv("PHYSSYNTH_MEMORY_GB", "4")
    args = dict(sr=SR, duration=0.1)
    args.update(kw)
    with pytest.raises(err, match=match):
        render_score(bar_model, [Event.make(0.0, "mallet", list(P1))], **args)


def test_unreadable_scores_are_score_errors(tmp_path, bar_model):
    (tmp_path / "big.csv").write_text('time,kind,at\n0,mallet,"' + "a" * 200_000 + '"\n')
    with pytest.raises(ScoreError, match="not a readable CSV"):
        read_score(tmp_path / "big.csv")
    for score in (None, 3.0, object()):
        with pytest.raises(ScoreError, match="list of Event"):
            render_score(bar_model, score, sr=SR, duration=0.1)
    with pytest.raises(ps.PhyssynthError, match="path to a WAV"):
        force_from_wav(1, sr=SR)  # an int is a file descriptor to open(): never read stdout


def test_points_far_from_the_object_are_refused_in_scores(bar_model):
    for at in ((1e300, 0.0, 0.0), (50.0, 50.0, 50.0)):
        with pytest.raises(ScoreError, match="field 'at': strike point .* from the object's surface"):
            render_score(bar_model, [Event.make(0.0, "mallet", list(at))], sr=SR, duration=0.1)
    with pytest.raises(ScoreError, match="from the object's surface"):
        ps.mallet_strike(bar_model, (1e300, 0.0, 0.0), sr=SR, duration=0.1)


# ---------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("play") / "bar.npz"
    mesh = ps.bar_mesh(0.3, 0.012, 0.006, (30, 2, 1))
    ps.modal_analysis(mesh, ps.get_material("aluminium"), n_modes=10).save(path)
    return str(path)


@pytest.mark.slow
def test_play_csv_json_and_midi(tmp_path, model_file):
    (tmp_path / "s.csv").write_text(
        "time,kind,at,mallet,velocity\n0,mallet,0.02 0.006 0.006,felt,2\n"
        "0.1,mallet,0.2 0 0.006,metal,\n0.2,strike,node:4,soft,\n"
    )
    code, out, err = run(
        "play",
        model_file,
        tmp_path / "s.csv",
        "-o",
        tmp_path / "a.wav",
        "--pickup",
        "0.25,0,0.003",
        "--pickup",
        "0.05,0,0.003",
        "--tail",
        "0.3",
    )
    assert code == 0, err
    x, sr = ps.read_wav(str(tmp_path / "a.wav"))
    # the last event's 3 ms pulse ends at 0.203 s, then the 0.3 s tail
    assert sr == SR and x.shape[0] == 2 and abs(x.shape[1] - 0.503 * SR) <= 2 and np.abs(x).max() > 0.5
    (tmp_path / "s.json").write_text(json.dumps([{"time": 0, "kind": "pluck", "at": "node:7"}]))
    code, out, err = run(
        "play", model_file, tmp_path / "s.json", "-o", tmp_path / "b.wav", "--duration", "0.2", "--sr", "44100"
    )
    assert code == 0, err
    assert ps.read_wav(str(tmp_path / "b.wav"))[0].shape == (1, 8820)
    mid = write_midi(tmp_path / "p.mid", [(0, 60, 100), (240, 67, 80)])
    (tmp_path / "map.json").write_text(json.dumps({"mallet": "wood", "velocity_max": 1.5}))
    code, out, err = run("play", model_file, mid, "--map", tmp_path / "map.json", "-o", tmp_path / "c.wav")
    assert code == 0, err
    assert out.strip().endswith("c.wav")


@pytest.mark.parametrize("case", ["bad_row", "not_model", "bad_sr", "map_on_csv"])
def test_play_errors_are_one_line_and_write_nothing(tmp_path, model_file, case):
    (tmp_path / "s.csv").write_text("time,kind,at,velocity\n0,mallet,0.02 0.006 0.006,1\n")
    args = {
        "bad_row": [model_file, _bad_csv(tmp_path)],
        "not_model": [tmp_path / "s.csv", tmp_path / "s.csv"],
        "bad_sr": [model_file, tmp_path / "s.csv", "--sr", "0"],
        "map_on_csv": [model_file, tmp_path / "s.csv", "--map", tmp_path / "s.csv"],
    }[case]
    code, out, err = run("play", *args, "-o", tmp_path / "o.wav")
    assert code == 2
    assert _error_lines(err) == 1 and "Traceback" not in err, err
    assert not (tmp_path / "o.wav").exists()
    if case == "bad_row":
        assert "bad.csv row 3, field 'velocity'" in err


def _error_lines(err):
    return sum(line.startswith("physsynth: error") for line in err.splitlines())


def _bad_csv(tmp_path):
    (tmp_path / "bad.csv").write_text(
        "time,kind,at,velocity\n0,mallet,0.02 0.006 0.006,1\n0.1,mallet,0.02 0.006 0.006,0\n"
    )
    return tmp_path / "bad.csv"


@pytest.mark.slow
def test_strike_with_physical_and_pulse_mallets(tmp_path, model_file):
    code, out, err = run(
        "strike",
        model_file,
        "--at",
        "0.02,0.006,0.006",
        "--mallet",
        "metal",
        "--velocity",
        "2",
        "--duration",
        "0.2",
        "-o",
        tmp_path / "m.wav",
    )
    assert code == 0, err
    assert "metal mallet" in err and "contact" in err
    code, out, err = run(
        "strike",
        model_file,
        "--at",
        "0.02,0.006,0.006",
        "--mallet",
        "soft",
        "--contact-time",
        "0.002",
        "--duration",
        "0.2",
        "-o",
        tmp_path / "s.wav",
    )
    assert code == 0, err
    for bad, msg in [
        (["--mallet", "felt", "--contact-time", "0.001"], "--contact-time is for"),
        (["--mallet", "hard", "--velocity", "1"], "--velocity is for"),
        (["--mallet", "rubber", "--velocity", "-3"], "velocity"),
    ]:
        code, out, err = run("strike", model_file, "--at", "0.02,0.006,0.006", *bad, "-o", tmp_path / "x.wav")
        assert code == 2 and msg in err and _error_lines(err) == 1, err
        assert not (tmp_path / "x.wav").exists()


# ---------------------------------------------------------------- examples
@pytest.mark.slow
def test_example_mallet_comparison(tmp_path):
    from conftest import number, run_example

    out = run_example("12_mallet_comparison.py", "--outdir", str(tmp_path))
    # harder tips: shorter contact, brighter (the example checks the order and prints it)
    assert number(out, "centroid_order_ok") == 1
    assert number(out, "contact_time_felt_ms") > number(out, "contact_time_metal_ms")


@pytest.mark.slow
def test_example_score_from_midi(tmp_path):
    from conftest import number, run_example

    out = run_example("13_score_from_midi.py", "--outdir", str(tmp_path))
    assert number(out, "events") >= 8
    assert (tmp_path / "midi_piece.wav").exists()
    assert number(out, "onset_error_samples") == 0
