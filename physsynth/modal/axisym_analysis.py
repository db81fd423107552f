"""Modes of a body of revolution, one circumferential order at a time (fem/axisymmetric.py).

The section is meshed once and the order-free matrices assembled once; each order
n = 0, 1, 2, ... is then a small 2D eigenproblem K(n) x = omega^2 M x solved by the shared
pipeline (:func:`physsynth.modal.pipeline.eigen_solve`), until every mode below ``fmax`` (or
the lowest ``n_modes``) is found. A mode of order n >= 1 enters the model twice, as the exact
doublet cos(n theta) / sin(n theta); n = 0 modes (breathing, axial, torsional) once. The
result is an ordinary :class:`~physsynth.modal.model.ModalModel` on a tetrahedral mesh of the
revolved body (:func:`physsynth.profiles.revolve`), whose node values are the exact
shapes U cos(n theta), V sin(n theta), W cos(n theta) turned into Cartesian components, so
strikes, rubbing, pictures and exports work on it unchanged.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from physsynth import validate
from physsynth._progress import log, step
from physsynth.errors import MeshError, PhyssynthError, SolverError
from physsynth.fem import axisymmetric as axi
from physsynth.fem.selectors import is_predicate, parse_predicate
from physsynth.materials import Material
from physsynth.modal import linsolve, pipeline
from physsynth.modal.axisymmetric import circumferential_order
from physsynth.modal.model import ModalModel
from physsynth.profiles import Profile, Section, mesh_section, revolve

__all__ = [
    "modal_analysis_axisymmetric",
    "axisymmetric_request",
    "label_3d_modes",
    "OrderModes",
    "solve_order",
    "prepare",
    "F_SHIFT",
    "MAX_ORDER",
]

#: Shift (Hz) of the eigen-solver, as for solids.
F_SHIFT = 10.0
#: Highest circumferential order tried before giving up on reaching fmax / n_modes.
MAX_ORDER = 400
#: A mode whose M-weighted energy lies this much in the rigid-body subspace is a rigid mode.
RIGID_FRACTION = 0.9
#: Start each order's Krylov search from the previous order's modes.
START_FROM_PREVIOUS = True
#: Orders beyond the last one with a wanted mode that are solved to be sure none follows.
EXTRA_ORDERS = 2


@dataclass(frozen=True)
class OrderModes:
    """The elastic modes of one circumferential order.

    Attributes
    ----------
    n : int
    freqs : ndarray, shape (k,), Hz
    vecs : ndarray, shape (n_dofs, k)
        Section fields (U, V, W interleaved per scalar DOF), normalised so the 3D mode of the
        cos family has unit modal mass (phi^T M_3D phi = 1): x^T M x = 1 / (pi or 2 pi).
    lams : ndarray, shape (k,), rad^2/s^2
    n_rigid : int
        Rigid-body modes of this order dropped (per family).
    """

    n: int
    freqs: np.ndarray
    vecs: np.ndarray
    lams: np.ndarray
    n_rigid: int


def _weight(n: int) -> float:
    """int_0^{2 pi} cos^2(n theta) d theta."""
    return 2 * np.pi if n == 0 else np.pi


def select_fixed(disc: axi.AxisymmetricDiscretisation, section: Section, clamp) -> np.ndarray:
    """Vector DOFs held by clamps: profile labels (boundary parts) or predicates on (r, z).

    Predicates see x = r, y = 0 (the section at theta = 0), so ``"z<=0.001"`` and ``"r<0.01"`` work
    as on the solid."""
    if not clamp:
        return np.zeros(0, dtype=np.int64)
    locs = disc.doflocs
    pts3 = np.column_stack([locs[:, 0], np.zeros(len(locs)), locs[:, 1]])
    ext = float(np.ptp(locs, axis=0).max())
    chosen = np.zeros(len(locs), bool)
    for sel in clamp:
        name = sel.strip()
        if name in section.edges:
            e = section.edges[name]
            a, b = section.points[e[:, 0]], section.points[e[:, 1]]
            # DOFs on these edges: corners and mid-edge points
            cand = np.vstack([a, b, 0.5 * (a + b)])
            d = (
                np.linalg.norm(locs[:, None, :] - cand[None, :, :], axis=2).min(axis=1)
                if len(locs) * len(cand) < 5e7
                else None
            )
            if d is None:
                raise MeshError("the clamped region is too large to select; use a predicate")
            chosen |= d <= 1e-9 * ext
        elif is_predicate(name):
            mask = parse_predicate(name)(pts3, 1e-6 * ext)
            if not mask.any():
                raise PhyssynthError(f"--clamp {sel!r} selects no point of the section (r, z)")
            chosen |= mask
        else:
            known = ", ".join(sorted(k for k in section.edges if k != "axis")) or "(none)"
            raise PhyssynthError(
                f"--clamp {sel!r} is neither a part of the profile ({known}) nor a predicate like 'z<=0.001'"
            )
    if chosen.all():
        raise PhyssynthError("the clamps hold the whole section: nothing is left to vibrate; clamp a part")
    idx = np.flatnonzero(chosen)
    return np.concatenate([disc.comp[c][idx] for c in range(3)])


def solve_order(
    disc: axi.AxisymmetricDiscretisation,
    n: int,
    *,
    fixed=(),
    n_modes=None,
    fmax=None,
    solver: str = "auto",
    f_shift: float = F_SHIFT,
    max_modes: int = 2000,
    K=None,
    hint: int = 8,
    start=None,
) -> OrderModes:
    """The elastic modes of order ``n``: the lowest ``n_modes`` or all below ``fmax`` (Hz).

    ``start`` (shape (n_dofs, j), optional): modes of a neighbouring order, whose sum starts
    the Krylov search (the shapes change slowly with n: fewer iterations than a random start)."""
    fixed = np.asarray(fixed, dtype=np.int64)
    if K is None:
        T, Kr, Mr = disc.reduced(n, fixed)
    else:
        T = disc.axis_transform(n, fixed)
        Kr = (T.T @ K @ T).tocsr()
        Mr = (T.T @ disc.M @ T).tocsr()
    free_body = len(fixed) == 0
    n_rigid = 2 if (free_body and n <= 1) else 0
    nr = Kr.shape[0]
    if nr < 2:
        return OrderModes(n, np.zeros(0), np.zeros((disc.n_dofs, 0)), np.zeros(0), 0)
    limit = pipeline.mode_limit(nr)
    if limit - n_rigid < 1:
        return OrderModes(n, np.zeros(0), np.zeros((disc.n_dofs, 0)), np.zeros(0), 0)
    sigma = -((2 * np.pi * f_shift) ** 2)
    # Few modes of one order lie below fmax: start small (``hint``, from the previous order)
    # and double until the highest computed passes fmax, factorising K - sigma M once.
    k = min(n_modes, limit - n_rigid) if n_modes is not None else max(int(hint), 4)
    lam_max = (2 * np.pi * fmax) ** 2 if fmax is not None else None
    factor = None
    v0 = None
    if start is not None and np.size(start):
        v0 = T.T @ np.asarray(start).sum(axis=1)
        v0 = v0 if np.linalg.norm(v0) > 0 else None
    counted = _counted_solve(disc, n, fixed, Kr, Mr, sigma, lam_max, solver, limit, v0) if K is None else None
    if counted is not None:
        factor, count, vals, vecs = counted
        if count - n_rigid > max_modes:
            raise SolverError(
                f"more than {max_modes} modes of order {n} lie below fmax={fmax:g} Hz; lower fmax or raise max_modes"
            )
        if count <= n_rigid:
            return OrderModes(n, np.zeros(0), np.zeros((disc.n_dofs, 0)), np.zeros(0), 0)
    while counted is None:
        kk = min(k + n_rigid, limit)
        vals, vecs = linsolve.eigsh_shift_invert(Kr, Mr, kk, sigma, backend=solver, factor=factor)
        factor = linsolve.last_stats.get("factor")
        if lam_max is None or vals[-1] >= lam_max or kk >= limit:
            break
        if kk >= max_modes:
            raise SolverError(
                f"more than {max_modes} modes of order {n} lie below fmax={fmax:g} Hz; lower fmax or raise max_modes"
            )
        k = 2 * k
    if counted is None and lam_max is not None and vals[-1] < lam_max and kk >= limit:
        f_hi = math.sqrt(max(vals[-1], 1.0)) / (2 * np.pi)
        raise SolverError(
            f"the section gives at most {limit} modes of order {n}, which reach only {f_hi:.0f} Hz < fmax="
            f"{fmax:g} Hz; lower fmax, or use a finer section mesh (--size)"
        )

    tiny = np.abs(vals) < 1e-4 * abs(sigma)
    if n_rigid:
        R = disc.rigid_body_vectors(n)
        # rigid motions in the reduced coordinates: T has unit columns, so T^T R / diag(T^T T)
        Rr = sp.diags(1.0 / np.asarray((T.T @ T).diagonal())) @ (T.T @ R)
        G = Rr.T @ (Mr @ Rr)
        L = np.linalg.cholesky(G)
        Rn = np.linalg.solve(L, Rr.T).T
        frac = np.sum((Rn.T @ (Mr @ vecs)) ** 2, axis=0)
        rigid = tiny | (frac > RIGID_FRACTION)
    else:
        rigid = tiny
    freqs, vecs, dropped = pipeline.elastic_modes(vals, vecs, Mr, rigid, sigma, fmax, n_modes)
    if dropped > n_rigid:
        raise SolverError(
            f"{dropped} zero-frequency modes of order {n} where a {'free' if free_body else 'fixed'} body has "
            f"{n_rigid}: the section is not one connected piece or its units are wrong"
        )
    full = (T @ vecs) / math.sqrt(_weight(n))
    return OrderModes(n, freqs, full, (2 * np.pi * freqs) ** 2, dropped)


class _SectionLDL(linsolve.Factor):
    """CHOLMOD's simplicial LDL^T of a section operator, numeric only: the symbolic analysis
    (the fill-reducing ordering, most of the cost on a 3000-DOF section) is made once per axis
    class and reused by every order, as K(n) keeps one sparsity pattern (``disc.reduced``)."""

    backend = "cholmod"

    def __init__(self, symbolic, A):
        super().__init__(A.shape[0])
        self._f = symbolic.cholesky(A)
        self.d = np.asarray(self._f.D())

    def _solve(self, b):
        return np.asarray(self._f(b), dtype=np.float64).reshape(b.shape)


def _counted_solve(disc, n, fixed, Kr, Mr, sigma, lam_max, solver, limit, v0=None):
    """Order n's modes below ``lam_max`` with their number known first: (factor, count, vals, vecs).

    The count is the inertia of K - lam_max M (Sylvester: the negative pivots of its LDL^T,
    rigid modes included), the modes then the count plus one by ARPACK on the shift-invert
    factor, which certifies the count (the last one lies above lam_max, the others below).
    An empty order costs two numeric factorisations and no eigen-solve. None where this path
    does not apply (no fmax, another backend, no CHOLMOD) or the certificate fails; the
    caller then searches with a growing number of modes."""
    if lam_max is None or solver not in ("auto", "cholmod"):
        return None
    try:
        from sksparse.cholmod import CholmodError, analyze
    except ImportError:
        return None
    key = ("ldl", min(int(n), 2), np.unique(np.asarray(fixed, dtype=np.int64)).tobytes())

    def csc(data):  # Kr and Mr are symmetric on one pattern: their CSR arrays are CSC ones
        return sp.csc_matrix((data, Kr.indices, Kr.indptr), shape=Kr.shape)

    try:
        symbolic = disc._reduced.get(key)
        if symbolic is None:
            symbolic = disc._reduced[key] = analyze(csc(Kr.data), mode="simplicial")
        factor = _SectionLDL(symbolic, csc(Kr.data - sigma * Mr.data))
        d = np.asarray(symbolic.cholesky(csc(Kr.data - lam_max * Mr.data)).D())
    except CholmodError:
        return None
    if not (np.all(factor.d > 0) and np.all(np.isfinite(d)) and np.all(d != 0)):
        return None
    count = int(np.count_nonzero(d < 0))
    if count == 0:
        return factor, 0, np.zeros(0), np.zeros((Kr.shape[0], 0))
    if count + 1 > limit:
        return None
    # tol 1e-10: eigenvalues to ~1e-12 (ARPACK's default, machine precision, takes a fifth longer)
    vals, vecs = linsolve.eigsh_shift_invert(Kr, Mr, count + 1, sigma, method="arpack", tol=1e-10, factor=factor, v0=v0)
    if not (vals[count - 1] < lam_max <= vals[count]):
        return None
    return factor, count, vals[:count], vecs[:, :count]


@dataclass(frozen=True)
class Prepared:
    """A meshed, assembled section ready for per-order solves."""

    section: Section
    disc: axi.AxisymmetricDiscretisation
    fixed: np.ndarray
    assembly: dict


def prepare(body, material: Material, *, order: int = 2, clamp=(), size=None, through_wall=2, aspect=1.0) -> Prepared:
    """Mesh (a Profile) or take (a Section) the section, assemble it and select the clamps."""
    if not isinstance(material, Material):
        raise PhyssynthError("a body of revolution needs a material (a Material, e.g. get_material('bell_bronze'))")
    order = validate.integer(order, "element order (--order)", error=MeshError)
    if order not in (1, 2):
        raise MeshError(f"element order must be 1 or 2, got {order}")
    if isinstance(body, Profile):
        with step("meshing the section") as s:
            section = mesh_section(body, size=size, through_wall=through_wall, aspect=aspect)
            s["result"] = f"{len(section.triangles)} triangles"
    elif isinstance(body, Section):
        section = body
    else:
        raise PhyssynthError(f"an axisymmetric analysis takes a Profile or a Section, got {type(body).__name__}")
    # the body's size: its diameter or its height
    ext = max(2 * float(section.points[:, 0].max()), float(np.ptp(section.points[:, 1])))
    pipeline.check_scale(material.bar_speed / (2 * ext), F_SHIFT, ext, "the body", "E in Pa and rho in kg/m^3")
    with step(f"assembling axisymmetric P{order} elasticity on {len(section.triangles)} triangles") as s_asm:
        disc = axi.assemble_axisymmetric(section.points, section.triangles, material, order=order)
        s_asm["result"] = f"{disc.n_dofs} DOF per order"
    fixed = select_fixed(disc, section, list(clamp))
    return Prepared(section, disc, fixed, s_asm)


def solve_orders(prep: Prepared, *, n_modes=None, fmax=None, solver="auto", f_shift=F_SHIFT, max_modes=2000, nmax=None):
    """Every order's modes until all below ``fmax`` (or the lowest ``n_modes``, doublets counted twice)."""
    results: list[OrderModes] = []
    empty_run = 0
    n = 0
    top = MAX_ORDER if nmax is None else int(nmax)
    while True:
        if n > top:
            if nmax is not None:
                break
            raise SolverError(
                f"orders up to {MAX_ORDER} still hold wanted modes; lower fmax or ask for fewer modes (--n-modes)"
            )
        if fmax is not None:
            om = solve_order(
                prep.disc,
                n,
                fixed=prep.fixed,
                fmax=fmax,
                solver=solver,
                f_shift=f_shift,
                max_modes=max_modes,
                hint=len(results[-1].freqs) + 3 if results else 8,
                start=results[-1].vecs if results and START_FROM_PREVIOUS else None,
            )
            wanted = len(om.freqs) > 0
        else:
            om = solve_order(
                prep.disc, n, fixed=prep.fixed, n_modes=n_modes, solver=solver, f_shift=f_shift, max_modes=max_modes
            )
            counts = [(f, 1 if o.n == 0 else 2) for o in results + [om] for f in o.freqs]
            counts.sort()
            total = np.cumsum([c for _, c in counts])
            k = int(np.searchsorted(total, n_modes))
            f_cut = counts[min(k, len(counts) - 1)][0] if len(counts) and total[-1] >= n_modes else np.inf
            wanted = len(om.freqs) > 0 and om.freqs[0] <= f_cut
        results.append(om)
        # the lowest mode of an order rises with n once n >= 2 (shells and solids alike); a
        # couple of empty orders in a row past n = 2 ends the search
        empty_run = 0 if wanted else empty_run + 1
        if n >= 2 and empty_run >= EXTRA_ORDERS:
            break
        n += 1
    return results


def _interpolation(disc: axi.AxisymmetricDiscretisation, pts: np.ndarray) -> sp.csr_matrix:
    """Matrix evaluating a scalar field on the section's DOFs at points (r, z), shape (len(pts), n_scalar).

    Each point is placed in the triangle where its smallest barycentric coordinate is largest
    (points on the boundary, or a hair outside a polygonal boundary, land on the nearest
    element); the P1 or P2 Lagrange functions are evaluated from the clipped coordinates."""
    basis = disc.scalar
    p = basis.mesh.p.T
    t = basis.mesh.t.T
    dofs = basis.element_dofs.T  # (n_tri, 3 or 6): corners, then the mid-edge DOFs
    a = p[t[:, 0]]
    e1, e2 = p[t[:, 1]] - a, p[t[:, 2]] - a
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    if dofs.shape[1] == 6:
        # which corner pair each mid-edge DOF of the first triangle sits between
        loc = basis.doflocs.T
        mids = {(0, 1): 0.5 * (p[t[0, 0]] + p[t[0, 1]]), (1, 2): 0.5 * (p[t[0, 1]] + p[t[0, 2]])}
        mids[(0, 2)] = 0.5 * (p[t[0, 0]] + p[t[0, 2]])
        pairs = [min(mids, key=lambda k, j=j: np.linalg.norm(mids[k] - loc[dofs[0, j]])) for j in range(3, 6)]
    out_rows, out_cols, out_vals = [], [], []
    for i0 in range(0, len(pts), 128):
        q = pts[i0 : i0 + 128, None, :] - a[None]
        l1 = (q[..., 0] * e2[:, 1] - q[..., 1] * e2[:, 0]) / det
        l2 = (e1[:, 0] * q[..., 1] - e1[:, 1] * q[..., 0]) / det
        l0 = 1 - l1 - l2
        best = np.argmax(np.minimum(np.minimum(l0, l1), l2), axis=1)
        j = np.arange(len(best))
        lam = np.clip(np.column_stack([l0[j, best], l1[j, best], l2[j, best]]), 0, None)
        lam /= lam.sum(axis=1, keepdims=True)
        if dofs.shape[1] == 6:
            phi = [lam[:, i] * (2 * lam[:, i] - 1) for i in range(3)]
            phi += [4 * lam[:, u] * lam[:, v] for u, v in pairs]
            phi = np.column_stack(phi)
        else:
            phi = lam
        out_rows.append(np.repeat(i0 + j, phi.shape[1]))
        out_cols.append(dofs[best].ravel())
        out_vals.append(phi.ravel())
    return sp.csr_matrix(
        (np.concatenate(out_vals), (np.concatenate(out_rows), np.concatenate(out_cols))), shape=(len(pts), basis.N)
    )


def modal_analysis_axisymmetric(
    body,
    material: Material,
    *,
    n_modes: int | None = None,
    fmax: float | None = None,
    order: int = 2,
    clamp=(),
    size: float | None = None,
    through_wall: int = 2,
    display_size: float | None = None,
    n_theta: int | None = None,
    solver: str = "auto",
    f_shift: float | None = None,
    max_modes: int = 2000,
    asymmetry=None,
) -> ModalModel:
    """Vibration modes of a body of revolution about the z axis, order by order.

    Parameters
    ----------
    body : Profile or Section
        The meridian section (r, z) in metres: a profile (meshed here with gmsh) or a
        triangle mesh of it (:func:`physsynth.profiles.load_section`).
    material : Material
    n_modes : int, optional
        Modes wanted (a doublet counts twice); or ``fmax`` (Hz): every mode below it. Default 20.
    order : {2, 1}
        Element order on the section.
    clamp : sequence of str
        Parts of the profile ("base", "rim", ...) or predicates on (r, z) ("z<=0.001").
    size : float, optional, m
        Largest element of the analysis section (default 1/40 of the extent; near the wall
        the local thickness / ``through_wall``).
    display_size : float, optional, m
        Largest element of the coarser section revolved into the 3D mesh of the model
        (default 1/25 of the extent, one element through the wall).
    n_theta : int, optional
        Sectors round the axis of the 3D mesh (default 4 x the highest order found, 36 to 128).
    solver, f_shift, max_modes
        As for :func:`physsynth.modal_analysis`.
    asymmetry : float or callable, optional
        A small departure from symmetry that splits the doublets (the beating of a real bowl):
        a relative density variation g(theta) round the axis (a callable of theta in rad,
        values well under 1), or a number a for a heavier spot at theta = 0,
        g = a exp(-theta^2 / (2 w^2)) with w = 10 degrees. Applied by first-order perturbation
        of each doublet (:func:`perturb_doublets`).

    Returns
    -------
    ModalModel
        On the revolved tetrahedral mesh; ``provenance["axisymmetric"]`` lists the order n,
        meridional index m and family ("cos", "sin") of each mode.
    """
    n_modes, fmax, max_modes, f_shift = pipeline.check_request(n_modes, fmax, max_modes, f_shift)
    f_shift = F_SHIFT if f_shift is None else f_shift
    if not isinstance(solver, str):
        raise PhyssynthError(f"solver must be a backend name, got {solver!r}")
    linsolve.check_backend(solver)
    if n_theta is not None:
        n_theta = validate.integer(n_theta, "sectors round the axis (n_theta)", lo=8, hi=4096)
    g = _asymmetry(asymmetry)
    clamp = [clamp] if isinstance(clamp, str) else list(clamp or ())
    prep = prepare(body, material, order=order, clamp=clamp, size=size, through_wall=through_wall)
    with step("solving order by order") as s_eig:
        results = solve_orders(prep, n_modes=n_modes, fmax=fmax, solver=solver, f_shift=f_shift, max_modes=max_modes)
        s_eig["result"] = f"orders 0..{results[-1].n}"
    return build_model(
        prep,
        results,
        material,
        n_modes=n_modes,
        fmax=fmax,
        display_size=display_size,
        n_theta=n_theta,
        solver=solver,
        f_shift=f_shift,
        s_asm=prep.assembly,
        s_eig=s_eig,
        clamp=clamp,
        asymmetry=g,
    )


def label_3d_modes(model3d) -> list[tuple[tuple[int, int], float, float]]:
    """Name each mode of a 3D model of a body of revolution as the axisymmetric solve does.

    Each mode's circumferential order n is its strongest harmonic round the axis
    (:func:`physsynth.modal.axisymmetric.circumferential_order`); a mode of order n >= 1 and
    the next (its doublet twin) count once, and m is the rank within order n.

    Returns
    -------
    list of ((n, m), frequency, split)
        In ascending frequency: the doublet's mean frequency (Hz) and the relative split of
        its two members (0 for n = 0), to compare with ``provenance["axisymmetric"]``.
    """
    order3, _purity = circumferential_order(model3d)
    seen: dict[int, int] = {}
    out = []
    i = 0
    while i < model3d.n_modes:
        n = int(order3[i])
        pair = 1 if n == 0 else 2
        m = seen.get(n, 0)
        seen[n] = m + 1
        f = model3d.frequencies[i : i + pair]
        out.append(((n, m), float(np.mean(f)), float(np.ptp(f) / np.mean(f))))
        i += pair
    return out


#: Options of :func:`modal_analysis_axisymmetric` that ``modal_analysis(..., axisymmetric={...})`` passes on.
AXISYMMETRIC_OPTIONS = ("size", "through_wall", "display_size", "n_theta", "asymmetry")


def axisymmetric_request(body, axisymmetric, support=(), thickness=None, tension=None, areal_density=None):
    """The solver, its extra options bound, for ``modal_analysis(body, ..., axisymmetric=...)``.

    None when ``axisymmetric`` is False and ``body`` is no Profile or Section (the ordinary
    path then reports what it is). Refuses, before any work, a volume or surface mesh with
    ``axisymmetric`` set (a body of revolution is given by its section), options of plates
    and membranes, and unknown option names."""
    if axisymmetric is False and not isinstance(body, (Profile, Section)):
        return None
    if not isinstance(body, (Profile, Section)):
        raise PhyssynthError(
            f"axisymmetric analysis takes the body's meridian section, not a {type(body).__name__}: read it "
            "with physsynth.profiles.read_profile (CSV/JSON of r, z) or load_section (a 2D .msh)"
        )
    if axisymmetric is True or axisymmetric is False:
        options = {}
    elif isinstance(axisymmetric, dict):
        options = dict(axisymmetric)
        unknown = sorted(set(options) - set(AXISYMMETRIC_OPTIONS))
        if unknown:
            raise PhyssynthError(
                f"axisymmetric options {unknown} are unknown; choose from {', '.join(AXISYMMETRIC_OPTIONS)}"
            )
    else:
        raise PhyssynthError(f"axisymmetric must be True, False or a dict of options, got {axisymmetric!r}")
    given = [k for k, v in (("thickness", thickness), ("tension", tension), ("areal_density", areal_density)) if v]
    if support:
        given.append("support")
    if given:
        raise PhyssynthError(f"{', '.join(given)}: options of plates and membranes, not of a body of revolution")
    return functools.partial(modal_analysis_axisymmetric, **options)


#: Angular width (rad) of the heavier spot of ``asymmetry=a``.
SPOT_WIDTH = np.radians(10.0)


def _asymmetry(value):
    """The relative density variation g(theta) of ``asymmetry`` (None, a number, or a callable)."""
    if value is None:
        return None
    if callable(value):
        th = np.linspace(0, 2 * np.pi, 4096, endpoint=False)
        g = np.asarray(value(th), dtype=float)
        if g.shape != th.shape or not np.all(np.isfinite(g)):
            raise PhyssynthError("asymmetry(theta) must give one finite number per angle")
    else:
        a = validate.finite(value, "asymmetry", lo=-0.5, hi=0.5)
        th = np.linspace(0, 2 * np.pi, 4096, endpoint=False)
        w = np.angle(np.exp(1j * th))
        g = a * np.exp(-(w**2) / (2 * SPOT_WIDTH**2))
    if np.max(np.abs(g)) > 0.5:
        raise PhyssynthError(
            "asymmetry: a density variation above 50 % is not small; first-order perturbation needs |g| << 1"
        )
    return g


def perturb_doublets(disc, results, rows, freqs, shapes, g):
    """Split each doublet by the density variation rho (1 + g(theta)) (first-order perturbation).

    Within the doublet of order n (cos and sin members, unit modal mass), the extra mass is the
    2 x 2 matrix A with, in terms of the Fourier coefficients c_0 (mean), c_2n, s_2n of g and the
    shares T_rz, T_t of the mode's kinetic energy in (u_r, u_z) and u_theta,

        A_cc = c_0 + (c_2n / 2)(T_rz - T_t),  A_ss = c_0 - (c_2n / 2)(T_rz - T_t),
        A_cs = (s_2n / 2)(T_rz - T_t);

    the stiffness is unchanged, so the members become the eigenvectors v of A with frequencies
    f / sqrt(1 + mu) (Rayleigh-Ritz in the doublet's plane); n = 0 modes shift by c_0. Orders do
    not mix (degenerate perturbation theory to first order: Fox, *J. Sound Vib.* 142 (1990)).

    Returns (frequencies, shapes, order of the rows) re-sorted by frequency."""
    th = np.linspace(0, 2 * np.pi, len(g), endpoint=False)
    c0 = float(np.mean(g))

    def coef(k):
        return 2 * float(np.mean(g * np.cos(k * th))), 2 * float(np.mean(g * np.sin(k * th)))

    freqs = freqs.copy()
    shapes = shapes.copy()
    U, V, W = disc.comp
    index = {(r[1], r[2], r[3]): k for k, r in enumerate(rows)}
    for (n, m, fam), k in index.items():
        if n == 0:
            freqs[k] /= math.sqrt(1 + c0)
            shapes[k] /= math.sqrt(1 + c0)
            continue
        if fam != "cos":
            continue
        j = index.get((n, m, "sin"))
        x = results[[om.n for om in results].index(n)].vecs[:, m]
        xv = np.zeros_like(x)
        xv[V] = x[V]
        t_theta = float(np.pi * xv @ (disc.M @ xv))
        t_rz = 1.0 - t_theta
        c2, s2 = coef(2 * n)
        d = 0.5 * (t_rz - t_theta)
        A = np.array([[c0 + c2 * d, s2 * d], [s2 * d, c0 - c2 * d]])
        if j is None:  # the sin member fell past n_modes: the cos member alone, its own mass change
            freqs[k] /= math.sqrt(1 + A[0, 0])
            shapes[k] /= math.sqrt(1 + A[0, 0])
            continue
        mu, v = np.linalg.eigh(A)
        pair = np.stack([shapes[k], shapes[j]])
        f0 = freqs[k]
        # each new member goes to the slot of the old one it is mostly made of ("cos" stays the
        # member whose radial antinode is nearest theta = 0)
        first = 0 if abs(v[0, 0]) >= abs(v[1, 0]) else 1
        for q, dst in ((first, k), (1 - first, j)):
            shapes[dst] = (v[0, q] * pair[0] + v[1, q] * pair[1]) / math.sqrt(1 + mu[q])
            freqs[dst] = f0 / math.sqrt(1 + mu[q])
    order = np.argsort(freqs, kind="stable")
    return freqs[order], shapes[order], order


def mode_table(results, n_modes=None, fmax=None):
    """(frequency, n, m, family, index into results) of every 3D mode, ascending."""
    rows = []
    for ri, om in enumerate(results):
        for m, f in enumerate(om.freqs):
            if fmax is not None and f >= fmax:
                continue
            rows.append((float(f), om.n, m, "cos", ri))
            if om.n >= 1:
                rows.append((float(f), om.n, m, "sin", ri))
    rows.sort(key=lambda x: (x[0], x[1], x[2], x[3]))
    if n_modes is not None:
        rows = rows[:n_modes]
    return rows


def build_model(
    prep,
    results,
    material,
    *,
    n_modes,
    fmax,
    display_size,
    n_theta,
    solver,
    f_shift,
    s_asm,
    s_eig,
    clamp=(),
    asymmetry=None,
):
    """The ModalModel of per-order results on the revolved mesh (see :func:`modal_analysis_axisymmetric`)."""
    rows = mode_table(results, n_modes, fmax)
    if not rows:
        where = f" below fmax={fmax:g} Hz" if fmax is not None else ""
        raise SolverError(f"no elastic mode found{where}; raise fmax or check the profile's units")
    section = prep.section
    n_top = max(r[1] for r in rows)
    if n_theta is None:
        n_theta = int(min(128, max(36, 4 * math.ceil((4 * n_top + 1) / 4))))
    if section.profile is not None:
        ext = section.profile.extent
        disp = mesh_section(section.profile, size=display_size or ext / 25, through_wall=0)
    else:
        disp = section
    rev = revolve(disp, n_theta)
    n3 = rev.mesh.n_nodes
    validate.check_memory(
        8.0 * len(rows) * n3 * 3 * 2, f"{len(rows)} mode shapes on {n3} nodes", "lower fmax, n_theta or display_size"
    )
    P = _interpolation(prep.disc, disp.points)  # (n_disp2d, n_scalar)
    comp = prep.disc.comp
    node, th = rev.node, rev.theta
    c, s = np.cos(th), np.sin(th)
    X = np.column_stack([results[ri].vecs[:, m] for (_, _, m, _, ri) in rows])  # (n_dofs, k)
    U, V, W = ((P @ X[comp[i]])[node] for i in range(3))  # (n3, k) each
    nth = np.multiply.outer(th, np.array([r[1] for r in rows], dtype=float))
    is_sin = np.array([r[3] == "sin" for r in rows])
    cn, sn = np.cos(nth), np.sin(nth)
    a, b = np.where(is_sin, sn, cn), np.where(is_sin, -cn, sn)  # cos: (cos, sin); sin: (sin, -cos)
    ur, ut = U * a, V * b
    shapes = np.empty((len(rows), n3, 3))
    shapes[:, :, 0] = (ur * c[:, None] - ut * s[:, None]).T
    shapes[:, :, 1] = (ur * s[:, None] + ut * c[:, None]).T
    shapes[:, :, 2] = (W * a).T
    freqs = np.array([r[0] for r in rows])
    if asymmetry is not None:
        freqs, shapes, order = perturb_doublets(prep.disc, results, rows, freqs, shapes, asymmetry)
        rows = [rows[i] for i in order]
    decay = np.asarray(material.damping.decay_rate(2 * np.pi * freqs), dtype=float)
    n_rigid = sum(om.n_rigid * (1 if om.n == 0 else 2) for om in results)
    provenance = pipeline.provenance_base(
        rev.mesh, solver=solver, f_shift=f_shift, n_modes=n_modes, fmax=fmax, assembly=s_asm, eigensolve=s_eig
    ) | {
        "model": "axisymmetric",
        "element_order": prep.disc.order,
        "section_triangles": int(len(section.triangles)),
        "section_dofs": int(prep.disc.n_dofs),
        "orders_solved": [int(om.n) for om in results],
        "n_theta": int(n_theta),
        "clamp": list(clamp),
        "clamped_dofs": int(len(prep.fixed)),
        "axisymmetric": [[int(r[1]), int(r[2]), r[3]] for r in rows],
        "asymmetry": asymmetry is not None,
        "profile_source": section.source,
    }
    log.info("%d modes from %d orders (doublets counted twice)", len(rows), len(results))
    return pipeline.finish_model(
        freqs,
        shapes,
        decay,
        rev.mesh,
        material,
        n_rigid,
        prep.disc.n_dofs,
        provenance,
        n_rigid_max=6 if len(prep.fixed) == 0 else 0,
        fmax=fmax,
    )
