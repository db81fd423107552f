"""Free (and mixed) edges for the membrane and the plate, built from the discrete energy
(docs/fd-theory.md sec. 5; Bilbao, Numerical Sound Synthesis (NSS), 2009, sec. 6.1.3, 10.2,
12.2: boundary conditions that follow from a discrete energy balance).

Every grid point 0..nx x 0..ny of the closed grid is an unknown (a fixed membrane edge
removes its points). The mass matrix is M = hx hy diag(w), w the trapezoid weights (1/2 on an
edge, 1/4 at a corner); the potential energy is a sum of squared differences with
quadrature weights, V = 1/2 u^T K u, so K is symmetric positive semi-definite by
construction and the scheme

    M d_tt u = -K u - 2 sigma0 M d_t. u - 2 sigma1 K_lap d_t- u + I^T f

(K_lap the closed-grid Laplacian's stiffness, the plate's frequency-dependent loss)
conserves (without loss) or dissipates the energy

    H = 1/2 ||d_t- u||_M^2 + 1/2 <u^n, K u^{n-1}> - sigma1 k/2 <d_t- u, K_lap d_t- u>

exactly; the free-edge conditions are whatever makes the scheme stationary for this energy.

Membrane: K = T (sum over x-links of w_y (d_x+ u)^2 + y-links w_x (d_y+ u)^2) hx hy, the
Neumann 5-point Laplacian (= an even mirror ghost at a free edge). Null space: the constants
(one rigid mode) when all four edges are free, none otherwise.

Plate (Kirchhoff, D = 1 here, scaled by kappa^2 in the scheme): with d_xx, d_yy the 3-point
second differences at the vertices where they exist and d_x+y+ the twist on cells,

    V = 1/2 hx hy [ sum_interior (d_xx u^2 + d_yy u^2 + 2 nu d_xx u d_yy u)
                    + sum_{x-edges} 1/2 (1 - nu^2) d_yy u^2 + sum_{y-edges} 1/2 (1 - nu^2) d_xx u^2
                    + 2 (1 - nu) sum_cells (d_x+y+ u)^2 ]

An edge vertex's term is the interior density with the ghost-dependent curvature (d_xx at an
x-edge) eliminated by minimising over the ghost: that sets the discrete bending moment
d_xx u + nu d_yy u to zero (the free-edge condition M_n = 0) and leaves (1 - nu^2) d_yy u^2;
at a corner both moments vanish and nothing is left. Trapezoid weights at the vertices, the
midpoint rule on the cells: the energy is second-order accurate, and so are the eigenvalues
(free square plate, nu = 0.3: -0.44 %, -0.11 % on lambda_1 at 20 and 40 intervals).
Null space: exactly {1, x, y} (d_x+y+ u = 0 on every cell makes u = f(x) + g(y), the interior
d_xx, d_yy make f, g linear): three rigid modes. Gershgorin's bound on M^{-1} K is
(4/hx^2 + 4/hy^2)^2, the interior 13-point value, so the supported plate's stability limit
carries over.

The time loop is :func:`physsynth.kernels.fd.csr_steps` (u^{n+1} = C1 u^n + C0 u^{n-1}, two
CSR matrices). A free object also moves as a rigid body when struck (it drifts
off); the pickups read the elastic motion only: the kernel subtracts the M-orthogonal
projection onto the rigid modes, exactly, at every step.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh

from physsynth.fd._common import bilinear_weights, check_inside
from physsynth.kernels.fd import csr_steps

EDGE_NAMES = ("x0", "x1", "y0", "y1")  # x = 0, x = lx, y = 0, y = ly


def _second_diff(n: int, h: float) -> sp.csr_matrix:
    """(n + 1) x (n + 1): the 3-point second difference at 1..n-1, zero rows at 0 and n."""
    r = np.repeat(np.arange(1, n), 3)
    c = (np.arange(1, n)[:, None] + np.array([-1, 0, 1])).ravel()
    v = np.tile([1.0, -2.0, 1.0], n - 1) / h**2
    return sp.csr_matrix((v, (r, c)), shape=(n + 1, n + 1))


def _forward_diff(n: int, h: float) -> sp.csr_matrix:
    """n x (n + 1): (u_{l+1} - u_l) / h."""
    return sp.diags([-np.ones(n), np.ones(n)], [0, 1], shape=(n, n + 1), format="csr") / h


def trapezoid(n: int) -> np.ndarray:
    w = np.ones(n + 1)
    w[0] = w[-1] = 0.5
    return w


def mass(nx: int, ny: int, hx: float, hy: float) -> np.ndarray:
    """Diagonal of M, flat (index l (ny + 1) + m), m^2."""
    return hx * hy * np.outer(trapezoid(nx), trapezoid(ny)).ravel()


def laplacian_stiffness(nx: int, ny: int, hx: float, hy: float) -> sp.csr_matrix:
    """K_lap: u^T K_lap u = hx hy [sum_x-links w_y (d_x+ u)^2 + sum_y-links w_x (d_y+ u)^2];
    M^{-1} K_lap is minus the Neumann (closed-grid) 5-point Laplacian."""
    fx, fy = _forward_diff(nx, hx), _forward_diff(ny, hy)
    dA = hx * hy
    return (dA * (sp.kron(fx.T @ fx, sp.diags(trapezoid(ny))) + sp.kron(sp.diags(trapezoid(nx)), fy.T @ fy))).tocsr()


def plate_stiffness(nx: int, ny: int, hx: float, hy: float, nu: float) -> sp.csr_matrix:
    """K of the free plate with D = 1 (module docstring): u^T K u = 2 V."""
    ix, iy = sp.identity(nx + 1, format="csr"), sp.identity(ny + 1, format="csr")
    dxx = sp.kron(_second_diff(nx, hx), iy, format="csr")
    dyy = sp.kron(ix, _second_diff(ny, hy), format="csr")
    dxy = sp.kron(_forward_diff(nx, hx), _forward_diff(ny, hy), format="csr")
    dA = hx * hy
    edge = 0.5 * (1.0 - nu * nu)  # trapezoid weight x the condensed edge density
    wy = np.full(ny + 1, 1.0)
    wy[0] = wy[-1] = edge
    wx = np.full(nx + 1, 1.0)
    wx[0] = wx[-1] = edge
    wxx = sp.diags(dA * np.tile(wy, nx + 1))  # d_xx rows exist at 1..nx-1 only
    wyy = sp.diags(dA * np.repeat(wx, ny + 1))
    K = (
        dxx.T @ wxx @ dxx
        + dyy.T @ wyy @ dyy
        + nu * dA * (dxx.T @ dyy + dyy.T @ dxx)
        + 2.0 * (1.0 - nu) * dA * (dxy.T @ dxy)
    )
    return K.tocsr()


def clamped_edge_stiffness(nx: int, ny: int, hx: float, hy: float, nu: float, edges) -> sp.csr_matrix:
    """The curvature energy at clamped edges (D = 1), added to :func:`plate_stiffness` with the
    edge points removed (:func:`active_mask`).

    A clamped edge is fixed (u = 0) with zero slope: its curvature is not free to vanish as at
    a supported edge (where minimising over the ghost makes the moment zero), it is the even
    ghost's d_xx u = 2 u_1 / hx^2 at the edge vertex (x-edges; y likewise). Its energy
    1/2 w hx hy (d_xx u)^2, w the trapezoid weight of the vertex, adds 2 w hx hy / hx^4 to the
    diagonal at the first interior line. With w = 1/2 on the edge this is exactly the
    13-point stencil with even (clamped) ghosts (tested); where the clamped edge meets a free
    one the corner vertex's density is condensed as on the free edge, (1 - nu^2) d_xx u^2,
    so its weight is 1/4 (1 - nu^2).
    """
    x0, x1, y0, y1 = edges
    d = np.zeros((nx + 1, ny + 1))

    def ends(n, lo, hi):  # trapezoid weights along an edge, condensed at a free neighbour
        w = np.ones(n + 1)
        w[0] = 0.5 * ((1.0 - nu * nu) if lo == "free" else 1.0)
        w[-1] = 0.5 * ((1.0 - nu * nu) if hi == "free" else 1.0)
        return w

    if x0 == "clamped":
        d[1, :] += 0.5 * ends(ny, y0, y1) * 4.0 / hx**4
    if x1 == "clamped":
        d[nx - 1, :] += 0.5 * ends(ny, y0, y1) * 4.0 / hx**4
    if y0 == "clamped":
        d[:, 1] += 0.5 * ends(nx, x0, x1) * 4.0 / hy**4
    if y1 == "clamped":
        d[:, ny - 1] += 0.5 * ends(nx, x0, x1) * 4.0 / hy**4
    return sp.diags(hx * hy * d.ravel()).tocsr()


def active_mask(nx: int, ny: int, edges) -> np.ndarray:
    """Flat bool mask of the unknowns: a fixed edge removes its points (u = 0 there)."""
    a = np.ones((nx + 1, ny + 1), dtype=bool)
    for name, bc in zip(EDGE_NAMES, edges):
        if bc == "free":
            continue
        if name == "x0":
            a[0, :] = False
        elif name == "x1":
            a[-1, :] = False
        elif name == "y0":
            a[:, 0] = False
        else:
            a[:, -1] = False
    return a.ravel()


def gershgorin(K: sp.csr_matrix, m: np.ndarray) -> float:
    """Upper bound on the eigenvalues of M^{-1} K (row sums of |M^{-1} K|)."""
    return float(np.max(np.asarray(abs(K).sum(axis=1)).ravel() / m))


def rigid_modes_of(K: sp.csr_matrix, active: np.ndarray, nx, ny, hx, hy, m) -> np.ndarray:
    """M-orthonormal rigid modes, shape (r, N), of a plate whose edges may be fixed: the
    combinations of 1, x, y that vanish at the fixed points and carry no energy (one
    supported edge leaves the rotation about it, a hinge; a clamped edge leaves none)."""
    x = np.repeat(np.arange(nx + 1) * hx, ny + 1)
    y = np.tile(np.arange(ny + 1) * hy, nx + 1)
    B = np.stack([np.ones_like(x), x, y], axis=1)
    fixed = B[~active]
    if len(fixed):
        _, sv, vt = np.linalg.svd(fixed)
        rank = int(np.sum(sv > 1e-12 * sv[0]))
        Q = vt[rank:].T
    else:
        Q = np.eye(3)
    if Q.shape[1] == 0:
        return np.zeros((0, active.size))
    V = B @ Q

    ev, vec = eigh(V.T @ (K @ V), V.T @ (m[:, None] * V))
    scale = gershgorin(K, m) if K.nnz else 1.0
    keep = vec[:, np.abs(ev) < 1e-9 * scale]
    out = []
    for v in (V @ keep).T:
        v = v.copy()
        for q in out:
            v -= (q * m * v).sum() * q
        out.append(v / np.sqrt((v * m * v).sum()))
    return np.array(out) if out else np.zeros((0, active.size))


def rigid_modes(nx, ny, hx, hy, m, which: int) -> np.ndarray:
    """M-orthonormal rigid modes, shape (which, N): 1 -> constants; 3 -> 1, x, y."""
    x = np.repeat(np.arange(nx + 1) * hx, ny + 1)
    y = np.tile(np.arange(ny + 1) * hy, nx + 1)
    basis = [np.ones_like(x), x, y][:which]
    out = []
    for v in basis:
        v = v.copy()
        for q in out:
            v -= (q * m * v).sum() * q
        out.append(v / np.sqrt((v * m * v).sum()))
    return np.array(out).reshape(which, -1)


class FreeOperator:
    """The assembled scheme of a membrane or plate with free (or mixed) edges.

    Attributes
    ----------
    nx, ny, hx, hy
    m : ndarray (N,)
        Mass diagonal / density (m^2), N = (nx + 1)(ny + 1).
    K : csr (N, N)
        Stiffness per density: kappa^2 K_plate (plate) or c^2 K_lap (membrane), 1/s^2 x m^2.
    L : csr (N, N) or None
        K_lap for the sigma1 loss (plate).
    active : ndarray (N,) bool
    rigid : ndarray (n_rigid, N)
        M-orthonormal rigid modes.
    """

    def __init__(self, nx, ny, hx, hy, K, L, active, n_rigid):
        self.nx, self.ny, self.hx, self.hy = nx, ny, hx, hy
        self.m = mass(nx, ny, hx, hy)
        d = sp.diags(active.astype(float))
        self.K = (d @ K @ d).tocsr()
        self.L = None if L is None else (d @ L @ d).tocsr()
        self.active = active
        if n_rigid is None:  # work them out (plates with some edges fixed)
            self.rigid = rigid_modes_of(self.K, active, nx, ny, hx, hy, self.m)
        else:
            self.rigid = rigid_modes(nx, ny, hx, hy, self.m, n_rigid) if n_rigid else np.zeros((0, active.size))

    @property
    def n(self) -> int:
        return self.active.size

    def bound(self) -> tuple[float, float]:
        """Gershgorin bounds on the eigenvalues of M^{-1} K and M^{-1} K_lap."""
        return (gershgorin(self.K, self.m), 0.0 if self.L is None else gershgorin(self.L, self.m))

    def step_matrices(self, k: float, sigma0: float, sigma1: float):
        """CSR matrices of u^{n+1} = C1 u^n + C0 u^{n-1}, as (indptr, indices, data) x 2:
        C1 = (2 - k^2 M^{-1} K - 2 sigma1 k M^{-1} L)/(1 + sigma0 k),
        C0 = (-(1 - sigma0 k) + 2 sigma1 k M^{-1} L)/(1 + sigma0 k), rows of fixed points zero
        (C0 is diagonal for the membrane, 5-point for the plate: stored apart, fewer flops)."""
        minv = sp.diags(1.0 / self.m)
        eye = sp.diags(self.active.astype(float))
        den = 1.0 + sigma0 * k
        c1 = (2.0 * eye - k * k * (minv @ self.K)) / den
        c0 = -(1.0 - sigma0 * k) * eye / den
        if self.L is not None and sigma1:
            c1 = c1 - 2.0 * sigma1 * k * (minv @ self.L) / den
            c0 = c0 + 2.0 * sigma1 * k * (minv @ self.L) / den
        out = []
        for c in (c1, c0):
            c = sp.csr_matrix(c)
            c.eliminate_zeros()
            c.sort_indices()
            out += [
                c.indptr.astype(np.int64),
                c.indices.astype(np.int64),
                np.ascontiguousarray(c.data, dtype=np.float64),
            ]
        return tuple(out)

    def energy(self, k, sigma1, u_prev, u_cur) -> float:
        """H at n - 1/2 per density (module docstring), J / (kg/m^2)."""
        v = (u_cur - u_prev) / k
        e = 0.5 * np.sum(self.m * v * v) + 0.5 * u_cur @ (self.K @ u_prev)
        if self.L is not None and sigma1:
            e -= 0.5 * sigma1 * k * v @ (self.L @ v)
        return float(e)


def pickup_weights(op: FreeOperator, lx, ly, pickups):
    """Flat indices (n_pk, 4) and bilinear weights of the pickups."""

    pk_idx = np.zeros((len(pickups), 4), dtype=np.int64)
    pk_w = np.zeros((len(pickups), 4))
    for p, (x, y) in enumerate(pickups):
        i, j, w = bilinear_weights(
            check_inside("pickup x", x, lx), check_inside("pickup y", y, ly), op.hx, op.hy, op.nx, op.ny, 0
        )
        pk_idx[p] = i * (op.ny + 1) + j
        pk_w[p] = w
    return pk_idx, pk_w


def source_weights(op: FreeOperator, lx, ly, at, k, rho, sigma0):
    """Flat indices and weights (m per N) of a point force at ``at``: J = M^{-1} I^T,
    the transpose of the bilinear interpolant (energy-consistent); fixed points dropped."""

    x, y = at
    i, j, w = bilinear_weights(
        check_inside("strike x", x, lx), check_inside("strike y", y, ly), op.hx, op.hy, op.nx, op.ny, 0
    )
    idx = i * (op.ny + 1) + j
    keep = op.active[idx]
    idx = idx[keep]
    return idx, w[keep] * k * k / (op.m[idx] * rho * (1.0 + sigma0 * k))


def run_free(
    op: FreeOperator,
    k,
    sigma0,
    sigma1,
    rho,
    lx,
    ly,
    u0,
    u1,
    n_steps,
    *,
    pickups=(),
    velocity=True,
    force=None,
    force_at=None,
    mats=None,
):
    """Advance ``n_steps`` from flat states u0 (n-1), u1 (n); returns (out, (prev, cur)).
    The pickups read u minus its rigid-body part (M-orthogonal projection)."""
    mats = op.step_matrices(k, sigma0, sigma1) if mats is None else mats
    pk_idx, pk_w = pickup_weights(op, lx, ly, pickups)
    rig_pk = np.array([[np.dot(pk_w[p], r[pk_idx[p]]) for r in op.rigid] for p in range(len(pickups))]).reshape(
        len(pickups), len(op.rigid)
    )
    rig_w = np.ascontiguousarray(op.rigid * op.m)
    if force is None:
        force = np.zeros(0)
        si = np.zeros(0, dtype=np.int64)
        sw = np.zeros(0)
    else:
        si, sw = source_weights(op, lx, ly, force_at, k, rho, sigma0)
    u2 = np.zeros_like(u1)
    out = np.zeros((len(pickups), int(n_steps)))
    r = csr_steps(
        u0,
        u1,
        u2,
        *mats,
        si,
        sw,
        np.ascontiguousarray(force, dtype=np.float64),
        pk_idx,
        pk_w,
        rig_w,
        np.ascontiguousarray(rig_pk),
        velocity,
        1.0 / k,
        out,
    )
    arrs = (u0, u1, u2)
    return out, (arrs[r], arrs[(r + 1) % 3])


def step_numpy(op: FreeOperator, k, sigma0, sigma1, u0, u1):
    """One step by sparse algebra (the reference :func:`csr_steps` is tested against):
    (1 + s0 k) u2 = 2 u1 - (1 - s0 k) u0 - k^2 M^{-1} K u1 - 2 s1 k M^{-1} L (u1 - u0)."""
    rhs = 2.0 * u1 - (1.0 - sigma0 * k) * u0 - k * k * (op.K @ u1) / op.m
    if op.L is not None:
        rhs -= 2.0 * sigma1 * k * (op.L @ (u1 - u0)) / op.m
    return np.where(op.active, rhs / (1.0 + sigma0 * k), 0.0)
