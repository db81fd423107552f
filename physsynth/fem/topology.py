"""Counts from a mesh's connectivity alone, for estimates made before any assembly.

The degrees of freedom of an element follow from the mesh's vertices and edges (P2: one per
vertex and one per edge and component; Morley: one per vertex and one per edge), so a
request can be checked against the discretisation's size before scikit-fem builds it.
"""

from __future__ import annotations

import numpy as np

from physsynth.mesh import TET_EDGES, TRI_EDGES, Mesh


def _sorted_keys(mesh: Mesh) -> np.ndarray:
    """Sorted keys lo * n_nodes + hi of every cell edge (with repeats), int64."""
    local = TET_EDGES if mesh.dim == 3 else TRI_EDGES
    e = mesh.cells[:, local].reshape(-1, 2).astype(np.int64)
    keys = np.minimum(e[:, 0], e[:, 1]) * mesh.n_nodes + np.maximum(e[:, 0], e[:, 1])
    # An in-place sort and a comparison of neighbours, not np.unique: numpy 2.4's unique hashes
    # and took 2.4 s for the 3.3 10^6 edge keys of a 544k-tetrahedron mesh, the sort 0.2 s.
    keys.sort()
    return keys


def unique_edges(mesh: Mesh) -> np.ndarray:
    """Corner-node pairs (sorted, unique) of every cell edge, shape (n_edges, 2)."""
    keys = _sorted_keys(mesh)
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
    return np.stack([keys // mesh.n_nodes, keys % mesh.n_nodes], axis=1)


def n_edges(mesh: Mesh) -> int:
    """Number of distinct cell edges (the mid-edge nodes of a quadratic mesh)."""
    if mesh.order == 2:
        return _n_distinct(mesh.cells[:, mesh.n_corners :], mesh.n_nodes)
    keys = _sorted_keys(mesh)
    return int(len(keys) and 1 + np.count_nonzero(keys[1:] != keys[:-1]))


def n_vertices(mesh: Mesh) -> int:
    """Number of distinct cell corners."""
    return _n_distinct(mesh.cells[:, : mesh.n_corners], mesh.n_nodes)


def _n_distinct(nodes: np.ndarray, n_nodes: int) -> int:
    """Distinct node indices in ``nodes`` (all in 0..n_nodes-1): a bincount, O(n)."""
    return int(np.count_nonzero(np.bincount(np.asarray(nodes).ravel(), minlength=n_nodes)))
