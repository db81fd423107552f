"""Tune a profile: move its wall until chosen partials fall at target frequencies or ratios.

The wall is moved by a smooth field: ``n_controls`` hat functions along the inner curve
(``vary="thickness"``: the inner curve moves along its normal, the outer stays, so the
thickness changes by p(s)) or along both curves (``vary="profile"``: both move together, the
thickness stays). The section mesh follows by harmonic extension (node positions linear in
the control values p), so each evaluation reassembles on the same triangles. The residuals
are the cents errors of the partials (for ratios: of each partial's ratio to the first), and
their gradient comes from the eigenvalue sensitivities (Fox and Kapoor 1968; Haftka and
Gurdal, *Elements of Structural Optimization*, ch. 7):

    d lambda / d p_j = phi^T (dK/dp_j - lambda dM/dp_j) phi,   phi^T M phi = 1,

with the two quadratic forms evaluated on the field phi over the section moved by a small
step along control j. scipy's trust-region least squares (``least_squares``, method "trf")
solves within bounds: the minimum and maximum wall (m), and a maximum mass (kg) by a penalty.
After each round the tuned profile is re-meshed and the next round starts from it; the final
table is computed on a fresh mesh of the tuned profile.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.sparse.linalg import splu

from physsynth import validate
from physsynth._progress import log
from physsynth.errors import MeshError, PhyssynthError
from physsynth.fem import axisymmetric as axi
from physsynth.materials import Material
from physsynth.modal.axisym_analysis import Prepared, prepare, select_fixed, solve_order
from physsynth.profiles import Profile, _polygon

__all__ = ["tune_profile", "TuneResult", "parse_modes", "partial_table"]

#: Cents error per partial below which the tuning stops.
TOLERANCE_CENTS = 1.0
#: Rounds of (re-mesh, least squares) at most.
ROUNDS = 3
CENTS = 1200.0 / math.log(2.0)


@dataclass(frozen=True)
class TuneResult:
    """The outcome of :func:`tune_profile`.

    Attributes
    ----------
    profile : Profile
        The tuned profile.
    initial : Profile
    modes : list of (int, int)
        (n, m) of each partial: circumferential order and index within the order.
    target : ndarray, Hz (or the ratios' frequencies implied by the first partial)
    achieved : ndarray, Hz
    initial_freqs : ndarray, Hz
    cents : ndarray
        achieved against target, cents.
    converged : bool
    message : str
        What happened; on failure how far it got and which constraint binds.
    binding : list of str
    mass : float, kg
    """

    profile: Profile
    initial: Profile
    modes: list
    target: np.ndarray
    achieved: np.ndarray
    initial_freqs: np.ndarray
    cents: np.ndarray
    converged: bool
    message: str
    binding: list = field(default_factory=list)
    mass: float = 0.0
    initial_mass: float = 0.0

    def table(self) -> str:
        return partial_table(self)


def partial_table(res: TuneResult) -> str:
    """A text table: partial, (n, m), target, initial, achieved (Hz), error (cents)."""
    lines = [f"{'partial':>7}  {'(n,m)':>7}  {'target_hz':>10}  {'initial_hz':>10}  {'achieved_hz':>11}  {'cents':>7}"]
    for i, ((n, m), t, f0, f, c) in enumerate(zip(res.modes, res.target, res.initial_freqs, res.achieved, res.cents)):
        lines.append(f"{i + 1:>7}  {f'({n},{m})':>7}  {t:>10.2f}  {f0:>10.2f}  {f:>11.2f}  {c:>+7.2f}")
    return "\n".join(lines)


def parse_modes(text) -> list[tuple[int, int]]:
    """``"(2,0),(2,1),(3,0)"`` or ``"2:0,2:1"`` -> [(2, 0), (2, 1), (3, 0)]."""
    if isinstance(text, (list, tuple)):
        items = list(text)
    else:
        pairs = re.findall(r"\(?\s*(-?\d+)\s*[,:]\s*(-?\d+)\s*\)?", str(text))
        rest = re.sub(r"\(?\s*-?\d+\s*[,:]\s*-?\d+\s*\)?", "", str(text)).replace(",", "").strip()
        if not pairs or rest:
            raise PhyssynthError(f"--modes {text!r}: give (n,m) pairs, e.g. '(2,0),(2,1),(3,0)'")
        items = [(int(a), int(b)) for a, b in pairs]
    out = []
    for it in items:
        n, m = (int(it[0]), int(it[1]))
        if n < 0 or m < 0:
            raise PhyssynthError(f"mode ({n},{m}): the order n and the index m are whole numbers >= 0")
        out.append((n, m))
    if len(set(out)) != len(out):
        raise PhyssynthError("--modes names a mode twice")
    return out


# ------------------------------------------------------------------ the moving wall
def _outward_normals(loop: np.ndarray) -> np.ndarray:
    """Outward unit normal at each vertex of a counter-clockwise loop (mean of its two edges)."""
    d = np.roll(loop, -1, axis=0) - loop
    en = np.column_stack([d[:, 1], -d[:, 0]])
    en /= np.linalg.norm(en, axis=1, keepdims=True)
    vn = en + np.roll(en, 1, axis=0)
    return vn / np.linalg.norm(vn, axis=1, keepdims=True)


def _arclength_param(curve: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Normalised arclength (0..1) along ``curve`` of the nearest point to each of ``pts``."""
    a, b = curve[:-1], curve[1:]
    d = b - a
    seg = np.linalg.norm(d, axis=1)
    s0 = np.concatenate([[0.0], np.cumsum(seg)])
    q = pts[:, None, :] - a[None]
    t = np.clip(np.einsum("ijk,jk->ij", q, d) / np.maximum(seg**2, 1e-300), 0, 1)
    dist = np.linalg.norm(q - t[..., None] * d[None], axis=2)
    j = np.argmin(dist, axis=1)
    return (s0[j] + t[np.arange(len(pts)), j] * seg[j]) / s0[-1], dist[np.arange(len(pts)), j]


def _curve_normals(curve: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Unit normal (-t_z, t_r) of ``curve`` (left of its direction) at the nearest point to each of ``pts``.

    Vertex tangents are the means of the adjacent segments, interpolated along the segment, so
    the normal field is continuous along the curve."""
    d = np.diff(curve, axis=0)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    vt = np.vstack([d[:1], d[:-1] + d[1:], d[-1:]])
    vt /= np.linalg.norm(vt, axis=1, keepdims=True)
    a, b = curve[:-1], curve[1:]
    seg = b - a
    q = pts[:, None, :] - a[None]
    t = np.clip(np.einsum("ijk,jk->ij", q, seg) / np.maximum(np.einsum("jk,jk->j", seg, seg), 1e-300), 0, 1)
    dist = np.linalg.norm(q - t[..., None] * seg[None], axis=2)
    j = np.argmin(dist, axis=1)
    tj = t[np.arange(len(pts)), j][:, None]
    tan = (1 - tj) * vt[j] + tj * vt[j + 1]
    tan /= np.linalg.norm(tan, axis=1, keepdims=True)
    return np.column_stack([-tan[:, 1], tan[:, 0]])


def _away(curve: np.ndarray, other: np.ndarray) -> float:
    """+1 or -1: the sign that makes ``curve``'s left normal point away from ``other`` (the wall's
    far side), by the majority of its vertices (a bowl's floor and a bell's crown face opposite ways)."""
    n = _curve_normals(curve, curve)
    a, b = other[:-1], other[1:]
    d = b - a
    q = curve[:, None, :] - a[None]
    t = np.clip(np.einsum("ijk,jk->ij", q, d) / np.maximum(np.einsum("jk,jk->j", d, d), 1e-300), 0, 1)
    foot = a[None] + t[..., None] * d[None]
    j = np.argmin(np.linalg.norm(q - t[..., None] * d[None], axis=2), axis=1)
    away = curve - foot[np.arange(len(curve)), j]
    return 1.0 if np.sum(np.einsum("ij,ij->i", n, away)) >= 0 else -1.0


def _untangle(curve: np.ndarray) -> np.ndarray:
    """The polyline with its small self-loops cut out (an offset pushed into a tight turn makes a
    swallowtail): at each crossing of two segments, the vertices between them are replaced by
    the crossing point."""
    c = curve
    for _ in range(len(curve)):
        a, b = c[:-1], c[1:]
        d = b - a
        k = len(a)
        if k < 3:
            return c
        i, j = np.triu_indices(k, 2)
        den = d[i, 0] * d[j, 1] - d[i, 1] * d[j, 0]
        w = a[j] - a[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            s = (w[:, 0] * d[j, 1] - w[:, 1] * d[j, 0]) / den
            t = (w[:, 0] * d[i, 1] - w[:, 1] * d[i, 0]) / den
        hit = np.flatnonzero((np.abs(den) > 0) & (s > 0) & (s < 1) & (t > 0) & (t < 1))
        if len(hit) == 0:
            return c
        h = hit[np.argmin(j[hit] - i[hit])]  # the smallest loop first
        x = a[i[h]] + s[h] * d[i[h]]
        c = np.vstack([c[: i[h] + 1], x[None], c[j[h] + 1 :]])
    return c


def _densify(curve: np.ndarray, h: float) -> np.ndarray:
    """The polyline with points inserted so no segment is longer than ``h`` (m); its vertices kept."""
    out = [curve[:1]]
    for a, b in zip(curve[:-1], curve[1:]):
        m = max(1, int(math.ceil(np.linalg.norm(b - a) / h)))
        out.append(a + (b - a) * (np.arange(1, m + 1)[:, None] / m))
    return np.vstack(out)


def _hats(s: np.ndarray, n_controls: int) -> np.ndarray:
    """Piecewise-linear hat functions at n_controls equally spaced points of [0, 1], shape (len(s), n_controls)."""
    c = np.linspace(0.0, 1.0, n_controls)
    h = 1.0 / (n_controls - 1)
    return np.clip(1.0 - np.abs(s[:, None] - c[None, :]) / h, 0.0, None)


@dataclass(frozen=True)
class _Morph:
    """Section node positions P(p) = P0 + sum_j p_j D_j, and the matching profile curves."""

    P0: np.ndarray
    D: np.ndarray  # (n_controls, n_nodes, 2)
    tri: np.ndarray
    area0: np.ndarray


def _boundary_field(profile: Profile, pts: np.ndarray, n_controls: int, vary: str) -> np.ndarray:
    """Displacement (n_controls, len(pts), 2) of points on the profile's curves."""
    s_in, d_in = _arclength_param(profile.inner, pts)
    s_out, d_out = _arclength_param(profile.outer, pts)
    # normals of each curve itself (not of the loop, whose corners would pull the ends of a
    # curve along the rim), each pointing away from the other curve: the inner one into the
    # cavity, the outer one out of the body
    n_in = _curve_normals(profile.inner, pts) * _away(profile.inner, profile.outer)
    n_out = _curve_normals(profile.outer, pts) * _away(profile.outer, profile.inner)
    ext = profile.extent
    on_in = d_in <= 1e-7 * ext
    on_out = (d_out <= 1e-7 * ext) & ~on_in
    # inner normal pointing into the cavity = outward normal of the loop at inner points
    H_in = _hats(s_in, n_controls)
    H_out = _hats(s_out, n_controls)
    U = np.zeros((n_controls, len(pts), 2))
    if vary == "thickness":
        U[:, on_in] = H_in[on_in].T[..., None] * n_in[on_in][None]
    else:  # the whole wall moves along the outer normal
        U[:, on_out] = H_out[on_out].T[..., None] * n_out[on_out][None]
        U[:, on_in] = H_in[on_in].T[..., None] * (-n_in[on_in])[None]
    other = ~(on_in | on_out)
    if other.any():
        # rim, base, ...: between the nearest inner and outer points, linearly by distance
        ii = np.flatnonzero(on_in)
        oo = np.flatnonzero(on_out)
        for k in np.flatnonzero(other):
            di = np.linalg.norm(pts[ii] - pts[k], axis=1)
            do = np.linalg.norm(pts[oo] - pts[k], axis=1) if len(oo) else np.array([np.inf])
            a, b = int(np.argmin(di)), int(np.argmin(do)) if len(oo) else 0
            wi = do[b] / (di[a] + do[b]) if np.isfinite(do[b]) else 1.0
            U[:, k] = wi * U[:, ii[a]] + (1 - wi) * (U[:, oo[b]] if len(oo) else 0.0)
    U[:, pts[:, 0] <= 1e-9 * ext, 0] = 0.0  # the axis stays the axis
    return U


def _morph(section, profile: Profile, n_controls: int, vary: str) -> _Morph:
    """Harmonic extension of the boundary displacement of each control into the section."""
    from skfem import Basis, ElementTriP1, MeshTri, asm
    from skfem.models.poisson import laplace

    P0 = section.points
    tri = section.triangles
    mesh = MeshTri(np.ascontiguousarray(P0.T), np.ascontiguousarray(tri.T))
    L = asm(laplace, Basis(mesh, ElementTriP1())).tocsr()
    bnd = np.unique(np.vstack(list(section.edges.values())))
    inner_nodes = np.setdiff1d(np.arange(len(P0)), bnd)
    Ub = _boundary_field(profile, P0[bnd], n_controls, vary)  # (nc, nb, 2)
    D = np.zeros((n_controls, len(P0), 2))
    D[:, bnd] = Ub
    if len(inner_nodes):
        lu = splu(L[inner_nodes][:, inner_nodes].tocsc())
        rhs = -(L[inner_nodes][:, bnd] @ Ub.transpose(1, 0, 2).reshape(len(bnd), -1))
        sol = lu.solve(np.asarray(rhs))
        D[:, inner_nodes] = sol.reshape(len(inner_nodes), n_controls, 2).transpose(1, 0, 2)
    return _Morph(P0, D, tri, _areas(P0, tri))


def _areas(P, tri):
    p = P[tri]
    return 0.5 * (
        (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1]) - (p[:, 2, 0] - p[:, 0, 0]) * (p[:, 1, 1] - p[:, 0, 1])
    )


def _mass(P, tri, rho):
    a = _areas(P, tri)
    return float(rho * 2 * np.pi * np.sum(a * P[tri][:, :, 0].mean(axis=1)))


def moved_profile(profile: Profile, p: np.ndarray, vary: str) -> Profile:
    """The profile with its curves moved by control values ``p`` (m)."""
    nc = len(p)
    outer, inner = profile.outer.copy(), profile.inner.copy()
    U_out = _boundary_field(profile, outer, nc, vary)
    U_in = _boundary_field(profile, inner, nc, vary)
    outer = _untangle(outer + np.einsum("j,jkl->kl", p, U_out))
    inner = _untangle(inner + np.einsum("j,jkl->kl", p, U_in))
    return replace(_polygon(outer, inner, profile.source), source=profile.source)


# ------------------------------------------------------------------ energies on a moved section
def _quadratic_forms(points, tri, x, material, orders, order):
    """phi^T K(n) phi and phi^T M phi of each section field ``x[:, k]`` (order ``orders[k]``) on the
    section ``points``, as a list of pairs."""
    from skfem import Basis, ElementTriP1, ElementTriP2, MeshTri

    lam, mu = axi.lame(material)
    mesh = MeshTri(np.ascontiguousarray(points.T), np.ascontiguousarray(tri.T))
    scalar = Basis(mesh, ElementTriP2() if order == 2 else ElementTriP1(), intorder=axi.INTORDER)
    kin = axi.kinematics(scalar)
    return [tuple(v) for v in axi.quadratic_forms(kin, x, orders, axi.elasticity_matrix(lam, mu), material.rho)]


# ------------------------------------------------------------------ the tuning
def _solve_modes(prep, modes, material, solver):
    """(freqs, lams, vecs (scaled to x^T M x = 1)) of the wanted (n, m) on a prepared section."""
    orders = sorted({n for n, _ in modes})
    res = {}
    for n in orders:
        need = max(m for nn, m in modes if nn == n) + 1
        res[n] = solve_order(prep.disc, n, fixed=prep.fixed, n_modes=need, solver=solver)
    freqs, vecs = [], []
    for n, m in modes:
        om = res[n]
        if m >= len(om.freqs):
            raise PhyssynthError(f"mode ({n},{m}) does not exist on this section (order {n} has {len(om.freqs)})")
        freqs.append(om.freqs[m])
        w = 2 * np.pi if n == 0 else np.pi
        vecs.append(om.vecs[:, m] * math.sqrt(w))  # back to x^T M x = 1
    return np.array(freqs), np.column_stack(vecs)


def default_modes(profile, material, k, *, size=None, through_wall=2, solver="auto"):
    """The lowest ``k`` partials of order n >= 2, one per doublet, as (n, m)."""
    prep = prepare(profile, material, size=size, through_wall=through_wall)
    rows = []
    for n in range(2, 2 + 3 * k):
        om = solve_order(prep.disc, n, n_modes=k, solver=solver)
        rows += [(f, n, m) for m, f in enumerate(om.freqs)]
    rows.sort()
    return [(n, m) for _, n, m in rows[:k]]


def tune_profile(
    profile: Profile,
    material: Material,
    *,
    target=None,
    ratios=None,
    modes=None,
    vary: str = "thickness",
    n_controls: int = 8,
    min_wall: float | None = None,
    max_wall: float | None = None,
    max_mass: float | None = None,
    tolerance: float = TOLERANCE_CENTS,
    max_evaluations: int = 60,
    size: float | None = None,
    through_wall: int = 2,
    solver: str = "auto",
) -> TuneResult:
    """Move a profile's wall until the chosen partials reach target frequencies or ratios.

    Parameters
    ----------
    profile : Profile
        With its outer and inner curves (read from a CSV/JSON of curves or a generator).
    material : Material
    target : sequence of float, Hz, optional
        Frequencies of the partials; or ``ratios`` (to the first partial; its frequency is free).
    modes : sequence of (n, m), optional
        Which partials: order n and index m within the order (m = 0 the lowest of order n);
        default the lowest partials of order n >= 2, one per doublet.
    vary : {"thickness", "profile"}
    n_controls : int
        Control points along the wall (hat functions, 3..32).
    min_wall, max_wall : float, m, optional
        Bounds on the local wall thickness (default half the thinnest and twice the
        thickest initial wall).
    max_mass : float, kg, optional
        Largest mass of the tuned body.
    tolerance : float, cents
        Largest error per partial counted as reached.
    max_evaluations : int
        Evaluations (solves) per round at most.
    """
    from scipy.optimize import least_squares

    if not isinstance(profile, Profile):
        raise PhyssynthError(f"tune_profile takes a Profile, got {type(profile).__name__}")
    if profile.outer is None or profile.inner is None:
        raise PhyssynthError(
            "tuning moves the inner (and outer) curve: give a profile of outer and inner curves (CSV 'curve,r,z' or "
            "JSON 'outer'/'inner'), not a closed polyline"
        )
    if (target is None) == (ratios is None):
        raise PhyssynthError("give --target HZ,HZ,... or --ratios R,R,..., one of them")
    if vary not in ("thickness", "profile"):
        raise PhyssynthError(f"--vary {vary!r}: choose thickness or profile")
    n_controls = validate.integer(n_controls, "control points (--controls)", lo=3, hi=32)
    tolerance = validate.positive(tolerance, "tolerance (--tolerance)", "cents")
    max_evaluations = validate.integer(max_evaluations, "evaluations (--max-evaluations)", lo=2, hi=10_000)
    vals = np.asarray(target if target is not None else ratios, dtype=float)
    if vals.ndim != 1 or len(vals) < (1 if target is not None else 2):
        raise PhyssynthError("--ratios needs two values at least, --target one at least")
    for v in vals:
        validate.positive(v, "target frequency" if target is not None else "ratio", "Hz" if target is not None else "")
    if ratios is not None and vals[0] <= 0:
        raise PhyssynthError("ratios must be > 0")
    t0 = profile.thickness()
    wall_lo = 0.5 * float(t0.min()) if min_wall is None else validate.positive(min_wall, "--min-wall", "m")
    wall_hi = 2.0 * float(t0.max()) if max_wall is None else validate.positive(max_wall, "--max-wall", "m")
    if wall_hi <= wall_lo:
        raise PhyssynthError(f"--max-wall {wall_hi:g} m must exceed --min-wall {wall_lo:g} m")
    if max_mass is not None:
        max_mass = validate.positive(max_mass, "--max-mass", "kg")
    if modes is None:
        modes = default_modes(profile, material, len(vals), size=size, through_wall=through_wall, solver=solver)
    else:
        modes = parse_modes(modes)
    if len(modes) != len(vals):
        raise PhyssynthError(f"{len(modes)} modes for {len(vals)} targets: give one (n,m) per target")
    is_ratio = ratios is not None
    rel = vals / vals[0]

    def residuals(freqs):
        if is_ratio:
            return CENTS * np.log((freqs[1:] / freqs[0]) / rel[1:])
        return CENTS * np.log(freqs / vals)

    # the controls act on the vertices of the curves: give every stretch of them vertices
    h = profile.extent / 150
    current = replace(_polygon(_densify(profile.outer, h), _densify(profile.inner, h), profile.source))
    initial_freqs = None
    binding: list[str] = []
    mass0 = None
    for rnd in range(ROUNDS):
        prep = prepare(current, material, size=size, through_wall=through_wall)
        sec = prep.section
        morph = _morph(sec, current, n_controls, vary)
        # thickness along the inner curve at each control, for the bounds
        s_loop, _ = _arclength_param(current.inner, current.inner)
        t_in = _inner_thickness(current)
        H = _hats(s_loop, n_controls)
        near = [H[:, j] > 0.5 if np.any(H[:, j] > 0.5) else H[:, j] > 0 for j in range(n_controls)]
        t_ctrl = np.array([t_in[w].min() for w in near])  # thinnest wall near each control
        t_top = np.array([t_in[w].max() for w in near])  # and thickest
        if vary == "thickness":
            lo, hi = wall_lo - t_ctrl, wall_hi - t_top
            lo = np.minimum(lo, -1e-12)
            hi = np.maximum(hi, 1e-12)
        else:
            span = 0.5 * current.extent * 0.1
            lo, hi = -span * np.ones(n_controls), span * np.ones(n_controls)
        scale = float(np.median(t_ctrl))
        if mass0 is None:
            mass0 = _mass(sec.points, sec.triangles, material.rho)
        prob = _Problem(sec, morph, material, modes, solver, residuals, len(vals) - is_ratio, is_ratio, max_mass, scale)
        evaluate, fun, jac = prob.evaluate, prob.fun, prob.jac
        p0 = np.zeros(n_controls)
        if initial_freqs is None:
            initial_freqs = evaluate(p0)[1]
        r0 = residuals(evaluate(p0)[1])
        if np.max(np.abs(r0)) <= tolerance:
            break
        prob.stop = 0.25 * tolerance  # the fresh mesh of the result may differ by a fraction of a cent
        try:
            sol = least_squares(
                fun,
                p0,
                jac=jac,
                bounds=(lo, hi),
                method="trf",
                x_scale=scale,
                max_nfev=max_evaluations,
                xtol=1e-10,
                ftol=1e-10,
                gtol=1e-10,
            )
            p = sol.x
        except _Reached as done:
            p = done.p
        prob.stop = None
        worst_round = float(np.max(np.abs(residuals(evaluate(p)[1]))))
        binding = []
        at_lo = np.isclose(p, lo, atol=1e-3 * scale)
        at_hi = np.isclose(p, hi, atol=1e-3 * scale)
        for j in np.flatnonzero(at_lo):
            binding.append(
                f"minimum wall {wall_lo * 1e3:.3g} mm at control {j + 1}/{n_controls}"
                if vary == "thickness"
                else f"the profile's lower bound at control {j + 1}"
            )
        for j in np.flatnonzero(at_hi):
            binding.append(
                f"maximum wall {wall_hi * 1e3:.3g} mm at control {j + 1}/{n_controls}"
                if vary == "thickness"
                else f"the profile's upper bound at control {j + 1}"
            )
        P = morph.P0 + np.einsum("j,jkl->kl", p, morph.D)
        if max_mass is not None and _mass(P, morph.tri, material.rho) >= 0.999 * max_mass:
            binding.append(f"maximum mass {max_mass:.4g} kg")
        last_good = current
        try:
            current = moved_profile(current, p, vary)
            prep_chk = prepare(current, material, size=size, through_wall=through_wall)
        except MeshError as exc:
            # the moved wall folded on itself (a crack, a crossing): keep the last sound profile
            current = last_good
            binding.append(f"the wall's shape (the step folded it: {exc}; try fewer --controls)")
            break
        log.info("tuning round %d: worst error %.2f cents on the moved mesh", rnd + 1, worst_round)
        if rnd == ROUNDS - 1:
            break
        f_chk, _ = _solve_modes(prep_chk, modes, material, solver)
        if np.max(np.abs(residuals(f_chk))) <= tolerance:
            break
    # the final word on a fresh mesh of the tuned profile
    prep = prepare(current, material, size=size, through_wall=through_wall)
    achieved, _ = _solve_modes(prep, modes, material, solver)
    if is_ratio:
        tgt = achieved[0] * rel
    else:
        tgt = vals
    cents = CENTS * np.log(achieved / tgt)
    worst = float(np.max(np.abs(cents)))
    ok = worst <= tolerance
    mass = _mass(prep.section.points, prep.section.triangles, material.rho)
    if ok:
        msg = f"reached every target within {tolerance:g} cents (worst {worst:.2f} cents)"
    else:
        why = (
            "; binding: " + ", ".join(binding)
            if binding
            else "; no bound binds (try more --controls or --vary profile)"
        )
        msg = f"did not reach the targets: worst error {worst:.1f} cents (tolerance {tolerance:g}){why}"
    return TuneResult(
        current,
        profile,
        list(modes),
        np.asarray(tgt),
        achieved,
        np.asarray(initial_freqs) if not is_ratio else initial_freqs,
        cents,
        ok,
        msg,
        binding,
        mass,
        mass0 or 0.0,
    )


class _Problem:
    """One round's least-squares problem on a fixed section mesh moved by the controls."""

    def __init__(self, sec, morph, material, modes, solver, residuals, n_res, is_ratio, max_mass, scale):
        self.sec, self.morph, self.material, self.modes, self.solver = sec, morph, material, modes, solver
        self.residuals, self.n_res, self.is_ratio, self.max_mass, self.scale = (
            residuals,
            n_res,
            is_ratio,
            max_mass,
            scale,
        )
        self.nc = morph.D.shape[0]
        self.stop = None
        self.cache = {}

    def evaluate(self, p):
        key = p.tobytes()
        if key in self.cache:
            return self.cache[key]
        P = self.morph.P0 + np.einsum("j,jkl->kl", p, self.morph.D)
        a = _areas(P, self.morph.tri)
        if np.any(a <= 0.05 * self.morph.area0):
            raise _Inverted()
        disc = axi.assemble_axisymmetric(P, self.morph.tri, self.material, order=2)
        pr = Prepared(replace(self.sec, points=P), disc, select_fixed(disc, replace(self.sec, points=P), []), {})
        freqs, vecs = _solve_modes(pr, self.modes, self.material, self.solver)
        self.cache.clear()
        self.cache[key] = (P, freqs, vecs)
        return self.cache[key]

    def fun(self, p):
        try:
            P, freqs, _ = self.evaluate(p)
        except _Inverted:
            return np.full(self.n_res + 1 + self.nc, 1e4)
        r = self.residuals(freqs)
        m = _mass(P, self.morph.tri, self.material.rho)
        over = self.max_mass is not None and m > self.max_mass
        if self.stop is not None and np.max(np.abs(r)) <= self.stop and not over:
            raise _Reached(p.copy())  # good enough: no need for the optimiser's last digits
        pen = [1e4 * max(0.0, m / self.max_mass - 1.0)] if self.max_mass is not None else [0.0]
        reg = 0.05 * p / self.scale  # a small pull towards the starting wall keeps it smooth
        return np.concatenate([r, pen, reg])

    def jac(self, p):
        try:
            P, freqs, vecs = self.evaluate(p)
        except _Inverted:
            return np.zeros((self.n_res + 1 + self.nc, self.nc))
        lam = (2 * np.pi * freqs) ** 2
        eps = 1e-3 * self.scale
        orders = [n for n, _ in self.modes]
        dlam = np.zeros((len(self.modes), self.nc))
        # central differences of the two forms along each control: d lambda = dK - lambda dM
        for j in range(self.nc):
            fp = _quadratic_forms(P + eps * self.morph.D[j], self.morph.tri, vecs, self.material, orders, 2)
            fm = _quadratic_forms(P - eps * self.morph.D[j], self.morph.tri, vecs, self.material, orders, 2)
            for i in range(len(self.modes)):
                dlam[i, j] = ((fp[i][0] - fm[i][0]) - lam[i] * (fp[i][1] - fm[i][1])) / (2 * eps)
        dc = CENTS * dlam / (2 * lam[:, None])
        J = dc[1:] - dc[0] if self.is_ratio else dc
        m = _mass(P, self.morph.tri, self.material.rho)
        if self.max_mass is not None and m > self.max_mass:
            dm = np.array(
                [
                    (_mass(P + eps * self.morph.D[j], self.morph.tri, self.material.rho) - m) / eps
                    for j in range(self.nc)
                ]
            )
            Jm = 1e4 * dm / self.max_mass
        else:
            Jm = np.zeros(self.nc)
        return np.vstack([J, Jm[None], 0.05 * np.eye(self.nc) / self.scale])


class _Reached(Exception):
    """Every residual is within the tolerance: stop the optimiser here."""

    def __init__(self, p):
        super().__init__("reached")
        self.p = p


class _Inverted(Exception):
    """A step that would turn section triangles inside out."""


def _inner_thickness(profile: Profile) -> np.ndarray:
    """Distance from each inner-curve vertex to the outer curve (m)."""
    a, b = profile.outer[:-1], profile.outer[1:]
    d = b - a
    q = profile.inner[:, None, :] - a[None]
    t = np.clip(np.einsum("ijk,jk->ij", q, d) / np.maximum(np.einsum("jk,jk->j", d, d), 1e-300), 0, 1)
    return np.linalg.norm(q - t[..., None] * d[None], axis=2).min(axis=1)
