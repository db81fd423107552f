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

Temporal blocking: ``membrane_steps`` and ``plate_steps`` advance several time steps per
sweep over the rows (a wavefront, each step a row or two behind the previous one, all rows
in flight in L2), so a grid larger than cache is streamed from memory once per sweep instead
of once per step; forces, edges, ghosts and pickups are applied row by row as each row is
finished, so the results do not depend on the depth. ``plate_steps_blocked`` is the plate
kernel for grids that fit in L2 (longer loops, no memory traffic to save).

Vectorisation: inner loops run over row (or flat block) views with a loop index starting at
0 and only non-negative constant offsets (``r[jj + 2]``, not ``r[j - 1]``): with a possibly
negative index Numba emits a wrap-around select per access, which kept LLVM from vectorising
the plate loops; and each loop writes at most two and reads at most four arrays, within
LLVM's budget of runtime alias checks (checked with ``plate_steps.inspect_asm(...)`` under
a fresh NUMBA_CACHE_DIR: packed zmm ``pd`` FMAs).

Free and mixed edges (``physsynth.fd.free``) run through :func:`csr_steps`, a generic
two-step sparse update. The plate's float64 default is the explicit-SIMD version of
:func:`plate_steps` in :mod:`physsynth.kernels.fd_simd` (about 1.5x faster); these Numba
kernels remain its references and run float32 states and small grids.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# 'contract' lets LLVM fuse multiply-adds and 'reassoc' lets it vectorise; with neither NaN
# nor inf assumptions a blown-up state still shows in the output, where the caller checks.
_FM = {"reassoc", "contract", "nsz", "arcp"}


@njit(cache=True, fastmath=_FM)
def string_steps(
    u0, u1, u2, a, b, src_idx, src_w, force, pk_idx, pk_w, velocity, inv_k, out
):  # pragma: no cover - numba
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
            u2[l] = (
                a0 * u1[l]
                + a1 * (u1[l - 1] + u1[l + 1])
                + a2 * (u1[l - 2] + u1[l + 2])
                + b0 * u0[l]
                + b1 * (u0[l - 1] + u0[l + 1])
            )
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
def _membrane_row(w, rm, r0, rp, c0, cx, cy, d0, n):  # pragma: no cover - numba
    """w[1:n+1] = the 5-point update from rows rm, r0, rp and w itself (in place)."""
    for jj in range(n):  # j = jj + 1; non-negative offsets only
        w[jj + 1] = c0 * r0[jj + 1] + cx * (rm[jj + 1] + rp[jj + 1]) + cy * (r0[jj] + r0[jj + 2]) + d0 * w[jj + 1]


@njit(cache=True, fastmath=_FM)
def membrane_steps(
    u0, u1, c, src_i, src_j, src_w, force, pk_i, pk_j, pk_w, velocity, inv_k, out, depth=4
):  # pragma: no cover - numba
    """2D wave equation, 5-point leapfrog with sigma0 loss (NSS eq. 11.8 with loss), fixed edges.

    The new state overwrites ``u0`` in place (it needs u0 only at the same point). Temporal
    blocking: one sweep over the rows advances ``depth`` steps as a wavefront; in each
    iteration step s + 1 updates the row just behind the row step s has updated (level s
    then has the three rows it needs, and level s - 1's row that level s + 1 overwrites is
    needed by nobody any more), so the 2 (depth + 1) or so rows in flight stay in L2 and a
    sweep streams u^n and u^{n-1} from memory once: 32 / depth bytes per grid-point update
    instead of 24 for one step per sweep. The force enters and the pickups read each row
    right after it is updated (before the next level uses or overwrites it), so the output
    equals the one-step-per-sweep scheme's exactly.

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
    depth : int
        Time steps per sweep (>= 1).

    Returns
    -------
    int
        Rotations mod 2: after the call the newest state is ``u1`` if 0 else ``u0``.
    """
    nx = u1.shape[0] - 1
    ny = u1.shape[1] - 1
    n_steps = out.shape[1]
    nf = force.shape[0]
    npk = out.shape[0]
    c0 = c[0]
    cx = c[1]
    cy = c[2]
    d0 = c[3]
    t = 0
    while t < n_steps:
        nt = min(max(depth, 1), n_steps - t)
        for p in range(npk):
            for s in range(nt):
                out[p, t + s] = 0.0
        for i in range(1, nx - 1 + nt):
            for s in range(nt):  # level s + 1 (step t + s) updates row i - s
                r = i - s
                if r < 1 or r > nx - 1:
                    continue
                if s % 2 == 0:
                    dst = u0
                    srca = u1
                else:
                    dst = u1
                    srca = u0
                w = dst[r]
                _membrane_row(w, srca[r - 1], srca[r], srca[r + 1], c0, cx, cy, d0, ny - 1)
                tt = t + s
                if tt < nf:
                    f = force[tt]
                    for q in range(src_i.shape[0]):
                        if src_i[q] == r:
                            w[src_j[q]] += src_w[q] * f
                for p in range(npk):
                    for q in range(4):
                        if pk_i[p, q] == r:
                            jq = pk_j[p, q]
                            if velocity:
                                out[p, tt] += pk_w[p, q] * (w[jq] - srca[r, jq]) * inv_k
                            else:
                                out[p, tt] += pk_w[p, q] * w[jq]
        if nt % 2 == 1:
            tmp = u0
            u0 = u1
            u1 = tmp
        t += nt
    return n_steps % 2


@njit(cache=True, fastmath=_FM)
def _plate_z(z, up, uc, un, o, w, ax, ay, lc, al, be, ga):  # pragma: no cover - numba
    """One row of Z' = al Lap_h u^n + be u^{n-1} + ga u^n, all w columns (the two ghost
    columns get junk: ``uc`` is the row's flat neighbourhood, columns -1 .. w)."""
    for e in range(w):
        lap = ax * (up[e] + un[e]) + ay * (uc[e] + uc[e + 2]) + lc * uc[e + 1]
        z[e] = al * lap + be * o[e] + ga * uc[e + 1]


@njit(cache=True, fastmath=_FM)
def _plate_out(o, uc, zp, zc, zn, n, ax, ay, lc, g1, b0):  # pragma: no cover - numba
    """One row of u^{n+1} = g1 u^n + b0 u^{n-1} + Lap_h Z', in place over u^{n-1} (``o``);
    ``zc`` starts one column to the left of the others (non-negative offsets only)."""
    for e in range(n):
        o[e] = g1 * uc[e] + b0 * o[e] + ax * (zp[e] + zn[e]) + ay * (zc[e] + zc[e + 2]) + lc * zc[e + 1]


@njit(cache=True, fastmath=_FM)
def _plate_out2(o, u, r, r1, z, zp, zc, zd, zf, n, ax, ay, lc, g1, b0):  # pragma: no cover
    """Rows r and r1 = r + 1 of u^{n+1} (columns 2 .. n + 1) in place over u^{n-1} (``o``),
    from u^n (``u``) and Z' rows r - 1 .. r + 2 in ring rows ``zp``, ``zc``, ``zd``, ``zf``."""
    for e in range(n):
        c1 = z[zc, e + 2]
        d1 = z[zd, e + 2]
        o[r, e + 2] = (
            g1 * u[r, e + 2]
            + b0 * o[r, e + 2]
            + ax * (z[zp, e + 2] + d1)
            + ay * (z[zc, e + 1] + z[zc, e + 3])
            + lc * c1
        )
        o[r1, e + 2] = (
            g1 * u[r1, e + 2]
            + b0 * o[r1, e + 2]
            + ax * (c1 + z[zf, e + 2])
            + ay * (z[zd, e + 1] + z[zd, e + 3])
            + lc * d1
        )


@njit(cache=True, fastmath=_FM)
def plate_steps(
    u0, u1, c, zring, src_i, src_j, src_w, force, pk_i, pk_j, pk_w, velocity, inv_k, out, depth=1
):  # pragma: no cover - numba
    """Kirchhoff plate, 13-point stencil with sigma0 and backward-difference sigma1 loss
    (NSS eq. 12.4 with the loss terms of sec. 12.3, the plate analogue of eq. 7.29),
    evaluated as two fused 5-point passes (docs/fd-theory.md sec. 3.6):

        Z' = al Lap_h u^n + be u^{n-1} + ga u^n,  u^{n+1} = g1 u^n + b0 u^{n-1} + Lap_h Z'

    with al = -kappa^2 k^2 / (1 + sigma0 k), be = -2 sigma1 k / (1 + sigma0 k) (the sigma1
    term of u^{n-1} is a Laplacian too), ga = -be (the u^n part of that term, moved inside the
    Laplacian), b0 = the u^{n-1} centre coefficient less be lc.

    Row-fused, in chunks of two rows: rows q, q + 1 of Z' go into a ring of four rows, then
    rows q - 1, q of u^{n+1} (which need Z' rows q - 2 .. q + 1); u^{n-1} of those rows is no
    longer needed by any Z' row then, so u^{n+1} overwrites it in place. The two output rows
    are computed in one loop (:func:`_plate_out2`: they share 2 of their 14 loads); per update
    12 loads and 2 stores, all but u^n, u^{n-1} in L1/L2; memory traffic 24 bytes per update
    at depth 1. (Pairing the Z' rows as well would save one more load per update, but LLVM
    emitted gathers or scalar code for every form of that loop tried.)

    Temporal blocking: one sweep advances ``depth`` steps as a wavefront, level s + 1 one
    chunk (two rows) behind level s (its Z' rows need level s's rows up to two below, and
    level s's rows it overwrites have then been read by level s + 1's Z' rows for the last
    time); each level has its own ring (``zring[s]``). The force enters, the edge/ghost columns and ghost rows
    are set and the pickups read each row right after it is computed, so the result does not
    depend on ``depth``. Memory traffic: 32 / depth bytes per update.

    Parameters
    ----------
    u0, u1 : float64 arrays, shape (Nx + 3, Ny + 3), C-contiguous
        States at n-1 and n. Grid point (l, m) sits at index (l + 1, m + 1); rows and columns
        1 and Nx + 1 / Ny + 1 are the edge (u = 0), 0 and Nx + 2 / Ny + 2 the ghosts, mirrors
        of 2 and Nx / Ny with sign ``c[10]`` (+1 clamped, -1 supported). The ghosts must be
        consistent on entry.
    c : float64 array, shape (11,)
        ax, ay, lc (the Laplacian: 1/hx^2, 1/hy^2, -2/hx^2 - 2/hy^2); cl0, clx, cly (the
        13-point scheme as cl0 L + clx (L_{i-1} + L_{i+1}) + cly (L_{j-1} + L_{j+1})); g1, g0,
        gx, gy (centre of u^n, centre and neighbours of u^{n-1}); ghost sign.
    zring : float64 array, shape (>= depth, 4, Ny + 3)
        Scratch (:func:`plate_buffers`).
    src_i, src_j, src_w, force, pk_i, pk_j, pk_w, velocity, inv_k, out
        As in :func:`membrane_steps` (pickup weights may use 4 taps).
    depth : int
        Time steps per sweep (1 .. zring.shape[0]).

    Returns
    -------
    int
        Rotations mod 2: after the call the newest state is ``u1`` if 0 else ``u0``.
    """
    nx = u1.shape[0] - 3
    ny = u1.shape[1] - 3
    w = ny + 3
    size = u1.shape[0] * w
    n_steps = out.shape[1]
    nf = force.shape[0]
    npk = out.shape[0]
    ntap = pk_i.shape[1]
    ax = c[0]
    ay = c[1]
    lc = c[2]
    al = c[4] / ax  # clx = al ax, cly = al ay
    be = c[8] / ax  # gx = be ax, gy = be ay
    ga = c[3] - al * lc  # the centre coefficient of u^n outside al Lap_h^2 (= -be)
    g1 = c[6]
    b0 = c[7] - be * lc
    sg = c[10]
    dmax = max(1, min(depth, zring.shape[0]))
    nchunk = nx // 2 + 1  # chunk k: Z' rows 1 + 2k, 2 + 2k (up to nx + 1)
    t = 0
    while t < n_steps:
        nt = min(dmax, n_steps - t)
        for p in range(npk):
            for s in range(nt):
                out[p, t + s] = 0.0
        for i in range(nchunk + nt - 1):
            for s in range(nt):  # level s (step t + s) one chunk behind level s - 1
                k = i - s
                if k < 0 or k >= nchunk:
                    continue
                if s % 2 == 0:
                    dst = u0
                    cur = u1
                else:
                    dst = u1
                    cur = u0
                zr = zring[s]
                q = 1 + 2 * k
                qe = min(q + 1, nx + 1)
                fc = cur.reshape(size)
                for qq in range(q, qe + 1):
                    _plate_z(
                        zr[qq % 4],
                        cur[qq - 1],
                        fc[qq * w - 1 : qq * w + w + 1],
                        cur[qq + 1],
                        dst[qq],
                        w,
                        ax,
                        ay,
                        lc,
                        al,
                        be,
                        ga,
                    )
                ra = max(2, q - 1)  # rows ra .. qe - 1 of u^{n+1} now have their Z' rows
                rb = min(nx, qe - 1)
                if rb < ra:
                    continue
                if rb == ra + 1:
                    _plate_out2(
                        dst, cur, ra, rb, zr, (ra - 1) % 4, ra % 4, rb % 4, (rb + 1) % 4, ny - 1, ax, ay, lc, g1, b0
                    )
                else:
                    for r in range(ra, rb + 1):
                        _plate_out(
                            dst[r][2:],
                            cur[r][2:],
                            zr[(r - 1) % 4][2:],
                            zr[r % 4][1:],
                            zr[(r + 1) % 4][2:],
                            ny - 1,
                            ax,
                            ay,
                            lc,
                            g1,
                            b0,
                        )
                tt = t + s
                for r in range(ra, rb + 1):
                    row = dst[r]
                    if tt < nf:
                        f = force[tt]
                        for kk in range(src_i.shape[0]):
                            if src_i[kk] == r:
                                row[src_j[kk]] += src_w[kk] * f
                    row[0] = sg * row[2]
                    row[ny + 2] = sg * row[ny]
                    if r == 2:
                        g = dst[0]
                        for j in range(w):
                            g[j] = sg * row[j]
                    if r == nx:
                        g = dst[nx + 2]
                        for j in range(w):
                            g[j] = sg * row[j]
                    for p in range(npk):
                        for kk in range(ntap):
                            if pk_i[p, kk] == r:
                                jq = pk_j[p, kk]
                                if velocity:
                                    out[p, tt] += pk_w[p, kk] * (row[jq] - cur[r, jq]) * inv_k
                                else:
                                    out[p, tt] += pk_w[p, kk] * row[jq]
        if nt % 2 == 1:
            tmp = u0
            u0 = u1
            u1 = tmp
        t += nt
    return n_steps % 2


def plate_buffers(nx: int, ny: int, depth: int = 1):
    """Scratch for :func:`plate_steps`: a ring of four Z' rows per level of the wavefront."""
    return np.zeros((max(1, int(depth)), 4, ny + 3))


@njit(cache=True, fastmath=_FM, inline="always")
def _plate_pass1(zd, f1, f0, ra, rb, w, ax, ay, lc, al, be, ga):  # pragma: no cover - numba
    """Rows ra..rb-1 (padded, flat, all columns) of Z' = al Lap_h u^n + be u^{n-1} + ga u^n.
    Reads u^{n-1} at the same point only. Non-negative offsets only (a possibly negative
    index costs a wrap-around select and vectorisation)."""
    base = ra * w
    m = (rb - ra) * w
    a = f1[base - w : base - w + m]
    cc = f1[base - 1 : base + m + 1]
    b = f1[base + w : base + w + m]
    o = f0[base : base + m]
    for e in range(m):
        lap = ax * (a[e] + b[e]) + ay * (cc[e] + cc[e + 2]) + lc * cc[e + 1]
        zd[e] = al * lap + be * o[e] + ga * cc[e + 1]


@njit(cache=True, fastmath=_FM)
def plate_steps_blocked(
    u0, u1, c, zbuf, src_i, src_j, src_w, force, pk_i, pk_j, pk_w, velocity, inv_k, out
):  # pragma: no cover - numba
    """Kirchhoff plate, 13-point stencil with sigma0 and backward-difference sigma1 loss
    (NSS eq. 12.4 with the loss terms of sec. 12.3, the plate analogue of eq. 7.29),
    evaluated in two 5-point passes over blocks of rows (docs/fd-theory.md sec. 3.6); the
    kernel for grids whose two states fit in L2 (there it beats :func:`plate_steps`: its
    loops run over whole blocks, not single rows), with the same Z' formulation:

        Z' = al Lap_h u^n + be u^{n-1} + ga u^n,  u^{n+1} = g1 u^n + b0 u^{n-1} + Lap_h Z'

    Pass 1 needs u^{n-1} only at the same point, so u^{n+1} overwrites u^{n-1} in place once
    pass 1 has run one row ahead.

    Row-blocked flat loops: the rows 2..nx are processed in blocks of B rows; Z' of rows
    i0 - 1 .. i1 of a block (two carried over from the previous block) lives in a buffer of
    B + 2 rows, and each pass is one long unit-stride loop over the block's rows taken as a
    flat array (edge and ghost columns included, restored afterwards), which LLVM vectorises
    (packed zmm ``pd``). Per grid-point update: 13 loads, 2 stores (the earlier form with a
    P buffer: 12 and 3; 1.16 -> 1.34 G updates/s on the reverb grid), all but u^n, u^{n-1}
    in cache; memory traffic: read u^n, read and write u^{n-1} (24 bytes).

    Parameters
    ----------
    u0, u1 : float64 arrays, shape (Nx + 3, Ny + 3), C-contiguous
        States at n-1 and n. Grid point (l, m) sits at index (l + 1, m + 1); rows and columns
        1 and Nx + 1 / Ny + 1 are the edge (u = 0), 0 and Nx + 2 / Ny + 2 the ghosts, mirrors
        of 2 and Nx / Ny with sign ``c[10]`` (+1 clamped, -1 supported). ``u1``'s ghosts
        must be consistent on entry.
    c : float64 array, shape (11,)
        ax, ay, lc (the Laplacian: 1/hx^2, 1/hy^2, -2/hx^2 - 2/hy^2); cl0, clx, cly (the
        13-point scheme as cl0 L + clx (L_{i-1} + L_{i+1}) + cly (L_{j-1} + L_{j+1})); g1, g0,
        gx, gy (centre of u^n, centre and neighbours of u^{n-1}); ghost sign.
    zbuf : float64 array, shape ((B + 2) (Ny + 3),)
        Scratch (:func:`plate_block_buffers`).
    src_i, src_j, src_w, force, pk_i, pk_j, pk_w, velocity, inv_k, out
        As in :func:`membrane_steps` (pickup weights may use 4 taps).

    Returns
    -------
    int
        Rotations mod 2: after the call the newest state is ``u1`` if 0 else ``u0``.
    """
    nx = u1.shape[0] - 3
    ny = u1.shape[1] - 3
    w = ny + 3
    size = u1.shape[0] * w
    bsz = zbuf.shape[0] // w - 2
    n_steps = out.shape[1]
    nf = force.shape[0]
    ax = c[0]
    ay = c[1]
    lc = c[2]
    al = c[4] / ax  # clx = al ax, cly = al ay
    ga = c[3] - al * lc
    g1 = c[6]
    be = c[8] / ax  # gx = be ax, gy = be ay
    b0 = c[7] - be * lc
    s = c[10]
    r = 0
    for t in range(n_steps):
        f0 = u0.reshape(size)
        f1 = u1.reshape(size)
        i0 = 2
        i1 = min(i0 + bsz, nx + 1)
        # buffers hold rows i0 - 1 .. i1 of the block (row 1 is the edge)
        _plate_pass1(zbuf, f1, f0, 1, i1 + 1, w, ax, ay, lc, al, be, ga)
        while True:
            nb = i1 - i0
            m = nb * w
            o = f0[i0 * w : i0 * w + m]
            uc = f1[i0 * w : i0 * w + m]
            za = zbuf[0:m]
            zc = zbuf[w - 1 : w + m + 1]
            zb = zbuf[2 * w : 2 * w + m]
            for e in range(m):
                o[e] = g1 * uc[e] + b0 * o[e] + ax * (za[e] + zb[e]) + ay * (zc[e] + zc[e + 2]) + lc * zc[e + 1]
            # the flat loop also wrote the edge and ghost columns: restore them
            for i in range(i0, i1):
                row = u0[i]
                row[1] = 0.0
                row[ny + 1] = 0.0
                row[0] = s * row[2]
                row[ny + 2] = s * row[ny]
            if i1 > nx:
                break
            j1 = min(i1 + bsz, nx + 1)
            for e in range(2 * w):  # carry rows i1 - 1, i1 to the front
                zbuf[e] = zbuf[nb * w + e]
            _plate_pass1(zbuf[2 * w :], f1, f0, i1 + 1, j1 + 1, w, ax, ay, lc, al, be, ga)
            i0 = i1
            i1 = j1
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


def plate_block_buffers(nx: int, ny: int, block: int | None = None):
    """Scratch for :func:`plate_steps_blocked`: zbuf for blocks of ``block`` rows. Default:
    about 16384 points per block (128 kB, in L2; the two carried rows per block cost 2/B of a
    pass), at least 2 rows, at most nx - 1. Measured on the plate-reverb grid (251 x 125):
    B = 8 1.11, 16 1.19, 64 1.32, 128 1.34, 250 1.21-1.35 G updates/s (shared machine)."""
    w = ny + 3
    if block is None:
        block = max(2, 16384 // w)
    block = max(1, min(int(block), nx - 1))
    return np.zeros((block + 2) * w)


@njit(cache=True, fastmath=_FM)
def csr_steps(
    u0, u1, u2, p1, i1, d1, p0, i0, d0, src_idx, src_w, force, pk_idx, pk_w, rig_w, rig_pk, velocity, inv_k, out
):  # pragma: no cover - numba
    """Two-step scheme with sparse matrices, u^{n+1} = C1 u^n + C0 u^{n-1} (free and mixed
    edges, ``physsynth.fd.free``): C1 in CSR form (``p1`` indptr, ``i1`` indices, ``d1``
    values), C0 likewise.

    The pickups read u minus its rigid-body part: with ``rig_w`` = (M phi_r) for the
    M-orthonormal rigid modes phi_r, q_r = rig_w[r] . u is the rigid coordinate and
    ``rig_pk[p, r]`` phi_r's value at pickup p; the kernel subtracts sum_r rig_pk q_r.

    Parameters
    ----------
    u0, u1, u2 : float64 arrays, shape (N,)
        States at n-1, n and scratch (flat closed grid).
    p1, i1, p0, i0 : int64 arrays; d1, d0 : float64 arrays
        CSR of C1 and C0.
    src_idx : int64 (n_src,); src_w : float64 (n_src,); force : float64 (n_force,)
    pk_idx : int64 (n_pk, n_taps); pk_w : float64 (n_pk, n_taps)
    rig_w : float64 (n_rigid, N); rig_pk : float64 (n_pk, n_rigid)
    velocity : bool
    inv_k : float, 1/s
    out : float64 (n_pk, n_steps)

    Returns
    -------
    int
        Rotations mod 3: with ``arrs = (u0, u1, u2)`` as passed, the state at n-1 is
        ``arrs[r]`` and at n ``arrs[(r + 1) % 3]``.
    """
    n = u1.shape[0]
    n_steps = out.shape[1]
    nf = force.shape[0]
    nr = rig_w.shape[0]
    q1 = np.zeros(nr)
    q2 = np.zeros(nr)
    for s in range(nr):
        acc = 0.0
        for i in range(n):
            acc += rig_w[s, i] * u1[i]
        q1[s] = acc
    r = 0
    for t in range(n_steps):
        for i in range(n):
            acc = 0.0
            for p in range(p1[i], p1[i + 1]):
                acc += d1[p] * u1[i1[p]]
            for p in range(p0[i], p0[i + 1]):
                acc += d0[p] * u0[i0[p]]
            u2[i] = acc
        if t < nf:
            f = force[t]
            for q in range(src_idx.shape[0]):
                u2[src_idx[q]] += src_w[q] * f
        for s in range(nr):
            acc = 0.0
            for i in range(n):
                acc += rig_w[s, i] * u2[i]
            q2[s] = acc
        for p in range(out.shape[0]):
            acc = 0.0
            for q in range(pk_idx.shape[1]):
                i = pk_idx[p, q]
                if velocity:
                    acc += pk_w[p, q] * (u2[i] - u1[i]) * inv_k
                else:
                    acc += pk_w[p, q] * u2[i]
            for s in range(nr):
                if velocity:
                    acc -= rig_pk[p, s] * (q2[s] - q1[s]) * inv_k
                else:
                    acc -= rig_pk[p, s] * q2[s]
            out[p, t] = acc
        for s in range(nr):
            q1[s] = q2[s]
        tmp = u0
        u0 = u1
        u1 = u2
        u2 = tmp
        r += 1
    return r % 3
