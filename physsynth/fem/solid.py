"""3D linear elasticity: stiffness and mass matrices with scikit-fem.

Weak form (docs/theory.md, "Elasticity"): find u such that for all test functions v

    int_Omega sigma(u) : eps(v) dx = omega^2 int_Omega rho u . v dx,
    sigma(u) = lambda tr(eps(u)) I + 2 mu eps(u),  eps(u) = (grad u + grad u^T) / 2,

giving K x = omega^2 M x with K, M symmetric, M positive definite, K positive semi-definite
(six zero modes when nothing is clamped).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from skfem import Basis, BilinearForm, ElementTetP1, ElementTetP2, MeshTet1, MeshTet2, asm

from physsynth.errors import MeshError, SelectorError
from physsynth.fem.selectors import resolve
from physsynth.fem.topology import n_edges, n_vertices
from physsynth.materials import Material
from physsynth.mesh import TET_EDGES, Mesh, characteristic_length

#: Peak memory of the assembly per tetrahedron (bytes), measured (tracemalloc) on P2 and P1
#: bars of 2 10^3..5 10^4 tetrahedra: the batched element matrices dominate.
ASSEMBLY_BYTES = {2: 39e3, 1: 7e3}
#: Stored entries of K per DOF (P2: 74..81 measured; P1: about 45).
NNZ_PER_DOF = {2: 81.0, 1: 45.0}


def count_dofs(mesh: Mesh, order: int = 2) -> int:
    """DOFs of the vector field before any is fixed: 3 (vertices + edges) for P2, 3 vertices for P1."""
    return 3 * (n_vertices(mesh) + (n_edges(mesh) if order == 2 else 0))


@dataclass(frozen=True)
class SolidDiscretisation:
    """Assembled operators of a 3D elastic solid.

    Attributes
    ----------
    K : scipy.sparse.csr_matrix, shape (n_dofs, n_dofs), N/m
        Stiffness.
    M : scipy.sparse.csr_matrix, shape (n_dofs, n_dofs), kg
        Consistent mass.
    doflocs : ndarray, shape (n_dofs, 3), m
        Location of each degree of freedom.
    component : ndarray of int, shape (n_dofs,)
        Displacement component (0, 1, 2) of each degree of freedom.
    to_nodes : scipy.sparse.csr_matrix, shape (3 n_nodes, n_dofs)
        Maps a DOF vector to displacements at the mesh nodes, node-major (x0, y0, z0, x1, ...).
    order : int
        Polynomial order of the elements (1 or 2).
    curved : bool
        True when quadratic input geometry with curved edges is used (isoparametric).
    basis : skfem.CellBasis
        The scalar basis (P1 or P2) with the stiffness quadrature; vector DOF 3 i + c is
        component c of scalar DOF i.
    """

    K: sp.csr_matrix
    M: sp.csr_matrix
    doflocs: np.ndarray
    component: np.ndarray
    to_nodes: sp.csr_matrix
    order: int
    curved: bool
    basis: object
    mesh: Mesh

    @property
    def n_dofs(self) -> int:
        return self.K.shape[0]

    def rigid_body_vectors(self) -> np.ndarray:
        """The six rigid-body displacement fields, shape (n_dofs, 6): 3 translations, 3 rotations."""
        n = self.n_dofs
        R = np.zeros((n, 6))
        c = self.component
        x = self.doflocs - self.doflocs.mean(axis=0)
        for k in range(3):
            R[c == k, k] = 1.0
        # rotation about axis a: u = e_a x X
        for a in range(3):
            u = np.cross(np.eye(3)[a], x)
            R[:, 3 + a] = u[np.arange(n), c]
        return R

    def select_dofs(self, selectors) -> np.ndarray:
        """DOF indices of the nodes selected by region names or coordinate predicates."""
        out = [np.zeros(0, dtype=np.int64)]
        for s in selectors:
            out.append(_select(self, s))
        return np.unique(np.concatenate(out))


def _corner_mesh(mesh: Mesh):
    """scikit-fem mesh of the corner nodes, and the map from skfem vertices to mesh nodes."""
    corners = mesh.corner_nodes
    local = np.full(mesh.n_nodes, -1, dtype=np.int64)
    local[corners] = np.arange(len(corners))
    t = local[mesh.cells[:, :4]]
    m = MeshTet1(np.ascontiguousarray(mesh.points[corners].T), np.ascontiguousarray(t.T), sort_t=False)
    return m, corners


def _edge_keys(a, b, n):
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return lo * n + hi


def _midside_lookup(mesh: Mesh, corners: np.ndarray, skedges: np.ndarray) -> np.ndarray:
    """Mesh node index of the mid-edge node of each scikit-fem edge (tetra10 input)."""
    n = mesh.n_nodes
    a = mesh.cells[:, TET_EDGES[:, 0]].ravel()
    b = mesh.cells[:, TET_EDGES[:, 1]].ravel()
    mid = mesh.cells[:, 4:].ravel()
    keys = _edge_keys(a, b, n)
    order = np.argsort(keys)
    keys, mid = keys[order], mid[order]
    want = _edge_keys(corners[skedges[0]], corners[skedges[1]], n)
    pos = np.searchsorted(keys, want)
    if np.any(pos >= len(keys)) or np.any(keys[np.minimum(pos, len(keys) - 1)] != want):
        raise MeshError("inconsistent tetra10 mesh: an edge has no mid-edge node")
    return mid[pos]


def assemble_solid(mesh: Mesh, material: Material, *, order: int = 2) -> SolidDiscretisation:
    """Assemble stiffness and mass of a 3D elastic solid.

    Parameters
    ----------
    mesh : Mesh
        Linear or quadratic tetrahedra, metres.
    material : Material
    order : {1, 2}
        Element order: P2 (quadratic, default) or P1 (linear). P1 tetrahedra are far too stiff
        in bending; use them only for quick looks.

    Returns
    -------
    SolidDiscretisation
    """
    if order not in (1, 2):
        raise MeshError(f"element order must be 1 or 2, got {order}")
    m1, corners = _corner_mesh(mesh)
    curved = False
    if mesh.order == 2:
        mids = _midside_lookup(mesh, corners, m1.edges)
        straight = 0.5 * (m1.p[:, m1.edges[0]] + m1.p[:, m1.edges[1]])
        dev = np.linalg.norm(mesh.points[mids].T - straight, axis=0)
        elen = np.linalg.norm(m1.p[:, m1.edges[0]] - m1.p[:, m1.edges[1]], axis=0)
        curved = bool(np.any(dev > 1e-6 * elen))
    else:
        mids = None

    if order == 2 and curved:
        # Isoparametric P2: the mid-edge nodes of the file define the curved geometry.
        m2 = MeshTet2.from_mesh(m1)
        doflocs = m2.doflocs.copy()
        doflocs[:, m2.dofs.edge_dofs[0]] = mesh.points[mids].T
        skmesh = replace(m2, doflocs=doflocs)
        elem = ElementTetP2()
        ik, im = 4, 4
    else:
        skmesh = m1
        elem = ElementTetP2() if order == 2 else ElementTetP1()
        # Exact quadrature on straight tetrahedra: grad P2 is P1, so the stiffness integrand
        # is quadratic (order 2); the P2 mass integrand is quartic (order 4).
        ik, im = (2, 4) if order == 2 else (1, 2)

    # Scalar bases: the vector field's DOFs are the scalar ones times three components,
    # interleaved (3 i + c), exactly as scikit-fem's ElementVector numbers them.
    basis_k = Basis(skmesh, elem, intorder=ik)
    basis_m = Basis(skmesh, elem, intorder=im)
    lam, mu = material.lame
    rho = material.rho

    @BilinearForm
    def mass(u, v, w):
        return rho * u * v

    K = elasticity_stiffness(basis_k, lam, mu)
    # The vector mass is the scalar one on each component: M = M_scalar kron I_3.
    M = sp.kron(asm(mass, basis_m), sp.identity(3), format="csr")

    n_dofs = 3 * basis_k.N
    doflocs = np.repeat(basis_k.doflocs.T, 3, axis=0)
    component = np.tile(np.arange(3), basis_k.N)

    # Map DOFs to the input mesh's nodes: corner nodes take nodal DOFs; mid-edge nodes take
    # P2 edge DOFs, or with P1 the mean of their edge's two corners.
    rows, cols, vals = [], [], []
    nodal = basis_k.nodal_dofs[0]
    for c in range(3):
        rows.append(3 * corners + c)
        cols.append(3 * nodal + c)
        vals.append(np.ones(len(corners)))
        if mids is not None:
            if order == 2:
                rows.append(3 * mids + c)
                cols.append(3 * basis_k.edge_dofs[0] + c)
                vals.append(np.ones(len(mids)))
            else:
                for end in (0, 1):
                    rows.append(3 * mids + c)
                    cols.append(3 * nodal[m1.edges[end]] + c)
                    vals.append(np.full(len(mids), 0.5))
    to_nodes = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(3 * mesh.n_nodes, n_dofs)
    )
    return SolidDiscretisation(K, M, doflocs, component, to_nodes, order, curved, basis_k, mesh)


def elasticity_stiffness(basis, lam: float, mu: float) -> sp.csr_matrix:
    """Isotropic elasticity stiffness on a scalar scikit-fem basis, vector DOFs interleaved.

    Computes the same matrix as ``asm(linear_elasticity(lam, mu), Basis(mesh,
    ElementVector(elem)))`` (tests/test_fem.py checks it) about five times faster: the
    element matrices come from one batched product of the scalar gradients,

        K_(ia)(jb) = sum_q w_q [lam d_a phi_i d_b phi_j + mu d_b phi_i d_a phi_j
                                + mu delta_ab grad phi_i . grad phi_j],

    and are summed as 3 x 3 blocks on the scalar sparsity pattern (a BSR matrix), which
    sorts nine times fewer entries than a COO assembly of the vector matrix.

    Parameters
    ----------
    basis : skfem CellBasis of a scalar element, with its quadrature (``intorder``).
    lam, mu : float, Pa
        Lame parameters.
    """
    nb = len(basis.basis)
    ne = basis.nelems
    # sum_q w_q grad(phi_i) grad(phi_j)^T for all i, j in one batched product; the weights
    # stay outside the square root because some quadrature rules have negative weights
    G = np.stack([basis.basis[i][0].grad for i in range(nb)])  # (i, a, e, q)
    Gt = np.ascontiguousarray(G.transpose(2, 3, 0, 1)).reshape(ne, -1, nb * 3)  # (e, q, ia)
    Gw = Gt * basis.dx[:, :, None]
    A = np.matmul(Gw.transpose(0, 2, 1), Gt).reshape(ne, nb, 3, nb, 3)  # (e, i, a, j, b)
    tr = np.einsum("eicjc->eij", A)
    Ke = lam * A + mu * A.transpose(0, 1, 4, 3, 2)
    for c in range(3):
        Ke[:, :, c, :, c] += mu * tr
    blocks = Ke.transpose(0, 1, 3, 2, 4).reshape(ne * nb * nb, 9)
    sd = basis.element_dofs.T.astype(np.int64)  # (e, i) scalar DOFs
    ns = basis.N
    key = (np.repeat(sd, nb, axis=1) * ns + np.tile(sd, (1, nb))).ravel()
    uniq, inv = np.unique(key, return_inverse=True)
    data = np.empty((len(uniq), 9))
    for c in range(9):
        data[:, c] = np.bincount(inv, weights=blocks[:, c], minlength=len(uniq))
    indices = (uniq % ns).astype(np.int32)
    indptr = np.searchsorted(uniq // ns, np.arange(ns + 1)).astype(np.int32)
    K = sp.bsr_matrix((data.reshape(-1, 3, 3), indices, indptr), shape=(3 * ns, 3 * ns))
    return K.tocsr()


def vector_dofs(scalar_dofs) -> np.ndarray:
    """Vector DOFs (all three components) of scalar DOF indices."""
    s = np.asarray(scalar_dofs, dtype=np.int64).ravel()
    return (3 * s[:, None] + np.arange(3)).ravel()


def _select(disc: SolidDiscretisation, selector: str) -> np.ndarray:
    mesh = disc.mesh
    basis = disc.basis
    kind, value = resolve(mesh, selector, keywords=("all", "boundary"), option="clamp")
    if kind == "region":
        if value.dim == 3:
            return np.unique(vector_dofs(basis.element_dofs[:, value.cells]))
        # Nodes of a surface or node set: clamp the DOFs located at those nodes, which with
        # P2 includes the edge DOFs whose location coincides with a mid-edge node, and for
        # linear input files the edge DOFs of edges between two selected corners.
        return _dofs_at(disc, mesh.points[value.nodes], value)
    if kind == "keyword" and value == "all":
        return np.arange(disc.n_dofs)
    if kind == "keyword":  # boundary
        facets = basis.mesh.boundary_facets()
        return np.unique(vector_dofs(basis.get_dofs(facets=facets).flatten()))
    tol = 1e-6 * characteristic_length(mesh)
    dofs = np.flatnonzero(value(disc.doflocs, tol))
    if len(dofs) == 0:
        lo, hi = mesh.bounding_box
        raise SelectorError(
            f"selector {selector!r} selects no node of the mesh (its bounding box is "
            f"x {lo[0]:.4g}..{hi[0]:.4g}, y {lo[1]:.4g}..{hi[1]:.4g}, z {lo[2]:.4g}..{hi[2]:.4g} m)"
        )
    return dofs


def _dofs_at(disc, pts, region) -> np.ndarray:

    tol = 1e-6 * characteristic_length(disc.mesh)
    from scipy.spatial import cKDTree

    tree = cKDTree(disc.doflocs)
    hits = tree.query_ball_point(pts, r=tol)
    dofs = np.unique(np.concatenate([np.asarray(h, dtype=np.int64) for h in hits]))
    if region.triangles is not None and disc.order == 2 and disc.mesh.order == 1:
        # edge midpoints of the region's triangles
        t = region.triangles
        p = disc.mesh.points
        mids = np.concatenate([0.5 * (p[t[:, a]] + p[t[:, b]]) for a, b in ((0, 1), (1, 2), (0, 2))])
        hits = tree.query_ball_point(mids, r=tol)
        more = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])
        dofs = np.union1d(dofs, more)
    if len(dofs) == 0:
        raise SelectorError(f"region {region.name!r} has no node of the discretisation")
    return dofs
