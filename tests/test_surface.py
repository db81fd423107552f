"""Surface meshes in (issue 12): read, repair, thicken, tetrahedralise, and the modes that follow.

References are computed here, outside physsynth: the free-sphere frequencies from Lamb's (1882)
frequency equations, the in-plane bending of a thin ring (Hoppe 1871), and the bundled
tetrahedral bowl's own modes for its surface re-meshed.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from conftest import MESHES, run_cli
from scipy.optimize import brentq
from scipy.special import spherical_jn

from physsynth.errors import MeshError
from physsynth.materials import get_material
from physsynth.mesh import load_mesh
from physsynth.mesh.surface import (
    Surface,
    inspect_surface,
    prepare_surface,
    read_surface,
    surface_of,
    thicken,
    write_surface,
)
from physsynth.modal.analysis import modal_analysis

trimesh = pytest.importorskip("trimesh")
STEEL = get_material("steel")


def lamb_sphere(radius, E, nu, rho, n_max=4, eta_max=7.0):
    """Free elastic sphere: (frequency Hz, 'T'|'S', n) sorted, each of multiplicity 2n + 1.

    Torsional: (n - 1) j_n(eta) - eta j_{n+1}(eta) = 0; spheroidal: the 2x2 traction determinant
    (Lamb 1882; in the form of Eringen & Suhubi, Elastodynamics vol. II, 1975, sec. 8.13), with
    eta = omega a / c_T and xi = omega a / c_L. Checked below against the tabulated Poisson-solid
    roots (nu = 1/4): T2 2.5011, S2 2.6399 (Sato & Usami 1962)."""
    ct = math.sqrt(E / (2 * (1 + nu) * rho))
    cl = ct * math.sqrt(2 * (1 - nu) / (1 - 2 * nu))
    j = spherical_jn
    out = []
    for n in range(1, n_max + 1):

        def tors(x, n=n):
            return (n - 1) * j(n, x) - x * j(n + 1, x)

        def sph(eta, n=n):
            xi = eta * ct / cl
            a11 = (n * n - n - eta**2 / 2) * j(n, xi) + 2 * xi * j(n + 1, xi)
            a12 = n * (n + 1) * ((n - 1) * j(n, eta) - eta * j(n + 1, eta))
            a21 = (n - 1) * j(n, xi) - xi * j(n + 1, xi)
            a22 = (n * n - 1 - eta**2 / 2) * j(n, eta) + eta * j(n + 1, eta)
            return a11 * a22 - a12 * a21

        for kind, fun in (("T", tors), ("S", sph)):
            if kind == "T" and n == 1:
                continue  # a rigid rotation
            xs = np.linspace(0.05, eta_max, 3000)
            ys = fun(xs)
            for a, b, ya, yb in zip(xs[:-1], xs[1:], ys[:-1], ys[1:]):
                if ya * yb < 0:
                    out.append((brentq(fun, a, b) * ct / (2 * math.pi * radius), kind, n))
    return sorted(out)


def test_lamb_reference_matches_tabulated_roots():
    # Poisson solid (nu = 1/4), a = 1, c_T = 1: eta = 2 pi f
    ct_one = dict(E=2.5, nu=0.25, rho=1.0)
    eta = {}
    for f, k, n in lamb_sphere(1.0, **ct_one):
        eta.setdefault((k, n), 2 * math.pi * f)  # the fundamental of each family
    assert eta[("T", 2)] == pytest.approx(2.5011, abs=2e-4)
    assert eta[("S", 2)] == pytest.approx(2.6399, abs=2e-4)


def _expanded(ref, count):
    out = []
    for f, _kind, n in ref:
        out += [f] * (2 * n + 1)
    return np.array(out[:count])


@pytest.mark.parametrize("subdivisions", [3, 4])
def test_sphere_stl_gives_lamb_frequencies(tmp_path, subdivisions):
    """A sphere written as binary STL (1280 and 5120 triangles): the first 10 elastic modes
    (the T2 and S2 quintuplets) within 1 % of Lamb's."""
    r = 0.05
    path = tmp_path / "sphere.stl"
    trimesh.creation.icosphere(subdivisions, radius=r).export(path)
    mesh = load_mesh(path, n_modes=10, material=STEEL, cache=False)
    assert mesh.info["mesher"] == "tetgen"
    model = modal_analysis(mesh, STEEL, n_modes=10)
    ref = _expanded(lamb_sphere(r, STEEL.E, STEEL.nu, STEEL.rho), 10)
    err = 100 * (model.frequencies / ref - 1)
    assert np.abs(err).max() < 1.0, err


def _bowl_obj(path):
    """The bundled bowl's boundary as an OBJ with one group per surface region."""
    bowl = load_mesh(os.path.join(MESHES, "tibetan_bowl_180.msh"))
    write_surface(surface_of(bowl), path)
    return bowl


@pytest.mark.parametrize("suffix", [".obj", ".stl"])
def test_volume_mesh_boundary_written_and_read_back_with_its_regions(tmp_path, suffix):
    """The bowl's boundary written as OBJ groups / STL solids reads back as the same closed
    surface: every boundary triangle once, the regions' triangles in their groups, the volume
    to 1e-9 (9 significant digits written)."""
    bowl = load_mesh(os.path.join(MESHES, "tibetan_bowl_180.msh"))
    s = surface_of(bowl)
    assert s.n_faces == len(bowl.boundary_triangles())
    path = tmp_path / f"bowl{suffix}"
    write_surface(s, path)
    back = read_surface(path)
    assert back.n_faces == s.n_faces and inspect_surface(prepare_surface(back)[0]).clean
    for name, reg in bowl.regions.items():
        if reg.triangles is not None and reg.dim == 2:
            assert len(back.groups[name]) == len(reg.triangles), name
    assert abs(back.volume()) == pytest.approx(bowl.volume(), rel=1e-9)


def test_bowl_surface_as_obj_remeshed_gives_the_bowl_partials(tmp_path):
    """The bowl's outer and inner surfaces as OBJ, tetrahedralised again: its partials, the
    (2,0) and (3,0) wine-glass doublets, within 0.5 % of the tetrahedral bowl's, and its groups
    become regions. (The singlet near 585 Hz, a base mode, comes out 1 % lower: TetGen's quality
    refinement puts three times the bundled mesh's elements through the wall, and a 4 mm mesh
    moves it further down, so the bundled mesh is the less converged of the two there.)"""
    from physsynth.modal.axisymmetric import wine_glass_modes

    path = tmp_path / "bowl.obj"
    bowl = _bowl_obj(path)
    bronze = get_material("bell_bronze")
    ref = modal_analysis(bowl, bronze, n_modes=6)
    mesh = load_mesh(path, n_modes=6, material=bronze, cache=False)
    assert {"outer", "inner", "rim"} <= set(mesh.regions)
    got = modal_analysis(mesh, bronze, n_modes=6)
    wr, wg = wine_glass_modes(ref, orders=(2, 3)), wine_glass_modes(got, orders=(2, 3))
    assert set(wr) == set(wg) == {2, 3}
    for n in (2, 3):
        assert len(wr[n]) == len(wg[n]) == 2  # doublets
        err = 100 * (got.frequencies[wg[n]] / ref.frequencies[wr[n]] - 1)
        assert np.abs(err).max() < 0.5, (n, err)


BLENDER_OBJ_HEADER = "# Blender 3.6.0\n# www.blender.org\nmtllib icosphere.mtl\no Icosphere\n"


def test_blender_icosphere_obj_gives_nonzero_correct_modes(tmp_path):
    """A Blender-style OBJ (object line, vertex normals, f v//vn faces, smoothing off), 1 m
    icosphere of 320 faces: modes are found (mesh2faust returns none, faust issue 1216) and the
    first (T2) is within 3 % of Lamb's for a sphere (the 320-face polyhedron is 6 % smaller in
    volume)."""
    ico = trimesh.creation.icosphere(2, radius=1.0)
    lines = [BLENDER_OBJ_HEADER]
    lines += [f"v {x:.6f} {y:.6f} {z:.6f}\n" for x, y, z in ico.vertices]
    lines += [f"vn {x:.4f} {y:.4f} {z:.4f}\n" for x, y, z in ico.face_normals]
    lines += ["s 0\n"]
    lines += [f"f {a + 1}//{k + 1} {b + 1}//{k + 1} {c + 1}//{k + 1}\n" for k, (a, b, c) in enumerate(ico.faces)]
    path = tmp_path / "icosphere.obj"
    path.write_text("".join(lines))
    mesh = load_mesh(path, n_modes=5, material=STEEL, cache=False)
    model = modal_analysis(mesh, STEEL, n_modes=5)
    assert model.n_modes == 5 and (model.frequencies > 0).all()
    t2 = lamb_sphere(1.0, STEEL.E, STEEL.nu, STEEL.rho)[0][0]
    assert abs(model.frequencies[0] / t2 - 1) < 0.03, (model.frequencies[0], t2)


def _box_surface(a=0.1):
    return trimesh.creation.box((a, a, 0.6 * a))


def test_cube_with_a_missing_face_is_refused_with_the_reason_or_repaired(tmp_path):
    box = _box_surface()
    # drop the two triangles of the top face
    top = np.flatnonzero(np.isclose(box.triangles_center[:, 2], box.bounds[1, 2]))
    assert len(top) == 2
    holed = trimesh.Trimesh(box.vertices, np.delete(box.faces, top, axis=0), process=False)
    path = tmp_path / "holed.stl"
    holed.export(path)
    with pytest.raises(MeshError, match=r"open.*--thickness.*--repair yes"):
        load_mesh(path, cache=False)
    fixed = load_mesh(path, repair="yes", size=0.02, cache=False)
    assert "holes filled" in fixed.info["report"]
    assert fixed.volume() == pytest.approx(0.1 * 0.1 * 0.06, rel=1e-6)  # the lid is flat: exact
    closed = tmp_path / "closed.stl"
    box.export(closed)
    f_fixed = modal_analysis(fixed, STEEL, n_modes=4).frequencies
    f_closed = modal_analysis(load_mesh(closed, size=0.02, cache=False), STEEL, n_modes=4).frequencies
    # same solid, two tetrahedralisations: within 0.5 %
    assert np.allclose(f_fixed, f_closed, rtol=5e-3)


def test_two_bodies_refused_with_count_and_one_picked(tmp_path):
    a = trimesh.creation.icosphere(2, radius=0.05)
    b = trimesh.creation.icosphere(2, radius=0.03)
    b.apply_translation([0.2, 0, 0])
    path = tmp_path / "two.ply"
    trimesh.util.concatenate([a, b]).export(path)
    with pytest.raises(MeshError, match=r"2 separate bodies.*--body"):
        load_mesh(path, cache=False)
    big = load_mesh(path, body="largest", size=0.02, cache=False)
    small = load_mesh(path, body=1, size=0.01, cache=False)
    assert big.volume() == pytest.approx(a.volume, rel=1e-6)
    assert small.volume() == pytest.approx(b.volume, rel=1e-6)


def test_hollow_sphere_keeps_its_cavity(tmp_path):
    outer = trimesh.creation.icosphere(3, radius=0.05)
    inner = trimesh.creation.icosphere(3, radius=0.04)
    path = tmp_path / "hollow.off"
    trimesh.util.concatenate([outer, inner]).export(path)  # both shells outward: a common export
    m = load_mesh(path, size=0.01, cache=False)
    assert m.volume() == pytest.approx(outer.volume - inner.volume, rel=1e-6)


def test_flipped_and_inverted_faces_give_the_same_solid(tmp_path):
    s = trimesh.creation.icosphere(3, radius=0.05)
    f = s.faces.copy()
    f[::5] = f[::5, ::-1]
    trimesh.Trimesh(s.vertices, f, process=False).export(tmp_path / "flip.obj")
    trimesh.Trimesh(s.vertices, s.faces[:, ::-1], process=False).export(tmp_path / "inside_out.stl")
    a = load_mesh(tmp_path / "flip.obj", size=0.02, cache=False)
    b = load_mesh(tmp_path / "inside_out.stl", size=0.02, cache=False)
    assert "flipped" in a.info["report"] and "turned" in b.info["report"]
    assert a.volume() == pytest.approx(s.volume, rel=1e-6)
    assert b.volume() == pytest.approx(s.volume, rel=1e-6)


def test_small_hole_filled_without_asking(tmp_path):
    s = trimesh.creation.icosphere(4, radius=0.05)
    holed = trimesh.Trimesh(s.vertices, s.faces[1:], process=False)
    holed.export(tmp_path / "pin.stl")
    m = load_mesh(tmp_path / "pin.stl", size=0.015, cache=False)
    assert m.info["changes"]["holes_filled"] == 1
    assert m.volume() == pytest.approx(s.volume, rel=1e-3)


def test_self_intersecting_union_meshed_by_ftetwild(tmp_path, monkeypatch):
    r, d = 0.05, 0.05
    a = trimesh.creation.icosphere(2, radius=r)
    b = a.copy()
    b.apply_translation([d, 0, 0])
    path = tmp_path / "overlap.stl"
    trimesh.util.concatenate([a, b]).export(path)
    monkeypatch.chdir(tmp_path)
    m = load_mesh(path, size=0.015, cache=False)
    assert m.info["mesher"] == "ftetwild" and "self-intersecting" in m.info["report"]
    # fTetWild writes a __tracked_surface.stl where it runs: not in the user's folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["overlap.stl"]
    # the union of the two polyhedra: two volumes less the lens (sphere caps, h = r - d/2)
    h = r - d / 2
    lens = 2 * math.pi * h**2 * (3 * r - h) / 3
    scale = a.volume / (4 / 3 * math.pi * r**3)  # the polyhedron's volume deficit
    assert m.volume() == pytest.approx(scale * (2 * 4 / 3 * math.pi * r**3 - lens), rel=0.03)


def ring_sheet(radius, height, n=96, rows=3):
    """An open cylindrical band (a sheet) of the given radius and height, axis z."""
    th = np.linspace(0, 2 * math.pi, n, endpoint=False)
    z = np.linspace(0, height, rows + 1)
    v = np.array([[radius * math.cos(t), radius * math.sin(t), zz] for zz in z for t in th])
    f = []
    for j in range(rows):
        for i in range(n):
            a, b = j * n + i, j * n + (i + 1) % n
            c, d = a + n, b + n
            f += [[a, b, d], [a, d, c]]
    return trimesh.Trimesh(v, np.array(f), process=False)


def hoppe_ring(n, R, t, mat):
    """Hoppe's (1871) in-plane bending frequency (Hz) of a thin ring of radius R and square
    section t x t: f = n(n^2-1)/(2 pi sqrt(n^2+1)) sqrt(EI/(rho A R^4)), I/A = t^2/12."""
    return n * (n * n - 1) / (2 * math.pi * math.sqrt(n * n + 1)) * math.sqrt(mat.E * t**2 / (12 * mat.rho * R**4))


def test_scan_of_a_thin_ring_is_decimated_and_gives_hoppe(tmp_path):
    """A ring scanned to 65k triangles with 10 um of noise: decimated to the element size,
    meshed by fTetWild (a wall thinner than the elements, which TetGen would refine), and its
    in-plane n = 2 mode within 1 % of Hoppe's thin-ring frequency (measured: 0.02 %)."""
    R, t = 0.1, 0.004
    a = trimesh.creation.annulus(r_min=R - t / 2, r_max=R + t / 2, height=t, sections=128)
    v, f = np.asarray(a.vertices), np.asarray(a.faces)
    while len(f) < 60_000:
        v, f = trimesh.remesh.subdivide(v, f)
    normals = trimesh.Trimesh(v, f, process=False).vertex_normals
    v = v + normals * 1e-5 * np.random.default_rng(3).standard_normal((len(v), 1))
    path = tmp_path / "ring_scan.stl"
    trimesh.Trimesh(v, f, process=False).export(path)
    mesh = load_mesh(path, n_modes=6, material=STEEL, cache=False)
    assert mesh.info["mesher"] == "ftetwild" and "decimated" in mesh.info["report"], mesh.info["report"]
    model = modal_analysis(mesh, STEEL, n_modes=6)
    f2 = hoppe_ring(2, R, t, STEEL)
    assert np.min(np.abs(model.frequencies[:4] / f2 - 1)) < 0.01, (model.frequencies[:4], f2)


def test_open_sheet_needs_thickness_and_gives_ring_modes(tmp_path):
    """A band of radius R thickened to a square t x t ring: its in-plane n = 2 bending mode
    within 2 % of Hoppe's thin-ring frequency."""
    R, t = 0.1, 0.004
    path = tmp_path / "band.obj"
    ring_sheet(R, t).export(path)
    with pytest.raises(MeshError, match="--thickness"):
        load_mesh(path, cache=False)
    mesh = load_mesh(path, thickness=t, size=0.004, cache=False)
    assert mesh.volume() == pytest.approx(2 * math.pi * R * t * t, rel=0.01)  # the 96-gon: 0.07 % short
    model = modal_analysis(mesh, STEEL, n_modes=6)
    f2 = hoppe_ring(2, R, t, STEEL)
    # the lowest modes: the in-plane n = 2 doublet and the out-of-plane one close by; one of the
    # first four is the in-plane one
    assert np.min(np.abs(model.frequencies[:4] / f2 - 1)) < 0.02, (model.frequencies[:4], f2)


def test_thicken_is_closed_and_has_the_volume():
    band = ring_sheet(0.1, 0.02, n=64, rows=4)

    s = Surface(np.asarray(band.vertices, float), np.asarray(band.faces, np.int64))
    for side, r_mid in (("mid", 0.1), ("in", 0.1 - 0.0015), ("out", 0.1 + 0.0015)):
        w = thicken(s, 0.003, side=side)
        chk = inspect_surface(w)
        assert chk.clean
        # polygon of 64 sides: area factor sin(2 pi/64) 64 / (2 pi) of a circle
        poly = 64 * math.sin(2 * math.pi / 64) / (2 * math.pi)
        assert w.volume() == pytest.approx(poly * 2 * math.pi * r_mid * 0.003 * 0.02, rel=2e-3)
    with pytest.raises(MeshError, match="folds over itself"):
        thicken(s, 0.5)


def test_millimetre_file_warns_and_units_fix_it(tmp_path, caplog):
    s = trimesh.creation.icosphere(2, radius=50.0)  # a 100 mm ball written in mm
    path = tmp_path / "ball_mm.stl"
    s.export(path)
    with caplog.at_level("WARNING", logger="physsynth"):
        m = load_mesh(path, size=20.0, cache=False)
    assert "units='mm'" in caplog.text
    assert caplog.text.count("across (units='m')") == 1  # once, not again for the volume mesh
    mm = load_mesh(path, units="mm", size=0.02, cache=False)
    assert mm.volume() == pytest.approx(m.volume() * 1e-9, rel=1e-9)


@pytest.mark.parametrize("suffix", [".glb", ".ply", ".off", ".stl", ".obj"])
def test_formats_read_the_same_solid(tmp_path, suffix):
    s = trimesh.creation.icosphere(2, radius=0.05)
    path = tmp_path / f"ball{suffix}"
    s.export(path)
    surf, _, _ = prepare_surface(read_surface(path))
    assert abs(surf.volume()) == pytest.approx(s.volume, rel=1e-6)


def test_point_cloud_and_flat_and_garbage_refused(tmp_path):
    pc = tmp_path / "cloud.ply"
    trimesh.PointCloud(np.random.default_rng(0).random((50, 3)) * 0.1).export(pc)
    with pytest.raises(MeshError, match="point cloud"):
        load_mesh(pc, cache=False)
    junk = tmp_path / "junk.stl"
    junk.write_bytes(b"\x00\x01 not an stl")
    with pytest.raises(MeshError):
        load_mesh(junk, cache=False)


def test_flat_stl_is_still_a_plate(tmp_path):
    sq = trimesh.Trimesh([[0, 0, 0], [0.3, 0, 0], [0.3, 0.3, 0], [0, 0.3, 0]], [[0, 1, 2], [0, 2, 3]], process=False)
    sq.export(tmp_path / "square.stl")
    m = load_mesh(tmp_path / "square.stl")
    assert m.dim == 2


def test_cli_mesh_writes_regions_and_caches(tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    box = _box_surface()
    # an ASCII STL with two named solids: "lid" (the top) and "walls"
    top = np.isclose(box.triangles_center[:, 2], box.bounds[1, 2])
    groups = {"lid": np.flatnonzero(top), "walls": np.flatnonzero(~top)}
    write_surface(Surface(np.asarray(box.vertices, float), np.asarray(box.faces), groups), tmp_path / "box.stl")
    assert (tmp_path / "box.stl").read_text().count("endsolid") == 2
    out = tmp_path / "box.msh"
    rc, so, se = run_cli("mesh", tmp_path / "box.stl", "-o", out, "--size", "0.02", env=env)
    assert rc == 0, se
    back = load_mesh(out)
    assert {"lid", "walls"} <= set(back.regions)
    lid = back.points[back.regions["lid"].nodes]
    assert np.allclose(lid[:, 2], box.bounds[1, 2])
    rc, so, se = run_cli("mesh", tmp_path / "box.stl", "-o", out, "--size", "0.02", env=env)
    assert rc == 0 and "using the cached volume mesh" in se
    # the lid is a region for clamps: a box clamped by its lid has no rigid modes
    rc, so, se = run_cli("modes", tmp_path / "box.stl", "--size", "0.02", "--clamp", "lid", "--n-modes", "3", env=env)
    assert rc == 0 and "0 rigid-body modes" in se, se
    # the volume mesh's boundary as OBJ: its groups are the regions again
    rc, so, se = run_cli("mesh", out, "-o", tmp_path / "box_surface.obj", env=env)
    assert rc == 0, se
    surf = read_surface(tmp_path / "box_surface.obj")
    assert set(surf.groups) == {"lid", "walls"} and "groups: lid, walls" in so
    assert abs(surf.volume()) == pytest.approx(back.volume(), rel=1e-9)


def test_cli_refusals_touch_nothing(tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    s = trimesh.creation.icosphere(2, radius=0.05)
    s.export(tmp_path / "ball.stl")
    out = tmp_path / "keep.msh"
    out.write_text("precious")
    for args in (
        ("mesh", tmp_path / "ball.stl", "-o", tmp_path / "x.wav"),
        ("mesh", tmp_path / "ball.stl", "-o", out, "--size", "0.01", "--target-dofs", "5000"),
        ("mesh", tmp_path / "ball.stl", "-o", out, "--size", "-1"),
        ("mesh", tmp_path / "ball.stl", "-o", out, "--body", "x"),
        ("mesh", tmp_path / "ball.stl", "-o", out, "--thickness", "0.002"),
        ("mesh", tmp_path / "missing.stl", "-o", out),
    ):
        rc, so, se = run_cli(*args, env=env)
        assert rc == 2, (args, se)
        assert se.startswith("physsynth: error: ") and len(se.strip().splitlines()) == 1, se
    assert out.read_text() == "precious"


def test_target_dofs_lands_near_the_target(tmp_path):
    s = trimesh.creation.icosphere(4, radius=0.05)
    s.export(tmp_path / "ball.stl")
    m = load_mesh(tmp_path / "ball.stl", target_dofs=30_000, cache=False)
    assert 0.7 < m.info["dofs"] / 30_000 < 1.3, m.info


def test_strike_a_surface_file_end_to_end(tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    trimesh.creation.icosphere(3, radius=0.05).export(tmp_path / "ball.stl")
    wav = tmp_path / "ball.wav"
    rc, so, se = run_cli(
        "strike", tmp_path / "ball.stl", "--at", "0.05,0,0", "--duration", "0.5", "--fmax", "30000",
        "--sr", "96000", "-o", wav, env=env,
    )  # fmt: skip
    assert rc == 0, se
    from physsynth.audio import read_wav

    x, sr = read_wav(wav)
    assert np.isfinite(x).all() and np.abs(x).max() > 0.1
