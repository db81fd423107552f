"""Mesh loading: formats, tetra10 node orders, regions, units, and refusals."""

import meshio
import numpy as np
import pytest
from conftest import gmsh_box

import physsynth as ps


def test_gmsh41_linear_with_regions(box41):
    mesh = ps.load_mesh(box41)
    assert mesh.order == 1 and mesh.cells.shape[1] == 4
    assert {"solid", "end"} <= set(mesh.regions)
    end = mesh.regions["end"]
    assert end.dim == 2 and np.allclose(mesh.points[end.nodes, 0], 0.0)
    assert mesh.volume() == pytest.approx(0.1 * 0.02 * 0.01, rel=1e-9)


def test_gmsh22_quadratic_is_reordered_to_canonical(tmp_path):
    path = gmsh_box(tmp_path / "q.msh", order=2, version="2.2")
    mesh = ps.load_mesh(path)
    assert mesh.order == 2
    p = mesh.points
    c = mesh.cells
    from physsynth.mesh import TET_EDGES

    mid = 0.5 * (p[c[:, TET_EDGES[:, 0]]] + p[c[:, TET_EDGES[:, 1]]])
    np.testing.assert_allclose(p[c[:, 4:]], mid, atol=1e-12)


@pytest.mark.parametrize(
    "ext,fmt", [(".vtu", "vtu"), (".xdmf", "xdmf"), (".inp", "abaqus"), (".mesh", "medit"), (".msh", "gmsh22")]
)
def test_formats_meshio_writes(tmp_path, box41, ext, fmt):
    m = meshio.read(box41)
    tet = [c for c in m.cells if c.type == "tetra"]
    out = tmp_path / f"box{ext}"
    meshio.write(str(out), meshio.Mesh(m.points, tet), file_format=fmt)
    mesh = ps.load_mesh(out)
    assert mesh.n_cells == len(tet[0].data)
    assert mesh.volume() == pytest.approx(2e-5, rel=1e-9)


@pytest.mark.parametrize(
    "perm",
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 9, 8],  # gmsh's tetra10 order (last two edges swapped vs VTK)
        [0, 1, 2, 3, 6, 4, 5, 9, 8, 7],  # any other order
    ],
)
def test_tetra10_any_midside_order(tmp_path, perm):
    path = gmsh_box(tmp_path / "q.msh", order=2)
    m = meshio.read(path)
    t10 = [c for c in m.cells if c.type == "tetra10"][0].data
    ref = ps.load_mesh(path)
    out = tmp_path / "perm.vtu"
    meshio.write(str(out), meshio.Mesh(m.points, [("tetra10", t10[:, perm])]))
    mesh = ps.load_mesh(out)
    np.testing.assert_array_equal(np.sort(mesh.cells, axis=1), np.sort(ref.cells, axis=1))
    from physsynth.mesh import TET_EDGES

    p = mesh.points
    mid = 0.5 * (p[mesh.cells[:, TET_EDGES[:, 0]]] + p[mesh.cells[:, TET_EDGES[:, 1]]])
    np.testing.assert_allclose(p[mesh.cells[:, 4:]], mid, atol=1e-12)


def test_units_mm(tmp_path, box41):
    m = meshio.read(box41)
    out = tmp_path / "mm.vtu"
    tet = [c for c in m.cells if c.type == "tetra"]
    meshio.write(str(out), meshio.Mesh(m.points * 1000.0, tet))
    mesh = ps.load_mesh(out, units="mm")
    lo, hi = mesh.bounding_box
    np.testing.assert_allclose(hi - lo, [0.1, 0.02, 0.01], rtol=1e-12)
    with pytest.raises(ps.MeshError, match="units"):
        ps.load_mesh(out, units="furlong")


def test_inverted_tetrahedra_are_reoriented(box41):
    mesh = ps.load_mesh(box41)
    flipped = mesh.cells.copy()
    flipped[::2] = flipped[::2][:, [0, 2, 1, 3]]
    fixed = ps.from_arrays(mesh.points, flipped)
    from physsynth.mesh import tet_volumes

    assert (tet_volumes(fixed.points, fixed.cells) > 0).all()


def test_surface_only_mesh_is_tetrahedralised_or_refused_when_open(tmp_path, box41):
    """A triangle-only .vtu: its closed boundary is tetrahedralised (issue 12, the same solid),
    an open patch of it refused with the options that would close it."""
    vol = ps.load_mesh(box41)
    closed = tmp_path / "closed.vtu"
    meshio.write(str(closed), meshio.Mesh(vol.points, [("triangle", vol.boundary_triangles())]))
    again = ps.load_mesh(closed, cache=False)
    assert again.dim == 3 and again.volume() == pytest.approx(vol.volume(), rel=1e-9)
    m = meshio.read(box41)
    tri = [c for c in m.cells if c.type == "triangle"]
    out = tmp_path / "patch.vtu"
    meshio.write(str(out), meshio.Mesh(m.points, tri))
    with pytest.raises(ps.MeshError, match="open.*--thickness"):
        ps.load_mesh(out, cache=False)


def test_hexahedral_mesh_is_refused(tmp_path):
    pts = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], float)
    out = tmp_path / "hex.vtu"
    meshio.write(str(out), meshio.Mesh(pts, [("hexahedron", np.arange(8)[None])]))
    with pytest.raises(ps.MeshError, match="tetrahedra"):
        ps.load_mesh(out)


def test_missing_and_garbage_files(tmp_path):
    with pytest.raises(ps.MeshError, match="not found"):
        ps.load_mesh(tmp_path / "nope.msh")
    bad = tmp_path / "bad.msh"
    bad.write_text("this is not a mesh\n")
    with pytest.raises(ps.MeshError, match="cannot read"):
        ps.load_mesh(bad)


def test_degenerate_cells_are_refused():
    pts = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], float)
    with pytest.raises(ps.MeshError, match="degenerate"):
        ps.from_arrays(pts, [[0, 1, 2, 3]])


def test_surface_normals_point_outward():
    mesh = ps.bar_mesh(0.1, 0.02, 0.02, (5, 2, 2))
    nodes, normals = mesh.vertex_normals()
    centre = mesh.points.mean(axis=0)
    out = np.einsum("ij,ij->i", mesh.points[nodes] - centre, normals)
    assert (out > 0).all()


def test_abaqus_sets_become_regions(tmp_path, box41):
    m = meshio.read(box41)
    tet = [c for c in m.cells if c.type == "tetra"][0].data
    low = np.flatnonzero(m.points[:, 0] < 1e-9)
    out = tmp_path / "part.inp"
    meshio.write(
        str(out),
        meshio.Mesh(
            m.points, [("tetra", tet)], cell_sets={"FIRST_HALF": [np.arange(len(tet) // 2)]}, point_sets={"END": low}
        ),
    )
    mesh = ps.load_mesh(out)
    assert mesh.regions["FIRST_HALF"].dim == 3
    assert len(mesh.regions["FIRST_HALF"].cells) == len(tet) // 2
    end = mesh.regions["END"]
    assert end.dim == 0 and np.allclose(mesh.points[end.nodes, 0], 0.0)
