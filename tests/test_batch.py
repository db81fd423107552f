"""Batch rendering on Dask: sweeps, datasets, interruptions, bit-identical results.

The cluster is a LocalCluster over loopback (2 worker processes, one thread each), the meshes
tiny (a structured bar and a coarse gmsh box), the renders 0.2 s long, so that the 72-item
sweep takes seconds. What is checked is bookkeeping, not acoustics: every item rendered once,
files whole and equal to the records, the same bytes from Dask as from a serial run.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

pytest.importorskip("dask.distributed")

from conftest import ROOT, gmsh_box, run_cli  # noqa: E402

import physsynth.batch as pb  # noqa: E402
from physsynth.audio import read_wav  # noqa: E402

SPEC = """
name = "test-sweep"
sr = 48000
duration = {duration}

[analysis]
n_modes = 10

[[meshes]]
name = "bar"
generator = "bar"
length = 0.1
width = 0.01
height = 0.005
n = [10, 1, 1]

[[meshes]]
name = "box"
file = "{box}"

[[materials]]
name = "steel"

[[materials]]
name = "alloy"
E = 1.1e11
nu = 0.33
rho = 8400
loss_factor = 3e-4

[[excitations]]
meshes = ["bar"]
mallet = ["soft", "hard"]
at = [[0.05, 0.005, 0.005], "x>=0.0999", {{random = 4, region = "surface", seed = 1}}]

[[excitations]]
meshes = ["box"]
mallet = ["soft", "hard"]
at = [[0.05, 0.02, 0.005], "end", {{random = 4, region = "end", seed = 2}}]

[[pickups]]
name = "drive"
at = "strike"

[[pickups]]
meshes = ["box"]
name = "stereo"
at = [[0.1, 0.0, 0.01], [0.1, 0.02, 0.0]]
"""
N_ITEMS = 2 * 2 * 6 * 1 + 2 * 2 * 6 * 2  # bar: materials x mallets x points; box: x 2 pickup sets


def write_spec(folder, box, duration=0.2, text=SPEC, name="sweep.toml"):
    path = os.path.join(folder, name)
    with open(path, "w") as fh:
        fh.write(text.format(box=box, duration=duration))
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    box = gmsh_box(d / "box.msh", size=(0.1, 0.02, 0.01), h=0.01)
    return {"dir": str(d), "box": box, "spec": write_spec(str(d), box)}


@pytest.fixture(scope="module")
def serial(work):
    """The reference: the sweep rendered serially, without Dask."""
    out = os.path.join(work["dir"], "serial")
    report = pb.run_batch(work["spec"], out, workers=0, progress=False)
    return out, report


@pytest.fixture(scope="module")
def cluster():
    import logging

    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as c:
        yield c


def wav_bytes(root) -> dict:
    out = {}
    for p in glob.glob(os.path.join(root, "wav", "*.wav")):
        with open(p, "rb") as fh:
            out[os.path.basename(p)[:-4]] = fh.read()
    return out


def check_dataset(root, n_items):
    """Every row has its file, every file its row; hashes, sizes and audio agree."""
    with open(os.path.join(root, "metadata.csv"), newline="") as fh:
        rows = list(csv.DictReader(fh))
    ids = [r["item_id"] for r in rows]
    assert len(ids) == len(set(ids)) == n_items  # no duplicates, nothing lost
    files = wav_bytes(root)
    ok = {r["item_id"]: r for r in rows if r["status"] == "ok"}
    assert set(files) == set(ok)
    for iid, data in files.items():
        r = ok[iid]
        assert hashlib.sha256(data).hexdigest() == r["sha256"]
        assert len(data) == int(r["bytes"])
        x, sr = read_wav(os.path.join(root, "wav", f"{iid}.wav"))
        assert sr == int(r["sr"]) and x.shape == (int(r["n_channels"]), int(r["n_samples"]))
        # normalised to -headroom_db: the file's peak within one 24-bit step (~1e-6 dB)
        np.testing.assert_allclose(float(r["peak_dbfs"]), -float(r["headroom_db"]), atol=1e-4)
    assert not glob.glob(os.path.join(root, "**", ".physsynth-*"), recursive=True)
    assert not os.path.exists(os.path.join(root, ".lock"))
    return rows


# ------------------------------------------------------------------ the spec
def test_spec_expands_to_stable_ids(work):
    a = pb.load_spec(work["spec"])
    b = pb.load_spec(work["spec"])
    assert len(a) == N_ITEMS and len(a.models) == 4  # 2 meshes x 2 materials
    assert [it.id for it in a.items] == [it.id for it in b.items]
    assert len({it.id for it in a.items}) == N_ITEMS
    # another duration changes every ID but no model key; the random points keep their seeds
    c = pb.load_spec(write_spec(work["dir"], work["box"], duration=0.3, name="other.toml"))
    assert not {it.id for it in a.items} & {it.id for it in c.items}
    assert set(a.models) == set(c.models)
    rnd = [it.params["excitation"]["at"] for it in a.items if isinstance(it.params["excitation"]["at"], dict)]
    assert sorted({(p["region"], p["index"]) for p in rnd}) == [(r, k) for r in ("end", "surface") for k in range(4)]


def test_yaml_and_json_specs_give_the_same_items(work, tmp_path):
    yaml = pytest.importorskip("yaml")
    raw = pb.read_spec(work["spec"])
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(raw))
    (tmp_path / "s.json").write_text(json.dumps(raw))
    ids = [it.id for it in pb.load_spec(work["spec"]).items]
    assert [it.id for it in pb.load_spec(tmp_path / "s.yaml").items] == ids
    assert [it.id for it in pb.load_spec(tmp_path / "s.json").items] == ids


def test_explicit_items_and_duplicates(tmp_path):
    spec = tmp_path / "items.toml"
    spec.write_text("""
product = false
duration = 0.2
[[meshes]]
name = "bar"
generator = "bar"
length = 0.1
width = 0.01
height = 0.005
n = [10, 1, 1]
[[materials]]
name = "steel"
[[items]]
mesh = "bar"
material = "steel"
excitation = {at = [0.05, 0.005, 0.005], mallet = "hard"}
[[items]]
mesh = "bar"
material = "brass"
excitation = {at = [0.05, 0.005, 0.005], contact_time = 2e-3}
sr = 32000
[[items]]
mesh = "bar"
material = "steel"
excitation = {at = [0.05, 0.005, 0.005], mallet = "hard"}
""")
    s = pb.load_spec(spec)
    assert len(s) == 2 and s.duplicates == 1
    assert s.items[1].params["sr"] == 32000 and s.items[1].params["material"]["name"] == "brass"
    assert s.items[1].params["excitation"]["mallet"] is None  # the contact time overrides it


BAD = [
    ("meshes = 3\n", "meshes"),
    ('[[meshes]]\nname = "b"\ngenerator = "cube"\n', "meshes[0].generator"),
    (
        '[[meshes]]\nname = "b"\ngenerator = "bar"\nlength = 0.1\nwidth = 0.01\nheight = 0.01\n'
        'n = [2, 1, 1]\n[[materials]]\nname = "steel"\n[[excitations]]\nat = [0, 0, 0]\nmalet = "soft"\n',
        "excitations[0].malet",
    ),
    (
        '[[meshes]]\nname = "b"\ngenerator = "bar"\nlength = 0.1\nwidth = 0.01\nheight = 0.01\n'
        'n = [2, 1, 1]\n[[materials]]\nname = "steel"\n[[excitations]]\nat = [0, 0, 0]\n'
        'mallet = "huge"\n',
        "excitations[0].mallet",
    ),
    ("duration = -1\n", "duration"),
    (
        '[[meshes]]\nname = "b"\ngenerator = "bar"\nlength = 0.1\nwidth = 0.01\nheight = 0.01\n'
        "n = [2, 1, 1]\n[[materials]]\nE = 1e11\nnu = 0.6\nrho = 1000\n[[excitations]]\nat = [0, 0, 0]\n",
        "materials[0]",
    ),
    (
        '[[meshes]]\nname = "b"\ngenerator = "bar"\nlength = 0.1\nwidth = 0.01\nheight = 0.01\n'
        'n = [2, 1, 1]\n[[materials]]\nname = "steel"\n[[excitations]]\nkind = "laser"\nat = [0, 0, 0]\n',
        "excitations[0].kind",
    ),
    (
        '[[meshes]]\nname = "b"\ngenerator = "bar"\nlength = 0.1\nwidth = 0.01\nheight = 0.01\n'
        'n = [2, 1, 1]\n[[materials]]\nname = "steel"\n[[excitations]]\n'
        'at = {random = 0, region = "surface"}\n',
        "excitations[0].at.random",
    ),
    ("x = [\n", "not valid TOML"),
    ("foo = 1\n", "foo: unknown key"),
]
# a valid bar sweep with one line changed: each must be refused when the spec is read
_BAR = (
    '[[meshes]]\nname = "b"\ngenerator = "bar"\nlength = 0.1\nwidth = 0.01\nheight = 0.01\n'
    'n = [2, 1, 1]\n[[materials]]\nname = "steel"\n[[excitations]]\nat = {at}\n'
)
BAD += [
    ("duration = 1e9\n" + _BAR.format(at="[0.05, 0.005, 0.01]"), "duration"),
    # 40000 s x 48 kHz x 8 B x 3 buffers = 46 GB, over the 8 GiB budget the test sets
    ("duration = 40000\n" + _BAR.format(at="[0.05, 0.005, 0.01]"), "duration"),
    ("sr = 1000000000\n" + _BAR.format(at="[0.05, 0.005, 0.01]"), "sr"),
    (_BAR.format(at="[5.0, 5.0, 5.0]"), "snap_tolerance"),  # 8.7 m from a 10 cm bar
    (_BAR.format(at='"nowhere"'), "nowhere"),
    (_BAR.format(at='{random = 2, region = "z>=1"}'), "z>=1"),
    ("headroom_db = 400\n" + _BAR.format(at="[0.05, 0.005, 0.01]"), "headroom_db"),
]


@pytest.mark.parametrize("text, key", BAD)
def test_bad_spec_is_one_clear_line(tmp_path, text, key):
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    out = tmp_path / "ds"
    p = subprocess.run(
        [sys.executable, "-m", "physsynth", "batch", str(spec), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PHYSSYNTH_MEMORY_GB": "8"},
    )
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("physsynth: error: bad.toml: ")
    assert key in lines[0]
    assert not out.exists()  # refused before the dataset is touched


def test_positions_on_the_mesh(work):
    """Region names, predicates and random points resolve onto the right part of the box."""
    import physsynth as ps
    from physsynth.batch.positions import RenderContext

    model = ps.modal_analysis(ps.load_mesh(work["box"]), ps.get_material("steel"), n_modes=6)
    params = {
        "sr": 48000,
        "duration": 0.1,
        "quantity": "velocity",
        "pickups": {"at": ["strike"]},
        "snap_tolerance": None,
    }
    ctx = RenderContext(model, params, seed=0)
    pts = ctx.random_points("end", 2, 200)
    assert np.abs(pts[:, 0]).max() < 1e-12  # the 'end' face is x = 0 (gmsh_box)
    assert pts[:, 1].min() >= 0 and pts[:, 1].max() <= 0.02 and pts[:, 2].max() <= 0.01
    # uniform by area: the mean of 200 points within 4 standard errors of the face's centre
    # (uniform on [0, a]: sd = a / sqrt(12))
    np.testing.assert_allclose(pts[:, 1:].mean(axis=0), [0.01, 0.005], atol=4 * 0.02 / np.sqrt(12 * 200))
    np.testing.assert_array_equal(pts, ctx.random_points("end", 2, 200))  # seeded
    node, p = ctx.locate("end", "at")
    assert abs(p[0]) < 1e-12
    node, p = ctx.locate("x>=0.0999", "at")
    assert p[0] > 0.0999
    with pytest.raises(ps.RenderError, match="snap_tolerance"):
        ctx.locate([0.5, 0.5, 0.5], "excitation.at")


# ------------------------------------------------------------------ runs
@pytest.mark.slow
def test_serial_run_and_failures_recorded(work, serial, tmp_path):
    out, report = serial
    assert report.rendered == N_ITEMS and report.failed == 0 and report.models_computed == 4
    check_dataset(out, N_ITEMS)
    assert len(glob.glob(os.path.join(out, "models", "*.npz"))) == 4
    try:  # the same table as Parquet when pyarrow is installed (optional)
        import pyarrow.parquet as pq
    except ImportError:
        pass
    else:
        with open(os.path.join(out, "metadata.csv"), newline="") as fh:
            rows = list(csv.DictReader(fh))
        t = pq.read_table(os.path.join(out, "metadata.parquet")).to_pydict()
        assert t["item_id"] == [r["item_id"] for r in rows]
        assert t["sha256"] == [r["sha256"] for r in rows]
        assert t["peak_physical"] == [float(r["peak_physical"]) for r in rows]
    # a point off the mesh is refused when the spec is read, before the dataset exists
    far = tmp_path / "far.toml"
    far.write_text(open(work["spec"]).read().replace('"x>=0.0999",', '"x>=0.0999", [1.0, 1.0, 1.0],'))
    with pytest.raises(pb.SpecError, match="snap_tolerance"):
        pb.run_batch(str(far), str(tmp_path / "far-ds"), workers=0, progress=False)
    assert not (tmp_path / "far-ds").exists()
    # a missing mesh file fails its items alone, with its error
    text = (
        open(work["spec"])
        .read()
        .replace(
            '[[materials]]\nname = "steel"',
            '[[meshes]]\nname = "ghost"\nfile = "missing.msh"\n\n[[materials]]\nname = "steel"',
            1,
        )
    )
    text += '\n[[excitations]]\nmeshes = ["ghost"]\nat = [0.0, 0.0, 0.0]\n'
    spec = tmp_path / "failing.toml"
    spec.write_text(text)
    ds = tmp_path / "ds"
    r = pb.run_batch(str(spec), str(ds), workers=0, progress=False)
    n_ghost = 2  # the missing mesh: materials x its one point
    rows = check_dataset(str(ds), r.items)
    failed = [x for x in rows if x["status"] == "failed"]
    assert r.items == N_ITEMS + n_ghost
    assert r.rendered == N_ITEMS and len(failed) == r.failed == n_ghost
    assert sum("cannot read mesh file" in x["error"] for x in failed) == n_ghost
    # the items that did render are the reference's, byte for byte
    assert wav_bytes(str(ds)) == wav_bytes(out)
    # a re-run retries the failed items (and only them)
    r2 = pb.run_batch(str(spec), str(ds), workers=0, progress=False)
    assert r2.skipped == N_ITEMS and r2.failed == n_ghost and r2.rendered == 0


@pytest.mark.slow
def test_cluster_sweep_is_bit_identical_to_serial(work, serial, cluster, tmp_path):
    ref, _ = serial
    out = str(tmp_path / "dask")
    report = pb.run_batch(work["spec"], out, scheduler=cluster.scheduler_address, progress=False)
    # speed is measured in benchmarks/bench_batch.py; here: each (mesh, material) model made
    # once for the whole cluster (4), not once per item or per worker
    assert report.rendered == N_ITEMS >= 50 and report.failed == report.unfinished == 0
    assert report.models_computed == 4 and report.workers == 2
    rows = check_dataset(out, N_ITEMS)
    assert wav_bytes(out) == wav_bytes(ref)  # bit for bit
    with open(os.path.join(ref, "metadata.csv"), newline="") as fh:
        ref_rows = {r["item_id"]: r for r in csv.DictReader(fh)}
    for r in rows:
        assert r["modal_frequencies_hz"] == ref_rows[r["item_id"]]["modal_frequencies_hz"]
    # the second run finds everything done
    again = pb.run_batch(work["spec"], out, scheduler=cluster.scheduler_address, progress=False)
    assert again.skipped == N_ITEMS and again.rendered == 0 and again.models_computed == 0


@pytest.mark.slow
def test_killed_worker_then_rerun(work, serial, cluster, tmp_path):
    """SIGKILL a worker after some items are in: the run (and at worst a re-run) completes
    the dataset, with no duplicates, no corrupt files, the serial run's bytes."""
    from dask.distributed import Client

    ref, _ = serial
    spec = write_spec(str(tmp_path), work["box"], duration=1.0)
    ref_long = str(tmp_path / "serial_long")
    out = str(tmp_path / "killed")
    with Client(cluster.scheduler_address) as c:
        pids = list(c.run(os.getpid).values())
    killed = {}

    def killer():
        meta = os.path.join(out, "meta")
        t_end = time.monotonic() + 60
        while time.monotonic() < t_end:
            n = len(glob.glob(os.path.join(meta, "*.json")))
            if n >= 5:
                os.kill(pids[0], signal.SIGKILL)
                killed["at"] = n
                return
            time.sleep(0.002)

    th = threading.Thread(target=killer)
    th.start()
    first = pb.run_batch(spec, out, scheduler=cluster.scheduler_address, progress=False)
    th.join()
    assert killed and killed["at"] < N_ITEMS  # the worker died mid-sweep
    second = pb.run_batch(spec, out, scheduler=cluster.scheduler_address, progress=False)
    assert first.rendered + second.rendered == N_ITEMS
    assert second.skipped == first.rendered
    check_dataset(out, N_ITEMS)
    pb.run_batch(spec, ref_long, workers=0, progress=False)
    assert wav_bytes(out) == wav_bytes(ref_long)


@pytest.mark.slow
def test_interrupted_run_resumes(work, tmp_path):
    """Ctrl-C a serial run from the command line: the table matches what was written, and
    the same command finishes only what is missing."""
    spec = write_spec(str(tmp_path), work["box"], duration=1.5)
    out = str(tmp_path / "ds")
    p = subprocess.Popen(
        [sys.executable, "-m", "physsynth", "-q", "batch", spec, "-o", out, "--serial"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    meta = os.path.join(out, "meta")
    t_end = time.monotonic() + 60
    while time.monotonic() < t_end and len(glob.glob(os.path.join(meta, "*.json"))) < 5:
        time.sleep(0.005)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    rows = check_dataset(out, len(glob.glob(os.path.join(meta, "*.json"))))
    done = len(rows)
    assert 5 <= done < N_ITEMS
    # a run killed outright leaves its lock: the next run on this host takes it over
    with open(os.path.join(out, ".lock"), "w") as fh:
        json.dump({"pid": 2**22 + 12345, "host": __import__("socket").gethostname()}, fh)
    r = pb.run_batch(spec, out, workers=0, progress=False)
    assert r.skipped == done and r.rendered == N_ITEMS - done
    check_dataset(out, N_ITEMS)


def test_locked_dataset_is_refused(tmp_path, work):
    out = tmp_path / "ds"
    out.mkdir()
    (out / ".lock").write_text(json.dumps({"pid": os.getpid(), "host": "elsewhere"}))
    with pytest.raises(pb.DatasetLocked, match="being written by pid"):
        pb.run_batch(work["spec"], str(out), workers=0, progress=False)


# ------------------------------------------------------------------ command line
@pytest.mark.slow
def test_cli_contract(work, tmp_path):
    spec = tmp_path / "small.toml"
    spec.write_text(
        'duration = 0.2\nmaterials = ["steel", "brass"]\n[analysis]\nn_modes = 8\n'
        '[[meshes]]\nname = "bar"\ngenerator = "bar"\nlength = 0.1\nwidth = 0.01\n'
        "height = 0.005\nn = [10, 1, 1]\n[[excitations]]\n"
        'at = [[0.05, 0.005, 0.005], "x>=0.0999"]\nmallet = "hard"\n'
    )
    out = tmp_path / "ds"

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "physsynth", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
        )

    p = run("batch", str(spec), "-o", str(out), "--dry-run")
    assert p.returncode == 0 and not out.exists()
    ids = [line.split()[0] for line in p.stdout.splitlines()[2:]]
    n = len(ids)
    assert n == 4 and p.stdout.startswith("items: 4\nmodels: 2\n")
    p = run("-q", "batch", str(spec), "-o", str(out), "--workers", "2")
    assert p.returncode == 0, p.stderr
    facts = dict(line.split(": ", 1) for line in p.stdout.splitlines())
    assert facts["items"] == facts["rendered"] == str(n) and facts["workers"] == "2"
    assert facts["mode"] == "local" and facts["failed"] == "0"
    assert sorted(os.path.basename(f)[:-4] for f in glob.glob(str(out / "wav" / "*.wav"))) == sorted(ids)
    check_dataset(str(out), n)
    p = run("batch", str(spec), "-o", str(out), "--workers", "0")
    assert p.returncode == 0 and f"skipped: {n}" in p.stdout
    # usage errors: one line, status 2
    for args in (
        ["batch", str(spec)],
        ["batch", str(spec), "-o", str(tmp_path / "no" / "ds")],
        ["batch", str(spec), "-o", str(out), "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"],
    ):
        p = run(*args)
        assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
        assert p.stderr.startswith("physsynth: error: ")
    p = run("batch", "--kinds")
    assert p.returncode == 0
    assert {line.split(":")[0] for line in p.stdout.splitlines()} >= {"strike", "mallet", "noise"}


# ------------------------------------------------------------------ plug-in kinds
def test_registered_kind_runs(work, tmp_path):
    """A kind registered at run time renders through the same engine (serially here)."""
    from physsynth.batch import ExcitationKind, Param, register_excitation

    def render_twice(model, p, ctx):
        import physsynth as ps

        node, point = ctx.locate(p["at"], "excitation.at")
        hit = ps.strike(model, point, mallet="hard", sr=ctx.sr)
        one = ps.render(model, hit, ctx.pickups(hit.node, hit.direction), duration=ctx.duration)
        lag = int(round(p["delay"] * ctx.sr))
        two = one.copy()
        two[:, lag:] += one[:, : one.shape[1] - lag]
        return two, {"lag_samples": lag}

    register_excitation(
        ExcitationKind(
            "flam",
            (Param("at", "position"), Param("delay", "float", 0.01, low=0.0, unit="s")),
            render_twice,
            doc="two strikes",
        ),
        replace=True,
    )
    try:
        spec = tmp_path / "flam.toml"
        spec.write_text(
            'duration = 0.2\n[analysis]\nn_modes = 8\n[[meshes]]\nname = "bar"\n'
            'generator = "bar"\nlength = 0.1\nwidth = 0.01\nheight = 0.005\n'
            'n = [10, 1, 1]\n[[materials]]\nname = "steel"\n[[excitations]]\n'
            'kind = "flam"\nat = [0.05, 0.005, 0.005]\ndelay = [0.005, 0.02]\n'
        )
        r = pb.run_batch(str(spec), str(tmp_path / "ds"), workers=0, progress=False)
        assert r.rendered == 2
        rows = check_dataset(str(tmp_path / "ds"), 2)
        assert sorted(int(x["lag_samples"]) for x in rows) == [240, 960]  # 5 ms, 20 ms at 48 kHz
    finally:
        pb.EXCITATIONS.pop("flam", None)


# ------------------------------------------------------------------ issue 5's kinds
def test_mallet_and_noise_kinds(tmp_path):
    """The physical-mallet kind renders exactly what physsynth.mallet_strike does; a noise
    burst's seed comes from the item's ID, so the same item always sounds the same."""
    pytest.importorskip("physsynth.excitation.mallet")
    import physsynth as ps
    from physsynth.batch.positions import RenderContext
    from physsynth.batch.tasks import render_item

    spec = tmp_path / "kinds.toml"
    spec.write_text(
        'duration = 0.1\n[analysis]\nn_modes = 8\n[[meshes]]\nname = "bar"\n'
        'generator = "bar"\nlength = 0.1\nwidth = 0.01\nheight = 0.005\n'
        'n = [10, 1, 1]\n[[materials]]\nname = "steel"\n[[excitations]]\n'
        'kind = "mallet"\nmallet = ["felt", "metal"]\nvelocity = 2.0\n'
        'at = [0.05, 0.005, 0.005]\n[[excitations]]\nkind = "noise"\n'
        "noise_duration = 0.02\nat = [[0.05, 0.005, 0.005], [0.03, 0.005, 0.005]]\n"
    )
    sweep = pb.load_spec(spec)
    assert [it.params["excitation"]["kind"] for it in sweep.items] == ["mallet"] * 2 + ["noise"] * 2
    model = ps.modal_analysis(ps.bar_mesh(0.1, 0.01, 0.005, (10, 1, 1)), ps.get_material("steel"), n_modes=8)
    for it in sweep.items[:2]:
        p = it.params["excitation"]
        audio, info = pb.get_excitation("mallet").render(model, p, RenderContext(model, it.params, it.seed))
        hit = ps.mallet_strike(model, p["at"], mallet=p["mallet"], velocity=2.0, sr=48000, duration=0.1)
        np.testing.assert_array_equal(audio, hit.audio)
        assert info["contact_time_s"] == hit.contact_time
    a, b = sweep.items[2:]
    ra, rb = (render_item(model, it, pb.get_excitation("noise")) for it in (a, b))
    assert ra["result"]["noise_seed"] == a.seed % 2**32 != rb["result"]["noise_seed"]
    assert render_item(model, a, pb.get_excitation("noise"))["wav"] == ra["wav"]
    # a bad mallet name is refused where the spec is read, naming the key
    spec.write_text(spec.read_text().replace('"felt", "metal"', '"velvet"'))
    with pytest.raises(pb.SpecError, match=r"excitations\[0\].*velvet"):
        pb.load_spec(spec)


LISTEN_SPEC = """
duration = 0.2
[analysis]
n_modes = 8
[[meshes]]
name = "bar"
generator = "bar"
length = 0.1
width = 0.01
height = 0.005
n = [10, 1, 1]
[[materials]]
name = "steel"
[[excitations]]
mallet = "hard"
at = [0.05, 0.005, 0.005]
[[pickups]]
name = "near"
listen = [[0.05, 0.005, 1.0]]
radiation = "compact"
[[pickups]]
name = "far"
listen = [[0.05, 0.005, 2.0]]
radiation = "compact"
[[pickups]]
name = "pair"
at = "strike"
listen = "stereo"
radiation = "compact"
"""


def test_listener_pickup_sets(tmp_path):
    """Pickup sets of listeners in the air (pressure, radiation by the compact method): one
    channel per point, two for "stereo", beside contact channels. Twice as far straight above
    the bar the pressure is half (far field, 1/r): 6.02 dB within 0.5 dB. Bad listener keys are
    refused where the spec is read."""
    spec = tmp_path / "listen.toml"
    spec.write_text(LISTEN_SPEC)
    report = pb.run_batch(str(spec), str(tmp_path / "out"), workers=0, progress=False)
    assert report.failed == 0, report
    rows = {r["pickups"]: r for r in check_dataset(str(tmp_path / "out"), 3)}
    assert [int(rows[k]["n_channels"]) for k in ("near", "far", "pair")] == [1, 1, 3]
    peaks = {k: float(r["peak_physical"]) for k, r in rows.items()}
    assert 20 * np.log10(peaks["near"] / peaks["far"]) == pytest.approx(20 * np.log10(2), abs=0.5)
    # the command line: --listener replaces the spec's pickups for every item
    only = tmp_path / "contact.toml"
    only.write_text(LISTEN_SPEC.split("[[pickups]]")[0])
    out = tmp_path / "cli"
    rc, so, se = run_cli(
        "-q", "batch", only, "-o", out, "--serial", "--listener", "0.05,0.005,1", "--listener", "stereo",
        "--radiation", "compact",
    )  # fmt: skip
    assert rc == 0, se
    (row,) = check_dataset(str(out), 1)
    assert row["pickups"] == "listener" and int(row["n_channels"]) == 3
    assert float(row["peak_physical"]) == pytest.approx(peaks["near"], rel=1e-6)  # the same listener
    rc, so, se = run_cli("batch", only, "-o", tmp_path / "cli2", "--serial", "--radiation", "compact")
    assert rc == 2 and "go with --listener" in se and not (tmp_path / "cli2").exists()
    for bad, key in (('radiation = "compact"', 'radiation = "loud"'), ("[0.05, 0.005, 1.0]", "[0.05, 1.0]")):
        spec.write_text(LISTEN_SPEC.replace(bad, key, 1))
        with pytest.raises(pb.SpecError, match=r"pickups\[0\]\.(radiation|listen)"):
            pb.load_spec(spec)


# ------------------------------------------------------------------ examples
@pytest.mark.slow
def test_examples_batch(tmp_path):
    from conftest import number, run_example

    out = run_example("20_batch_dataset.py", "--outdir", str(tmp_path))
    n = number(out, "items")
    assert n == 36 and number(out, "failed") == 0 and number(out, "verified_files") == n
    # a 0.25 ms pulse excites the high modes a 3 ms one leaves out: every hard strike is
    # brighter than the soft one at the same point (Chaigne & Doutaut 1997)
    assert number(out, "strike_pairs") == 15 and number(out, "centroid_ratio_hard_soft_min") > 1.0
    again = run_example("20_batch_dataset.py", "--outdir", str(tmp_path))
    assert number(again, "skipped") == n and number(again, "rendered") == 0
    # omega ~ sqrt(E / rho) at equal nu: brass / bronze ratios equal to 1 ppm
    out = run_example("21_batch_read_dataset.py", "--dataset", str(tmp_path / "sweep_dataset"))
    assert number(out, "rows") == n and number(out, "max_scaling_error_ppm") < 1.0
    # linearity of a plug-in kind's renders, to the 24-bit quantisation (~ -140 dB)
    out = run_example("22_batch_custom_excitation.py", "--outdir", str(tmp_path))
    assert number(out, "rendered") == 4 and number(out, "flam_superposition_error_db") < -110.0
