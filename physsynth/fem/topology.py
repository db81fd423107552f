"""Counts from a mesh's connectivity alone, for estimates made before any assembly.

The degrees of freedom of an element follow from the mesh's vertices and edges (P2: one per
vertex and one per edge and component; Morley: one per vertex and one per edge), so a
request can be checked against the discretisation's size before scikit-fem builds it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

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


def n_bodies(mesh: Mesh) -> int:
    """Number of separate pieces: groups of cells connected through shared nodes."""
    c = mesh.cells.astype(np.int64)
    if len(c) == 0:
        return 0
    rows = np.repeat(c[:, 0], c.shape[1] - 1)
    cols = c[:, 1:].ravel()
    n = mesh.n_nodes
    graph = sp.coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return int(len(np.unique(labels[np.unique(c)])))
