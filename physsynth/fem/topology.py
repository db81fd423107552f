"""Counts from a mesh's connectivity alone, for estimates made before any assembly.

The degrees of freedom of an element follow from the mesh's vertices and edges (P2: one per
vertex and one per edge and component; Morley: one per vertex and one per edge), so a
request can be checked against the discretisation's size before scikit-fem builds it.
"""

from __future__ import annotations

import numpy as np

from physsynth.mesh import TET_EDGES, TRI_EDGES, Mesh


def unique_edges(mesh: Mesh) -> np.ndarray:
    """Corner-node pairs (sorted, unique) of every cell edge, shape (n_edges, 2)."""
    local = TET_EDGES if mesh.dim == 3 else TRI_EDGES
    e = mesh.cells[:, local].reshape(-1, 2).astype(np.int64)
    lo, hi = np.minimum(e[:, 0], e[:, 1]), np.maximum(e[:, 0], e[:, 1])
    keys = np.unique(lo * mesh.n_nodes + hi)
    return np.stack([keys // mesh.n_nodes, keys % mesh.n_nodes], axis=1)


def n_edges(mesh: Mesh) -> int:
    """Number of distinct cell edges (the mid-edge nodes of a quadratic mesh)."""
    if mesh.order == 2:
        return int(len(np.unique(mesh.cells[:, mesh.n_corners :])))
    return int(len(unique_edges(mesh)))


def n_vertices(mesh: Mesh) -> int:
    """Number of distinct cell corners."""
    return int(len(mesh.corner_nodes))
