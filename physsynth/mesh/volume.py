"""Volume meshes: reading through meshio, checks, units and named regions.

A :class:`Mesh` holds either tetrahedra (a solid: 4 or 10 nodes) or flat triangles in the
xy-plane (a plate or membrane: 3 or 6 nodes). Tetrahedra are kept in one canonical node
order whatever the file format (corners, then the mid-edge nodes of edges (0,1), (1,2),
(0,2), (0,3), (1,3), (2,3), the VTK order). Named regions come from the file's physical
groups, cell sets, node sets or integer cell tags.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
from dataclasses import dataclass, field

import meshio
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from physsynth import validate
from physsynth._io import atomic_path
from physsynth._progress import log
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
_OTHER_FLAT = ("quad", "quad8", "quad9", "polygon")

#: Largest coordinate (m) and largest and smallest object (m) a mesh may describe: beyond a
#: kilometre or under a micrometre the file's units are wrong, not the object exotic (and
#: float64 coordinates lose the precision an element needs).
MAX_COORDINATE = 1e4
MAX_EXTENT = 1e3
MIN_EXTENT = 1e-6
#: Sizes (m) of the objects physsynth is meant for (a 5 mm chime to a 20 m bell tower beam);
#: a mesh outside them is loaded, with a warning naming the likely unit.
PLAUSIBLE_EXTENT = (5e-3, 20.0)
#: Most nodes a generated mesh (:func:`bar_mesh`) may have.
MAX_GENERATED_NODES = 20_000_000


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
    info : dict
        For a mesh made from a surface file: the report of its repair and tetrahedralisation.
    """

    points: np.ndarray
    cells: np.ndarray
    regions: dict[str, Region] = field(default_factory=dict)
    source: str = ""
    #: How the mesh was made when physsynth made it from a surface (repairs, mesher, size).
    info: dict = field(default_factory=dict, compare=False)

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


def from_arrays(points, cells, *, regions=None, source="arrays", units="m", _unit_warning=True) -> Mesh:
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
    points = _point_array(points) * scale
    cells = _cell_array(cells, len(points))
    _check_extent(points, cells, units, source, warn=_unit_warning)
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
    _check_one_body(points, cells)
    return _compact(Mesh(points, cells, _check_regions(regions, len(points), len(cells)), source))


def _check_regions(regions, n_nodes: int, n_cells: int) -> dict:
    """Regions whose node, triangle and cell indices exist in the mesh."""
    if regions is None:
        return {}
    if not isinstance(regions, dict):
        raise MeshError(f"regions must be a dict of name -> Region, got {type(regions).__name__}")
    out = {}
    for name, r in regions.items():
        if not isinstance(r, Region):
            raise MeshError(f"region {name!r} must be a physsynth.mesh.Region, got {type(r).__name__}")
        for what, arr, n in (
            ("nodes", r.nodes, n_nodes),
            ("triangles", r.triangles, n_nodes),
            ("cells", r.cells, n_cells),
        ):
            if arr is None:
                continue
            a = np.asarray(arr)
            if a.size and (not np.issubdtype(a.dtype, np.integer) or a.min() < 0 or a.max() >= n):
                raise MeshError(f"region {name!r} has {what} indices outside 0..{n - 1} (or not whole numbers)")
        out[name] = r
    return out


def _point_array(points) -> np.ndarray:
    """Node coordinates as float64 (n, 3); a flat (n, 2) array gets z = 0."""
    try:
        arr = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise MeshError(
            "points must be an (n, 3) array of numbers (every row the same length); got a ragged or non-numeric list"
        ) from None
    if arr.ndim == 2 and arr.shape[1] == 2:
        arr = np.hstack([arr, np.zeros((len(arr), 1))])
    if arr.ndim != 2 or arr.shape[1] != 3 or len(arr) == 0:
        raise MeshError(f"points must have shape (n, 3) with n >= 1, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise MeshError(
            f"the mesh has NaN or infinite node coordinates ({int((~np.isfinite(arr).any(axis=1)).sum())} nodes); "
            "fix or re-export the mesh"
        )
    return np.ascontiguousarray(arr)


def _cell_array(cells, n_nodes: int) -> np.ndarray:
    """Cells as int64 (n_cells, k): whole numbers, k in 3, 4, 6, 10, each a node of the mesh."""
    try:
        raw = np.asarray(cells)
        if raw.dtype == object or not (np.issubdtype(raw.dtype, np.number) or raw.dtype == bool):
            raise ValueError
    except (TypeError, ValueError):
        raise MeshError(
            "cells must be an (n, 4|10) or (n, 3|6) array of node indices (every row the same length); "
            "got a ragged or non-numeric list"
        ) from None
    if raw.ndim != 2 or raw.shape[1] not in (3, 4, 6, 10) or len(raw) == 0:
        raise MeshError(f"cells must have shape (n, 4|10) or (n, 3|6) with n >= 1, got {raw.shape}")
    if raw.dtype == bool:
        raise MeshError("cells must hold node indices (whole numbers), got booleans")
    if not np.issubdtype(raw.dtype, np.integer):
        if np.iscomplexobj(raw) or not np.isfinite(raw).all() or (raw != np.round(raw)).any():
            bad = raw.ravel()[np.flatnonzero(~np.isfinite(raw.ravel()) | (raw.ravel() != np.round(raw.ravel())))[0]]
            raise MeshError(f"cell node indices must be whole numbers, got {float(bad):g}; pass integer indices")
    lo, hi = raw.min(), raw.max()
    if lo < 0 or hi >= n_nodes:
        bad = lo if lo < 0 else hi
        raise MeshError(
            f"a cell refers to node {int(bad)}, but the mesh has nodes 0..{n_nodes - 1}; "
            "cell indices are 0-based and must index the points array"
        )
    return np.ascontiguousarray(raw, dtype=np.int64)


def _fmt_len(x: float) -> str:
    if x >= 1.0:
        return f"{x:.3g} m"
    if x >= 1e-4:
        return f"{x * 1e3:.3g} mm"
    return f"{x * 1e6:.3g} um"


def _likely_units(extent_m: float, units: str) -> list[tuple[str, float]]:
    """The units that make the file's numbers an object of plausible size, with the size (m)
    each gives, the nearest 0.3 m first (a 40-unit file: 40 cm, else 40 mm)."""
    raw = extent_m / UNITS[units]
    fits = [(u, raw * f) for u, f in UNITS.items() if u != units]
    fits = [(u, size) for u, size in fits if PLAUSIBLE_EXTENT[0] <= size <= PLAUSIBLE_EXTENT[1]]
    return sorted(fits, key=lambda us: abs(math.log(us[1] / 0.3)))


def _check_extent(points: np.ndarray, cells: np.ndarray, units: str, source: str, warn: bool = True) -> None:
    """Refuse absurd coordinates; warn about an object whose size suggests the wrong unit."""
    used = points[np.unique(cells)]
    big = float(np.abs(used).max())
    extent = float(np.ptp(used, axis=0).max())
    hint = "; check the file's length unit (load_mesh(..., units='mm'), --units mm|cm|in|m)"
    if big > MAX_COORDINATE or extent > MAX_EXTENT:
        raise MeshError(
            f"the mesh spans {extent:.3g} m (largest coordinate {big:.3g} m), beyond the {MAX_EXTENT:g} m "
            f"physsynth models{hint}"
        )
    if extent < MIN_EXTENT:
        raise MeshError(f"the mesh is only {extent:.3g} m across, under {MIN_EXTENT:g} m{hint}")
    lo, hi = PLAUSIBLE_EXTENT
    if warn and not lo <= extent <= hi:
        fits = _likely_units(extent, units)
        guess = ""
        if fits:
            word = {"m": "metres", "cm": "centimetres", "mm": "millimetres", "in": "inches"}
            sizes = ", ".join(f"{word.get(u, u)} ({_fmt_len(size)} across)" for u, size in fits)
            names = "|".join(u for u, _ in fits)
            guess = f"; if its coordinates are in {sizes}, pass units='{fits[0][0]}' (--units {names})"
        where = f"{source} " if source else "the mesh "
        log.warning(
            "warning: %sis %s across (units=%r), outside the %s..%s of a sounding object%s",
            where,
            _fmt_len(extent),
            units,
            _fmt_len(lo),
            _fmt_len(hi),
            guess,
        )


def _check_one_body(points: np.ndarray, cells: np.ndarray) -> None:
    """Refuse a mesh of several separate bodies: each would add rigid modes and no sound."""
    n = len(points)
    k = cells.shape[1]
    rows = np.repeat(np.arange(len(cells)), k)
    inc = sp.csr_matrix((np.ones(rows.size, dtype=np.int8), (rows, cells.ravel())), shape=(len(cells), n))
    # Two cells are one body when they share a node: components of the node graph linked by cells.
    adj = (inc.T @ inc).tocsr()
    used = np.unique(cells)
    n_comp, label = connected_components(adj[used][:, used], directed=False)
    if n_comp <= 1:
        return
    flat = k in (3, 6)
    size = np.abs(tri_areas(points, cells) if flat else tet_volumes(points, cells))
    cell_label = np.empty(n, dtype=np.int64)
    cell_label[used] = label
    per = np.bincount(cell_label[cells[:, 0]], weights=size, minlength=n_comp)
    order = np.argsort(per)[::-1]
    unit, f = ("cm^2", 1e4) if flat else ("cm^3", 1e6)
    shown = ", ".join(f"{per[i] * f:.3g}" for i in order[:5]) + (", ..." if n_comp > 5 else "")
    raise MeshError(
        f"the mesh holds {n_comp} separate bodies ({'areas' if flat else 'volumes'} {shown} {unit}); "
        "physsynth models one connected object: export or select one body (a surface file takes "
        "--body largest|N), or merge the parts' shared nodes if they are meant to be joined"
    )


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
    return Mesh(mesh.points[used], new[mesh.cells], regions, mesh.source, mesh.info)


def _unit_scale(units: str) -> float:
    if not isinstance(units, str):
        raise MeshError(f"units must be one of {', '.join(UNITS)}, got {units!r}")
    try:
        return UNITS[units]
    except KeyError:
        raise MeshError(f"unknown units {units!r}; use one of {', '.join(UNITS)}") from None


def check_path(path, units: str = "m") -> str:
    """The mesh file's path as a string, after checking it names a file and ``units`` a unit."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise MeshError(f"the mesh path must be a file name, got {path!r}") from None
    _unit_scale(units)
    if not os.path.exists(path):
        raise MeshError(f"mesh file not found: {path}")
    if os.path.isdir(path):
        raise MeshError(f"{path} is a directory, not a mesh file")
    return path


def meshio_read(path: str) -> meshio.Mesh:
    """``meshio.read`` with its prints silenced and every failure one MeshError."""
    try:
        # meshio prints to stdout and may call sys.exit() on a file it cannot parse
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return meshio.read(path)
    except (Exception, SystemExit) as exc:  # all of them mean "cannot read this"
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, SystemExit):
            msg = "not a mesh file meshio can parse"
        raise MeshError(
            f"cannot read mesh {path}: {msg} (supported: gmsh .msh, .vtu, .xdmf, .inp, "
            ".mesh and the other formats meshio reads)"
        ) from None


def read_volume(path, *, units: str = "m") -> Mesh | None:
    """A tetrahedral (or flat triangle) mesh from a file meshio reads; None for a file of
    triangles that are not flat (a surface, for :mod:`physsynth.mesh.tetra`).

    See :func:`physsynth.mesh.load_mesh`, which calls this for every file that is not a surface
    format."""

    path = check_path(path, units)
    m = meshio_read(path)

    blocks = [(i, c.type, c.data) for i, c in enumerate(m.cells)]
    vol = [(i, t, d) for i, t, d in blocks if t in _VOLUME_TYPES]
    flat = False
    if not vol and not any(t in _OTHER_VOLUME for _, t, _ in blocks):
        tris = [(i, t, d) for i, t, d in blocks if t in ("triangle", "triangle6")]
        pts = np.asarray(m.points, dtype=np.float64)
        if tris and (pts.shape[1] == 2 or _is_flat(pts, tris)):
            vol, flat = tris, True
        elif tris and not any(t in _OTHER_FLAT for _, t, _ in blocks):
            return None  # a surface
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
    # Cells of another kind beside the tetrahedra (triangles) would be dropped without a word,
    # and with them part of the object: refuse and name them.
    others = _OTHER_FLAT if flat else _OTHER_VOLUME
    dropped: dict[str, int] = {}
    for _, t, d in blocks:
        if t in others or (flat and t in _OTHER_VOLUME):
            dropped[t] = dropped.get(t, 0) + len(d)
    if dropped:
        kept = f"{sum(len(d) for _, _, d in vol)} {'/'.join(sorted(orders))}"
        extra = ", ".join(f"{c} {t}" for t, c in sorted(dropped.items()))
        fix = "re-mesh the whole object with triangles" if flat else "re-mesh the whole object with tetrahedra"
        raise MeshError(
            f"{path} mixes cell types ({kept} and {extra}); physsynth uses "
            f"{'triangles' if flat else 'tetrahedra'} only and would drop the rest: {fix} "
            "(in gmsh: Mesh.SubdivisionAlgorithm 1|2, or an unstructured mesh)"
        )

    cells = np.concatenate([d for _, _, d in vol]).astype(np.int64)
    offsets = {}
    n = 0
    for i, _, d in vol:
        offsets[i] = n
        n += len(d)
    points = np.asarray(m.points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] not in (2, 3):
        raise MeshError(f"{path}: node coordinates have shape {points.shape}, expected (n, 2) or (n, 3)")
    if points.shape[1] == 2:
        points = np.hstack([points, np.zeros((len(points), 1))])

    regions = _regions(m, blocks, offsets, cells, flat)
    return from_arrays(points, cells, regions=regions, source=os.path.abspath(path), units=units)


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

    Parameters
    ----------
    length, width, height : float, m
        Edges of the box, each in (0, ``MAX_EXTENT``].
    n : tuple of 3 int
        Divisions along x, y, z, each >= 1; at most ``MAX_GENERATED_NODES`` nodes in all.
    """

    length, width, height = (
        validate.positive(v, f"bar_mesh {name}", "m", hi=MAX_EXTENT, error=MeshError)
        for v, name in ((length, "length"), (width, "width"), (height, "height"))
    )
    if isinstance(n, (str, bytes)) or not hasattr(n, "__len__") or len(n) != 3:
        raise MeshError(f"bar_mesh n must be three whole numbers (nx, ny, nz), got {n!r}")
    nx, ny, nz = (validate.integer(v, f"bar_mesh n[{i}]", lo=1, error=MeshError) for i, v in enumerate(n))
    nodes = (nx + 1) * (ny + 1) * (nz + 1)
    if nodes > MAX_GENERATED_NODES:
        raise MeshError(
            f"bar_mesh n = {nx} x {ny} x {nz} makes {nodes:.3g} nodes, more than {MAX_GENERATED_NODES:.3g}; "
            "use fewer divisions"
        )
    # points, the 6 nx*ny*nz tetrahedra and their copies while checking (about 4 of each)
    validate.check_memory(
        4 * (nodes * 3 * 8 + 6 * nx * ny * nz * 4 * 8),
        f"a bar mesh of {nx} x {ny} x {nz} blocks",
        "use fewer divisions",
        error=MeshError,
    )
    from skfem import MeshTet

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


def save_mesh(mesh: Mesh, path) -> str:
    """Write ``mesh`` (a solid) with its surface regions, atomically, for inspection or reuse.

    ``.msh`` (gmsh 2.2): the tetrahedra as physical volume "volume" and each surface region's
    triangles as a named physical surface, so :func:`load_mesh` reads the regions back.
    ``.vtu`` / ``.vtk`` / ``.xdmf``: region numbers as the cell data ``CellEntityIds`` (0 for the
    tetrahedra, 1, 2, ... for the regions in name order). Returns the path written.
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".msh", ".vtu", ".vtk", ".xdmf"):
        raise MeshError(
            f"cannot write a volume mesh as {suffix or 'a file without a suffix'}: use .msh, .vtu, .vtk or .xdmf"
        )
    if mesh.dim != 3:
        raise MeshError("save_mesh writes solids (tetrahedra)")
    kind = "tetra" if mesh.order == 1 else "tetra10"
    blocks = [(n, r.triangles) for n, r in sorted(mesh.regions.items()) if r.triangles is not None and len(r.triangles)]
    cells = [(kind, mesh.cells)] + [("triangle", t) for _, t in blocks]
    tags = [np.zeros(len(mesh.cells), dtype=np.int64)] + [np.full(len(t), i + 1) for i, (_, t) in enumerate(blocks)]
    if suffix == ".msh":
        phys = [t + (1 if i == 0 else 10) for i, t in enumerate(tags)]
        field = {"volume": np.array([1, 3])} | {n: np.array([11 + i, 2]) for i, (n, _) in enumerate(blocks)}
        m = meshio.Mesh(
            mesh.points, cells, cell_data={"gmsh:physical": phys, "gmsh:geometrical": phys}, field_data=field
        )
        fmt = dict(file_format="gmsh22", binary=False)
    else:
        m = meshio.Mesh(mesh.points, cells, cell_data={"CellEntityIds": tags})
        fmt = {}
    with atomic_path(path, MeshError, suffix=suffix) as tmp:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            meshio.write(tmp, m, **fmt)
    return path
