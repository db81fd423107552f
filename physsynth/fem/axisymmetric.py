"""Axisymmetric linear elasticity by circumferential order: the meridian-section forms.

A body of revolution about the z axis has modes of one circumferential order n each. In
cylindrical coordinates (r, theta, z) the displacement of order n is (docs/axisymmetric.md)

    u_r = U(r, z) cos(n theta),  u_theta = V(r, z) sin(n theta),  u_z = W(r, z) cos(n theta)

and its rotated twin (cos and sin exchanged, u_theta = -V cos(n theta)), which has the same
energy for n >= 1: every mode of order n >= 1 is an exact doublet. With the engineering strains

    e_rr = U_r,  e_zz = W_z,  e_tt = (U + n V) / r,  g_rz = U_z + W_r,
    g_rt = V_r - (V + n U) / r,  g_tz = V_z - n W / r

the strain energy and kinetic energy integrate over theta in closed form (a factor pi for
n >= 1, 2 pi for n = 0, the same in both), leaving forms on the section weighted by r:

    K(n) = int (B0 + n B1)^T D (B0 + n B1) r dr dz = K00 + n K01 + n^2 K11,
    M    = int rho (U U' + V V' + W W') r dr dz,

so each order's stiffness is a combination of three matrices assembled once. At n = 0 the
matrices split into the meridional (U, W) and torsional (V) families, found in one solve.

The axis r = 0: the 1/r terms stay bounded only if the field is regular there (Cartesian
displacement smooth across the axis), which fixes at every node on the axis
(Bathe, *Finite Element Procedures*, sec. 5.3; Zienkiewicz and Taylor vol. 1, ch. 9):

* n = 0: U = V = 0 (W free: the axial motion of the axis);
* n = 1: W = 0 and U + V = 0 (the axis moves sideways: u_x = U, u_y = 0 at theta = 0);
* n >= 2: U = V = W = 0.

These are imposed exactly by a transformation x = T y (the n = 1 pair becomes one DOF), so the
quadrature (interior Gauss points, r > 0) sees integrands that are polynomials on elements with
an edge on the axis. Quadratic (P2) triangles by default; P1 is far too stiff in bending.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from skfem import Basis, BilinearForm, ElementTriP1, ElementTriP2, ElementVector, MeshTri, asm

from physsynth.errors import MeshError, PhyssynthError
from physsynth.materials import Material

#: Quadrature order: P2 mass r phi phi is of degree 5; the 1/r terms are polynomials of
#: degree <= 5 on elements along the axis once the axis conditions hold.
INTORDER = 6
#: Stored entries of the 3-component P2 stiffness per DOF (measured on bowl sections: 33..40).
NNZ_PER_DOF = {2: 40.0, 1: 21.0}


def count_dofs(n_vertices: int, n_edges: int, order: int = 2) -> int:
    """DOFs of the 3-component field on the section before the axis conditions."""
    return 3 * (n_vertices + (n_edges if order == 2 else 0))


@dataclass(frozen=True)
class AxisymmetricDiscretisation:
    """The order-independent matrices of an axisymmetric body on its meridian section.

    Attributes
    ----------
    K00, K01, K11 : scipy.sparse.csr_matrix, shape (n_dofs, n_dofs), N/m per radian
        K(n) = K00 + n K01 + n^2 K11 (per unit angle: times pi, or 2 pi for n = 0, in 3D).
    M : scipy.sparse.csr_matrix, shape (n_dofs, n_dofs), kg per radian
        Consistent mass, weighted by r.
    basis : skfem.CellBasis
        The 3-component vector basis on the section (x[0] = r, x[1] = z).
    scalar : skfem.CellBasis
        Its scalar basis (P1 or P2); vector DOF ``comp[c][i]`` is component c (U, V, W) of
        scalar DOF i.
    comp : ndarray of int, shape (3, n_scalar)
        Vector DOF index of each component (U, V, W) of each scalar DOF.
    axis : ndarray of int
        Scalar DOFs on the axis (r = 0).
    order : int
    """

    K00: sp.csr_matrix
    K01: sp.csr_matrix
    K11: sp.csr_matrix
    M: sp.csr_matrix
    basis: object
    scalar: object
    comp: np.ndarray
    axis: np.ndarray
    order: int
    _reduced: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_dofs(self) -> int:
        return self.M.shape[0]

    @property
    def doflocs(self) -> np.ndarray:
        """(r, z) of each scalar DOF, shape (n_scalar, 2), m."""
        return self.scalar.doflocs.T

    def stiffness(self, n: int) -> sp.csr_matrix:
        """K(n) = K00 + n K01 + n^2 K11 for circumferential order ``n`` >= 0."""
        return (self.K00 + float(n) * self.K01 + float(n * n) * self.K11).tocsr()

    def reduced(self, n: int, fixed=()) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """(T, T^T K(n) T, T^T M T): order n's operators in the coordinates of :meth:`axis_transform`.

        The transform depends on n only through min(n, 2), so the four reduced matrices are made
        once per class (and set of clamps) on one sparsity pattern, and K(n) is then the sum
        of three data arrays (a tenth of forming and reducing K(n) anew, which was a third of
        the solve per order)."""
        fixed = np.unique(np.asarray(fixed, dtype=np.int64))
        key = (min(int(n), 2), fixed.tobytes())
        hit = self._reduced.get(key)
        if hit is None:
            T = self.axis_transform(key[0], fixed)
            parts = [(T.T @ X @ T).tocsr() for X in (self.K00, self.K01, self.K11, self.M)]
            Z = (abs(parts[0]) + abs(parts[1]) + abs(parts[2]) + abs(parts[3])).tocsr()
            Z.sort_indices()
            hit = (T, Z.indptr, Z.indices, [_on_pattern(Z, X) for X in parts])
            self._reduced[key] = hit
        T, indptr, indices, (d00, d01, d11, dm) = hit
        shape = (len(indptr) - 1,) * 2
        K = sp.csr_matrix((d00 + float(n) * d01 + float(n * n) * d11, indices, indptr), shape=shape)
        return T, K, sp.csr_matrix((dm, indices, indptr), shape=shape)

    def axis_transform(self, n: int, fixed=()) -> sp.csr_matrix:
        """T, shape (n_dofs, n_reduced): x = T y satisfies the axis conditions of order n.

        ``fixed`` lists further vector DOFs held at zero (clamps). The columns are unit vectors
        except for the n = 1 axis pair, whose one column sets U = 1, V = -1."""
        U, V, W = self.comp
        a = self.axis
        drop = set(int(i) for i in fixed)
        pair = {}
        if n == 0:
            drop |= set(U[a].tolist()) | set(V[a].tolist())
        elif n == 1:
            drop |= set(W[a].tolist())
            for i in a:
                if U[i] not in drop and V[i] not in drop:
                    pair[int(U[i])] = int(V[i])
                    drop.add(int(V[i]))
                else:  # a clamp on one of the pair holds both
                    drop |= {int(U[i]), int(V[i])}
        else:
            drop |= set(U[a].tolist()) | set(V[a].tolist()) | set(W[a].tolist())
        keep = np.setdiff1d(np.arange(self.n_dofs), np.fromiter(drop, dtype=np.int64, count=len(drop)))
        col = np.arange(len(keep))
        rows, cols, vals = [keep], [col], [np.ones(len(keep))]
        if pair:
            where = {int(k): j for j, k in enumerate(keep)}
            pu = np.fromiter(pair.keys(), dtype=np.int64)
            pv = np.fromiter(pair.values(), dtype=np.int64)
            rows.append(pv)
            cols.append(np.array([where[int(u)] for u in pu]))
            vals.append(-np.ones(len(pv)))
        T = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(self.n_dofs, len(keep))
        )
        return T

    def rigid_body_vectors(self, n: int) -> np.ndarray:
        """Rigid-body motions of order n as DOF vectors, shape (n_dofs, k) (k = 2 for n = 0, 1)."""
        r, z = self.doflocs.T
        U, V, W = self.comp
        out = []
        if n == 0:
            t = np.zeros(self.n_dofs)
            t[W] = 1.0  # translation along z
            out.append(t)
            t = np.zeros(self.n_dofs)
            t[V] = r  # rotation about z
            out.append(t)
        elif n == 1:
            t = np.zeros(self.n_dofs)
            t[U], t[V] = 1.0, -1.0  # translation along x
            out.append(t)
            t = np.zeros(self.n_dofs)
            t[U], t[V], t[W] = z, -z, -r  # rotation about y
            out.append(t)
        return np.column_stack(out) if out else np.zeros((self.n_dofs, 0))


def _on_pattern(Z: sp.csr_matrix, X: sp.csr_matrix) -> np.ndarray:
    """The entries of X on the (sorted) pattern of Z, which holds X's: a data array for Z's indices."""
    X = X.tocsr()
    X.sum_duplicates()
    X.eliminate_zeros()
    zk = np.repeat(np.arange(Z.shape[0], dtype=np.int64), np.diff(Z.indptr)) * Z.shape[1] + Z.indices
    xk = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr)) * X.shape[1] + X.indices
    out = np.zeros(Z.nnz)
    out[np.searchsorted(zk, xk)] = X.data
    return out


def lame(material: Material) -> tuple[float, float]:
    """Lame parameters (lambda, mu) in Pa of an isotropic material."""
    E, nu = material.E, material.nu
    return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))


def _strain(u, n: float, r):
    """Engineering strains (e_rr, e_zz, e_tt, g_rz, g_rt, g_tz) of order n (module docstring)."""
    U, V, W = u  # the field's value: a DiscreteField is its value array (u.value warns in scikit-fem >= 10)
    gU, gV, gW = u.grad
    return (
        gU[0],
        gW[1],
        (U + n * V) / r,
        gU[1] + gW[0],
        gV[0] - (V + n * U) / r,
        gV[1] - n * W / r,
    )


def _stiffness_form(lam: float, mu: float, n: float):
    @BilinearForm
    def form(u, v, w):
        r = w.x[0]
        eu, ev = _strain(u, n, r), _strain(v, n, r)
        tr_u = eu[0] + eu[1] + eu[2]
        tr_v = ev[0] + ev[1] + ev[2]
        normal = 2 * mu * (eu[0] * ev[0] + eu[1] * ev[1] + eu[2] * ev[2]) + lam * tr_u * tr_v
        shear = mu * (eu[3] * ev[3] + eu[4] * ev[4] + eu[5] * ev[5])
        return (normal + shear) * r

    return form


def _mass_form(rho: float):
    @BilinearForm
    def form(u, v, w):
        return rho * (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) * w.x[0]

    return form


def elasticity_matrix(lam: float, mu: float) -> np.ndarray:
    """D, shape (6, 6), Pa: stresses of the strains (e_rr, e_zz, e_tt, g_rz, g_rt, g_tz)."""
    D = np.zeros((6, 6))
    D[:3, :3] = lam
    D[[0, 1, 2], [0, 1, 2]] = lam + 2 * mu
    D[[3, 4, 5], [3, 4, 5]] = mu
    return D


@dataclass(frozen=True)
class Kinematics:
    """Strain-displacement operators of every element at its quadrature points.

    e = (B0 + n B1) x_e for the element's local DOF vector x_e (local index 3 a + c: component
    c of its scalar function a); ``rdx`` is r times the quadrature weight and Jacobian (m^3).
    """

    B0: np.ndarray  # (n_el, n_qp, 6, 3 n_b)
    B1: np.ndarray
    phi: np.ndarray  # (n_el, n_qp, n_b)
    rdx: np.ndarray  # (n_el, n_qp)
    dofs: np.ndarray  # (n_el, 3 n_b) global vector DOFs


def kinematics(scalar) -> Kinematics:
    """B0, B1 of the module docstring's strains, from a scalar skfem CellBasis on the section."""
    nb = scalar.Nbfun
    x = scalar.mapping.F(scalar.quadrature[0])  # (2, n_el, n_qp)
    r = x[0]
    phi = np.stack([np.asarray(scalar.basis[a][0]) for a in range(nb)], axis=-1)  # (n_el, n_qp, nb)
    grad = np.stack([scalar.basis[a][0].grad for a in range(nb)], axis=-1)  # (2, n_el, n_qp, nb)
    gr, gz = grad[0], grad[1]
    pr = phi / r[..., None]
    ne, nq = r.shape
    B0 = np.zeros((ne, nq, 6, nb, 3))
    B1 = np.zeros((ne, nq, 6, nb, 3))
    B0[:, :, 0, :, 0] = gr  # e_rr = U_r
    B0[:, :, 1, :, 2] = gz  # e_zz = W_z
    B0[:, :, 2, :, 0] = pr  # e_tt = (U + n V) / r
    B1[:, :, 2, :, 1] = pr
    B0[:, :, 3, :, 0] = gz  # g_rz = U_z + W_r
    B0[:, :, 3, :, 2] = gr
    B0[:, :, 4, :, 1] = gr - pr  # g_rt = V_r - (V + n U) / r
    B1[:, :, 4, :, 0] = -pr
    B0[:, :, 5, :, 1] = gz  # g_tz = V_z - n W / r
    B1[:, :, 5, :, 2] = -pr
    rdx = r * scalar.dx
    sd = scalar.element_dofs.T  # (n_el, nb)
    dofs = (3 * sd[:, :, None] + np.arange(3)[None, None, :]).reshape(ne, 3 * nb)
    return Kinematics(B0.reshape(ne, nq, 6, 3 * nb), B1.reshape(ne, nq, 6, 3 * nb), phi, rdx, dofs)


def _scatter(ke: np.ndarray, dofs: np.ndarray, n: int) -> sp.csr_matrix:
    m = dofs.shape[1]
    rows = np.repeat(dofs, m, axis=1).ravel()
    cols = np.tile(dofs, (1, m)).ravel()
    return sp.csr_matrix((ke.ravel(), (rows, cols)), shape=(n, n))


def quadratic_forms(kin: Kinematics, X: np.ndarray, orders, D: np.ndarray, rho: float) -> np.ndarray:
    """x^T K(n) x and x^T M x of each column of X (orders[k] its order), shape (k, 2)."""
    xe = X[kin.dofs]  # (n_el, 3 nb, k)
    n = np.asarray(orders, dtype=float)
    e = np.matmul(kin.B0[:, :, None], xe.transpose(0, 2, 1)[:, None, :, :, None])[..., 0]  # (e, q, k, 6)
    e = e + n[None, None, :, None] * np.matmul(kin.B1[:, :, None], xe.transpose(0, 2, 1)[:, None, :, :, None])[..., 0]
    energy = np.einsum("eqks,eqks,eq->k", e @ D, e, kin.rdx, optimize=True)
    nb = kin.phi.shape[-1]
    u = np.einsum("eqa,eack->eqck", kin.phi, xe.reshape(xe.shape[0], nb, 3, -1), optimize=True)
    kinetic = rho * np.einsum("eqck,eqck,eq->k", u, u, kin.rdx, optimize=True)
    return np.column_stack([energy, kinetic])


def assemble_axisymmetric(
    points: np.ndarray, triangles: np.ndarray, material: Material, *, order: int = 2, reference: bool = False
) -> AxisymmetricDiscretisation:
    """Assemble K00, K01, K11 and M on a triangle mesh of the meridian section.

    Parameters
    ----------
    points : ndarray, shape (n_nodes, 2), m
        (r, z) of the section's nodes, r >= 0.
    triangles : ndarray of int, shape (n_tri, 3)
        Corner nodes of the section's triangles.
    material : Material
        Isotropic elastic material (E in Pa, nu, rho in kg/m^3).
    order : {2, 1}
        Element order.
    reference : bool
        Assemble with scikit-fem's BilinearForm (the slow reference the tests compare the
        batched element matrices against).
    """
    if order not in (1, 2):
        raise MeshError(f"element order must be 1 or 2, got {order}")
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) < 3:
        raise MeshError(f"a section needs (r, z) points, shape (n, 2), got {points.shape}")
    extent = float(np.ptp(points, axis=0).max())
    if np.any(points[:, 0] < -1e-9 * extent):
        raise MeshError("a section lies in r >= 0 (the half-plane right of the axis); some nodes have r < 0")
    points = points.copy()
    points[:, 0] = np.maximum(points[:, 0], 0.0)
    mesh = MeshTri(np.ascontiguousarray(points.T), np.ascontiguousarray(np.asarray(triangles, dtype=np.int64).T))
    elem = ElementTriP2() if order == 2 else ElementTriP1()
    scalar = Basis(mesh, elem, intorder=INTORDER)
    basis = scalar.with_element(ElementVector(elem, 3))
    lam, mu = lame(material)
    if not (np.isfinite(lam) and lam >= 0 and mu > 0):
        raise PhyssynthError(f"material {material.name}: E and nu give no positive-definite elasticity")
    ns = scalar.N
    nd = 3 * ns
    if reference:
        k0 = asm(_stiffness_form(lam, mu, 0.0), basis)
        kp = asm(_stiffness_form(lam, mu, 1.0), basis)
        km = asm(_stiffness_form(lam, mu, -1.0), basis)
        K00, K01, K11 = k0, 0.5 * (kp - km), 0.5 * (kp + km) - k0
        M = asm(_mass_form(material.rho), basis)
    else:
        kin = kinematics(scalar)
        D = elasticity_matrix(lam, mu)
        # element matrices: sum over quadrature points of B^T D B r dx, as batched products
        w = kin.rdx[..., None, None]
        DB0 = np.matmul(D, kin.B0) * w
        DB1 = np.matmul(D, kin.B1) * w
        B0t, B1t = kin.B0.transpose(0, 1, 3, 2), kin.B1.transpose(0, 1, 3, 2)
        k00 = np.matmul(B0t, DB0).sum(axis=1)
        k01 = np.matmul(B0t, DB1).sum(axis=1)
        k11 = np.matmul(B1t, DB1).sum(axis=1)
        mab = material.rho * np.einsum("eqa,eqb,eq->eab", kin.phi, kin.phi, kin.rdx, optimize=True)
        nb = kin.phi.shape[-1]
        me = np.einsum("eab,cd->eacbd", mab, np.eye(3)).reshape(len(mab), 3 * nb, 3 * nb)
        K00 = _scatter(k00, kin.dofs, nd)
        K01 = _scatter(k01 + k01.transpose(0, 2, 1), kin.dofs, nd)
        K11 = _scatter(k11, kin.dofs, nd)
        M = _scatter(me, kin.dofs, nd)
    # Vector DOF 3 i + c is component c of scalar DOF i (skfem's interleaved ElementVector).
    comp = np.vstack([np.arange(ns) * 3 + c for c in range(3)])
    tol = 1e-9 * extent
    axis = np.flatnonzero(scalar.doflocs[0] <= tol)
    return AxisymmetricDiscretisation(
        K00.tocsr(), K01.tocsr(), K11.tocsr(), M.tocsr(), basis, scalar, comp, axis, order
    )
