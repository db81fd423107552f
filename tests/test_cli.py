"""The command line: output formats (a contract) and every error path."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import gmsh_box
from conftest import run_cli as run

import physsynth as ps


@pytest.fixture(scope="module")
def bar_file(tmp_path_factory):
    return gmsh_box(tmp_path_factory.mktemp("cli") / "bar.msh", size=(0.2, 0.02, 0.01), h=0.01)


def test_modes_json_is_only_json(bar_file, tmp_path):
    model_path = tmp_path / "bar.npz"
    code, out, err = run("modes", bar_file, "--material", "aluminium", "--n-modes", "5", "--json", "-o", model_path)
    assert code == 0, err
    data = json.loads(out)
    f = data["frequencies_hz"]
    assert len(f) == 5 and f == sorted(f) and f[0] > 0
    assert data["rigid_body_modes"] == 6 and data["dofs"] > 0
    assert "eigen-solve" in err  # progress goes to stderr
    assert model_path.exists()


def test_modes_table_and_clamp(bar_file):
    code, out, err = run(
        "modes", bar_file, "--material", "steel", "--n-modes", "3", "--clamp", "x<=0.0", "--order", "1"
    )
    assert code == 0, err
    rows = [line for line in out.splitlines() if line.strip() and not line.startswith("#")]
    assert rows[0].split()[:2] == ["mode", "freq_hz"] and len(rows) == 4


def test_strike_from_mesh_and_from_saved_model(bar_file, tmp_path):
    model_path = tmp_path / "m.npz"
    wav1 = tmp_path / "a.wav"
    code, out, err = run(
        "strike",
        bar_file,
        "--material",
        "brass",
        "--at",
        "0.2,0.01,0.01",
        "--duration",
        "0.5",
        "--sr",
        "44100",
        "--fmax",
        "8000",
        "--save-model",
        model_path,
        "-o",
        wav1,
    )
    assert code == 0, err
    y, sr = ps.read_wav(wav1)
    assert sr == 44100 and y.shape == (1, 22050)
    # the default --headroom 1: the peak sits at -1 dBFS (pcm24 rounds it by < 1e-6 dB), and
    # the bar rings rather than clicks: the last 0.1 s is within 40 dB of the first 0.1 s
    peak_db = 20 * np.log10(np.abs(y).max())
    np.testing.assert_allclose(peak_db, -1.0, atol=1e-3)
    first, last = (20 * np.log10(np.sqrt(np.mean(seg**2))) for seg in (y[0, :4410], y[0, -8820:-4410]))
    assert last > first - 40.0, (first, last)
    wav2 = tmp_path / "b.wav"
    code, out, err = run(
        "strike",
        model_path,
        "--at=-0.0,0.01,0.01",
        "--pickup",
        "0.1,0,0.01",
        "--pickup",
        "0.2,0.02,0.0",
        "--mallet",
        "hard",
        "--duration",
        "0.3",
        "--format",
        "float32",
        "-o",
        wav2,
    )
    assert code == 0, err
    y, sr = ps.read_wav(wav2)
    assert y.shape == (2, int(0.3 * 48000)) and np.abs(y).max() <= 1.0


def test_materials_listing():
    code, out, err = run("materials")
    assert code == 0 and "bell_bronze" in out
    code, out, err = run("materials", "--json")
    assert "source" in json.loads(out)["steel"]


@pytest.mark.parametrize(
    "case", ["missing", "surface", "material", "nu", "vector", "outdir", "selector", "model", "partial_custom"]
)
def test_errors_are_one_line_without_traceback(case, bar_file, tmp_path):
    out_wav = tmp_path / "out.wav"
    surf = tmp_path / "surf.vtu"
    if case == "surface":
        import meshio

        m = meshio.read(bar_file)
        meshio.write(str(surf), meshio.Mesh(m.points, [c for c in m.cells if c.type == "triangle"]))
    args = {
        "missing": ["modes", tmp_path / "nope.msh"],
        "surface": ["modes", surf],
        "material": ["modes", bar_file, "--material", "vibranium"],
        "nu": ["modes", bar_file, "--E", "1e9", "--nu", "0.6", "--rho", "1000"],
        "vector": ["strike", bar_file, "--at", "1,2", "-o", out_wav],
        "outdir": ["strike", bar_file, "--at", "0,0,0", "-o", tmp_path / "no" / "x.wav"],
        "selector": ["modes", bar_file, "--clamp", "q<1"],
        "model": ["strike", tmp_path / "broken.npz", "--at", "0,0,0", "-o", out_wav],
        "partial_custom": ["modes", bar_file, "--E", "1e9"],
    }[case]
    if case == "model":
        (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not really")
    code, out, err = run(*args)
    assert code != 0
    lines = [line for line in err.splitlines() if line.startswith("physsynth: error")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert not out_wav.exists()


def test_existing_output_survives_a_failed_run(bar_file, tmp_path):
    out_wav = tmp_path / "keep.wav"
    out_wav.write_bytes(b"old")
    code, _, err = run("strike", bar_file, "--at", "0,0,0", "--material", "nope", "-o", out_wav)
    assert code == 2 and out_wav.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["keep.wav"]


# ------------------------------------------------------------------ output paths
@pytest.fixture(scope="module")
def saved_bar(tmp_path_factory):
    mesh = ps.bar_mesh(0.2, 0.02, 0.01, (8, 2, 1))
    model = ps.modal_analysis(mesh, ps.get_material("steel"), n_modes=6, order=1)
    return str(model.save(tmp_path_factory.mktemp("out") / "bar.npz"))


def _strike_to(model, out, *extra, **kw):
    return subprocess.run(
        [sys.executable, "-m", "physsynth", "strike", model, "--at", "0.2,0.01,0.01", "--duration", "0.2", *extra]
        + ["-o", out],
        capture_output=True,
        timeout=300,
        **kw,
    )


def test_dev_full_is_refused_and_a_full_stdout_fails(saved_bar, tmp_path):
    """`-o /dev/full` is refused before any work (a device other than /dev/null or a terminal:
    exit 2, one line), and stays a device; a stdout that fills (`-o - > /dev/full`) is an I/O
    error (exit 1, one line). No temporary file stays behind either way."""
    import stat

    env = dict(os.environ, TMPDIR=str(tmp_path))
    p = _strike_to(saved_bar, "/dev/full", env=env)
    err = p.stderr.decode()
    assert p.returncode == 2, err
    assert err.count("\n") == 1 and err.startswith("physsynth: error:") and "device" in err, err
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    with open("/dev/full", "wb") as full:
        p = subprocess.run(
            [sys.executable, "-m", "physsynth", "strike", saved_bar, "--at", "0.2,0.01,0.01", "--duration", "0.2"]
            + ["-o", "-"],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=300,
            env=env,
        )
    err = p.stderr.decode()
    assert p.returncode == 1, err
    lines = [line for line in err.splitlines() if line.startswith("physsynth: error")]
    assert len(lines) == 1 and "No space left on device" in lines[0], err
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    assert os.listdir(tmp_path) == []  # the temporary copy was removed


def test_dev_null_and_a_fifo_are_written_through(saved_bar, tmp_path):
    import stat
    import threading

    p = _strike_to(saved_bar, "/dev/null")
    assert p.returncode == 0, p.stderr.decode()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    got = {}

    def reader():
        with open(fifo, "rb") as fh:
            got["data"] = fh.read()

    t = threading.Thread(target=reader)
    t.start()
    p = _strike_to(saved_bar, str(fifo))
    t.join(timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and got["data"][:4] == b"RIFF"


def test_dash_writes_the_wav_to_stdout(saved_bar, tmp_path):
    """`-o -`: the WAV alone on stdout (no path printed after it), progress on stderr."""
    p = _strike_to(saved_bar, "-", "--sr", "44100")
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout[:4] == b"RIFF" and b"rendering" in p.stderr
    wav = tmp_path / "piped.wav"
    wav.write_bytes(p.stdout)
    y, sr = ps.read_wav(wav)
    assert sr == 44100 and y.shape == (1, round(0.2 * 44100))
    # nothing after the data: the RIFF size covers the whole stream
    assert int.from_bytes(p.stdout[4:8], "little") + 8 == len(p.stdout)
    assert os.listdir(tmp_path) == ["piped.wav"]


def test_symlink_target_is_replaced_not_the_link(saved_bar, tmp_path):
    target = tmp_path / "real.wav"
    target.write_bytes(b"old")
    link = tmp_path / "link.wav"
    link.symlink_to(target)
    p = _strike_to(saved_bar, str(link))
    assert p.returncode == 0, p.stderr.decode()
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes()[:4] == b"RIFF"
    assert sorted(os.listdir(tmp_path)) == ["link.wav", "real.wav"]
    dangling = tmp_path / "dangling.wav"
    dangling.symlink_to(tmp_path / "nowhere" / "x.wav")
    p = _strike_to(saved_bar, str(dangling))
    assert p.returncode == 2 and b"symbolic link" in p.stderr
    assert not (tmp_path / "nowhere").exists()


def test_io_refuses_what_it_cannot_write_safely(tmp_path):
    """physsynth._io: a socket or a directory is refused before any work; a failed write
    through a device leaves no temporary file (TMPDIR) and the device itself untouched."""
    import socket
    import stat
    import tempfile

    from physsynth._io import atomic_path, check_writable, is_stdout, output_target
    from physsynth.errors import PhyssynthError

    sock_path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock_path))
        with pytest.raises(PhyssynthError, match="socket"):
            check_writable(sock_path)
    with pytest.raises(PhyssynthError, match="directory"):
        check_writable(tmp_path)
    assert output_target("/dev/null")[0] == "through" and output_target(tmp_path / "new.wav")[0] == "replace"
    assert is_stdout("-") and is_stdout("/dev/stdout") and not is_stdout(tmp_path / "x.wav")
    private = tmp_path / "tmp"
    private.mkdir()
    old, tempfile.tempdir = tempfile.tempdir, str(private)
    try:
        with pytest.raises(PhyssynthError, match="device other than /dev/null"), atomic_path("/dev/full"):
            pass
        with pytest.raises(RuntimeError), atomic_path("/dev/null"):
            raise RuntimeError("the writer failed")
    finally:
        tempfile.tempdir = old
    assert os.listdir(private) == []
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode) and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_pluck_waveguide_takes_the_inharmonicity(tmp_path):
    """`pluck --model waveguide --inharmonicity B` (refused before issue 11): partial n of the
    written WAV at n f0 sqrt(1 + B n^2), partials 1..8 within 3 cents."""
    from physsynth.measure import cents, spectral_peaks

    f0, B, sr = 110.0, 4e-4, 48000
    out = tmp_path / "stiff.wav"
    code, _, err = run(
        "pluck", "--f0", f0, "--model", "waveguide", "--inharmonicity", B, "--t60", 4, "--duration", 2, "--sr", sr,
        "-o", out,
    )  # fmt: skip
    assert code == 0, err
    y, got_sr = ps.read_wav(out)
    n = np.arange(1, 9)
    target = n * f0 * np.sqrt(1 + B * n**2)
    measured = spectral_peaks(y[0], target, sr=got_sr, rel_window=0.01)
    assert np.max(np.abs(cents(measured, target))) < 3.0, cents(measured, target)
