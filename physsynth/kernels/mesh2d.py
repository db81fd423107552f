"""2-D rectilinear digital waveguide mesh kernel (Van Duyne & Smith, ICMC 1993).

The mesh runs in its junction (FDTD-equivalent) form: for an interior junction with four
unit-delay waveguides, each of gain g per sample,

    v[n] = (g / 2) * sum_4neighbours v[n-1]  -  g^2 v[n-2]  +  s[n]

which for g = 1 is the 5-point scheme of the wave equation at Courant number 1/sqrt(2). The
boundary ring holds one-port junctions that reflect their incoming wave through
R(z) = sgn * gb (1 - p) / (1 - p z^-1) (sgn -1 fixed, +1 free): with w_in, w_out the waves at a
boundary junction,

    w_in[n]  = g (v_E[n-1] - g w_out[n-2])      (v_E: the interior junction next to it)
    w_out[n] = sgn gb (1 - p) w_in[n] + p w_out[n-1]
    v_B[n]   = w_in[n] + w_out[n]

The derivation (and the equivalence with the wave-variable mesh, tested against a scattering
implementation) is in docs/fastpaths-theory.md. No fastmath: block-wise output must equal
one-shot output bit for bit.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def mesh_block(
    state, ipar, wo, g, sgn, gb, pb, src, src_i, src_j, src_w, pk_i, pk_j, pk_w, out
):  # pragma: no cover - numba
    """Run the mesh for ``out.shape[0]`` samples.

    Parameters
    ----------
    state : float64 array, shape (2, Mx + 1, My + 1)
        Junction velocities at n-1 and n-2 (slices ``ipar[0]`` and ``1 - ipar[0]``); rows/columns
        0 and Mx / My are the boundary junctions, the four corners are unused. Updated in place.
    ipar : int64 array, shape (1,)
        Which slice of ``state`` holds v[n-1]; updated in place.
    wo : float64 array, shape (2, 4, max(Mx, My) + 1)
        Outgoing boundary waves at n-1 (``wo[0]``) and n-2 (``wo[1]``) for the sides
        i = 0, i = Mx, j = 0, j = My (indexed by the coordinate along the side).
    g : float
        Gain of each unit delay (junction loss), 0 < g <= 1.
    sgn, gb, pb : float
        Boundary reflection sign (-1 fixed, +1 free), gain and one-pole pole.
    src : float64 array, shape (n_src,)
        Source samples s[n] for this block (zero after n_src).
    src_i, src_j : int64 arrays, shape (k,); src_w : float64 array, shape (k,)
        Junctions the source is spread over and their weights.
    pk_i, pk_j : int64 arrays, shape (m,); pk_w : float64 array, shape (m,)
        Pickup junctions and weights; out[n] = sum pk_w v[n].
    out : float64 array, shape (n,)
        Written in place.
    """
    n = out.shape[0]
    Mx = state.shape[1] - 1
    My = state.shape[2] - 1
    ns = min(src.shape[0], n)
    hg = 0.5 * g
    g2 = g * g
    bb = sgn * gb * (1.0 - pb)
    par = ipar[0]
    for t in range(n):
        u1 = state[par]  # v[n-1]
        u0 = state[1 - par]  # v[n-2], overwritten with v[n]
        # boundary one-ports
        for j in range(1, My):
            # side 0: i = 0, neighbour (1, j)
            wi = g * (u1[1, j] - g * wo[1, 0, j])
            w = bb * wi + pb * wo[0, 0, j]
            wo[1, 0, j] = wo[0, 0, j]
            wo[0, 0, j] = w
            u0[0, j] = wi + w
            # side 1: i = Mx, neighbour (Mx - 1, j)
            wi = g * (u1[Mx - 1, j] - g * wo[1, 1, j])
            w = bb * wi + pb * wo[0, 1, j]
            wo[1, 1, j] = wo[0, 1, j]
            wo[0, 1, j] = w
            u0[Mx, j] = wi + w
        for i in range(1, Mx):
            wi = g * (u1[i, 1] - g * wo[1, 2, i])
            w = bb * wi + pb * wo[0, 2, i]
            wo[1, 2, i] = wo[0, 2, i]
            wo[0, 2, i] = w
            u0[i, 0] = wi + w
            wi = g * (u1[i, My - 1] - g * wo[1, 3, i])
            w = bb * wi + pb * wo[0, 3, i]
            wo[1, 3, i] = wo[0, 3, i]
            wo[0, 3, i] = w
            u0[i, My] = wi + w
        # interior junctions
        for i in range(1, Mx):
            for j in range(1, My):
                u0[i, j] = hg * ((u1[i - 1, j] + u1[i + 1, j]) + (u1[i, j - 1] + u1[i, j + 1])) - g2 * u0[i, j]
        if t < ns:
            s = src[t]
            for k in range(src_i.shape[0]):
                u0[src_i[k], src_j[k]] += src_w[k] * s
        acc = 0.0
        for k in range(pk_i.shape[0]):
            acc += pk_w[k] * u0[pk_i[k], pk_j[k]]
        out[t] = acc
        par = 1 - par
    ipar[0] = par
