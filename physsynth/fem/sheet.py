"""Flat thin objects on triangle meshes: Kirchhoff plates and membranes (scikit-fem).

Kirchhoff plate (docs/theory.md, "Plates"): transverse displacement w, bending stiffness
D = E h^3 / (12 (1 - nu^2)), mass per area rho h,

    K(w, v) = int D [(1 - nu) grad grad w : grad grad v + nu lap w lap v] dA,
    M(w, v) = int rho h w v dA,

discretised with Morley's element (quadratic, non-conforming: values at the corners and
normal slopes at the edge midpoints; eigenvalue error O(h^2)). Free edges need no
condition; simply supported edges fix w; clamped edges also fix the normal slope.

Membrane under tension T (N/m) with areal density sigma_a (kg/m^2):

    K(w, v) = int T grad w . grad v dA,   M(w, v) = int sigma_a w v dA,

with quadratic Lagrange triangles (P2, eigenvalue error O(h^4)); a fixed rim fixes w.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from skfem import Basis, BilinearForm, ElementTriMorley, ElementTriP2, MeshTri1, asm
from skfem.helpers import dd, ddot, dot, eye, grad, trace

from physsynth import validate
from physsynth.errors import MaterialError, SelectorError
from physsynth.fem.selectors import resolve
from physsynth.fem.topology import n_edges, n_vertices
from physsynth.mesh import TRI_EDGES, Mesh, characteristic_length

#: Peak memory of the assembly per triangle (bytes; scikit-fem's asm with 6 local DOFs and a
#: degree-4 rule holds a few (6, 6, n_cells, n_points) arrays).
ASSEMBLY_BYTES = 4e3
#: Stored entries of K per DOF (Morley and P2 triangles: about 10).
NNZ_PER_DOF = 12.0


def count_dofs(mesh: Mesh) -> int:
    """DOFs of a plate (Morley: vertex values and edge slopes) or membrane (P2): vertices + edges."""
    return n_vertices(mesh) + n_edges(mesh)


def selector_points(mesh: Mesh) -> np.ndarray:
    """The points a plate or membrane selector is evaluated at: the corners, at z = 0."""
    p = mesh.points[mesh.corner_nodes].copy()
    p[:, 2] = 0.0
    return p


@dataclass(frozen=True)
class SheetDiscretisation:
    """Assembled operators of a plate or membrane.

    Attributes
    ----------
    K, M : scipy.sparse.csr_matrix
        Stiffness (N/m) and mass (kg) for the scalar transverse displacement.
    kind : {"plate", "membrane"}
    basis : skfem.CellBasis
    to_nodes : scipy.sparse.csr_matrix, shape (n_nodes, n_dofs)
        Transverse displacement at the mesh nodes from a DOF vector.
    """

    K: sp.csr_matrix
    M: sp.csr_matrix
    kind: str
    basis: object
    to_nodes: sp.csr_matrix
    mesh: Mesh

    @property
    def n_dofs(self) -> int:
        return self.K.shape[0]

    def value_dofs(self, node_mask: np.ndarray) -> np.ndarray:
        """DOFs that fix w at the selected corner nodes (and, for P2, edge midpoints)."""
        b = self.basis
        m = b.mesh
        corner_sel = node_mask
        dofs = [b.nodal_dofs[0][corner_sel[: m.p.shape[1]]]]
        if self.kind == "membrane":
            both = corner_sel[m.facets[0]] & corner_sel[m.facets[1]]
            dofs.append(b.facet_dofs[0][both])
        return np.unique(np.concatenate(dofs))

    def slope_dofs(self, node_mask: np.ndarray) -> np.ndarray:
        """Morley's normal-slope DOFs on edges whose two ends are selected (clamping)."""
        if self.kind != "plate":
            return np.zeros(0, dtype=np.int64)
        m = self.basis.mesh
        both = node_mask[m.facets[0]] & node_mask[m.facets[1]]
        return np.unique(self.basis.facet_dofs[0][both])


def _skmesh(mesh: Mesh):
    corners = mesh.corner_nodes
    local = np.full(mesh.n_nodes, -1, dtype=np.int64)
    local[corners] = np.arange(len(corners))
    t = local[mesh.cells[:, :3]]
    # sort_t (scikit-fem's default) orders each triangle's corners: Morley's normal-slope
    # DOFs take their sign from that global edge orientation.
    m = MeshTri1(np.ascontiguousarray(mesh.points[corners, :2].T), np.ascontiguousarray(t.T))
    return m, corners


def _to_nodes(mesh: Mesh, m, corners, nodal, facet_value=None):
    """Map DOFs to w at every mesh node: corners from nodal DOFs; mid-edge nodes of
    triangle6 input from P2 edge DOFs, or the mean of the edge's corners."""
    rows, cols, vals = [corners], [nodal], [np.ones(len(corners))]
    if mesh.order == 2:
        a = mesh.cells[:, TRI_EDGES[:, 0]].ravel()
        b = mesh.cells[:, TRI_EDGES[:, 1]].ravel()
        mid = mesh.cells[:, 3:].ravel()
        loc = np.full(mesh.n_nodes, -1)
        loc[corners] = np.arange(len(corners))
        la, lb = loc[a], loc[b]
        if facet_value is not None:
            # P2 edge DOF = value at the edge midpoint: find each mid node's facet
            key = np.minimum(la, lb) * len(corners) + np.maximum(la, lb)
            fkey = np.minimum(m.facets[0], m.facets[1]) * len(corners) + np.maximum(m.facets[0], m.facets[1])
            order = np.argsort(fkey)
            pos = order[np.searchsorted(fkey[order], key)]
            rows.append(mid)
            cols.append(facet_value[pos])
            vals.append(np.ones(len(mid)))
        else:
            for ends in (la, lb):
                rows.append(mid)
                cols.append(nodal[ends])
                vals.append(np.full(len(mid), 0.5))
    rows, cols, vals = (np.concatenate(x) for x in (rows, cols, vals))
    # a mid-edge node is listed once per triangle that shares its edge: keep one entry
    _, first = np.unique(np.stack([rows, cols]), axis=1, return_index=True)
    return sp.coo_matrix((vals[first], (rows[first], cols[first])), shape=(mesh.n_nodes, int(cols.max()) + 1)).tocsr()


def check_thickness(mesh: Mesh, thickness) -> float:
    """A plate thickness (m): finite, > 0 and thin against the plate (Kirchhoff theory)."""
    thickness = validate.positive(thickness, "plate thickness (--thickness)", "m", error=MaterialError)
    lo, hi = mesh.bounding_box
    if thickness > 0.2 * float(np.min((hi - lo)[:2])):
        raise MaterialError(
            f"thickness {thickness} m is more than a fifth of the plate's width: Kirchhoff "
            "thin-plate theory does not hold; mesh it as a solid with tetrahedra"
        )
    return thickness


def assemble_plate(mesh: Mesh, material, thickness: float) -> SheetDiscretisation:
    """Kirchhoff plate of the given thickness (m) on a flat triangle mesh (Morley element)."""
    thickness = check_thickness(mesh, thickness)
    m, corners = _skmesh(mesh)
    nu = material.nu
    D = material.E * thickness**3 / (12 * (1 - nu**2))
    rho_h = material.rho * thickness
    basis = Basis(m, ElementTriMorley(), intorder=4)

    @BilinearForm
    def bending(u, v, w):
        def moment(T):
            return (1 - nu) * T + nu * eye(trace(T), 2)

        return D * ddot(moment(dd(u)), dd(v))

    @BilinearForm
    def mass(u, v, w):
        return rho_h * u * v

    K = asm(bending, basis).tocsr()
    M = asm(mass, basis).tocsr()
    nodal = basis.nodal_dofs[0]
    T = _to_nodes(mesh, m, corners, nodal)
    T = sp.csr_matrix((T.data, T.indices, T.indptr), shape=(mesh.n_nodes, basis.N))
    return SheetDiscretisation(K, M, "plate", basis, T, mesh)


def assemble_membrane(mesh: Mesh, tension: float, areal_density: float) -> SheetDiscretisation:
    """Membrane under tension (N/m) with areal density (kg/m^2), P2 triangles."""
    tension = validate.positive(tension, "membrane tension (--tension)", "N/m", error=MaterialError)
    areal_density = validate.positive(
        areal_density, "membrane areal density (--areal-density)", "kg/m^2", error=MaterialError
    )
    m, corners = _skmesh(mesh)
    basis = Basis(m, ElementTriP2(), intorder=4)

    @BilinearForm
    def stiff(u, v, w):
        return tension * dot(grad(u), grad(v))

    @BilinearForm
    def mass(u, v, w):
        return areal_density * u * v

    K = asm(stiff, basis).tocsr()
    M = asm(mass, basis).tocsr()
    T = _to_nodes(mesh, m, corners, basis.nodal_dofs[0], basis.facet_dofs[0])
    T = sp.csr_matrix((T.data, T.indices, T.indptr), shape=(mesh.n_nodes, basis.N))
    return SheetDiscretisation(K, M, "membrane", basis, T, mesh)


def select_nodes(disc: SheetDiscretisation, selector: str) -> np.ndarray:
    """Boolean mask over the scikit-fem vertices selected by a region, predicate or 'boundary'."""
    mesh = disc.mesh
    m = disc.basis.mesh
    corners = mesh.corner_nodes
    kind, value = resolve(mesh, selector, keywords=("boundary",), option="selector")
    mask = np.zeros(m.p.shape[1], dtype=bool)
    if kind == "keyword":  # boundary
        mask[np.unique(m.facets[:, m.boundary_facets()])] = True
        return mask
    if kind == "region":
        sel = np.zeros(mesh.n_nodes, dtype=bool)
        sel[value.nodes] = True
        mask = sel[corners]
        if not mask.any():
            raise SelectorError(f"region {value.name!r} has no corner node")
        return mask
    pts = np.hstack([m.p.T, np.zeros((m.p.shape[1], 1))])
    mask = value(pts, 1e-6 * characteristic_length(mesh))
    if not mask.any():
        raise SelectorError(f"selector {selector!r} selects no node of the mesh")
    return mask
