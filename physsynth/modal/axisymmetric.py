"""Mode identification for objects of revolution about the z axis (bowls, bells, cups).

An axisymmetric object's modes have a circumferential order n: the displacement varies
around the axis as cos(n (theta - theta0)). Wine-glass modes (n, 0) of a bowl are the lowest
mode of each order n >= 2; each comes as a near-degenerate doublet (two orientations).
"""

from __future__ import annotations

import numpy as np


def circumferential_order(model, *, nmax: int = 16, bins: int = 24):
    """Dominant circumferential order of each mode and how pure it is.

    The displacement (radial, tangential, axial components) at the mesh nodes is expanded in
    harmonics exp(i n theta) within rings of nodes at similar (r, z), so that profiles changing
    sign along the meridian do not cancel.

    Returns
    -------
    order : ndarray of int, shape (n_modes,)
    purity : ndarray, shape (n_modes,)
        Fraction of the modal energy in the dominant order (1 for a clean mode).
    """
    p = model.mesh.points
    theta = np.arctan2(p[:, 1], p[:, 0])
    r = np.hypot(p[:, 0], p[:, 1])
    z = p[:, 2]
    # ring index: a coarse grid over the meridian plane
    rb = np.minimum((r / (r.max() + 1e-300) * bins).astype(int), bins - 1)
    zb = np.minimum(((z - z.min()) / (np.ptp(z) + 1e-300) * bins).astype(int), bins - 1)
    ring = rb * bins + zb
    uniq, ring = np.unique(ring, return_inverse=True)
    c, s = np.cos(theta), np.sin(theta)
    harm = np.exp(-1j * np.outer(np.arange(nmax + 1), theta))  # (nmax+1, n_nodes)
    counts = np.bincount(ring, minlength=len(uniq)).astype(float)
    order = np.empty(model.n_modes, dtype=int)
    purity = np.empty(model.n_modes)
    for k in range(model.n_modes):
        u = model.shapes[k]
        comps = (u[:, 0] * c + u[:, 1] * s, -u[:, 0] * s + u[:, 1] * c, u[:, 2])
        energy = np.zeros(nmax + 1)
        for comp in comps:
            proj = harm * comp  # (nmax+1, n_nodes)
            coef = np.zeros((nmax + 1, len(uniq)), dtype=complex)
            for n in range(nmax + 1):
                coef[n] = np.bincount(ring, weights=proj[n].real, minlength=len(uniq)) + 1j * np.bincount(
                    ring, weights=proj[n].imag, minlength=len(uniq)
                )
            energy += np.sum(np.abs(coef) ** 2 / np.maximum(counts, 1), axis=1)
        energy[1:] *= 2.0  # cos(n theta) carries half its energy in the +n harmonic
        order[k] = int(np.argmax(energy))
        purity[k] = energy[order[k]] / energy.sum()
    return order, purity


def wine_glass_modes(model, *, orders=range(2, 9), min_purity: float = 0.5):
    """The (n, 0) wine-glass modes: for each order n, the lowest mode of that order.

    Returns
    -------
    dict of int to ndarray of int
        For each order n found, the indices of its doublet (one or two modes, ascending).
    """
    order, purity = circumferential_order(model, nmax=max(orders) + 4)
    out = {}
    for n in orders:
        idx = np.flatnonzero((order == n) & (purity >= min_purity))
        if len(idx) == 0:
            continue
        first = idx[0]
        f0 = model.frequencies[first]
        pair = idx[(model.frequencies[idx] - f0) <= 0.02 * f0][:2]
        out[n] = pair
    return out
