"""Finite-difference time loops: stiff string (1D), membrane (5-point) and plate (13-point).

Every kernel advances an explicit two-step scheme ``u2 = A u1 + B u0 + source`` for
``n_steps`` steps, rotating three preallocated state arrays (no allocation in the loop), adds
a point force through a few grid points and reads a few pickups by interpolation weights.
The schemes, their coefficients and the layout of the padded arrays are described in
``physsynth/fd/`` and docs/fd-theory.md; these functions trust their inputs.

Layout (shared with ``physsynth.fd``): the state arrays carry ghost points around the
grid so that the boundary conditions are a sign on a mirror copy (Bilbao, Numerical Sound
Synthesis (NSS), 2009, sec. 7.1.2 and 12.2: simply supported = odd mirror, clamped = even
mirror). The boundary points themselves (u = 0) are never written.

Rotation: the three-array string kernel returns ``r``, the number of rotations mod 3; with
``arrs = (u0, u1, u2)`` as passed, after the call the state at step n-1 is ``arrs[r]``, the
one at step n is ``arrs[(r + 1) % 3]`` and ``arrs[(r + 2) % 3]`` is scratch. The membrane and
plate kernels update in place (u^{n+1} overwrites u^{n-1}) and return rotations mod 2.

Vectorisation: inner loops run over row views with a loop index starting at 0 and only
non-negative constant offsets (``r[jj + 2]``, not ``r[j - 1]``): with a possibly negative
index Numba emits a wrap-around select per access, which kept LLVM from vectorising the plate
loops (checked with ``plate_steps.inspect_asm(...)`` under a fresh NUMBA_CACHE_DIR).
"""

from __future__ import annotations

from numba import njit

# 'contract' lets LLVM fuse multiply-adds and 'reassoc' lets it vectorise; with neither NaN
# nor inf assumptions a blown-up state still shows in the output, where the caller checks.
_FM = {"reassoc", "contract", "nsz", "arcp"}


@njit(cache=True, fastmath=_FM)
def string_steps(u0, u1, u2, a, b, src_idx, src_w, force, pk_idx, pk_w, velocity, inv_k,
                 out):  # pragma: no cover - numba
    """Stiff lossy string, NSS eq. (7.29)-type scheme with backward-difference sigma1 loss.

    Parameters
    ----------
    u0, u1, u2 : float64 arrays, shape (N + 3,)
        States at steps n-1, n and scratch; grid point l sits at index l + 1, the ghosts at
        0 and N + 2 mirror indices 2 and N with sign ``a[3]`` (-1: simply supported).
    a : float64 array, shape (4,)
        Coefficients on u1: centre, +-1, +-2, and the ghost sign.
    b : float64 array, shape (2,)
        Coefficients on u0: centre, +-1.
    src_idx : int64 array, shape (n_src,); src_w : float64 array, shape (n_src,)
        Where a force signal enters and its weights (already scaled to displacement).
    force : float64 array, shape (n_force,)
        Force samples at the scheme rate, zero after the end.
    pk_idx : int64 array, shape (n_pk, n_taps); pk_w : float64 array, shape (n_pk, n_taps)
        Pickup interpolation.
    velocity : bool
        Read (u2 - u1) / k instead of u2.
    inv_k : float, 1/s
    out : float64 array, shape (n_pk, n_steps)
        Written in place.

    Returns
    -------
    int
        Rotations mod 3 (see the module docstring).
    """
    n = u1.shape[0]
    last = n - 3  # index of the right boundary point
    n_steps = out.shape[1]
    nf = force.shape[0]
    a0 = a[0]
    a1 = a[1]
    a2 = a[2]
    s = a[3]
    b0 = b[0]
    b1 = b[1]
    r = 0
    for t in range(n_steps):
        for l in range(2, last + 1):
            u2[l] = (a0 * u1[l] + a1 * (u1[l - 1] + u1[l + 1]) + a2 * (u1[l - 2] + u1[l + 2])
                     + b0 * u0[l] + b1 * (u0[l - 1] + u0[l + 1]))
        if t < nf:
            f = force[t]
            for q in range(src_idx.shape[0]):
                u2[src_idx[q]] += src_w[q] * f
        u2[0] = s * u2[2]
        u2[last + 2] = s * u2[last]
        for p in range(out.shape[0]):
            acc = 0.0
            for q in range(pk_idx.shape[1]):
                i = pk_idx[p, q]
                if velocity:
                    acc += pk_w[p, q] * (u2[i] - u1[i]) * inv_k
                else:
                    acc += pk_w[p, q] * u2[i]
            out[p, t] = acc
        tmp = u0
        u0 = u1
        u1 = u2
        u2 = tmp
        r += 1
    return r % 3


@njit(cache=True, fastmath=_FM)
def membrane_steps(u0, u1, c, src_i, src_j, src_w, force, pk_i, pk_j, pk_w, velocity, inv_k,
                   out):  # pragma: no cover - numba
    """2D wave equation, 5-point leapfrog with sigma0 loss (NSS eq. 11.8 with loss), fixed edges.

    The new state overwrites ``u0`` in place (it needs u0 only at the same point), so one
    step streams u1 once and u0 once (read and write): 24 bytes per grid-point update.

    Parameters
    ----------
    u0, u1 : float64 arrays, shape (Nx + 1, Ny + 1)
        States at steps n-1 and n; rows/columns 0 and Nx / Ny are the fixed edge (u = 0).
    c : float64 array, shape (4,)
        Coefficients: u1 centre, u1 x-neighbours, u1 y-neighbours, u0 centre.
    src_i, src_j : int64 arrays, shape (n_src,); src_w : float64 array, shape (n_src,)
        Grid points where the force enters and their weights (scaled to displacement).
    force : float64 array, shape (n_force,)
    pk_i, pk_j : int64 arrays, shape (n_pk, 4); pk_w : float64 array, shape (n_pk, 4)
        Bilinear pickup interpolation.
    velocity : bool
    inv_k : float, 1/s
    out : float64 array, shape (n_pk, n_steps)

    Returns
    -------
    int
        Rotations mod 2: after the call the newest state is ``u1`` if 0 else ``u0``.
    """
    nx = u1.shape[0] - 1
    ny = u1.shape[1] - 1
    n_steps = out.shape[1]
    nf = force.shape[0]
    c0 = c[0]
    cx = c[1]
    cy = c[2]
    d0 = c[3]
    r = 0
    for t in range(n_steps):
        # Velocity pickups need u at step n (u1) and n+1 (overwrites u0): read u1 first.
        for p in range(out.shape[0]):
            acc = 0.0
            if velocity:
                for q in range(4):
                    acc -= pk_w[p, q] * u1[pk_i[p, q], pk_j[p, q]]
            out[p, t] = acc
        for i in range(1, nx):
            rm = u1[i - 1]
            r0 = u1[i]
            rp = u1[i + 1]
            w = u0[i]
            for jj in range(ny - 1):  # j = jj + 1 = 1 .. ny - 1
                w[jj + 1] = (c0 * r0[jj + 1] + cx * (rm[jj + 1] + rp[jj + 1])
                             + cy * (r0[jj] + r0[jj + 2]) + d0 * w[jj + 1])
        if t < nf:
            f = force[t]
            for q in range(src_i.shape[0]):
                u0[src_i[q], src_j[q]] += src_w[q] * f
        for p in range(out.shape[0]):
            acc = 0.0
            for q in range(4):
                acc += pk_w[p, q] * u0[pk_i[p, q], pk_j[p, q]]
            if velocity:
                out[p, t] = (out[p, t] + acc) * inv_k
            else:
                out[p, t] = acc
        tmp = u0
        u0 = u1
        u1 = tmp
        r += 1
    return r % 2


@njit(cache=True, fastmath=_FM)
def plate_steps(u0, u1, c, lbuf, gbuf, src_i, src_j, src_w, force, pk_i, pk_j, pk_w, velocity,
                inv_k, out):  # pragma: no cover - numba
    """Kirchhoff plate, 13-point stencil with sigma0 and backward-difference sigma1 loss
    (NSS eq. 12.4 with the loss terms of sec. 12.3, the plate analogue of eq. 7.29),
    evaluated as a Laplacian of Laplacians (docs/fd-theory.md sec. 3.6):

        u^{n+1} = G + cl0 L + clx (L_{i-1} + L_{i+1}) + cly (L_{j-1} + L_{j+1}),
        L = Lap_h u^n,  G = g1 u^n + g0 u^{n-1} + gx (x-neighbours) + gy (y-neighbours) of u^{n-1}

    The 5-point Laplacian of u^n is computed once per row into a rolling buffer of three rows
    (``lbuf``), G one row ahead into a rolling buffer of two rows (``gbuf``), so every grid
    point of u^n and u^{n-1} is read from memory once per step, and each loop is a short
    unit-stride loop over row views (the u^{n+1} and edge-row Laplacian loops vectorise; the
    fused L + G loop, with eight row pointers, exceeds LLVM's runtime alias-check budget and
    stays scalar but was still faster than two vectorised sweeps). u^{n+1} overwrites u^{n-1} in place: G of
    row i + 1 is formed (from the still old rows i .. i + 2 of u^{n-1}) before row i is
    overwritten. Memory traffic per grid-point update: read u^n, read and write u^{n-1}
    (24 bytes); the row buffers stay in cache.

    Parameters
    ----------
    u0, u1 : float64 arrays, shape (Nx + 3, Ny + 3)
        States at n-1 and n. Grid point (l, m) sits at index (l + 1, m + 1); rows and columns
        1 and Nx + 1 / Ny + 1 are the edge (u = 0), 0 and Nx + 2 / Ny + 2 the ghosts, mirrors
        of 2 and Nx / Ny with sign ``c[10]`` (+1 clamped, -1 supported). ``u1``'s ghosts
        must be consistent on entry.
    c : float64 array, shape (11,)
        ax, ay, lc (the Laplacian: 1/hx^2, 1/hy^2, -2/hx^2 - 2/hy^2); cl0, clx, cly; g1, g0,
        gx, gy; ghost sign.
    lbuf : float64 array, shape (3, Ny + 3); gbuf : float64 array, shape (2, Ny + 3)
        Scratch.
    src_i, src_j, src_w, force, pk_i, pk_j, pk_w, velocity, inv_k, out
        As in :func:`membrane_steps` (pickup weights may use 4 taps).

    Returns
    -------
    int
        Rotations mod 2: after the call the newest state is ``u1`` if 0 else ``u0``.
    """
    nx = u1.shape[0] - 3
    ny = u1.shape[1] - 3
    n_steps = out.shape[1]
    nf = force.shape[0]
    ax = c[0]
    ay = c[1]
    lc = c[2]
    cl0 = c[3]
    clx = c[4]
    cly = c[5]
    g1 = c[6]
    g0 = c[7]
    gx = c[8]
    gy = c[9]
    s = c[10]
    r = 0
    for t in range(n_steps):
        # prologue: L on rows 1 (edge) and 2, G on row 2
        for q in range(1, 3):
            lm = u1[q - 1]
            l0 = u1[q]
            lp = u1[q + 1]
            lw = lbuf[q % 3]
            for jj in range(ny + 1):  # j = jj + 1 = 1 .. ny + 1
                lw[jj + 1] = (ax * (lm[jj + 1] + lp[jj + 1]) + ay * (l0[jj] + l0[jj + 2])
                              + lc * l0[jj + 1])
        v1 = u1[2]
        om = u0[1]
        o0 = u0[2]
        op = u0[3]
        gw = gbuf[0]
        for jj in range(ny - 1):  # j = jj + 2 = 2 .. ny
            gw[jj + 2] = (g1 * v1[jj + 2] + g0 * o0[jj + 2] + gx * (om[jj + 2] + op[jj + 2])
                          + gy * (o0[jj + 1] + o0[jj + 3]))
        for i in range(2, nx + 1):
            q = i + 1
            # L on row i + 1 (the edge row when i = nx)
            lm = u1[q - 1]
            l0 = u1[q]
            lp = u1[q + 1]
            lw = lbuf[q % 3]
            if q <= nx:
                # L and G on row i + 1 in one sweep (G before row i of u0 is overwritten)
                om = u0[q - 1]
                o0 = u0[q]
                op = u0[q + 1]
                gw = gbuf[q % 2]
                for jj in range(ny - 1):  # j = jj + 2 = 2 .. ny
                    lw[jj + 2] = (ax * (lm[jj + 2] + lp[jj + 2]) + ay * (l0[jj + 1] + l0[jj + 3])
                                  + lc * l0[jj + 2])
                    gw[jj + 2] = (g1 * l0[jj + 2] + g0 * o0[jj + 2]
                                  + gx * (om[jj + 2] + op[jj + 2])
                                  + gy * (o0[jj + 1] + o0[jj + 3]))
                for j in (1, ny + 1):
                    lw[j] = ax * (lm[j] + lp[j]) + ay * (l0[j - 1] + l0[j + 1]) + lc * l0[j]
            else:
                for jj in range(ny + 1):  # j = jj + 1 = 1 .. ny + 1
                    lw[jj + 1] = (ax * (lm[jj + 1] + lp[jj + 1]) + ay * (l0[jj] + l0[jj + 2])
                                  + lc * l0[jj + 1])
            # u^{n+1} on row i
            la = lbuf[(i + 2) % 3]
            lb = lbuf[i % 3]
            lq = lbuf[q % 3]
            gr = gbuf[i % 2]
            w = u0[i]
            for jj in range(ny - 1):
                w[jj + 2] = (gr[jj + 2] + cl0 * lb[jj + 2] + clx * (la[jj + 2] + lq[jj + 2])
                             + cly * (lb[jj + 1] + lb[jj + 3]))
            # ghost columns of this row while it is in cache
            w[0] = s * w[2]
            w[ny + 2] = s * w[ny]
        if t < nf:
            f = force[t]
            for q in range(src_i.shape[0]):
                ii = src_i[q]
                jj = src_j[q]
                u0[ii, jj] += src_w[q] * f
                # keep the ghost copy consistent when the source touches the first column
                if jj == 2:
                    u0[ii, 0] = s * u0[ii, 2]
                if jj == ny:
                    u0[ii, ny + 2] = s * u0[ii, ny]
        g = u0[0]
        g2 = u0[2]
        h = u0[nx + 2]
        h2 = u0[nx]
        for j in range(ny + 3):
            g[j] = s * g2[j]
            h[j] = s * h2[j]
        for p in range(out.shape[0]):
            acc = 0.0
            for q in range(pk_i.shape[1]):
                ii = pk_i[p, q]
                jj = pk_j[p, q]
                if velocity:
                    acc += pk_w[p, q] * (u0[ii, jj] - u1[ii, jj]) * inv_k
                else:
                    acc += pk_w[p, q] * u0[ii, jj]
            out[p, t] = acc
        tmp = u0
        u0 = u1
        u1 = tmp
        r += 1
    return r % 2
