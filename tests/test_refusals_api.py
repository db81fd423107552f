"""Refusals of the Python API (issue 11): every bad input raises a PhyssynthError subclass named
here (never a bare ValueError, IndexError, struct.error, RecursionError or MemoryError), before
any heavy work, and leaves any output path untouched.

One case per class of bad input: meshes, audio files, finite-difference grids, string and
membrane models, plots and animations, batch specs. ``pytest.raises(Cls)`` fails on any other
exception type, so each case also checks that nothing else escapes. The memory budget is set to
8 GiB (``PHYSSYNTH_MEMORY_GB``) so that the memory refusals do not depend on the machine.
"""

from __future__ import annotations

import logging
import os
import sys
import time

import meshio
import numpy as np
import pytest

import physsynth as ps
import physsynth.batch.excitations as bx
from physsynth.audio import read_wav, write_wav
from physsynth.batch import SpecError, load_spec, run_batch
from physsynth.errors import AudioError, MeshError, PhyssynthError, RenderError
from physsynth.excitation.mallet import MalletError, check_velocity
from physsynth.fd import membrane, plate, render_membrane, render_plate, render_string, stiff_string
from physsynth.models import (
    ModelParameterError,
    banded_strike,
    bow,
    ks_pluck,
    pluck,
    string_on_body,
    string_on_modes,
    waveguide_mesh_strike,
)
from physsynth.simulate.friction import MAX_NORMAL_FORCE, MAX_SLIDING_SPEED
from physsynth.viz import PlotError, animate_mode, animate_response, export_modes, export_response, plot_modes

# every refusal comes back well within this (s): the checks run on sizes, not on work
FAST = 1.0


@pytest.fixture(autouse=True)
def _budget(monkeypatch):
    monkeypatch.setenv("PHYSSYNTH_MEMORY_GB", "8")
    monkeypatch.delenv("PHYSSYNTH_TIME_BUDGET_S", raising=False)


def _refused(cls, fn):
    t0 = time.perf_counter()
    with pytest.raises(cls) as info:
        fn()
    assert time.perf_counter() - t0 < FAST, f"refused only after {time.perf_counter() - t0:.2f} s"
    msg = str(info.value)
    assert msg and "\n" not in msg  # one line, for the CLI
    return msg


# ------------------------------------------------------------------ meshes
_TET = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], float) * 0.1


def _two_bodies():
    return np.vstack([_TET, _TET + [1.0, 0, 0]]), np.array([[0, 1, 2, 3], [4, 5, 6, 7]])


MESH_CASES = {
    "ragged points": lambda: ps.from_arrays([[0, 0, 0], [1, 0], [0, 1, 0], [0, 0, 1]], [[0, 1, 2, 3]]),
    "cell index 0.5": lambda: ps.from_arrays(_TET, [[0, 1, 2, 3.5]]),
    "cell index out of range": lambda: ps.from_arrays(_TET, [[0, 1, 2, 4]]),
    "negative cell index": lambda: ps.from_arrays(_TET, [[0, 1, 2, -1]]),
    "NaN coordinate": lambda: ps.from_arrays(np.where(_TET == 0.1, np.nan, _TET), [[0, 1, 2, 3]]),
    "coordinates x 1e30": lambda: ps.from_arrays(_TET * 1e30, [[0, 1, 2, 3]]),
    "zero-volume cell": lambda: ps.from_arrays(_TET * [1, 1, 0], [[0, 1, 2, 3]]),
    "two separate bodies": lambda: ps.from_arrays(*_two_bodies()),
    "every tet its own nodes": lambda: ps.from_arrays(
        np.vstack([_TET + [0.2 * k, 0, 0] for k in range(5)]), np.arange(20).reshape(5, 4)
    ),
    "bar_mesh with 1e9 blocks": lambda: ps.bar_mesh(1.0, 0.1, 0.1, (1000, 1000, 1000)),
    "bar_mesh of negative length": lambda: ps.bar_mesh(-1.0, 0.1, 0.1, (2, 1, 1)),
}


@pytest.mark.parametrize("case", MESH_CASES)
def test_mesh_refusals(case):
    _refused(MeshError, MESH_CASES[case])


def test_separate_bodies_are_counted_with_their_volumes():
    msg = _refused(MeshError, lambda: ps.from_arrays(*_two_bodies()))
    assert "2 separate bodies" in msg and "--body" in msg
    # each tetrahedron holds 0.1^3 / 6 m^3 = 1.667e-4 m^3 = 167 cm^3
    assert "volumes 167, 167 cm^3" in msg


def test_mixed_tet_and_hex_mesh_is_refused_naming_both(tmp_path):
    hexa = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], float)
    pts = np.vstack([hexa * 0.1, _TET + [0.1, 0, 0]])
    out = tmp_path / "mixed.vtu"
    meshio.write(
        str(out), meshio.Mesh(pts, [("hexahedron", np.arange(8)[None]), ("tetra", np.array([[8, 9, 10, 11]]))])
    )
    msg = _refused(MeshError, lambda: ps.load_mesh(out))
    assert "1 tetra" in msg and "1 hexahedron" in msg


@pytest.mark.parametrize(
    "scale, units, likely",
    [(1.0, "mm", "units='m'"), (1000.0, "m", "units='mm'")],  # a 0.2 mm "bar"; a 200 m one
)
def test_implausible_size_warns_with_the_likely_unit(caplog, scale, units, likely):
    bar = ps.bar_mesh(0.2, 0.02, 0.02, (4, 1, 1))
    with caplog.at_level(logging.WARNING, logger="physsynth"):
        ps.from_arrays(bar.points * scale, bar.cells, units=units)
    assert likely in caplog.text


def test_plausible_size_does_not_warn(caplog):
    with caplog.at_level(logging.WARNING, logger="physsynth"):
        ps.bar_mesh(0.2, 0.02, 0.02, (4, 1, 1))
    assert caplog.text == ""


# ------------------------------------------------------------------ audio files
_SINE = np.sin(np.arange(4800) / 10.0)

AUDIO_CASES = {
    "empty array": (RenderError, dict(samples=np.zeros(0))),
    "NaN samples": (RenderError, dict(samples=np.full(100, np.nan))),
    "inf samples": (RenderError, dict(samples=np.r_[_SINE, np.inf])),
    "sr 2**40": (AudioError, dict(sr=2**40)),
    "sr 0": (AudioError, dict(sr=0)),
    "sr 44100.5": (AudioError, dict(sr=44100.5)),
    "headroom nan": (AudioError, dict(headroom_db=float("nan"))),
    "headroom inf": (AudioError, dict(headroom_db=float("inf"))),
    "headroom 400": (AudioError, dict(headroom_db=400.0)),
    "headroom -1": (AudioError, dict(headroom_db=-1.0)),
    "all zero": (RenderError, dict(samples=np.zeros(4800))),
    "all zero, not normalised": (RenderError, dict(samples=np.zeros(4800), headroom_db=None)),
    "below the last bit": (RenderError, dict(samples=1e-7 * _SINE, headroom_db=None, fmt="pcm16")),
    "ragged channels": (AudioError, dict(samples=[[0.1, 0.2], [0.3]])),
    "(samples, channels) the wrong way round": (AudioError, dict(samples=np.tile(_SINE, (2, 1)).T)),
    "unknown format": (AudioError, dict(fmt="mp3")),
}


@pytest.mark.parametrize("case", AUDIO_CASES)
def test_write_wav_refusals_leave_the_file_alone(tmp_path, case):
    cls, kw = AUDIO_CASES[case]
    out = tmp_path / "old.wav"
    out.write_bytes(b"old")
    args = {"samples": _SINE, "sr": 48000, **kw}
    _refused(cls, lambda: write_wav(out, args.pop("samples"), **args))
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.wav"]


def test_read_wav_of_garbage_is_an_audio_error(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    _refused(AudioError, lambda: read_wav(bad))
    _refused(AudioError, lambda: read_wav(tmp_path / "missing.wav"))


# ------------------------------------------------------------------ finite differences
def _steel():
    return ps.get_material("steel")


def _fd_cases():

    small = lambda: plate((0.3, 0.2), 0.002, _steel())  # noqa: E731
    return {
        # 8877 x 8877 points x 48000 steps: hours, refused by the time budget
        "plate 100 x 100 m for 1 s": lambda: render_plate(plate((100, 100), 0.001, _steel()), duration=1.0),
        "plate 1e300 m": lambda: plate((1e300, 1.0), 0.001, _steel()),
        "plate sr 0": lambda: plate((0.3, 0.2), 0.002, _steel(), sr=0),
        "plate oversample 100000": lambda: plate((0.3, 0.2), 0.002, _steel(), oversample=100000),
        "plate strike outside": lambda: render_plate(small(), duration=0.1, strike=(5.0, 5.0)),
        "plate pickup of 3 numbers": lambda: render_plate(small(), duration=0.1, pickups=[(0.1, 0.1, 0.1)]),
        "plate duration nan": lambda: render_plate(small(), duration=float("nan")),
        "plate grid 0": lambda: plate((0.3, 0.2), 0.002, _steel(), grid=0.0),
        "string oversample 100000": lambda: stiff_string(220.0, oversample=100000),
        "string 40000 s": lambda: render_string(stiff_string(220.0), duration=40000.0),
        "string T60 nan": lambda: stiff_string(220.0, t60=float("nan")),
        "string f0 inf": lambda: stiff_string(float("inf")),
        "string pluck outside": lambda: render_string(stiff_string(220.0), duration=0.1, pluck=1.5),
        "membrane infinite wave speed": lambda: membrane((0.3, 0.3), wave_speed=float("inf")),
        "membrane free edges for 100 s": lambda: render_membrane(
            membrane((1.0, 1.0), wave_speed=100.0, bc="free"), duration=100.0
        ),
    }


FD_CASES = list(_fd_cases())


@pytest.mark.parametrize("case", FD_CASES)
def test_fd_refusals(case):
    _refused(PhyssynthError, _fd_cases()[case])


def test_fd_estimates_are_the_sizes():

    sch = plate((0.3, 0.2), 0.002, _steel(), sr=48000)
    c = sch.estimate(0.5)
    assert c.grid_points == (sch.nx + 1) * (sch.ny + 1)
    assert c.steps == 24000 and c.updates == c.grid_points * c.steps
    # the two grid states dominate the memory; the output adds 4 float64 copies of 24000 samples
    assert c.memory_bytes >= 2 * (sch.nx + 3) * (sch.ny + 3) * 8 + 4 * 24000 * 8
    st = stiff_string(220.0, sr=48000)
    assert st.estimate(1.0).updates == (st.N + 1) * 48000 * st.oversample
    # the message of a refusal says what it needs
    big = plate((100, 100), 0.001, _steel())
    msg = _refused(PhyssynthError, lambda: big.check_budget(1.0))
    assert f"{big.nx} x {big.ny}" in msg and "min" in msg and "--grid" in msg


# ------------------------------------------------------------------ string and membrane models
def _model_cases():

    drum = dict(c=100.0, sr=16000, duration=0.05, at=(0.1, 0.07), pickup=(0.2, 0.13), t60=1.0)
    return {
        "pluck t60 1e-9": lambda: ks_pluck(220.0, sr=48000, duration=1.0, t60=1e-9),
        "pluck seed -1": lambda: ks_pluck(220.0, sr=48000, duration=1.0, seed=-1),
        "pluck seed 1.5": lambda: ks_pluck(220.0, sr=48000, duration=1.0, seed=1.5),
        "pluck inharmonicity -1": lambda: ks_pluck(220.0, sr=48000, duration=1.0, inharmonicity=-1.0),
        "pluck inharmonicity nan": lambda: ks_pluck(220.0, sr=48000, duration=1.0, inharmonicity=float("nan")),
        "pluck 40000 s": lambda: ks_pluck(220.0, sr=48000, duration=40000.0),
        "pluck 1e-9 s": lambda: ks_pluck(220.0, sr=48000, duration=1e-9),
        "pluck sr 2**40": lambda: ks_pluck(220.0, sr=2**40, duration=1.0),
        "pluck ragged excitation": lambda: ks_pluck(220.0, sr=48000, duration=1.0, excitation=[[1.0, 2.0], [3.0]]),
        "pluck amplitude nan": lambda: ks_pluck(220.0, sr=48000, duration=1.0, amplitude=float("nan")),
        "bow force 0": lambda: bow(220.0, sr=48000, duration=1.0, force=0.0, velocity=0.1),
        "bow force 1e9": lambda: bow(220.0, sr=48000, duration=1.0, force=1e9, velocity=0.1),
        "bow velocity 100 m/s": lambda: bow(220.0, sr=48000, duration=1.0, force=0.5, velocity=100.0),
        "bow velocity nan": lambda: bow(220.0, sr=48000, duration=1.0, force=0.5, velocity=float("nan")),
        "mesh2d at outside": lambda: waveguide_mesh_strike((0.3, 0.2), **{**drum, "at": (5.0, 5.0)}),
        "mesh2d pickup outside": lambda: waveguide_mesh_strike((0.3, 0.2), **{**drum, "pickup": (-0.1, 0.1)}),
        "mesh2d 30 x 20 m": lambda: waveguide_mesh_strike((30.0, 20.0), **{**drum, "sr": 48000}),
        "body modes with NaN": lambda: string_on_modes(
            110.0, [100.0, np.nan], [1.0, 1.0], [1.0, 1.0], sr=48000, duration=1.0
        ),
    }


MODEL_CASES = list(_model_cases())


@pytest.mark.parametrize("case", MODEL_CASES)
def test_model_refusals(case):
    _refused(ModelParameterError, _model_cases()[case])


@pytest.fixture(scope="module")
def bar_model():
    mesh = ps.bar_mesh(0.2, 0.02, 0.01, (10, 1, 1))
    return ps.modal_analysis(mesh, ps.get_material("steel"), n_modes=8, order=1)


def test_hybrid_bridge_outside_the_body_is_refused(bar_model):

    # 50 m from a 20 cm bar: a mistake (wrong units), not a place on it
    _refused(
        PhyssynthError,
        lambda: string_on_body(110.0, bar_model, bridge=(50.0, 50.0, 50.0), sr=48000, duration=0.5),
    )


def test_banded_contact_outside_the_body_is_refused(bar_model):

    _refused(PhyssynthError, lambda: banded_strike(bar_model, sr=48000, duration=0.1, at=(50.0, 50.0, 50.0)))


# ------------------------------------------------------------------ plots and animations
@pytest.fixture(scope="module")
def plate_model():
    pytest.importorskip("matplotlib")
    mesh = ps.load_mesh(os.path.join(os.path.dirname(__file__), "..", "meshes", "plate_rect_300x200.msh"))
    return ps.modal_analysis(mesh, ps.get_material("steel"), n_modes=3, thickness=0.002, support=["edge"])


def _viz_cases(model, tmp_path):

    hit = ps.strike(model, (0.07, 0.05, 0.0), sr=48000)
    return {
        "panel size -1": lambda: plot_modes(model, 2, panel_size=-1.0),
        "panel size nan": lambda: plot_modes(model, 2, panel_size=float("nan")),
        "dpi 100000": lambda: plot_modes(model, 2, dpi=100000.0),
        "dpi 0": lambda: plot_modes(model, 2, dpi=0.0),
        "mode index 0.5": lambda: plot_modes(model, [0.5]),
        "mode index 99": lambda: plot_modes(model, [99]),
        "animate frames 1e8": lambda: animate_mode(model, 0, tmp_path / "out.gif", frames=100_000_000),
        "animate size 1e6 inches": lambda: animate_mode(model, 0, tmp_path / "out.gif", size=(1e6, 3.0)),
        "animate fps nan": lambda: animate_mode(model, 0, tmp_path / "out.gif", fps=float("nan")),
        "response frames 1e8": lambda: animate_response(model, hit, tmp_path / "out.gif", frames=100_000_000),
        "export frames 1e8": lambda: export_response(
            model, hit, tmp_path / "out.xdmf", duration=0.01, frames=100_000_000
        ),
        "export duration -1": lambda: export_response(model, hit, tmp_path / "out.xdmf", duration=-1.0),
    }


VIZ_CASES = [
    "panel size -1",
    "panel size nan",
    "dpi 100000",
    "dpi 0",
    "mode index 0.5",
    "mode index 99",
    "animate frames 1e8",
    "animate size 1e6 inches",
    "animate fps nan",
    "response frames 1e8",
    "export frames 1e8",
    "export duration -1",
]


@pytest.mark.parametrize("case", VIZ_CASES)
def test_viz_refusals_write_nothing(plate_model, tmp_path, case):

    fn = _viz_cases(plate_model, tmp_path)[case]
    _refused(PlotError, fn)
    assert sorted(os.listdir(tmp_path)) == []


def test_xdmf_without_h5py_names_the_extra(plate_model, tmp_path, monkeypatch):

    monkeypatch.setitem(sys.modules, "h5py", None)  # import h5py now raises ImportError
    msg = _refused(PlotError, lambda: export_modes(plate_model, tmp_path / "m.xdmf"))
    assert "pip install 'physsynth[xdmf]'" in msg
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------ batch specs
_SPEC = """
duration = {duration}
{extra}
[[meshes]]
name = "bar"
generator = "bar"
length = 0.1
width = 0.01
height = 0.01
n = [4, 1, 1]

[[materials]]
name = "steel"

[[excitations]]
at = {at}
"""

BATCH_CASES = {
    "at 5 m from the bar": dict(at="[5.0, 5.0, 5.0]"),
    "at a region the mesh lacks": dict(at='"nowhere"'),
    "duration 1e9": dict(duration="1e9"),
    "duration 40000 (46 GB)": dict(duration="40000"),
    "sr 1e9": dict(extra="sr = 1000000000"),
    "unknown key": dict(extra="colour = 'red'"),
    "headroom 400 dB": dict(extra="headroom_db = 400"),
    # 1000 durations x 1001 points: over the stated 1,000,000 items, counted before expanding
    "1.001e6 items": dict(duration=str([0.1 + 1e-4 * k for k in range(1000)]), at=str([[0.05, 0.005, 0.01]] * 1001)),
}


@pytest.mark.parametrize("case", BATCH_CASES)
def test_batch_spec_refused_before_the_dataset(tmp_path, case):
    kw = {"duration": "0.1", "extra": "", "at": "[0.05, 0.005, 0.01]", **BATCH_CASES[case]}
    spec = tmp_path / "sweep.toml"
    spec.write_text(_SPEC.format(**kw))
    out = tmp_path / "ds"
    with pytest.raises(SpecError):
        load_spec(spec)
    with pytest.raises(SpecError):
        run_batch(str(spec), str(out), workers=0, progress=False)
    assert not out.exists()


@pytest.mark.parametrize("workers", [-1, 10**6, 2.5])
def test_batch_workers_are_capped(tmp_path, workers):
    spec = tmp_path / "sweep.toml"
    spec.write_text(_SPEC.format(duration="0.1", extra="", at="[0.05, 0.005, 0.01]"))
    out = tmp_path / "ds"
    with pytest.raises(PhyssynthError, match="workers"):
        run_batch(str(spec), str(out), workers=workers, progress=False)
    assert not out.exists()


def test_batch_ranges_are_the_renderers():

    assert (bx.MAX_NORMAL_FORCE, bx.MAX_SLIDING_SPEED) == (MAX_NORMAL_FORCE, MAX_SLIDING_SPEED)

    assert check_velocity(bx.MAX_IMPACT_VELOCITY) == bx.MAX_IMPACT_VELOCITY
    with pytest.raises(MalletError):
        check_velocity(np.nextafter(bx.MAX_IMPACT_VELOCITY, np.inf))


@pytest.mark.parametrize(
    "line", ['kind = "bow"\ndirection = [1, 0, 0]\nforce = 1e9\nspeed = 0.1', 'kind = "mallet"\nvelocity = 1000']
)
def test_batch_excitation_out_of_range_is_refused_when_read(tmp_path, line):
    spec = tmp_path / "sweep.toml"
    spec.write_text(_SPEC.format(duration="0.1", extra="", at="[0.05, 0.005, 0.01]") + line + "\n")
    with pytest.raises(SpecError, match="must be <="):
        load_spec(spec)


@pytest.mark.parametrize("ext", [".json", ".toml", ".yaml"])
def test_batch_spec_nested_100k_deep_is_refused(tmp_path, ext):
    pytest.importorskip("yaml") if ext == ".yaml" else None
    spec = tmp_path / f"deep{ext}"
    spec.write_text(("x = " if ext == ".toml" else "") + "[" * 100_000 + "]" * 100_000)
    _refused(SpecError, lambda: load_spec(spec))


@pytest.mark.parametrize("model, kwargs", [("waveguide", {"pick": 0.1}), ("ks", {"bogus": 1}), (["ks"], {})])
def test_pluck_refuses_options_its_model_does_not_take(model, kwargs):
    """A keyword the chosen string does not take is a refusal naming what it does take (it was a TypeError)."""

    with pytest.raises(ModelParameterError):
        pluck(220.0, sr=48000, duration=0.1, model=model, **kwargs)
