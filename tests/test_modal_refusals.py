"""The modal analysis refuses what it cannot do, before any heavy work, with the way out.

Each refusal is checked for its exception class (API) or, on the command line, for exit 2,
exactly one ``physsynth: error:`` line, under 1 s of work and no output written. "Before any
heavy work" is checked directly: the assembly is replaced by a function that fails the test.
"""

import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import meshio
import numpy as np
import pytest

import physsynth as ps
import physsynth.cli
from physsynth.errors import MaterialError, ModelFileError, PhyssynthError, SelectorError, SolverError
from physsynth.fem import sheet, solid
from physsynth.modal import pipeline
from physsynth.modal.model import ModalModel

#: A refusal takes well under this (s): it needs the mesh's counts only.
QUICK = 1.0


@pytest.fixture(scope="module")
def bar():
    """A P2 steel bar of 2160 tetrahedra: 11529 DOF, at most 2834 eigenpairs (2828 elastic)."""
    return ps.bar_mesh(0.3, 0.03, 0.02, (30, 4, 3))


@pytest.fixture(scope="module")
def square():
    """A flat square 0.2 m, 8 x 8 cells of two triangles."""
    n = 8
    x, y = np.meshgrid(np.linspace(0, 0.2, n + 1), np.linspace(0, 0.2, n + 1))
    pts = np.column_stack([x.ravel(), y.ravel(), np.zeros(x.size)])
    idx = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, 1:].ravel(), idx[1:, :-1].ravel()
    tris = np.concatenate([np.column_stack([a, b, c]), np.column_stack([a, c, d])])
    return ps.from_arrays(pts, tris)


@pytest.fixture
def no_assembly(monkeypatch):
    """Fail the test if anything is assembled: the refusal must come first."""

    def boom(*args, **kwargs):
        raise AssertionError("assembled before refusing")

    monkeypatch.setattr(solid, "assemble_solid", boom)
    monkeypatch.setattr(sheet, "assemble_plate", boom)
    monkeypatch.setattr(sheet, "assemble_membrane", boom)


def _refused(error, fn, *args, match=None, **kwargs):
    t0 = time.perf_counter()
    with pytest.raises(error, match=match) as info:
        fn(*args, **kwargs)
    assert time.perf_counter() - t0 < QUICK, "the refusal took too long"
    return str(info.value)


# ---------------------------------------------------------------- counts against the mesh


def test_mode_limit_is_the_lanczos_room():
    """A quarter of the DOFs less two blocks of 24, or everything on a small (dense) problem."""
    assert pipeline.mode_limit(11529) == 11529 // 4 - 48
    assert pipeline.mode_limit(1000) == 999  # dense: every mode of a small problem
    for n in (1501, 1600, 5000, 10**6):
        k = pipeline.mode_limit(n)
        b = min(24, max(2, k // 2))
        assert n >= 4 * (k + 2 * b)  # the solver's own condition for a Krylov solve
        k1, b1 = k + 1, min(24, max(2, (k + 1) // 2))
        assert n < 4 * (k1 + 2 * b1)  # and it is the largest


def test_dof_count_before_assembly_is_exact(bar, square):
    """3 (vertices + edges) for P2 solids, 3 vertices for P1, vertices + edges for sheets."""
    steel = ps.get_material("steel")
    for order in (1, 2):
        assert solid.count_dofs(bar, order) == solid.assemble_solid(bar, steel, order=order).n_dofs
    assert sheet.count_dofs(square) == sheet.assemble_plate(square, steel, 0.002).n_dofs
    assert sheet.count_dofs(square) == sheet.assemble_membrane(square, 100.0, 0.1).n_dofs


@pytest.mark.parametrize("n_modes", [100_000_000, 5000, 2829])
def test_more_modes_than_the_mesh_gives_are_refused(bar, no_assembly, n_modes):
    msg = _refused(PhyssynthError, ps.modal_analysis, bar, ps.get_material("steel"), n_modes=n_modes)
    assert "at most 2828 modes for its 11529 degrees of freedom" in msg
    assert "finer mesh" in msg


def test_max_modes_is_a_limit_on_n_modes_too(bar, no_assembly):
    msg = _refused(PhyssynthError, ps.modal_analysis, bar, ps.get_material("steel"), n_modes=50, max_modes=40)
    assert "max_modes" in msg


@pytest.mark.parametrize("n_modes", [0, -3, 2.5, float("nan"), float("inf"), True, "many", None])
def test_n_modes_must_be_a_whole_number(bar, no_assembly, n_modes):
    if n_modes is None:  # with fmax: both is an error
        _refused(PhyssynthError, ps.modal_analysis, bar, ps.get_material("steel"), n_modes=4, fmax=1000.0)
        return
    _refused(PhyssynthError, ps.modal_analysis, bar, ps.get_material("steel"), n_modes=n_modes)


@pytest.mark.parametrize("fmax", [float("nan"), float("inf"), -1.0, 0.0, "loud", 1e300])  # 1e300: an OverflowError once
def test_fmax_must_be_a_positive_frequency(bar, no_assembly, fmax):
    _refused(PhyssynthError, ps.modal_analysis, bar, ps.get_material("steel"), fmax=fmax)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"order": 3},
        {"order": 1.5},
        {"solver": "mumps-of-the-future"},
        {"f_shift": -1.0},
        {"max_modes": 0},
        {"thickness": 0.001},
        {"support": ["x<=0"]},
        {"clamp": [3]},
        {"clamp": "all"},
    ],
)
def test_bad_options_for_a_solid_are_refused(bar, no_assembly, kwargs):
    _refused(PhyssynthError, ps.modal_analysis, bar, ps.get_material("steel"), n_modes=4, **kwargs)


def test_no_material_for_a_solid(bar, no_assembly):
    _refused(PhyssynthError, ps.modal_analysis, bar, None, n_modes=4)


def test_memory_estimate_refuses_before_assembly(bar, no_assembly, monkeypatch):
    """With a 1 MiB budget the 11529-DOF bar cannot be factorised: refused with the fix."""
    monkeypatch.setenv("PHYSSYNTH_MEMORY_GB", str(1 / 1024))
    msg = _refused(PhyssynthError, ps.modal_analysis, bar, ps.get_material("steel"), n_modes=4)
    assert "GiB" in msg and "coarser mesh" in msg and "--order 1" in msg


def test_memory_estimate_is_not_below_the_assembly():
    """The estimate of a 2160-tetrahedron P2 bar holds its measured assembly peak (tracemalloc)."""
    import tracemalloc

    mesh = ps.bar_mesh(0.3, 0.03, 0.02, (30, 4, 3))
    n = solid.count_dofs(mesh, 2)
    est = pipeline.estimate(
        n,
        n_cells=mesh.n_cells,
        cell_bytes=solid.ASSEMBLY_BYTES[2],
        nnz_per_dof=solid.NNZ_PER_DOF[2],
        solid=True,
        k=30,
        n_nodes=mesh.n_nodes,
    )
    tracemalloc.start()
    d = solid.assemble_solid(mesh, ps.get_material("steel"), order=2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak <= est.assembly_bytes * 1.1  # within 10 % of the measured per-cell constant
    assert d.K.nnz <= solid.NNZ_PER_DOF[2] * n


# ---------------------------------------------------------------- selectors before assembly


def test_unknown_region_name_is_refused_with_the_list(tmp_path, no_assembly):
    from conftest import gmsh_box

    mesh = ps.load_mesh(gmsh_box(tmp_path / "box.msh"))
    msg = _refused(SelectorError, ps.modal_analysis, mesh, ps.get_material("steel"), n_modes=4, clamp=["ends"])
    assert "'ends'" in msg and "end, solid" in msg


@pytest.mark.parametrize("sel", ["x<=-5", "q<1", "z<=", "x <= 0 and", "boundry"])
def test_bad_or_empty_clamp_is_refused(bar, no_assembly, sel):
    _refused(SelectorError, ps.modal_analysis, bar, ps.get_material("steel"), n_modes=4, clamp=[sel])


def test_sheet_selectors_are_checked_before_assembly(square, no_assembly):
    steel = ps.get_material("steel")
    _refused(SelectorError, ps.modal_analysis, square, steel, n_modes=4, thickness=0.002, support=["rim"])
    _refused(SelectorError, ps.modal_analysis, square, steel, n_modes=4, thickness=0.002, clamp=["x<-1"])
    # "all" is a solid's word; a sheet has "boundary"
    _refused(SelectorError, ps.modal_analysis, square, None, n_modes=4, tension=100, areal_density=0.1, clamp="all")


@pytest.mark.parametrize(
    "kwargs,error",
    [
        ({"thickness": float("nan")}, MaterialError),
        ({"thickness": -0.001}, MaterialError),
        ({"thickness": 0.1}, MaterialError),  # half the width: not a thin plate
        ({"tension": -5.0, "areal_density": 0.1}, MaterialError),
        ({"tension": 100.0, "areal_density": float("inf")}, MaterialError),
        ({"tension": 100.0}, PhyssynthError),
        ({"thickness": 0.002, "tension": 100.0, "areal_density": 0.1}, PhyssynthError),
        ({"thickness": 0.002, "order": 1}, PhyssynthError),
    ],
)
def test_bad_sheet_constants_are_refused(square, no_assembly, kwargs, error):
    _refused(error, ps.modal_analysis, square, ps.get_material("steel"), n_modes=4, **kwargs)


def test_predicate_on_edge_midpoints_of_a_linear_mesh_is_accepted(bar):
    """P2 on a linear mesh has DOFs at edge midpoints: a plane through them only is a clamp."""
    x_mid = 0.005  # half of the first cell (0.01 m): midpoints only, no node
    assert not np.any(np.isclose(bar.points[:, 0], x_mid))
    model = ps.modal_analysis(bar, ps.get_material("steel"), n_modes=2, clamp=[f"x=={x_mid}"])
    assert model.rigid_body_modes == 0 and model.n_modes == 2


# ---------------------------------------------------------------- results that are not models


def test_no_mode_below_fmax_is_an_error():
    """A 0.1 m steel bar's first mode is above 4 kHz: fmax = 5 Hz finds none, and no model is made."""
    with pytest.raises(SolverError, match="no elastic mode"):
        ps.modal_analysis(ps.bar_mesh(0.1, 0.01, 0.01, (8, 1, 1)), ps.get_material("steel"), fmax=5.0)


def test_extra_zero_modes_are_an_error():
    """A clamped bar with a second, loose bar in the same (directly built) mesh has rigid modes
    where none can be: refused instead of silently dropping them."""
    a = ps.bar_mesh(0.1, 0.01, 0.01, (8, 1, 1))
    pts = np.vstack([a.points, a.points + [0.2, 0.05, 0.0]])  # away from the clamp at x = 0
    cells = np.vstack([a.cells, a.cells + a.n_nodes])
    two = ps.Mesh(pts, cells)  # the dataclass itself: from_arrays would refuse two bodies
    with pytest.raises(SolverError, match="zero-frequency modes"):
        ps.modal_analysis(two, ps.get_material("steel"), n_modes=4, clamp=["x<=0"])


# ---------------------------------------------------------------- model files


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    model = ps.modal_analysis(ps.bar_mesh(0.1, 0.01, 0.01, (8, 1, 1)), ps.get_material("steel"), n_modes=4)
    path = tmp_path_factory.mktemp("model") / "bar.npz"
    model.save(path)
    return str(path)


def _rewrite(src, dst, **changes):
    """A copy of the .npz model at ``src`` with arrays replaced (None removes one)."""
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    for k, v in changes.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    np.savez(dst, **arrays)
    return str(dst)


def _meta(src):
    with np.load(src) as z:
        return json.loads(str(z["meta"]))


def test_saved_model_loads_back(saved):
    m = ModalModel.load(saved)
    assert m.n_modes == 4 and np.all(np.diff(m.frequencies) >= 0)


@pytest.mark.parametrize(
    "field,make",
    [
        ("frequencies", lambda z: np.where(np.arange(len(z["frequencies"])) == 1, np.nan, z["frequencies"])),
        ("frequencies", lambda z: z["frequencies"] * np.inf),
        ("frequencies", lambda z: z["frequencies"][::-1].copy()),
        ("frequencies", lambda z: -z["frequencies"]),
        ("frequencies", lambda z: np.zeros(0)),
        ("decay_rates", lambda z: -z["decay_rates"]),
        ("decay_rates", lambda z: z["decay_rates"][:-1]),
        ("shapes", lambda z: z["shapes"][:, :-1]),
        ("shapes", lambda z: z["shapes"] * np.nan),
        ("cells", lambda z: z["cells"] + 0.5),
        ("cells", lambda z: z["cells"] + 10**6),
        ("points", lambda z: z["points"][:, :2].copy()),
        ("shapes", None),
        ("cells", None),
        ("meta", lambda z: np.array("{not json")),
    ],
)
def test_corrupt_model_files_are_refused_naming_the_field(saved, tmp_path, field, make):
    with np.load(saved) as z:
        value = None if make is None else make(z)
    path = _rewrite(saved, tmp_path / "bad.npz", **{field: value})
    msg = _refused(ModelFileError, ModalModel.load, path)
    assert field in msg


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.pop("material"),
        lambda m: m["material"].update(nu=0.7),
        lambda m: m["material"]["damping"].update(kind="magic"),
        lambda m: m["material"]["damping"].update(eta=-1),
        lambda m: m.update(rigid_body_modes=-1),
        lambda m: m.update(dofs=2.5),
    ],
)
def test_inconsistent_model_metadata_is_refused(saved, tmp_path, edit):
    meta = _meta(saved)
    edit(meta)
    path = _rewrite(saved, tmp_path / "bad.npz", meta=np.array(json.dumps(meta)))
    _refused(ModelFileError, ModalModel.load, path)


def test_damaged_and_foreign_files_are_refused(saved, tmp_path):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(open(saved, "rb").read()[:200])
    _refused(ModelFileError, ModalModel.load, broken)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    _refused(ModelFileError, ModalModel.load, other, match="meta")
    with zipfile.ZipFile(tmp_path / "empty.npz", "w"):
        pass
    _refused(ModelFileError, ModalModel.load, tmp_path / "empty.npz")
    _refused(ModelFileError, ModalModel.load, tmp_path / "missing.npz")


def test_model_constructor_refuses_non_finite_modes(saved):
    m = ModalModel.load(saved)
    from dataclasses import replace

    with pytest.raises(PhyssynthError):
        replace(m, frequencies=np.where(np.arange(m.n_modes) == 0, np.nan, m.frequencies))
    with pytest.raises(PhyssynthError):
        replace(m, decay_rates=-m.decay_rates)
    with pytest.raises(PhyssynthError):
        replace(m, frequencies=m.frequencies[::-1].copy())


# ---------------------------------------------------------------- the command line


def _main(argv) -> int:
    """physsynth.cli.main's exit status (argparse's refusals exit through SystemExit)."""
    try:
        return physsynth.cli.main(argv)
    except SystemExit as exc:
        return exc.code


@pytest.fixture(scope="module")
def bar_file(tmp_path_factory, bar):
    path = tmp_path_factory.mktemp("cli") / "bar.msh"
    meshio.write(str(path), meshio.Mesh(bar.points, [("tetra", bar.cells)]), file_format="gmsh22", binary=True)
    return str(path)


@pytest.mark.parametrize(
    "extra",
    [
        ["--n-modes", "100000000"],
        ["--n-modes", "5000"],
        ["--n-modes", "0"],
        ["--n-modes", "2.5"],
        ["--fmax", "nan"],
        ["--fmax", "-1"],
        ["--clamp", "ends"],
        ["--clamp", "x<=-5"],
        ["--order", "3"],
    ],
)
def test_cli_modes_refusals(bar_file, tmp_path, capsys, no_assembly, extra):
    """Exit 2, one error line, quickly (the modules are loaded: the time is the command's own)
    and no model written."""
    out = tmp_path / "m.npz"
    t0 = time.perf_counter()
    rc = _main(["modes", bar_file, "--E", "2e11", "--nu", "0.3", "--rho", "8000", *extra, "-o", str(out)])
    dt = time.perf_counter() - t0
    err = capsys.readouterr().err.splitlines()
    assert rc == 2
    assert sum(line.startswith("physsynth: error:") for line in err) == 1, err
    assert dt < QUICK
    assert not out.exists()


def test_cli_modes_zero_modes_writes_nothing(bar_file, tmp_path, capsys):
    out = tmp_path / "m.npz"
    out.write_bytes(b"keep me")
    rc = _main(["modes", bar_file, "--material", "steel", "--fmax", "5", "-o", str(out)])
    err = capsys.readouterr().err.splitlines()
    assert rc == 2
    assert sum(line.startswith("physsynth: error:") for line in err) == 1, err
    assert out.read_bytes() == b"keep me"


@pytest.mark.slow
def test_ctrl_c_during_the_eigen_solve_stops_at_once(tmp_path):
    """SIGINT during the factorisation or the Lanczos iteration of a 105k-DOF bar ends
    `physsynth modes` within 2 s: exit 130, or killed by SIGINT inside CHOLMOD (which keeps the
    GIL; a shell reports that as 130 too). No model is written."""
    mesh = ps.bar_mesh(0.5, 0.05, 0.05, (60, 8, 8))
    path = tmp_path / "big.msh"
    meshio.write(str(path), meshio.Mesh(mesh.points, [("tetra", mesh.cells)]), file_format="gmsh22", binary=True)
    out = tmp_path / "big.npz"
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "physsynth",
            "modes",
            str(path),
            "--material",
            "steel",
            "--n-modes",
            "40",
            "-o",
            str(out),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        for line in p.stderr:
            if "eigen-solve" in line:
                break
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        t0 = time.perf_counter()
        p.wait(timeout=30)
        dt = time.perf_counter() - t0
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode in (130, -signal.SIGINT)
    assert dt < 2.0
    assert not out.exists()


def test_select_and_below_refuse_what_is_not_there(saved):
    m = ModalModel.load(saved)
    assert m.select([0, 2]).n_modes == 2 and m.below(m.frequencies[1] * 1.0001).n_modes == 2
    for bad in ([m.n_modes], [True, False], "first", np.zeros(m.n_modes, bool)):
        with pytest.raises(PhyssynthError):
            m.select(bad)
    for fmax in (m.frequencies[0] * 0.5, float("nan"), -1.0):
        with pytest.raises(PhyssynthError):
            m.below(fmax)


def test_with_damping_takes_a_damping_law(saved):
    m = ModalModel.load(saved)
    np.testing.assert_allclose(m.with_damping(ps.LossFactor(2e-3)).decay_rates, 1e-3 * m.omegas, rtol=1e-12)
    with pytest.raises(MaterialError):
        m.with_damping("heavy")


@pytest.mark.parametrize("scale", [1e30, 1e6, 1e-30])
def test_objects_of_absurd_size_are_refused_before_assembly(no_assembly, scale):
    """A 0.1 m bar scaled to 10^5 m has modes near 0.03 Hz, under the solver's 10 Hz shift
    (where it cannot tell them from rigid motion); scaled to 10^-31 m, above any sound."""
    a = ps.bar_mesh(0.1, 0.01, 0.01, (8, 1, 1))
    mesh = ps.Mesh(a.points * scale, a.cells)  # the dataclass: from_arrays has its own extent checks
    msg = _refused(PhyssynthError, ps.modal_analysis, mesh, ps.get_material("steel"), n_modes=4)
    assert "--units" in msg


def test_huge_membrane_is_refused(no_assembly, square):
    big = ps.Mesh(square.points * 1e4, square.cells)  # 2 km across at 100 N/m: modes near 0.006 Hz
    _refused(PhyssynthError, ps.modal_analysis, big, None, n_modes=4, tension=100.0, areal_density=0.1)


def test_check_modal_analysis_refuses_what_modal_analysis_would_and_assembles_nothing(bar, square, no_assembly):
    """The up-front check for sweeps and command lines: the same refusals, no work."""
    from physsynth.modal.analysis import check_modal_analysis

    steel = ps.get_material("steel")
    check_modal_analysis(bar, steel, n_modes=20, clamp=["x<=0"])
    check_modal_analysis(square, steel, fmax=3000.0, thickness=0.002, support="boundary")
    check_modal_analysis(square, None, n_modes=8, tension=100.0, areal_density=0.1, clamp="boundary")
    for kwargs, error in (
        ({"n_modes": 5000}, PhyssynthError),
        ({"fmax": float("nan")}, PhyssynthError),
        ({"clamp": ["ends"]}, SelectorError),
        ({"solver": "nope"}, SolverError),
        ({"n_modes": 4, "thickness": 0.002}, PhyssynthError),
    ):
        with pytest.raises(error):
            check_modal_analysis(bar, steel, **kwargs)
    with pytest.raises(SelectorError):
        check_modal_analysis(square, steel, n_modes=4, thickness=0.002, support=["rim"])


def test_a_model_file_declaring_huge_arrays_is_refused_from_its_headers(saved, tmp_path, monkeypatch):
    """An .npz whose header declares a 10^12-mode array is refused before decompressing it."""
    bomb = tmp_path / "bomb.npz"
    with np.load(saved) as z:
        arrays = {k: z[k] for k in z.files}
    np.savez(bomb, **arrays)
    # rewrite the frequencies' header to claim 10^12 entries (the data stays tiny)
    with zipfile.ZipFile(bomb) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    raw = members["frequencies.npy"]
    head_len = int.from_bytes(raw[8:10], "little")
    header = raw[10 : 10 + head_len].decode("latin1")
    n = len(arrays["frequencies"])
    fake = header.replace(f"({n},)", "(1000000000000,)")
    fake = fake.rstrip("\n").ljust(head_len - 1) + "\n"
    members["frequencies.npy"] = raw[:10] + fake.encode("latin1") + raw[10 + head_len :]
    with zipfile.ZipFile(bomb, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    msg = _refused(ModelFileError, ModalModel.load, bomb)
    assert "GiB" in msg
