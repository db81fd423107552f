"""Surface to volume: an element size the physics needs, TetGen or fTetWild, regions, cache.

:func:`surface_mesh` takes a surface file (or a :class:`~physsynth.mesh.surface.Surface`)
through :func:`~physsynth.mesh.surface.prepare_surface` and a tetrahedraliser to a checked
:class:`~physsynth.mesh.Mesh`:

- **Size.** ``size`` (m), or ``target_dofs`` (the P1/P2 elasticity DOF count), or, by default,
  a size from the shortest wavelength below ``fmax``: the shear wavelength ``c_T / fmax`` and,
  for a thin wall, the bending wavelength of a plate as thick as the wall (estimated as
  ``2 V / A``), divided by :data:`ELEMENTS_PER_WAVELENGTH` (for order 2; 2.5x more for order 1),
  and never coarser than the wall (one quadratic element through the thickness).
- **Mesher.** TetGen (Si 2015) for a clean surface: a constrained Delaunay tetrahedralisation
  with radius-edge ratio <= 1.5 that keeps the surface; fTetWild (Hu et al. 2020) for a
  self-intersecting one, skinny CAD triangles, or a scan of a wall thinner than the elements
  (it remeshes within an envelope of 1e-3 of the diagonal); gmsh on request. ``mesher=`` forces one.
- **Regions.** Each boundary triangle of the volume mesh takes the group of the nearest input
  face, so OBJ groups, STL solids and glTF meshes become regions for clamps, strikes, pickups.
- **Cache.** Keyed by the file's bytes and every option, under ``$XDG_CACHE_HOME/physsynth/meshes``.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import importlib.machinery
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

import fast_simplification
import numpy as np
import pymeshfix
import tetgen

from physsynth import validate
from physsynth._progress import log, step
from physsynth._version import __version__
from physsynth.errors import MeshError
from physsynth.materials import get_material
from physsynth.mesh.surface import Surface, cavity_points, flat_mesh, inspect_surface, prepare_surface, read_surface
from physsynth.mesh.volume import TET_EDGES, Mesh, Region, _check_extent, from_arrays, tet_volumes

__all__ = [
    "MESHERS",
    "element_size",
    "estimate_dofs",
    "mode_frequency_estimate",
    "resample",
    "self_intersections",
    "surface_mesh",
    "tetrahedralize",
    "wall_thickness",
]

MESHERS = ("auto", "tetgen", "ftetwild", "gmsh")
#: Quadratic elements per shortest wavelength for the default size (about 1 % on the modes).
ELEMENTS_PER_WAVELENGTH = 3.0
#: The default frequency (Hz) a size is chosen for when no fmax is given.
DEFAULT_FMAX = 10_000.0
#: Most elasticity DOFs a mesh made from a surface may have without being asked (``size``).
MAX_AUTO_DOFS = 400_000
CACHE_VERSION = 2
#: A surface of more triangles than this, and twice as many as the elements need, is decimated.
DENSE_SURFACE = 20_000
#: fast-simplification's aggressiveness for that decimation. Its default (7) left needle and cap
#: triangles (radius ratio 0.004) and folds of 174 degrees on scans of the bowl, where TetGen
#: then made clusters of micrometre tetrahedra (zero volume) in 3 of 5 scans; 2 left none in the
#: 5 scans and 2 blobs of benchmarks/bench_mesh.py's kind (1 failed to reach the face count on one).
DECIMATE_AGG = 2.0
#: A wall thinner than this many element edges (the height of a regular tetrahedron is 0.82 h)
#: cannot hold elements of edge h within TetGen's radius-edge bound: it refines the wall. On the
#: decimated bowl scan (wall 2 mm, h 5.9 mm) that made 721k DOFs where 89k were asked for.
THIN_WALL = 0.8
#: The thickest wall, in element edges, a default size allows (quadratic elements bend well
#: with one element through the wall).
WALL_ELEMENTS = 1.0 / 3.0


def _dofs(n_vertices: int, n_edges: int, order: int) -> int:
    return 3 * (n_vertices + (n_edges if order == 2 else 0))


def estimate_dofs(volume: float, area: float, h: float, order: int = 2) -> int:
    """Elasticity DOFs of a tetrahedral mesh of edge ``h`` (m) filling ``volume`` (m^3) under a
    surface of ``area`` (m^2).

    Measured on TetGen and fTetWild meshes of spheres and thin shells: about one vertex per
    ``h^3 / 4`` of volume, and at least one per ``0.87 h^2`` of surface (a wall one element thick
    is all surface); about 6 edges per vertex (a quadratic mesh has a node on each)."""
    nv = max(volume / (h**3 / 4.0), area / (0.87 * h**2))
    return int(3 * nv * (1 + (6.0 if order == 2 else 0)))


def wall_thickness(s: Surface) -> float:
    """A wall thickness estimate, m: ``2 V / A`` (exact for a thin shell, 2r/3 for a sphere)."""
    return 2.0 * abs(s.volume()) / max(s.area(), 1e-300)


def _wave(material):
    mat = material if material is not None else get_material("steel")
    E, nu, rho = mat.E, mat.nu, mat.rho
    c_t = math.sqrt(E / (2 * (1 + nu) * rho))
    c_l = math.sqrt(E * (1 - nu) / ((1 + nu) * (1 - 2 * nu) * rho))
    return E, nu, rho, c_t, c_l


def mode_frequency_estimate(s: Surface, n_modes: int, material=None) -> float:
    """An upper estimate (Hz) of the frequency of the ``n_modes``-th mode, by Weyl's law.

    The mode count below f of a solid of volume V (3D elastic Weyl law,
    ``N = 4 pi V f^3 (1/c_L^3 + 2/c_T^3) / 3``) plus that of a plate as thick as the wall with
    half the surface as its area (``N = A/2 k_b^2 / (4 pi)``): thin walls have many more low
    modes than their volume suggests. The asymptotic counts overestimate the frequency of the
    first modes, so the mesh errs on the fine side."""
    E, nu, rho, c_t, c_l = _wave(material)
    t = wall_thickness(s)
    V, A = abs(s.volume()), s.area()

    def count(f):
        n3 = 4 * math.pi * V * f**3 * (1 / c_l**3 + 2 / c_t**3) / 3
        kb2 = 2 * math.pi * f * math.sqrt(12 * rho * (1 - nu**2) / (E * t**2))
        return n3 + 0.5 * A * kb2 / (4 * math.pi)

    lo, hi = 1.0, 1e8
    for _ in range(80):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if count(mid) < n_modes else (lo, mid)
    return hi


def element_size(
    s: Surface, *, fmax: float | None = None, material=None, order: int = 2, n_modes: int | None = None
) -> tuple[float, str]:
    """The default element edge (m) for modes below ``fmax`` (Hz), or for the first
    ``n_modes`` (their frequency estimated by :func:`mode_frequency_estimate`), and why."""
    E, nu, rho, c_t, _ = _wave(material)
    if fmax is not None:
        f, what = float(fmax), f"{float(fmax):g} Hz"
    elif n_modes is not None:
        f = mode_frequency_estimate(s, n_modes, material)
        what = f"{f:.4g} Hz (an estimate of mode {n_modes})"
    else:
        f, what = DEFAULT_FMAX, f"{DEFAULT_FMAX:g} Hz"
    t = wall_thickness(s)
    lam_t = c_t / f
    # bending wavelength of a plate of the wall's thickness (Kirchhoff): k^4 = 12 w^2 rho (1-nu^2) / (E t^2)
    k_b = (12 * (2 * math.pi * f) ** 2 * rho * (1 - nu**2) / (E * t**2)) ** 0.25
    lam_b = 2 * math.pi / k_b
    lam = min(lam_t, lam_b)
    per = ELEMENTS_PER_WAVELENGTH * (1.0 if order == 2 else 2.5)
    h = lam / per
    kind = "bending" if lam_b < lam_t else "shear"
    why = f"{per:g} elements per {kind} wavelength {lam * 1e3:.3g} mm at {what}"
    if h * WALL_ELEMENTS > t:
        h, why = t / WALL_ELEMENTS, f"the wall, about {t * 1e3:.3g} mm thick"
    return h, why


def _radius_ratio(s: Surface) -> np.ndarray:
    """Triangle quality 4 sqrt(3) area / sum of squared edges (1 equilateral, 0 degenerate)."""
    p = s.vertices[s.faces]
    e2 = sum(np.sum((p[:, i] - p[:, j]) ** 2, axis=1) for i, j in ((0, 1), (1, 2), (2, 0)))
    area = 0.5 * np.linalg.norm(np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), axis=1)
    return 4 * math.sqrt(3) * area / np.maximum(e2, 1e-300)


def resample(s: Surface, h: float, *, coarsen: bool = False) -> tuple[Surface, str, str]:
    """The surface made fit for a mesher at element size ``h``: ``(surface, note, mesher)``,
    where ``mesher`` ("tetgen" or "ftetwild") is the one the surface suits.

    TetGen keeps every input triangle on the boundary, so the surface must already have about
    the element size: larger well-shaped triangles are split (trimesh's subdivision, exact on
    the facets), and skinny triangles (CAD exports) go to fTetWild unchanged. A much finer
    surface (a scan) is decimated (quadric error metric, fast-simplification): to about 0.7 of
    the element edge for TetGen; to the element edge for fTetWild (which remeshes it anyway,
    in 0.4 of the time the finer input takes) where the wall is thinner than
    :data:`THIN_WALL` elements, which TetGen would refine far below ``h``."""
    q = _radius_ratio(s)
    edges = np.linalg.norm(s.vertices[s.faces] - s.vertices[np.roll(s.faces, 1, axis=1)], axis=2)
    if np.quantile(q, 0.05) < 0.15:
        return s, "skinny surface triangles (CAD export): remeshed by fTetWild", "ftetwild"
    if edges.max() > 1.5 * h:
        import trimesh

        v, f = trimesh.remesh.subdivide_to_size(s.vertices, s.faces, max_edge=1.4 * h, max_iter=30)
        out = Surface(np.asarray(v, dtype=np.float64), np.asarray(f, dtype=np.int64), {}, s.source)
        return out, f"surface triangles split to the element size ({s.n_faces} -> {len(f)})", "tetgen"
    # Decimate a scan-like surface (more than DENSE_SURFACE triangles, over twice as many as
    # the elements need): the straight-sided elements cannot follow finer detail (the facets'
    # sag on a radius R is h^2 / 8R), and every surface vertex would become a node. When a DOF
    # count is asked for, any surface finer than that.
    full = s.area() / (math.sqrt(3) / 4 * h**2)  # faces of edge h
    trigger = 1.5 * full if coarsen else max(4 * full, DENSE_SURFACE)
    if s.n_faces <= max(trigger, 200):
        return s, "", "tetgen"
    thin = wall_thickness(s) < THIN_WALL * h
    target = int(full) if coarsen or thin else int(2 * full)
    with _quiet():
        v, f = fast_simplification.simplify(
            np.ascontiguousarray(s.vertices),
            np.ascontiguousarray(s.faces, dtype=np.int32),
            target_count=target,
            agg=DECIMATE_AGG,
        )
    out = Surface(np.asarray(v, dtype=np.float64), np.asarray(f, dtype=np.int64), {}, s.source)
    if not inspect_surface(out).clean or self_intersections(out):
        spoilt = "a surface much finer than the elements, which decimation would spoil: remeshed by fTetWild"
        return s, spoilt, "ftetwild"
    vol_change = 100 * (abs(out.volume()) / abs(s.volume()) - 1)
    note = f"surface decimated to the element size ({s.n_faces} -> {len(f)} faces, volume {vol_change:+.2f} %)"
    if thin:
        return out, note + f"; a wall thinner than {THIN_WALL:g} elements: meshed by fTetWild", "ftetwild"
    return out, note, "tetgen"


# ------------------------------------------------------------------ meshers
@contextlib.contextmanager
def _quiet():
    """Silence C++ libraries that print to the process's stdout/stderr."""
    saved = []
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            saved.append((fd, os.dup(fd)))
            os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass
    try:
        yield
    finally:
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)


def _run_child(fn, *args):
    """``fn(*args)`` (a mesher job of :data:`JOBS`) in a separate Python process, so that a crash
    of the C++ mesher (TetGen aborts on some inputs) is an error message, not the end of
    physsynth. A fresh interpreter (``python -m physsynth.mesh._child``), not a fork: a fork of a
    process whose BLAS / OpenMP threads run can crash the child's own threads (fTetWild's TBB),
    and multiprocessing's spawn re-runs the caller's script, which hangs one without a
    ``__main__`` guard. Arrays go through temporary .npz files."""
    name = next(k for k, v in JOBS.items() if v is fn)
    with tempfile.TemporaryDirectory(prefix="physsynth-mesher-") as tmp:
        src, dst = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(
            src,
            job=np.array(name),
            n_args=np.array(len(args)),
            **{f"arg{i}": np.asarray(a) for i, a in enumerate(args)},
        )
        # In the temporary folder: fTetWild writes a __tracked_surface.stl into its working
        # directory, which must not land in the user's.
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        proc = subprocess.run(
            [sys.executable, "-m", "physsynth.mesh._child", src, dst], capture_output=True, text=True, cwd=tmp, env=env
        )
        if proc.returncode != 0 or not os.path.exists(dst):
            tail = (proc.stderr.strip().splitlines() or [""])[-1]
            raise MeshError(f"the mesher crashed (exit code {proc.returncode}{': ' + tail if tail else ''})")
        with np.load(dst) as z:
            if "error" in z:
                raise MeshError(str(z["error"]))
            return z["points"].astype(np.float64), z["tets"].astype(np.int64)


def _tetgen_job(v, f, h, holes):
    tg = tetgen.TetGen(v, f.astype(np.int32))
    for p in holes:
        tg.add_hole(p)
    maxvol = h**3 / (6 * math.sqrt(2))  # a regular tetrahedron of edge h
    nodes, elem = tg.tetrahedralize(quality=True, minratio=1.5, mindihedral=10.0, maxvolume=maxvol, verbose=0)[:2]
    return np.asarray(nodes, dtype=np.float64), np.asarray(elem, dtype=np.int64)


def _ftetwild_module():
    """fTetWild's compiled wrapper from pytetwild, loaded without the package ``__init__``
    (which imports pyvista only for its PolyData accessor)."""
    spec = importlib.util.find_spec("pytetwild")
    if spec is None or not spec.submodule_search_locations:
        raise MeshError("this surface needs the robust mesher fTetWild: pip install 'physsynth[repair]' (pytetwild)")
    so = glob.glob(os.path.join(spec.submodule_search_locations[0], "PyfTetWildWrapper*.so"))
    if not so:
        raise MeshError("pytetwild is installed without its compiled fTetWild wrapper; reinstall pytetwild")
    name = "pytetwild.PyfTetWildWrapper"
    loader = importlib.machinery.ExtensionFileLoader(name, so[0])
    mod = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, so[0], loader=loader))
    loader.exec_module(mod)
    return mod


def _ftetwild_job(v, f, h, eps, simplify=True):
    """fTetWild on the surface (v, f), edge ``h``, envelope ``eps`` of the diagonal. Its own
    simplification of the input within the envelope is skipped (``simplify=False``) for a
    surface decimated to about ``h`` already: on the 9k-face bowl scan that took 10 of its 27 s
    of CPU time for 3 % fewer tetrahedra."""
    mod = _ftetwild_module()
    empty = (np.zeros((0, 3)), np.zeros((0, 4), dtype=np.int32), np.zeros(0))
    nodes, elem = mod.tetrahedralize_mesh(
        np.ascontiguousarray(v, dtype=np.float64),
        np.ascontiguousarray(f, dtype=np.uint32),
        True,  # optimize
        not bool(simplify),  # skip_simplify
        0.05,  # edge_length_r (ignored: the absolute length below)
        float(h),
        float(eps),
        10.0,  # stop energy
        False,  # coarsen
        0,  # threads: all
        80,  # optimisation passes
        6,
        True,  # quiet
        False,
        False,
        *empty,
    )
    return np.asarray(nodes, dtype=np.float64), np.asarray(elem, dtype=np.int64)


def _gmsh_job(v, f, h):
    try:
        import gmsh
    except ImportError:
        raise MeshError("--mesher gmsh needs gmsh: pip install 'physsynth[mesh]'") from None
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add("surface")
        tag = gmsh.model.addDiscreteEntity(2)
        nodes = np.arange(1, len(v) + 1)
        gmsh.model.mesh.addNodes(2, tag, nodes, v.ravel())
        gmsh.model.mesh.addElementsByType(tag, 2, [], (f + 1).ravel())
        gmsh.model.mesh.createGeometry()
        loop = gmsh.model.geo.addSurfaceLoop([tag])
        gmsh.model.geo.addVolume([loop])
        gmsh.model.geo.synchronize()
        gmsh.option.setNumber("Mesh.MeshSizeMax", h)
        gmsh.option.setNumber("Mesh.MeshSizeMin", 0.1 * h)
        gmsh.option.setNumber("Mesh.Optimize", 1)
        gmsh.model.mesh.generate(3)
        tags, coords, _ = gmsh.model.mesh.getNodes()
        etypes, _, enodes = gmsh.model.mesh.getElements(3)
        if 4 not in list(etypes):
            raise MeshError("gmsh made no tetrahedra from this surface")
        tets = np.asarray(enodes[list(etypes).index(4)], dtype=np.int64).reshape(-1, 4)
        index = np.zeros(int(tags.max()) + 1, dtype=np.int64)
        index[tags] = np.arange(len(tags))
        return np.asarray(coords, dtype=np.float64).reshape(-1, 3), index[tets]
    finally:
        gmsh.finalize()


JOBS = {"tetgen": _tetgen_job, "ftetwild": _ftetwild_job, "gmsh": _gmsh_job}


def _peel_flat(points: np.ndarray, tets: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Remove zero-volume tetrahedra with two or more faces on the boundary; returns the
    tetrahedra left, how many were removed and how many flat ones remain (too flat for the
    element checks of :func:`physsynth.mesh.from_arrays`).

    TetGen leaves such slivers where adjacent surface triangles are coplanar (a flat base, a
    decimated scan); with two faces on the boundary their other two faces lie in the same
    plane, so removing them leaves the solid's shape and volume unchanged. Flat tetrahedra
    inside the mesh are not touched (the caller falls back to another mesher)."""
    scale = 1e-14 * float(np.ptp(points, axis=0).max()) ** 3
    removed = 0
    for _ in range(10):
        flat = np.abs(tet_volumes(points, tets)) <= scale
        if not flat.any():
            break
        faces = np.sort(
            np.concatenate([tets[:, [1, 2, 3]], tets[:, [0, 2, 3]], tets[:, [0, 1, 3]], tets[:, [0, 1, 2]]]), 1
        )
        _, inv, counts = np.unique(faces, axis=0, return_inverse=True, return_counts=True)
        on_boundary = (counts[inv.ravel()] == 1).reshape(4, -1).sum(axis=0)
        peel = flat & (on_boundary >= 2)
        if not peel.any():
            break
        tets = tets[~peel]
        flat = flat[~peel]
        removed += int(peel.sum())
    return tets, removed, int(flat.sum())


def self_intersections(s: Surface) -> int:
    """Number of self-intersecting triangles (MeshFix's exact test; 0 for a clean surface)."""
    t = pymeshfix.PyTMesh()
    with _quiet():
        t.load_array(np.ascontiguousarray(s.vertices), np.ascontiguousarray(s.faces, dtype=np.int32))
        sel = t.select_intersecting_triangles()
    return len(sel)


def tetrahedralize(s: Surface, h: float, *, mesher: str = "auto", dirty: bool = False, coarsen: bool = False) -> tuple:
    """Tetrahedra (points, cells) filling the closed surface ``s`` with edges about ``h`` (m).

    ``mesher="auto"``: TetGen for a clean surface (falling back to fTetWild when it fails),
    fTetWild for a dirty one (``dirty``), skinny triangles, or a scan of a wall thinner than the
    elements (see :func:`resample`). Returns
    ``(points, tets, mesher_used, notes)``."""
    if mesher not in MESHERS:
        raise MeshError(f"unknown mesher {mesher!r}; use one of {', '.join(MESHERS)}")
    notes = []
    choice = mesher
    tg_surface = s
    if mesher in ("auto", "tetgen", "ftetwild") and not dirty:
        tg_surface, note, suits = resample(s, h, coarsen=coarsen)
        if mesher == "auto":
            choice = suits
        if note:
            notes.append(note)
    if mesher == "auto" and dirty:
        choice = "ftetwild"
    eps = 1e-3
    if choice == "tetgen":
        try:
            pts, tets = _run_child(_tetgen_job, tg_surface.vertices, tg_surface.faces, h, cavity_points(s))
            tets, peeled, flat = _peel_flat(pts, tets)
            if peeled:
                notes.append(f"{peeled} flat boundary tetrahedra (slivers between coplanar surface triangles) removed")
            if flat:
                raise MeshError(f"{flat} zero-volume tetrahedra (near-coplanar surface points)")
        except MeshError as exc:
            if mesher == "tetgen":
                raise MeshError(f"TetGen failed on this surface ({exc}); try --mesher ftetwild") from None
            notes.append(f"TetGen failed ({exc}); meshed by fTetWild instead")
            choice = "ftetwild"
    if choice == "ftetwild":
        try:
            src = s if dirty else tg_surface
            decimated = src is not s and src.n_faces < s.n_faces
            pts, tets = _run_child(_ftetwild_job, src.vertices, src.faces, h, eps, not decimated)
        except MeshError as exc:
            if "pip install" in str(exc):
                raise
            raise MeshError(
                f"fTetWild failed on this surface ({exc}); try --repair yes, a larger --size, or another mesher"
            ) from None
    elif choice == "gmsh":
        pts, tets = _run_child(_gmsh_job, s.vertices, s.faces, h)
    if len(tets) == 0:
        raise MeshError(f"{choice} made no tetrahedra from this surface; check that it encloses a volume")
    return pts, tets, choice, notes


def _transfer_groups(s: Surface, mesh: Mesh) -> dict[str, Region]:
    """Boundary triangles of ``mesh`` labelled by the group of the nearest face of ``s``."""
    if not s.groups:
        return {}
    from scipy.spatial import cKDTree

    names, lab = s.face_labels()
    tri = mesh.boundary_triangles()
    c = mesh.points[tri].mean(axis=1)
    fc = s.vertices[s.faces]
    tree = cKDTree(fc.mean(axis=1))
    k = min(8, s.n_faces)
    _, cand = tree.query(c, k=k)
    cand = np.atleast_2d(cand).reshape(len(c), k)
    # distance to each candidate's plane plus how far outside its triangle the foot lies
    n = np.cross(fc[:, 1] - fc[:, 0], fc[:, 2] - fc[:, 0])
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    best = np.full(len(c), np.inf)
    pick = cand[:, 0].copy()
    for j in range(k):
        f = cand[:, j]
        q = c - fc[f, 0]
        dn = np.einsum("ij,ij->i", q, n[f])
        foot = c - dn[:, None] * n[f]
        out = 0.0
        for a, b in ((0, 1), (1, 2), (2, 0)):
            e = fc[f, b] - fc[f, a]
            side = np.einsum("ij,ij->i", np.cross(e, foot - fc[f, a]), n[f])
            out = out + np.maximum(-side, 0.0) / np.linalg.norm(e, axis=1)
        d = np.abs(dn) + out
        better = d < best
        best[better] = d[better]
        pick[better] = f[better]
    tri_lab = lab[pick]
    regions = {}
    for i, name in enumerate(names):
        t = tri[tri_lab == i]
        if len(t):
            regions[name] = Region(name, 2, np.unique(t), t, None)
    return regions


def _count_edges(tets: np.ndarray) -> int:
    e = np.sort(tets[:, TET_EDGES].reshape(-1, 2), axis=1)
    return len(np.unique(e[:, 0] * (int(tets.max()) + 1) + e[:, 1]))


def min_dihedral(points: np.ndarray, tets: np.ndarray) -> float:
    """Smallest dihedral angle (degrees) over the tetrahedra."""
    p = points[tets[:, :4]]
    faces = ((1, 2, 3), (0, 3, 2), (0, 1, 3), (0, 2, 1))
    nrm = []
    for a, b, c in faces:
        n = np.cross(p[:, b] - p[:, a], p[:, c] - p[:, a])
        nrm.append(n / np.linalg.norm(n, axis=1, keepdims=True).clip(1e-300))
    worst = np.inf
    for i in range(4):
        for j in range(i + 1, 4):
            cosang = -np.einsum("ij,ij->i", nrm[i], nrm[j])
            worst = min(worst, float(np.degrees(np.arccos(np.clip(cosang, -1, 1))).min()))
    return worst


def cache_dir() -> str:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "physsynth", "meshes")


def _cache_key(path: str, options: dict) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    h.update(json.dumps({**options, "v": CACHE_VERSION, "physsynth": __version__}, sort_keys=True).encode())
    return h.hexdigest()[:24]


def _save_cache(path: str, mesh: Mesh) -> None:
    arrays = {"points": mesh.points, "cells": mesh.cells, "info": np.array(json.dumps(mesh.info))}
    for i, (name, r) in enumerate(mesh.regions.items()):
        arrays[f"region{i}_name"] = np.array(name)
        arrays[f"region{i}_nodes"] = r.nodes
        arrays[f"region{i}_tri"] = r.triangles if r.triangles is not None else np.zeros((0, 3), dtype=np.int64)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _load_cache(path: str, source: str) -> Mesh | None:
    try:
        with np.load(path) as z:
            regions = {}
            i = 0
            while f"region{i}_name" in z:
                name = str(z[f"region{i}_name"])
                regions[name] = Region(name, 2, z[f"region{i}_nodes"], z[f"region{i}_tri"], None)
                i += 1
            return Mesh(z["points"], z["cells"], regions, source, json.loads(str(z["info"])))
    except (OSError, ValueError, KeyError):
        return None


def surface_mesh(
    source,
    *,
    units: str = "m",
    thickness: float | None = None,
    side: str = "mid",
    repair: str = "auto",
    body=None,
    size: float | None = None,
    target_dofs: int | None = None,
    fmax: float | None = None,
    n_modes: int | None = None,
    material=None,
    order: int = 2,
    mesher: str = "auto",
    cache: bool = True,
) -> Mesh:
    """A tetrahedral volume :class:`Mesh` from a surface file or :class:`Surface`.

    Parameters
    ----------
    source : path or Surface
        STL, OBJ, PLY, OFF or glTF/GLB file (or an already read surface).
    units : {"m", "cm", "mm", "in"}
    thickness : float, optional, m
        Make an open sheet a closed wall of this thickness; ``side`` is mid, in or out.
    repair : {"auto", "yes", "no"}
        See :func:`~physsynth.mesh.surface.prepare_surface`.
    body : "largest", int or None
        Which of several bodies to mesh.
    size : float, optional, m
        Element edge length. Else ``target_dofs`` (elasticity DOFs at ``order``), else a size
        for the modes below ``fmax`` (Hz), or for the first ``n_modes``, else below 10 kHz, in
        ``material`` (default steel).
    mesher : {"auto", "tetgen", "ftetwild", "gmsh"}
    cache : bool
        Reuse (and store) the tetrahedralisation of the same file with the same options.

    Returns
    -------
    Mesh
        Linear tetrahedra (the FEM adds the quadratic nodes); ``mesh.info`` holds the report
        (what was repaired, the mesher, the size and why, quality figures).
    """
    if size is not None:
        size = validate.positive(size, "size", "m", error=MeshError)
    if target_dofs is not None:
        target_dofs = validate.integer(target_dofs, "target DOFs", lo=100, hi=50_000_000, error=MeshError)
        if size is not None:
            raise MeshError("give either a size or a target DOF count, not both")
    if fmax is not None:
        fmax = validate.positive(fmax, "fmax", "Hz", hi=validate.MAX_FREQUENCY, error=MeshError)
    if thickness is not None:
        thickness = validate.positive(thickness, "thickness", "m", error=MeshError)
    if order not in (1, 2):
        raise MeshError(f"element order must be 1 or 2, got {order!r}")
    if mesher not in MESHERS:
        raise MeshError(f"unknown mesher {mesher!r}; use one of {', '.join(MESHERS)}")
    if repair not in ("auto", "yes", "no"):
        raise MeshError(f"repair must be auto, yes or no, got {repair!r}")
    if body == "all":
        raise MeshError(
            "--body all: physsynth models one connected object (each body would add its own rigid-body "
            "modes); mesh the bodies one at a time (--body N), or `physsynth mesh --body all` to inspect them"
        )
    mat_key = None
    if material is not None:
        mat_key = [material.E, material.nu, material.rho]
    options = dict(
        units=units, thickness=thickness, side=side, repair=repair, body=body, size=size,
        target_dofs=target_dofs, fmax=fmax, n_modes=n_modes, material=mat_key, order=order, mesher=mesher,
    )  # fmt: skip
    key_path = None
    if isinstance(source, Surface):
        surf = source
        src_name = source.source
    else:
        path = os.fspath(source)
        src_name = os.path.abspath(path)
        if cache and os.path.isfile(path):
            key_path = os.path.join(cache_dir(), _cache_key(path, options) + ".npz")
            if os.path.exists(key_path):
                m = _load_cache(key_path, src_name)
                if m is not None:
                    log.info("using the cached volume mesh %s (%s)", key_path, m.info.get("summary", ""))
                    return m
        surf = read_surface(path, units=units)
        flat = flat_mesh(surf)
        if flat is not None:  # a plate or membrane outline: read as one, as a .msh of it would be
            return flat
    with step(f"checking the surface ({surf.n_faces} triangles)") as st:
        _check_extent(surf.vertices, surf.faces, units, src_name)
        surf, report, bodies = prepare_surface(surf, thickness=thickness, side=side, repair=repair, body=body)
        st["result"] = str(report)
    n_x = self_intersections(surf)
    dirty = n_x > 0
    if dirty:
        if repair == "no":
            raise MeshError(
                f"the surface intersects itself ({n_x} triangles); allow --repair auto (fTetWild meshes it robustly)"
            )
        report.add(f"{n_x} self-intersecting triangles: meshed by fTetWild within an envelope", self_intersecting=n_x)

    vol, area = abs(surf.volume()), surf.area()
    if size is not None:
        h, why = size, "given"
    elif target_dofs is not None:
        # invert estimate_dofs (it is monotone in h) by bisection on log h
        lo, hi = 1e-6 * surf.extent(), surf.extent()
        for _ in range(60):
            mid = math.sqrt(lo * hi)
            lo, hi = (mid, hi) if estimate_dofs(vol, area, mid, order) > target_dofs else (lo, mid)
        h, why = math.sqrt(lo * hi), f"for about {target_dofs} DOFs"
    else:
        h, why = element_size(surf, fmax=fmax, material=material, order=order, n_modes=n_modes)
    est = estimate_dofs(vol, area, h, order)
    if size is None and target_dofs is None and est > MAX_AUTO_DOFS:
        raise MeshError(
            f"this object needs elements of {h * 1e3:.3g} mm ({why}), about {est:.3g} "
            f"DOFs, more than the {MAX_AUTO_DOFS:.0e} physsynth meshes unasked: lower --fmax, or give --size "
            "or --target-dofs to accept the cost"
        )
    # the solve, not the meshing, is the memory bound: about 2 kB per DOF for the factor of a P2 solid
    validate.check_memory(
        est * 2500.0,
        f"a volume mesh of about {est:.3g} DOFs (elements {h * 1e3:.3g} mm)",
        "give a larger --size",
        error=MeshError,
    )
    t0 = time.perf_counter()
    with step(f"tetrahedralising (elements {h * 1e3:.3g} mm: {why}; about {est:.3g} DOFs)") as st:
        coarsen = target_dofs is not None  # a DOF budget asked for: the surface may be decimated
        pts, tets, used, notes = tetrahedralize(surf, h, mesher=mesher, dirty=dirty, coarsen=coarsen)
        for _ in range(2 if target_dofs is not None else 0):
            got = _dofs(len(np.unique(tets)), _count_edges(tets), order)
            if abs(got / target_dofs - 1) <= 0.15:
                break
            h *= (got / target_dofs) ** (1 / 3)  # DOFs go as h^-3
            pts, tets, used, notes = tetrahedralize(surf, h, mesher=mesher, dirty=dirty, coarsen=True)
        st["result"] = f"{len(tets)} tetrahedra by {used}"
    for n in notes:
        report.add(n)
    mesh = from_arrays(pts, tets, source=src_name, _unit_warning=False)  # the surface was checked
    regions = _transfer_groups(surf, mesh)
    dofs = _dofs(mesh.n_nodes, _count_edges(mesh.cells), order)
    info = dict(
        surface=src_name,
        report=str(report),
        changes=report.counts,
        mesher=used,
        size=h,
        size_reason=why,
        dofs=dofs,
        order=order,
        min_dihedral_deg=min_dihedral(mesh.points, mesh.cells),
        volume_change_pct=100.0 * (mesh.volume() - vol) / vol,
        seconds=time.perf_counter() - t0,
        thickness=thickness,
    )
    info["summary"] = (
        f"{mesh.n_cells} tetrahedra, {dofs} DOFs at order {order}, elements {h * 1e3:.3g} mm ({why}), by {used}"
    )
    mesh = replace(mesh, regions=regions, info=info)
    if key_path:
        with contextlib.suppress(OSError):
            _save_cache(key_path, mesh)
    return mesh
