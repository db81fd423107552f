"""Meshes: loading through meshio, checks, units and named regions.

A :class:`Mesh` holds either tetrahedra (a solid: 4 or 10 nodes) or flat triangles in the
xy-plane (a plate or membrane: 3 or 6 nodes). Tetrahedra are kept in one canonical node
order whatever the file format (corners, then the mid-edge nodes of edges (0,1), (1,2),
(0,2), (0,3), (1,3), (2,3), the VTK order). Named regions come from the file's physical
groups, cell sets, node sets or integer cell tags.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from dataclasses import dataclass, field

import numpy as np

from physsynth.errors import MeshError

#: Metres per unit, for ``units=``.
UNITS = {"m": 1.0, "cm": 1e-2, "mm": 1e-3, "in": 0.0254}

#: Local corner pairs of the six tetrahedron edges, in the canonical (VTK) order.
TET_EDGES = np.array([[0, 1], [1, 2], [0, 2], [0, 3], [1, 3], [2, 3]])
#: Local corner pairs of the three triangle edges (VTK / meshio triangle6 order).
TRI_EDGES = np.array([[0, 1], [1, 2], [0, 2]])

_SURFACE_TYPES = ("triangle", "triangle6", "quad", "quad8", "quad9")
_VOLUME_TYPES = ("tetra", "tetra10")
_OTHER_VOLUME = ("hexahedron", "hexahedron20", "hexahedron27", "wedge", "wedge15", "pyramid")


@dataclass(frozen=True)
class Region:
    """A named part of a mesh.

    Attributes
    ----------
    name : str
    dim : int
        3 for a set of tetrahedra, 2 for a set of boundary triangles, 0 for a node set.
    nodes : ndarray of int, shape (n,)
        Indices of every mesh node in the region.
    triangles : ndarray of int, shape (n_tri, 3) or None
        Corner nodes of the region's triangles (dim 2).
    cells : ndarray of int, shape (n_cells,) or None
        Indices of the region's tetrahedra (dim 3).
    """

    name: str
    dim: int
    nodes: np.ndarray
    triangles: np.ndarray | None = None
    cells: np.ndarray | None = None


@dataclass(frozen=True)
class Mesh:
    """A tetrahedral volume mesh in metres.

    Attributes
    ----------
    points : ndarray, shape (n_nodes, 3), m
        Node coordinates (corner and, for quadratic meshes, mid-edge nodes).
    cells : ndarray of int, shape (n_cells, 4) or (n_cells, 10)
        Node indices of each tetrahedron, canonical order, positive orientation.
    regions : dict of str to Region
        Named regions from the file.
    source : str
        Where the mesh came from (path or generator).
    """

    points: np.ndarray
    cells: np.ndarray
    regions: dict[str, Region] = field(default_factory=dict)
    source: str = ""

    @property
    def dim(self) -> int:
        """3 for a tetrahedral solid, 2 for a flat triangle mesh (plate, membrane)."""
        return 3 if self.cells.shape[1] in (4, 10) else 2

    @property
    def n_corners(self) -> int:
        """Corners per cell: 4 (tetrahedron) or 3 (triangle)."""
        return 4 if self.dim == 3 else 3

    @property
    def order(self) -> int:
        """Geometric order: 1 for tetra/triangle, 2 for tetra10/triangle6."""
        return 1 if self.cells.shape[1] in (3, 4) else 2

    @property
    def n_nodes(self) -> int:
        return self.points.shape[0]

    @property
    def n_cells(self) -> int:
        return self.cells.shape[0]

    @property
    def corner_nodes(self) -> np.ndarray:
        """Indices of the nodes that are tetrahedron corners, sorted."""
        return np.unique(self.cells[:, : self.n_corners])

    @property
    def bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        return self.points.min(axis=0), self.points.max(axis=0)

    def volume(self) -> float:
        """Volume (m^3) of the straight-sided tetrahedra; area (m^2) of a flat mesh."""
        if self.dim == 2:
            return float(tri_areas(self.points, self.cells).sum())
        return float(tet_volumes(self.points, self.cells).sum())

    def boundary_triangles(self) -> np.ndarray:
        """Corner-node triangles of the boundary, oriented with outward normals, shape (n, 3).

        For a flat mesh, its triangles (normals +z): the whole sheet is surface."""
        if self.dim == 2:
            return self.cells[:, :3]
        return _boundary_triangles(self.cells[:, :4], self.points)

    def boundary_edges(self) -> np.ndarray:
        """Corner-node pairs of the boundary edges of a flat mesh, shape (n, 2)."""
        if self.dim != 2:
            raise MeshError("boundary_edges is for flat (triangle) meshes")
        e = self.cells[:, TRI_EDGES].reshape(-1, 2)
        key = np.sort(e, axis=1)
        _, idx, counts = np.unique(key, axis=0, return_index=True, return_counts=True)
        return e[idx[counts == 1]]

    def surface_nodes(self) -> np.ndarray:
        """Indices of the corner nodes on the boundary surface."""
        return np.unique(self.boundary_triangles())

    def vertex_normals(self) -> tuple[np.ndarray, np.ndarray]:
        """Outward unit normals at the surface corner nodes.

        Returns
        -------
        nodes : ndarray of int, shape (n,)
        normals : ndarray, shape (n, 3)
            Area-weighted mean of the adjacent boundary triangles' outward normals.
        """
        tri = self.boundary_triangles()
        p = self.points
        fn = np.cross(p[tri[:, 1]] - p[tri[:, 0]], p[tri[:, 2]] - p[tri[:, 0]])  # 2 x area
        acc = np.zeros_like(p)
        for k in range(3):
            np.add.at(acc, tri[:, k], fn)
        nodes = np.unique(tri)
        nrm = acc[nodes]
        nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
        return nodes, nrm

    def describe(self) -> str:
        lo, hi = self.bounding_box
        ext = " x ".join(f"{v * 1e3:.1f}" for v in hi - lo)
        kind = {4: "tetra", 10: "tetra10", 3: "triangle", 6: "triangle6"}[self.cells.shape[1]]
        regs = ", ".join(sorted(self.regions)) or "none"
        size = f"volume {self.volume() * 1e6:.2f} cm^3" if self.dim == 3 else f"area {self.volume() * 1e4:.2f} cm^2"
        return f"{self.n_cells} {kind} cells, {self.n_nodes} nodes, {ext} mm, {size}, regions: {regs}"


def tet_volumes(points: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Signed volumes (m^3) of the straight tetrahedra spanned by each cell's corners."""
    p = points[cells[:, :4]]
    a, b, c = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0], p[:, 3] - p[:, 0]
    return np.einsum("ij,ij->i", a, np.cross(b, c)) / 6.0


def tri_areas(points: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Signed areas (m^2) of the straight triangles in the xy-plane (positive counter-clockwise)."""
    p = points[cells[:, :3]]
    a, b = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    return 0.5 * (a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])


def _boundary_triangles(tets: np.ndarray, points: np.ndarray) -> np.ndarray:
    # Faces opposite each corner, ordered so that (b-a) x (c-a) points away from that corner
    # for a positively oriented tetrahedron.
    faces = np.concatenate([tets[:, [1, 2, 3]], tets[:, [0, 3, 2]], tets[:, [0, 1, 3]], tets[:, [0, 2, 1]]])
    key = np.sort(faces, axis=1)
    _, idx, counts = np.unique(key, axis=0, return_index=True, return_counts=True)
    return faces[idx[counts == 1]]


def _canonical_tet10(points: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Reorder each tetra10's mid-edge nodes to the canonical edge order, by geometry.

    File formats disagree on the order of the mid-edge nodes (gmsh swaps the last two edges
    relative to VTK; others differ again). Matching each mid-edge node to the edge whose
    midpoint is nearest makes loading independent of the format's convention.
    """
    corners = points[cells[:, :4]]  # (n, 4, 3)
    mids = 0.5 * (corners[:, TET_EDGES[:, 0]] + corners[:, TET_EDGES[:, 1]])  # (n, 6, 3)
    extra = points[cells[:, 4:]]  # (n, 6, 3)
    d = np.linalg.norm(mids[:, :, None, :] - extra[:, None, :, :], axis=3)  # (n, edge, node)
    pick = d.argmin(axis=2)
    ok = np.all(np.sort(pick, axis=1) == np.arange(6), axis=1)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise MeshError(
            f"tetra10 cell {bad}: its mid-edge nodes cannot be matched to its edges; the file's "
            "node order is not a tetra10 ordering physsynth knows, or the element is badly curved"
        )
    out = cells.copy()
    out[:, 4:] = np.take_along_axis(cells[:, 4:], pick, axis=1)
    return out


def _orient(points: np.ndarray, cells: np.ndarray) -> np.ndarray:
    flat = cells.shape[1] in (3, 6)
    vol = tri_areas(points, cells) if flat else tet_volumes(points, cells)
    scale = np.ptp(points, axis=0).max() ** (2 if flat else 3) if len(points) else 1.0
    tiny = np.abs(vol) <= 1e-14 * scale
    if tiny.any():
        what = "zero-area triangles" if flat else "degenerate (zero-volume) tetrahedra"
        raise MeshError(f"{int(tiny.sum())} {what}, e.g. cell {int(np.flatnonzero(tiny)[0])}; re-mesh the geometry")
    neg = vol < 0
    if neg.any():
        cells = cells.copy()
        # Swapping corners 1 and 2 flips orientation; in the tetra10 edge list this swaps
        # edges (0,1)<->(0,2) and (1,3)<->(2,3) while (1,2) and (0,3) stay; in the
        # triangle6 list (0,1)<->(0,2) while (1,2) stays.
        perm = {4: [0, 2, 1, 3], 10: [0, 2, 1, 3, 6, 5, 4, 7, 9, 8], 3: [0, 2, 1], 6: [0, 2, 1, 5, 4, 3]}[
            cells.shape[1]
        ]
        cells[neg] = cells[neg][:, perm]
    return cells


def from_arrays(points, cells, *, regions=None, source="arrays", units="m") -> Mesh:
    """Build a checked :class:`Mesh` from node coordinates and cells.

    Parameters
    ----------
    points : array_like, shape (n_nodes, 3) (or (n_nodes, 2) for a flat mesh), in ``units``
    cells : array_like of int, shape (n_cells, k)
        k = 4 or 10 (tetrahedra), or 3 or 6 (triangles in a plane z = const)
    regions : dict of str to Region, optional
    units : {"m", "cm", "mm", "in"}
    """
    scale = _unit_scale(units)
    points = np.ascontiguousarray(points, dtype=np.float64) * scale
    cells = np.ascontiguousarray(cells, dtype=np.int64)
    if points.ndim == 2 and points.shape[1] == 2:
        points = np.hstack([points, np.zeros((len(points), 1))])
    if points.ndim != 2 or points.shape[1] != 3:
        raise MeshError(f"points must have shape (n, 3), got {points.shape}")
    if not np.isfinite(points).all():
        raise MeshError("the mesh has NaN or infinite node coordinates")
    if cells.ndim != 2 or cells.shape[1] not in (3, 4, 6, 10) or len(cells) == 0:
        raise MeshError(f"cells must have shape (n, 4|10) or (n, 3|6), got {cells.shape}")
    if cells.min() < 0 or cells.max() >= len(points):
        raise MeshError("a cell refers to a node that does not exist")
    if cells.shape[1] == 10:
        cells = _canonical_tet10(points, cells)
    if cells.shape[1] in (3, 6):
        used = np.unique(cells)
        z = points[used, 2]
        extent = max(float(np.ptp(points[used], axis=0).max()), 1e-300)
        if np.ptp(z) > 1e-9 * extent:
            raise MeshError(
                "these triangles are not flat in a plane z = const: a surface-only mesh of a "
                "solid needs its volume meshed with tetrahedra; a plate or membrane must lie "
                "in the xy-plane"
            )
    cells = _orient(points, cells)
    return _compact(Mesh(points, cells, dict(regions or {}), source))


def _compact(mesh: Mesh) -> Mesh:
    """Drop nodes that no tetrahedron uses (gmsh keeps geometry points), renumber."""
    used = np.unique(mesh.cells)
    if len(used) == mesh.n_nodes:
        return mesh
    new = -np.ones(mesh.n_nodes, dtype=np.int64)
    new[used] = np.arange(len(used))
    regions = {}
    for name, r in mesh.regions.items():
        nodes = new[r.nodes]
        nodes = nodes[nodes >= 0]
        tri = None
        if r.triangles is not None:
            tri = new[r.triangles]
            tri = tri[(tri >= 0).all(axis=1)]
        if len(nodes):
            regions[name] = Region(name, r.dim, nodes, tri, r.cells)
    return Mesh(mesh.points[used], new[mesh.cells], regions, mesh.source)


def _unit_scale(units: str) -> float:
    try:
        return UNITS[units]
    except KeyError:
        raise MeshError(f"unknown units {units!r}; use one of {', '.join(UNITS)}") from None


def load_mesh(path, *, units: str = "m") -> Mesh:
    """Load a tetrahedral volume mesh from any file meshio reads.

    Parameters
    ----------
    path : str or path-like
        gmsh .msh (2.2 or 4.1), .vtu, .xdmf, Abaqus .inp, medit .mesh, ...
    units : {"m", "cm", "mm", "in"}
        Length unit of the file's coordinates; converted to metres.

    Returns
    -------
    Mesh

    Raises
    ------
    MeshError
        Missing or unreadable file, no tetrahedra (surface-only or hexahedral mesh), bad cells.
    """
    import meshio

    path = os.fspath(path)
    scale = _unit_scale(units)
    if not os.path.exists(path):
        raise MeshError(f"mesh file not found: {path}")
    if os.path.isdir(path):
        raise MeshError(f"{path} is a directory, not a mesh file")
    try:
        # meshio prints to stdout and may call sys.exit() on a file it cannot parse
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            m = meshio.read(path)
    except (Exception, SystemExit) as exc:  # all of them mean "cannot read this"
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, SystemExit):
            msg = "not a mesh file meshio can parse"
        raise MeshError(
            f"cannot read mesh {path}: {msg} (supported: gmsh .msh, .vtu, .xdmf, .inp, "
            ".mesh and the other formats meshio reads)"
        ) from None

    blocks = [(i, c.type, c.data) for i, c in enumerate(m.cells)]
    vol = [(i, t, d) for i, t, d in blocks if t in _VOLUME_TYPES]
    flat = False
    if not vol and not any(t in _OTHER_VOLUME for _, t, _ in blocks):
        tris = [(i, t, d) for i, t, d in blocks if t in ("triangle", "triangle6")]
        pts = np.asarray(m.points, dtype=np.float64)
        if tris and (pts.shape[1] == 2 or _is_flat(pts, tris)):
            vol, flat = tris, True
    if not vol:
        types = sorted({t for _, t, _ in blocks}) or ["none"]
        if any(t in _OTHER_VOLUME for t in types):
            fix = "re-mesh with tetrahedra (in gmsh: Mesh.SubdivisionAlgorithm 2 or an unstructured 3D mesh)"
        elif any(t in _SURFACE_TYPES for t in types):
            fix = (
                "this is a surface-only mesh; mesh the enclosed volume with tetrahedra "
                "(e.g. `gmsh -3`, or TetGen / fTetWild on the surface)"
            )
        else:
            fix = "physsynth needs a tetrahedral volume mesh"
        raise MeshError(f"{path} has no tetrahedra (cell types: {', '.join(types)}): {fix}")
    orders = {t for _, t, _ in vol}
    if len(orders) > 1:
        raise MeshError(f"{path} mixes linear and quadratic cells; use one element order")

    cells = np.concatenate([d for _, _, d in vol]).astype(np.int64)
    offsets = {}
    n = 0
    for i, _, d in vol:
        offsets[i] = n
        n += len(d)
    points = np.asarray(m.points, dtype=np.float64)
    if points.shape[1] == 2:
        points = np.hstack([points, np.zeros((len(points), 1))])
    points = points[:, :3] * scale

    regions = _regions(m, blocks, offsets, cells, flat)
    mesh = from_arrays(points, cells, regions=regions, source=os.path.abspath(path), units="m")
    extent = float(np.ptp(mesh.points, axis=0).max())
    if units == "m" and extent > 20.0:
        print(
            f"physsynth: warning: {path} is {extent:g} m across; if its coordinates are in "
            "millimetres, pass --units mm (units='mm')",
            file=sys.stderr,
        )
    return mesh


def _is_flat(points, tris) -> bool:
    used = np.unique(np.concatenate([d.ravel() for _, _, d in tris]))
    p = points[used]
    extent = max(float(np.ptp(p, axis=0).max()), 1e-300)
    return p.shape[1] < 3 or float(np.ptp(p[:, 2])) <= 1e-9 * extent


def _regions(m, blocks, offsets, cells, flat=False) -> dict[str, Region]:
    """Named regions from cell sets, gmsh physical groups, integer tags and point sets.

    For a solid, regions are sets of tetrahedra (dim 3) or boundary triangles (dim 2); for a
    flat mesh, sets of triangles (dim 2, with ``cells``) or boundary lines (dim 1)."""
    main_types = ("triangle", "triangle6") if flat else _VOLUME_TYPES
    facet_types = ("line", "line3") if flat else _SURFACE_TYPES
    sets: dict[str, list[tuple[int, np.ndarray]]] = {}
    if m.cell_sets:
        for name, per_block in m.cell_sets.items():
            if name.startswith("gmsh:"):
                continue
            for i, idx in enumerate(per_block):
                if idx is not None and len(idx):
                    sets.setdefault(name, []).append((i, np.asarray(idx, dtype=np.int64)))
    if not sets:
        tag_key = next(
            (k for k in ("gmsh:physical", "medit:ref", "CellEntityIds", "cell_tags") if k in m.cell_data), None
        )
        if tag_key is not None:
            names = {}
            if tag_key == "gmsh:physical":
                names = {(int(v[1]), int(v[0])): k for k, v in m.field_data.items() if len(v) >= 2}
            top = 2 if flat else 3
            for i, tags in enumerate(m.cell_data[tag_key]):
                t = blocks[i][1]
                dim = top if t in main_types else top - 1 if t in facet_types else -1
                if dim < 0:
                    continue
                tags = np.asarray(tags).astype(np.int64).ravel()
                for tag in np.unique(tags):
                    name = names.get((dim, int(tag)), str(int(tag)))
                    sets.setdefault(name, []).append((i, np.flatnonzero(tags == tag)))

    regions: dict[str, Region] = {}
    for name, parts in sets.items():
        tets, tris, lines = [], [], []
        for i, idx in parts:
            t, data = blocks[i][1], blocks[i][2]
            if t in main_types:
                tets.append(offsets[i] + idx)
            elif not flat and t in _SURFACE_TYPES and t.startswith("triangle"):
                tris.append(data[idx, :3])
            elif flat and t in facet_types:
                lines.append(data[idx].ravel())
        if tets:
            c = np.concatenate(tets)
            regions[name] = Region(name, 2 if flat else 3, np.unique(cells[c]), None, c)
        elif lines:
            regions[name] = Region(name, 1, np.unique(np.concatenate(lines)).astype(np.int64))
        elif tris:
            tri = np.concatenate(tris).astype(np.int64)
            nodes = [tri.ravel()]
            for i, idx in parts:  # quadratic triangles: keep their mid-edge nodes too
                t, data = blocks[i][1], blocks[i][2]
                if t == "triangle6":
                    nodes.append(data[idx].ravel())
            regions[name] = Region(name, 2, np.unique(np.concatenate(nodes)), tri, None)
    for name, idx in (m.point_sets or {}).items():
        if name not in regions and not name.startswith("gmsh:"):
            regions[name] = Region(name, 0, np.unique(np.asarray(idx, dtype=np.int64)))
    return regions


def bar_mesh(length: float, width: float, height: float, n: tuple[int, int, int]) -> Mesh:
    """A structured tetrahedral mesh of a box [0, L] x [0, w] x [0, h], in metres.

    Used for analytic checks (free-free bars). Each hexahedral block is split into 6 tetrahedra.
    """
    from skfem import MeshTet

    nx, ny, nz = n
    m = MeshTet.init_tensor(
        np.linspace(0, length, nx + 1), np.linspace(0, width, ny + 1), np.linspace(0, height, nz + 1)
    )
    return from_arrays(m.p.T, m.t.T, source=f"bar_mesh({length}, {width}, {height}, {n})")


def characteristic_length(mesh: Mesh) -> float:
    """Mean edge length of the cells (m)."""
    edges = TET_EDGES if mesh.dim == 3 else TRI_EDGES
    p = mesh.points[mesh.cells[:, : mesh.n_corners]]
    e = p[:, edges[:, 0]] - p[:, edges[:, 1]]
    return float(np.linalg.norm(e, axis=2).mean())
