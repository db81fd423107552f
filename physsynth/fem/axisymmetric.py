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

from dataclasses import dataclass

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


def assemble_axisymmetric(
    points: np.ndarray, triangles: np.ndarray, material: Material, *, order: int = 2
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
    mesh = MeshTri(points.T, np.asarray(triangles, dtype=np.int64).T)
    elem = ElementTriP2() if order == 2 else ElementTriP1()
    scalar = Basis(mesh, elem, intorder=INTORDER)
    basis = scalar.with_element(ElementVector(elem, 3))
    lam, mu = lame(material)
    if not (np.isfinite(lam) and lam >= 0 and mu > 0):
        raise PhyssynthError(f"material {material.name}: E and nu give no positive-definite elasticity")
    k0 = asm(_stiffness_form(lam, mu, 0.0), basis)
    kp = asm(_stiffness_form(lam, mu, 1.0), basis)
    km = asm(_stiffness_form(lam, mu, -1.0), basis)
    K01 = 0.5 * (kp - km)
    K11 = 0.5 * (kp + km) - k0
    M = asm(_mass_form(material.rho), basis)
    ns = scalar.N
    # Vector DOF 3 i + c is component c of scalar DOF i (skfem's interleaved ElementVector).
    comp = np.vstack([np.arange(ns) * 3 + c for c in range(3)])
    assert np.allclose(basis.doflocs[:, comp[0]], scalar.doflocs)
    tol = 1e-9 * extent
    axis = np.flatnonzero(scalar.doflocs[0] <= tol)
    return AxisymmetricDiscretisation(k0.tocsr(), K01.tocsr(), K11.tocsr(), M.tocsr(), basis, scalar, comp, axis, order)
