"""Surface meshes in: read (trimesh), check, repair, thicken.

What users have is a triangle surface (STL from CAD, OBJ from a model library, PLY from a scan,
glTF from a game engine). This module turns one into a closed, consistently oriented surface of
one solid body, ready to be tetrahedralised (:mod:`physsynth.mesh.tetra`), and says what it
changed:

1. :func:`read_surface`: every format trimesh reads, with its groups (OBJ ``g``/``o``, the
   solids of an ASCII STL, the meshes of a glTF scene) kept as named face sets, in metres.
2. :func:`weld` and :func:`inspect_surface`: coincident vertices merged, degenerate and
   duplicate faces counted, boundary (open) edges, non-manifold edges, inconsistent winding,
   connected shells, and which shells are cavities of which.
3. :func:`prepare_surface`: the repairs (winding and orientation always; degenerate and
   duplicate faces dropped; small holes filled by MeshFix (pymeshfix); a body chosen among
   several), or a one-line refusal that says what to do; an open sheet made a closed wall of
   thickness ``T`` by :func:`thicken`.

Self-intersections are found by the tetrahedraliser (TetGen refuses them); the robust mesher
(fTetWild) then meshes the surface within an envelope instead (see :mod:`physsynth.mesh.tetra`).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
from dataclasses import dataclass, field

import numpy as np
import pymeshfix
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

from physsynth import validate
from physsynth._io import atomic_path
from physsynth.errors import MeshError
from physsynth.mesh.volume import Region, _unit_scale, check_path, from_arrays, meshio_read

__all__ = [
    "SURFACE_SUFFIXES",
    "Body",
    "Report",
    "Surface",
    "SurfaceCheck",
    "find_bodies",
    "inspect_surface",
    "is_surface_file",
    "meshfix",
    "orient_consistently",
    "prepare_surface",
    "flat_mesh",
    "read_surface",
    "surface_of",
    "thicken",
    "weld",
    "winding_number",
    "write_surface",
]

#: File suffixes read as surfaces (through trimesh).
SURFACE_SUFFIXES = (".stl", ".obj", ".ply", ".off", ".glb", ".gltf")
#: File suffixes :func:`write_surface` writes (OBJ and STL keep the groups).
WRITE_SUFFIXES = (".obj", ".stl", ".ply", ".off")
#: Holes filled without being asked: their filling may add at most this fraction of the area.
AUTO_FILL_AREA = 0.02
#: Largest surface read (faces): beyond it, decimate the file first.
MAX_FACES = 5_000_000


@dataclass(frozen=True)
class Surface:
    """A triangle surface in metres.

    Attributes
    ----------
    vertices : ndarray, shape (n, 3), m
    faces : ndarray of int, shape (m, 3)
    groups : dict of str to ndarray of int
        Named sets of face indices (OBJ groups, STL solids, glTF meshes).
    source : str
    """

    vertices: np.ndarray
    faces: np.ndarray
    groups: dict[str, np.ndarray] = field(default_factory=dict)
    source: str = ""

    @property
    def n_faces(self) -> int:
        return len(self.faces)

    def face_areas(self) -> np.ndarray:
        return 0.5 * np.linalg.norm(_face_cross(self.vertices, self.faces), axis=1)

    def area(self) -> float:
        """Surface area, m^2."""
        return float(self.face_areas().sum())

    def volume(self) -> float:
        """Signed enclosed volume, m^3 (positive for outward normals; meaningful when closed)."""
        p = self.vertices[self.faces]
        return float(np.einsum("ij,ij->i", p[:, 0], np.cross(p[:, 1], p[:, 2])).sum() / 6.0)

    def extent(self) -> float:
        """Largest side of the bounding box, m."""
        used = self.vertices[np.unique(self.faces)] if len(self.faces) else self.vertices
        return float(np.ptp(used, axis=0).max()) if len(used) else 0.0

    def subset(self, face_mask: np.ndarray) -> Surface:
        """The faces where ``face_mask`` is true, groups kept, unused vertices dropped."""
        idx = np.flatnonzero(face_mask)
        new_index = -np.ones(self.n_faces, dtype=np.int64)
        new_index[idx] = np.arange(len(idx))
        groups = {}
        for name, g in self.groups.items():
            g2 = new_index[g]
            g2 = g2[g2 >= 0]
            if len(g2):
                groups[name] = g2
        return _compact(Surface(self.vertices, self.faces[idx], groups, self.source))

    def face_labels(self) -> tuple[list[str], np.ndarray]:
        """Group names and, per face, the index of its group (-1 for none)."""
        names = sorted(self.groups)
        lab = -np.ones(self.n_faces, dtype=np.int64)
        for i, name in enumerate(names):
            lab[self.groups[name]] = i
        return names, lab


def _face_cross(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    return np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])


def _compact(s: Surface) -> Surface:
    used = np.unique(s.faces)
    if len(used) == len(s.vertices):
        return s
    new = -np.ones(len(s.vertices), dtype=np.int64)
    new[used] = np.arange(len(used))
    return Surface(s.vertices[used], new[s.faces], s.groups, s.source)


def surface_of(mesh) -> Surface:
    """The boundary of a tetrahedral :class:`~physsynth.mesh.Mesh` as a :class:`Surface`
    (corner nodes, outward normals), its surface regions as groups; a face in no region is in
    none. The way back from a volume mesh to what a CAD tool, Blender or a slicer reads."""
    if mesh.dim != 3:
        raise MeshError("surface_of takes a tetrahedral (volume) mesh; a flat mesh is its own surface")
    tri = mesh.boundary_triangles()
    key = _face_keys(tri, mesh.n_nodes)
    order = np.argsort(key)
    groups = {}
    for name, reg in mesh.regions.items():
        if reg.triangles is None or not len(reg.triangles):
            continue
        want = _face_keys(np.asarray(reg.triangles)[:, :3], mesh.n_nodes)
        pos = np.clip(np.searchsorted(key, want, sorter=order), 0, len(key) - 1)
        hit = key[order[pos]] == want
        if hit.any():
            groups[name] = np.unique(order[pos[hit]])
    return _compact(Surface(mesh.points, tri, groups, mesh.source))


def _face_keys(tri: np.ndarray, n: int) -> np.ndarray:
    """One integer per triangle, the same for any order of its nodes (n nodes, n^3 < 2^63)."""
    t = np.sort(np.asarray(tri, dtype=np.int64), axis=1)
    return (t[:, 0] * n + t[:, 1]) * n + t[:, 2]


def write_surface(s: Surface, path) -> str:
    """Write ``s`` (m) atomically as .obj (a ``g`` block per group), .stl (ASCII, a ``solid``
    per group), .ply or .off (binary PLY and OFF through trimesh; no groups). Faces in no group
    go in a block named ``surface``. Returns the path written."""
    path = os.fspath(path)
    low = path.lower()
    if not low.endswith(WRITE_SUFFIXES):
        raise MeshError(f"{path}: write a surface as {', '.join(WRITE_SUFFIXES)}")
    names, lab = s.face_labels()
    blocks = [(names[i], np.flatnonzero(lab == i)) for i in range(len(names))]
    rest = np.flatnonzero(lab < 0)
    if len(rest):
        blocks.append(("surface", rest))
    with atomic_path(path, error=MeshError, suffix=os.path.splitext(path)[1]) as tmp:
        if low.endswith(".obj"):
            with open(tmp, "w") as fh:
                fh.write(f"# {len(s.faces)} triangles, metres, written by physsynth from {s.source or 'arrays'}\n")
                fh.writelines(f"v {x:.9g} {y:.9g} {z:.9g}\n" for x, y, z in s.vertices)
                for name, idx in blocks:
                    fh.write(f"g {name}\n")
                    fh.writelines("f {} {} {}\n".format(*(t + 1)) for t in s.faces[idx])
        elif low.endswith(".stl"):
            n = _face_cross(s.vertices, s.faces)
            n = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)
            with open(tmp, "w") as fh:
                for name, idx in blocks:
                    fh.write(f"solid {name}\n")
                    for k in idx:
                        a, b, c = s.vertices[s.faces[k]]
                        fh.write(
                            f"facet normal {n[k, 0]:.6e} {n[k, 1]:.6e} {n[k, 2]:.6e}\n outer loop\n"
                            f"  vertex {a[0]:.9g} {a[1]:.9g} {a[2]:.9g}\n  vertex {b[0]:.9g} {b[1]:.9g} {b[2]:.9g}\n"
                            f"  vertex {c[0]:.9g} {c[1]:.9g} {c[2]:.9g}\n endloop\nendfacet\n"
                        )
                    fh.write(f"endsolid {name}\n")
        else:
            trimesh = _trimesh()
            trimesh.Trimesh(s.vertices, s.faces, process=False).export(tmp, file_type=low.rsplit(".", 1)[1])
    return path


def is_surface_file(path) -> bool:
    """Whether ``path`` names a surface format read by :func:`read_surface` (by its suffix)."""
    return os.fspath(path).lower().endswith(SURFACE_SUFFIXES)


def _trimesh():
    try:
        import trimesh
    except ImportError:  # a default dependency; only a broken install lacks it
        raise MeshError("reading surface meshes needs trimesh: pip install trimesh") from None
    return trimesh


def read_surface(path, *, units: str = "m") -> Surface:
    """Read a triangle surface (STL, OBJ, PLY, OFF, glTF/GLB) through trimesh.

    Groups become named face sets: OBJ groups and objects, the solids of an ASCII STL, the
    meshes (nodes) of a glTF scene, whose transforms are applied. Polygons are triangulated by
    trimesh. Coordinates are converted from ``units`` to metres.

    Raises
    ------
    MeshError
        Missing or unreadable file, a point cloud or a file without faces.
    """
    path = check_path(path, units)
    scale = _unit_scale(units)
    if not is_surface_file(path):
        return _read_meshio_surface(path, scale)
    trimesh = _trimesh()
    kwargs = {"split_groups": True, "group_material": False} if path.lower().endswith(".obj") else {}
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            scene = trimesh.load_scene(path, process=False, **kwargs)
            parts = scene.dump(concatenate=False) if hasattr(scene, "dump") else [scene]
    except Exception as exc:  # trimesh raises many kinds for a file it cannot parse
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MeshError(f"cannot read surface {path}: {msg} (supported: STL, OBJ, PLY, OFF, glTF/GLB)") from None
    meshes = [g for g in parts if hasattr(g, "faces") and len(getattr(g, "faces", ())) > 0]
    if not meshes:
        n_pts = sum(len(getattr(g, "vertices", ())) for g in parts)
        what = f"a point cloud of {n_pts} points" if n_pts else "empty"
        raise MeshError(
            f"{path} holds no triangles ({what}): physsynth needs a surface; reconstruct one first "
            "(e.g. screened Poisson reconstruction in MeshLab or Open3D)"
        )
    stem = os.path.splitext(os.path.basename(path))[0]
    verts, faces, groups, offset, n_face = [], [], {}, 0, 0
    for k, g in enumerate(meshes):
        v = np.asarray(g.vertices, dtype=np.float64)
        f = np.asarray(g.faces, dtype=np.int64)
        if f.ndim != 2 or f.shape[1] != 3:
            raise MeshError(f"{path}: faces of shape {f.shape}; expected triangles")
        verts.append(v)
        faces.append(f + offset)
        name = str((getattr(g, "metadata", None) or {}).get("name") or "").strip()
        if len(meshes) > 1 or (name and name != os.path.basename(path)):
            name = name if name and name != os.path.basename(path) else f"{stem}_{k}"
            groups.setdefault(name, []).append(np.arange(n_face, n_face + len(f)))
        offset += len(v)
        n_face += len(f)
    if n_face > MAX_FACES:
        raise MeshError(
            f"{path} has {n_face} triangles, more than the {MAX_FACES:.0e} physsynth reads; "
            "decimate it first (e.g. MeshLab's quadric edge collapse)"
        )
    vertices = np.concatenate(verts) * scale
    if not np.isfinite(vertices).all():
        raise MeshError(f"{path} has NaN or infinite vertex coordinates; fix or re-export it")
    faces = np.concatenate(faces)
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise MeshError(f"{path}: a face refers to a vertex that does not exist; re-export the file")
    groups = {n: np.concatenate(v) for n, v in groups.items()}
    return Surface(vertices, faces, groups, os.path.abspath(path))


def _read_meshio_surface(path: str, scale: float) -> Surface:
    """The triangles of a mesh file meshio reads (a surface .msh, .vtu, ...), groups from its cell sets."""
    m = meshio_read(path)
    faces, groups, n = [], {}, 0
    for i, c in enumerate(m.cells):
        if c.type in ("triangle", "triangle6"):
            faces.append(np.asarray(c.data[:, :3], dtype=np.int64))
            for name, per_block in (m.cell_sets or {}).items():
                idx = per_block[i] if i < len(per_block) else None
                if not name.startswith("gmsh:") and idx is not None and len(idx):
                    groups.setdefault(name, []).append(n + np.asarray(idx, dtype=np.int64))
            n += len(c.data)
    if not faces:
        raise MeshError(f"{path} holds no triangles or tetrahedra; physsynth needs a volume mesh or a surface")
    pts = np.asarray(m.points, dtype=np.float64)
    if pts.shape[1] == 2:
        pts = np.hstack([pts, np.zeros((len(pts), 1))])
    groups = {k: np.concatenate(v) for k, v in groups.items()}
    return _compact(Surface(pts * scale, np.concatenate(faces), groups, os.path.abspath(path)))


def flat_mesh(s: Surface):
    """A surface in a plane z = const as a plate/membrane Mesh (triangles), else None."""
    used = s.vertices[np.unique(s.faces)]
    if float(np.ptp(used[:, 2])) > 1e-9 * (float(np.ptp(used, axis=0).max()) or 1.0):
        return None
    s, _ = weld(s)
    regions = {n: Region(n, 2, np.unique(s.faces[g]), None, g) for n, g in s.groups.items()}
    return from_arrays(s.vertices, s.faces, regions=regions, source=s.source)


def weld(s: Surface, rel_tol: float = 1e-9) -> tuple[Surface, int]:
    """Merge vertices closer than ``rel_tol`` x the bounding-box diagonal (STL stores each
    triangle's corners apart). Returns the welded surface and the number of vertices merged."""
    v = s.vertices
    diag = float(np.linalg.norm(np.ptp(v, axis=0))) or 1.0
    q = np.round((v - v.min(axis=0)) / (rel_tol * diag)).astype(np.int64)
    _, first, inverse = np.unique(q, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    merged = len(v) - len(first)
    out = Surface(v[first], inverse[s.faces], s.groups, s.source)
    return _compact(out), merged


@dataclass
class SurfaceCheck:
    """What :func:`inspect_surface` found."""

    n_faces: int
    n_vertices: int
    degenerate: np.ndarray  # face mask
    duplicate: np.ndarray  # face mask (all but the first copy)
    boundary_edges: int
    nonmanifold_edges: int
    inconsistent_edges: int
    shell: np.ndarray  # per face, its connected shell
    n_shells: int
    shell_closed: np.ndarray  # per shell
    area: float
    flat: bool

    @property
    def closed(self) -> bool:
        return self.boundary_edges == 0 and self.nonmanifold_edges == 0

    @property
    def clean(self) -> bool:
        return self.closed and self.inconsistent_edges == 0 and not self.degenerate.any() and not self.duplicate.any()


def _edges(faces: np.ndarray):
    """Directed edges of each face, their undirected keys and, per key, the use count."""
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    key = np.sort(e, axis=1)
    uniq, inv, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    return e, key, uniq, inv.ravel(), counts


def inspect_surface(s: Surface) -> SurfaceCheck:
    """Degenerate and duplicate faces, open and non-manifold edges, winding, shells."""
    f = s.faces
    n = len(f)
    v = s.vertices
    diag = float(np.linalg.norm(np.ptp(v[np.unique(f)], axis=0))) or 1.0
    area2 = np.linalg.norm(_face_cross(v, f), axis=1)
    degenerate = (f[:, 0] == f[:, 1]) | (f[:, 1] == f[:, 2]) | (f[:, 0] == f[:, 2]) | (area2 <= 1e-14 * diag**2)
    key = np.sort(f, axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    duplicate = np.ones(n, dtype=bool)
    duplicate[first] = False
    duplicate &= ~degenerate
    good = ~(degenerate | duplicate)
    fg = f[good]
    e, _, uniq, inv, counts = _edges(fg)
    boundary = int((counts == 1).sum())
    nonmanifold = int((counts > 2).sum())
    # consistent winding: the two uses of a manifold edge run in opposite directions
    forward = e[:, 0] < e[:, 1]
    n_fwd = np.bincount(inv, weights=forward, minlength=len(uniq))
    inconsistent = int(((counts == 2) & (n_fwd != 1)).sum())
    # shells: faces connected through shared edges
    nf = len(fg)
    face_of = np.tile(np.arange(nf), 3)
    inc = sp.csr_matrix((np.ones(len(inv)), (face_of, inv)), shape=(nf, len(uniq)))
    n_shells, lab_good = connected_components(inc @ inc.T, directed=False)
    shell = -np.ones(n, dtype=np.int64)
    shell[good] = lab_good
    # a shell is closed when each of its edges is used exactly twice
    edge_shell = np.empty(len(uniq), dtype=np.int64)
    edge_shell[inv] = lab_good[face_of]
    open_edge = counts != 2
    closed = np.bincount(edge_shell[open_edge], minlength=n_shells) == 0
    used = v[np.unique(f)]
    flat = float(np.ptp(used[:, 2])) <= 1e-9 * (float(np.ptp(used, axis=0).max()) or 1.0)
    return SurfaceCheck(
        n,
        len(v),
        degenerate,
        duplicate,
        boundary,
        nonmanifold,
        inconsistent,
        shell,
        n_shells,
        closed,
        float(0.5 * area2.sum()),
        flat,
    )


def orient_consistently(s: Surface) -> tuple[Surface, int]:
    """Flip faces so that every manifold edge is used in opposite directions by its two faces
    (breadth-first over each shell). Returns the surface and the number of faces flipped."""
    f = s.faces.copy()
    n = len(f)
    e, _, uniq, inv, counts = _edges(f)
    face_of = np.tile(np.arange(n), 3)
    man = counts[inv] == 2
    order = np.argsort(inv[man], kind="stable")
    pairs_e = np.flatnonzero(man)[order].reshape(-1, 2)  # the two uses of each manifold edge
    fa, fb = face_of[pairs_e[:, 0]], face_of[pairs_e[:, 1]]
    same = e[pairs_e[:, 0], 0] == e[pairs_e[:, 1], 0]  # same direction: one of the two must flip
    adj = sp.csr_matrix(
        (np.concatenate([same, same]).astype(np.int8) + 1, (np.concatenate([fa, fb]), np.concatenate([fb, fa]))),
        shape=(n, n),
    )
    flip = np.zeros(n, dtype=bool)
    seen = np.zeros(n, dtype=bool)
    for start in range(n):
        if seen[start]:
            continue
        nodes, pred = breadth_first_order(adj, start, directed=False, return_predecessors=True)
        seen[nodes] = True
        for node in nodes[1:]:
            p = pred[node]
            flip[node] = flip[p] ^ (adj[node, p] == 2)
    f[flip] = f[flip][:, [0, 2, 1]]
    return Surface(s.vertices, f, s.groups, s.source), int(flip.sum())


def _shell_volumes(s: Surface, shell: np.ndarray, n_shells: int) -> np.ndarray:
    p = s.vertices[s.faces]
    vol = np.einsum("ij,ij->i", p[:, 0], np.cross(p[:, 1], p[:, 2])) / 6.0
    ok = shell >= 0
    return np.bincount(shell[ok], weights=vol[ok], minlength=n_shells)


def winding_number(s: Surface, face_mask: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Generalised winding number of the faces in ``face_mask`` at ``points`` (1 inside a closed,
    outward-oriented shell, 0 outside): the solid angle sum of van Oosterom and Strackee (1983)."""
    tri = s.vertices[s.faces[face_mask]]
    out = np.empty(len(points))
    for i, q in enumerate(points):
        a, b, c = tri[:, 0] - q, tri[:, 1] - q, tri[:, 2] - q
        la, lb, lc = (np.linalg.norm(x, axis=1) for x in (a, b, c))
        det = np.einsum("ij,ij->i", a, np.cross(b, c))
        den = (
            la * lb * lc
            + np.einsum("ij,ij->i", a, b) * lc
            + np.einsum("ij,ij->i", b, c) * la
            + np.einsum("ij,ij->i", c, a) * lb
        )
        out[i] = np.arctan2(det, den).sum() / (2 * np.pi)
    return out


@dataclass(frozen=True)
class Body:
    """A solid: an outer shell and the cavity shells inside it (indices of shells)."""

    outer: int
    cavities: tuple[int, ...]  # the other shells of the body: cavities and shells cutting the outer
    volume: float  # m^3, cavities subtracted
    intersecting: bool = False  # shells that cut each other (meshed as their union by fTetWild)


def find_bodies(s: Surface, shell: np.ndarray, n_shells: int) -> tuple[Surface, list[Body]]:
    """Orient each closed shell outward (cavities inward) and group cavities with their body.

    ``s`` must have consistent winding within each shell and every shell closed."""
    vol = _shell_volumes(s, shell, n_shells)
    f = s.faces.copy()
    neg = vol < 0
    flipme = neg[shell] & (shell >= 0)
    f[flipme] = f[flipme][:, [0, 2, 1]]
    vol = np.abs(vol)
    s = Surface(s.vertices, f, s.groups, s.source)
    # nesting: shell j inside shell i when a vertex of j has winding number ~1 w.r.t. i
    depth_parent = [-1] * n_shells
    order = np.argsort(vol)[::-1]
    merged = list(range(n_shells))  # shells that cut each other are one body (their union)
    if n_shells > 1:
        rng = np.random.default_rng(0)
        probes = []
        for j in range(n_shells):
            verts = np.unique(f[shell == j])
            probes.append(s.vertices[rng.choice(verts, size=min(16, len(verts)), replace=False)])
        inside = np.zeros((n_shells, n_shells), dtype=bool)  # inside[i, j]: j in i
        for i in order:
            for j in range(n_shells):
                if j == i or vol[j] > vol[i]:
                    continue
                w = winding_number(s, shell == i, probes[j]) > 0.5
                if w.all():
                    inside[i, j] = True
                elif w.any():
                    merged[j] = merged[i]
        for j in range(n_shells):
            containers = [i for i in range(n_shells) if inside[i, j]]
            if containers:  # the smallest container is the direct parent
                depth_parent[j] = min(containers, key=lambda i: vol[i])
    depth = [0] * n_shells
    for j in range(n_shells):
        k, d = j, 0
        while depth_parent[k] >= 0:
            k, d = depth_parent[k], d + 1
        depth[j] = d
    bodies = []
    ff = s.faces.copy()
    for i in range(n_shells):
        if depth[i] % 2 == 0:
            if merged[i] != i:
                continue  # part of the union of the shell it cuts
            parts = [j for j in range(n_shells) if merged[j] == i]
            cav = tuple(j for j in range(n_shells) if depth_parent[j] in parts)
            # a union's volume is not the sum of its parts: an upper bound, for the listing
            vol_i = float(sum(vol[j] for j in parts) - sum(vol[j] for j in cav))
            bodies.append(Body(i, tuple(parts[1:]) + cav, vol_i, len(parts) > 1))
        else:  # a cavity: its normals point into the hole, away from the material
            m = shell == i
            ff[m] = ff[m][:, [0, 2, 1]]
    bodies.sort(key=lambda b: -b.volume)
    return Surface(s.vertices, ff, s.groups, s.source), bodies


def cavity_points(s: Surface) -> np.ndarray:
    """A point inside each cavity of a closed, oriented surface (shells of negative volume):
    the centroid of the cavity's largest face moved a little into the cavity."""
    chk = inspect_surface(s)
    vol = _shell_volumes(s, chk.shell, chk.n_shells)
    pts = []
    for i in np.flatnonzero(vol < 0):
        faces = np.flatnonzero(chk.shell == i)
        cr = _face_cross(s.vertices, s.faces[faces])
        k = int(np.argmax(np.linalg.norm(cr, axis=1)))
        a = np.linalg.norm(cr[k])
        c = s.vertices[s.faces[faces[k]]].mean(axis=0)
        pts.append(c + 0.05 * math.sqrt(a) * cr[k] / a)
    return np.array(pts).reshape(-1, 3)


def boundary_loops(s: Surface) -> list[np.ndarray]:
    """The open boundary as closed loops of vertex indices (manifold boundaries)."""
    e, _, uniq, inv, counts = _edges(s.faces)
    b = e[counts[inv] == 1]
    nxt = {}
    for a, c in b:
        nxt.setdefault(int(a), []).append(int(c))
    loops, used = [], set()
    for a, c in b:
        if (int(a), int(c)) in used:
            continue
        loop = [int(a)]
        cur = int(c)
        used.add((int(a), int(c)))
        while cur != loop[0] and len(loop) <= len(b):
            loop.append(cur)
            cand = [x for x in nxt.get(cur, []) if (cur, x) not in used]
            if not cand:
                break
            used.add((cur, cand[0]))
            cur = cand[0]
        loops.append(np.array(loop))
    return loops


def loop_area(v: np.ndarray, loop: np.ndarray) -> float:
    """Area (m^2) of the flattest surface a boundary loop spans (its vector area)."""
    p = v[loop]
    return 0.5 * float(np.linalg.norm(np.cross(p, np.roll(p, -1, axis=0)).sum(axis=0)))


def thicken(s: Surface, thickness: float, *, side: str = "mid") -> Surface:
    """A closed solid wall of ``thickness`` (m) from an open sheet.

    The sheet is offset along its normals: ``side="mid"`` (default) makes it the mid-surface of
    the wall, as in shell theory; ``"in"`` puts the wall behind the sheet (the sheet is the outer
    face, normals pointing out), ``"out"`` in front. Each vertex moves along the direction that
    keeps every adjacent face at the requested distance (a mitred offset, exact at folds),
    and the open boundary is stitched with a strip of side faces. The sheet's faces must be
    consistently oriented. The sheet's groups are kept on both faces of the wall; the rim strip
    becomes the group ``"rim"``.
    """
    validate.positive(thickness, "thickness", "m", error=MeshError)
    if side not in ("mid", "in", "out"):
        raise MeshError(f"thickness side must be mid, in or out, got {side!r}")
    v, f = s.vertices, s.faces
    fn = _face_cross(v, f)
    fn /= np.linalg.norm(fn, axis=1, keepdims=True)
    nv = len(v)
    # mitred offset direction d per vertex: least squares d . n_f = 1 over the adjacent faces
    A = np.zeros((nv, 3, 3))
    rhs = np.zeros((nv, 3))
    for k in range(3):
        np.add.at(A, f[:, k], fn[:, :, None] * fn[:, None, :])
        np.add.at(rhs, f[:, k], fn)
    mean = rhs / np.linalg.norm(rhs, axis=1, keepdims=True).clip(1e-300)
    A += 1e-3 * np.einsum("i,jk->ijk", np.linalg.norm(rhs, axis=1), np.eye(3)) / 3
    d = np.linalg.solve(A, rhs[:, :, None])[:, :, 0]
    scale = np.linalg.norm(d, axis=1)
    cap = scale > 3.0  # a needle-sharp fold: cap the mitre at 3 thicknesses
    d[cap] = mean[cap] * 3.0
    top, bot = {"mid": (0.5, -0.5), "in": (0.0, -1.0), "out": (1.0, 0.0)}[side]
    v_top = v + top * thickness * d
    v_bot = v + bot * thickness * d
    # the offset faces must keep their orientation: a wall thicker than the sheet's radius of
    # curvature folds over itself
    for w, c, what in ((v_top, top, "front"), (v_bot, bot, "back")):
        if c == 0.0:
            continue
        if (np.einsum("ij,ij->i", _face_cross(w, f), fn) <= 0).any():
            raise MeshError(
                f"a wall of {thickness:g} m folds over itself on the {what} of this sheet (the sheet "
                "curves more tightly than the thickness): give a smaller --thickness or a smoother sheet"
            )
    loops = boundary_loops(s)
    if not loops:
        raise MeshError("this surface is closed: --thickness is for open sheets (a closed surface is already a solid)")
    e, _, uniq, inv, counts = _edges(f)
    b = e[counts[inv] == 1]  # boundary edges in the sheet's face direction
    faces = [f, f[:, [0, 2, 1]] + nv]
    # side strip: the sheet's edge a->b (front, outward normals) meets the back copy
    side_faces = np.concatenate(
        [np.stack([b[:, 1], b[:, 0], b[:, 0] + nv], 1), np.stack([b[:, 1], b[:, 0] + nv, b[:, 1] + nv], 1)]
    )
    faces.append(side_faces)
    nf = len(f)
    groups = {n: np.concatenate([g, g + nf]) for n, g in s.groups.items()}
    groups["rim"] = np.arange(2 * nf, 2 * nf + len(side_faces))
    out = Surface(np.concatenate([v_top, v_bot]), np.concatenate(faces), groups, s.source)
    if out.volume() < 0:
        out = Surface(out.vertices, out.faces[:, [0, 2, 1]], out.groups, out.source)
    return out


@dataclass
class Report:
    """What was found and changed on the way from the file to a closed surface."""

    lines: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    def add(self, line: str, **counts) -> None:
        self.lines.append(line)
        self.counts.update(counts)

    def __str__(self) -> str:
        return "; ".join(self.lines) if self.lines else "clean surface, nothing changed"


def _pct(new: float, old: float) -> str:
    return f"{100.0 * (new - old) / old:+.2f} %" if old else "n/a"


def meshfix(s: Surface) -> Surface:
    """Repair with MeshFix (Attene 2010, through pymeshfix): holes filled, non-manifold and
    self-intersecting parts removed and re-filled. Groups are lost (mapped back later)."""
    with contextlib.redirect_stdout(io.StringIO()):
        mf = pymeshfix.MeshFix(np.ascontiguousarray(s.vertices), np.ascontiguousarray(s.faces, dtype=np.int32))
        mf.repair(joincomp=False, remove_smallest_components=False)
        v, f = np.asarray(mf.points, dtype=np.float64), np.asarray(mf.faces, dtype=np.int64)
    if len(f) == 0:
        raise MeshError("MeshFix could not close this surface (it removed every face); re-export or repair it by hand")
    return Surface(v, f, {}, s.source)


def prepare_surface(
    s: Surface,
    *,
    thickness: float | None = None,
    side: str = "mid",
    repair: str = "auto",
    body: str | int | None = None,
) -> tuple[Surface, Report, list[Body]]:
    """A closed, outward-oriented surface of one solid from ``s``, and what was changed.

    Parameters
    ----------
    thickness : float, optional, m
        Make an open sheet a closed wall this thick (:func:`thicken`).
    side : {"mid", "in", "out"}
        Where the wall lies relative to the sheet.
    repair : {"auto", "yes", "no"}
        ``"auto"`` fixes winding and orientation, drops degenerate and duplicate faces and
        fills holes whose filling adds under 2 % of the area; ``"yes"`` also fills larger holes
        and repairs non-manifold edges with MeshFix; ``"no"`` refuses any surface that is not
        already clean.
    body : "largest", "all", int or None
        Which of several separate bodies to keep (0 = the largest); None refuses several.

    Returns
    -------
    surface, report, bodies
        ``bodies`` lists every body found (largest first) before the choice.
    """
    if repair not in ("auto", "yes", "no"):
        raise MeshError(f"repair must be auto, yes or no, got {repair!r}")
    report = Report()
    area0 = s.area()
    s, merged = weld(s)
    # coincident vertices (STL stores each triangle's corners apart; OBJ groups are read apart)
    # are merged silently: the geometry is unchanged
    report.counts["merged_vertices"] = merged
    chk = inspect_surface(s)
    if chk.flat and thickness is None:
        raise MeshError(
            "this surface is flat: as a plate it is read by physsynth directly (a flat triangle mesh in the "
            "xy-plane); as a solid it needs --thickness T"
        )
    bad = chk.degenerate | chk.duplicate
    if bad.any():
        if repair == "no":
            raise MeshError(
                f"{int(chk.degenerate.sum())} degenerate and {int(chk.duplicate.sum())} duplicate faces; "
                "allow repair (--repair auto) or fix the file"
            )
        s = s.subset(~bad)
        report.add(
            f"{int(chk.degenerate.sum())} degenerate and {int(chk.duplicate.sum())} duplicate faces removed",
            degenerate_faces=int(chk.degenerate.sum()),
            duplicate_faces=int(chk.duplicate.sum()),
        )
        chk = inspect_surface(s)
    if chk.nonmanifold_edges:
        if repair != "yes":
            raise MeshError(
                f"the surface has {chk.nonmanifold_edges} non-manifold edges (more than two faces on one edge): "
                "pass --repair yes to rebuild it with MeshFix, or fix the file"
            )
    if chk.inconsistent_edges and not chk.nonmanifold_edges:
        if repair == "no":
            raise MeshError(f"{chk.inconsistent_edges} edges with inconsistent face winding; allow --repair auto")
        s, n_flip = orient_consistently(s)
        report.add(f"{n_flip} faces flipped to a consistent winding", flipped_faces=n_flip)
        chk = inspect_surface(s)

    if thickness is not None:
        if chk.closed:
            raise MeshError(
                "this surface is closed, so it is already a solid: drop --thickness (it is for open sheets)"
            )
        if chk.nonmanifold_edges:
            raise MeshError("an open sheet with non-manifold edges cannot be thickened; fix the file")
        if chk.n_shells > 1:
            raise MeshError(
                f"this file holds {chk.n_shells} separate sheets; --thickness thickens one sheet: export one"
            )
        s = thicken(s, thickness, side=side)
        report.add(
            f"open sheet made a closed wall {thickness * 1e3:.3g} mm thick ({side}), "
            f"volume {s.volume() * 1e6:.4g} cm^3",
            thickness=thickness,
        )
        chk = inspect_surface(s)

    if not chk.closed:
        loops = boundary_loops(s) if not chk.nonmanifold_edges else []
        hole = sum(loop_area(s.vertices, lp) for lp in loops)
        frac = hole / max(chk.area, 1e-300)
        if repair == "yes" or (repair == "auto" and loops and frac <= AUTO_FILL_AREA):
            vol0 = abs(s.volume()) if not chk.nonmanifold_edges else float("nan")
            n0 = s.n_faces
            s = meshfix(s)
            s, _ = weld(s)
            chk = inspect_surface(s)
            if not chk.closed:
                raise MeshError("MeshFix could not close this surface; re-export it closed, or fix it by hand")
            what = f"{len(loops)} holes filled" if loops else "non-manifold parts rebuilt"
            report.add(
                f"{what} by MeshFix ({n0} -> {s.n_faces} faces, area {_pct(s.area(), area0)}, "
                f"volume {_pct(abs(s.volume()), vol0) if math.isfinite(vol0) else 'n/a'} against the open surface)",
                holes_filled=len(loops),
            )
        else:
            per = sum(
                float(np.linalg.norm(np.diff(s.vertices[np.r_[lp, lp[:1]]], axis=0), axis=1).sum()) for lp in loops
            )
            raise MeshError(
                f"the surface is open: {len(loops)} boundary loops ({chk.boundary_edges} edges, perimeter "
                f"{per * 1e3:.4g} mm) whose filling would add {100 * frac:.3g} % of the area; if it is a sheet "
                "(a bowl or bell as one surface) give --thickness T; to close the holes as a solid, pass --repair yes"
            )

    before = s.faces
    s, bodies = find_bodies(s, chk.shell, chk.n_shells)
    turned = int((s.faces != before).any(axis=1).sum())
    if turned:
        report.add(f"{turned} faces turned so that the normals point out of the material", turned_faces=turned)
    if len(bodies) > 1:
        vols = ", ".join(f"{b.volume * 1e6:.4g}" for b in bodies[:6]) + (", ..." if len(bodies) > 6 else "")
        if body is None:
            raise MeshError(
                f"the file holds {len(bodies)} separate bodies (volumes {vols} cm^3, largest first); physsynth "
                "models one object: pick one with --body largest or --body N (0 = largest)"
            )
        if body == "all":
            pick = bodies
        else:
            k = 0 if body == "largest" else validate.integer(body, "--body", lo=0, error=MeshError)
            if k >= len(bodies):
                raise MeshError(f"--body {k}: the file holds bodies 0..{len(bodies) - 1} (0 = largest)")
            pick = [bodies[k]]
        keep_shells = {sh for b in pick for sh in (b.outer, *b.cavities)}
        chk2 = inspect_surface(s)
        s = s.subset(np.isin(chk2.shell, list(keep_shells)))
        report.add(
            f"{len(pick)} of {len(bodies)} bodies kept (volume {sum(b.volume for b in pick) * 1e6:.4g} cm^3)",
            bodies=len(bodies),
        )
    vol = abs(s.volume())
    if vol <= 1e-9 * s.extent() ** 3:
        raise MeshError("the surface encloses no volume (degenerate geometry); check the file")
    return s, report, bodies
