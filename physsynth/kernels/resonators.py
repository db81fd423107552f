"""Bank of two-pole resonators summed into a few outputs (modal synthesis).

Each mode k is the recursion (transposed direct form II)

    y[n]   = b0[k] u[n] + s1[k]
    s1[k] <- b1[k] u[n] + a1[k] y[n] + s2[k]
    s2[k] <- b2[k] u[n] + a2[k] y[n]

i.e. y[n] = a1 y[n-1] + a2 y[n-2] + b0 u[n] + b1 u[n-1] + b2 u[n-2], and output c is
out[c, n] = sum_k w[c, k] y_k[n]. The modes are the inner loop so that the compiler vectorises
across modes (the recursion in time cannot be vectorised); once the input has ended the
cheaper free-decay loop runs, four samples per pass, in sweeps of at most two output rows
(:func:`_free_passes`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# 'reassoc' lets LLVM vectorise the sum over modes; no NaN/inf assumptions are made, so a
# non-finite state still propagates to the output, where the caller checks for it.
_FM = {"reassoc", "contract", "nsz", "arcp"}


@njit(cache=True, fastmath=_FM)
def _free1(a1, a2, w0, s1, s2, o0, t, n):  # pragma: no cover - numba
    """Free decay read by one row, four samples per pass over the modes: the state stays in
    registers for four steps, which halves the loads and stores per mode-sample (measured
    2.7x faster). Returns the first sample not done (fewer than four remain)."""
    n_modes = a1.shape[0]
    while t + 4 <= n:
        c0 = 0.0
        c1 = 0.0
        c2 = 0.0
        c3 = 0.0
        for k in range(n_modes):
            a = a1[k]
            b = a2[k]
            ww = w0[k]
            y0 = s1[k]
            z = s2[k]
            y1 = a * y0 + z
            z = b * y0
            y2 = a * y1 + z
            z = b * y1
            y3 = a * y2 + z
            z = b * y2
            s1[k] = a * y3 + z
            s2[k] = b * y3
            c0 += ww * y0
            c1 += ww * y1
            c2 += ww * y2
            c3 += ww * y3
        o0[t] = c0
        o0[t + 1] = c1
        o0[t + 2] = c2
        o0[t + 3] = c3
        t += 4
    return t


@njit(cache=True, fastmath=_FM)
def _free2(a1, a2, w0, w1, s1, s2, o0, o1, t, n):  # pragma: no cover - numba
    """As :func:`_free1`, read by two rows."""
    n_modes = a1.shape[0]
    while t + 4 <= n:
        c0 = 0.0
        c1 = 0.0
        c2 = 0.0
        c3 = 0.0
        d0 = 0.0
        d1 = 0.0
        d2 = 0.0
        d3 = 0.0
        for k in range(n_modes):
            a = a1[k]
            b = a2[k]
            y0 = s1[k]
            z = s2[k]
            y1 = a * y0 + z
            z = b * y0
            y2 = a * y1 + z
            z = b * y1
            y3 = a * y2 + z
            z = b * y2
            s1[k] = a * y3 + z
            s2[k] = b * y3
            c0 += w0[k] * y0
            c1 += w0[k] * y1
            c2 += w0[k] * y2
            c3 += w0[k] * y3
            d0 += w1[k] * y0
            d1 += w1[k] * y1
            d2 += w1[k] * y2
            d3 += w1[k] * y3
        o0[t] = c0
        o0[t + 1] = c1
        o0[t + 2] = c2
        o0[t + 3] = c3
        o1[t] = d0
        o1[t + 1] = d1
        o1[t + 2] = d2
        o1[t + 3] = d3
        t += 4
    return t


@njit(cache=True, fastmath=_FM)
def _free_rq(a1, a2, w0, v0, v1, s1, s2, o0, o1, t, n):  # pragma: no cover - numba
    """As :func:`_free1`, read by a real row (w0 on y) and a pair row (v0 on y, v1 on s2)."""
    n_modes = a1.shape[0]
    while t + 4 <= n:
        c0 = 0.0
        c1 = 0.0
        c2 = 0.0
        c3 = 0.0
        d0 = 0.0
        d1 = 0.0
        d2 = 0.0
        d3 = 0.0
        for k in range(n_modes):
            a = a1[k]
            b = a2[k]
            y0 = s1[k]
            z0 = s2[k]
            y1 = a * y0 + z0
            z1 = b * y0
            y2 = a * y1 + z1
            z2 = b * y1
            y3 = a * y2 + z2
            z3 = b * y2
            s1[k] = a * y3 + z3
            s2[k] = b * y3
            c0 += w0[k] * y0
            c1 += w0[k] * y1
            c2 += w0[k] * y2
            c3 += w0[k] * y3
            d0 += v0[k] * y0 + v1[k] * z0
            d1 += v0[k] * y1 + v1[k] * z1
            d2 += v0[k] * y2 + v1[k] * z2
            d3 += v0[k] * y3 + v1[k] * z3
        o0[t] = c0
        o0[t + 1] = c1
        o0[t + 2] = c2
        o0[t + 3] = c3
        o1[t] = d0
        o1[t + 1] = d1
        o1[t + 2] = d2
        o1[t + 3] = d3
        t += 4
    return t


@njit(cache=True, fastmath=_FM)
def _free_q(a1, a2, v0, v1, s1, s2, o0, t, n):  # pragma: no cover - numba
    """As :func:`_free1`, read by one pair row (v0 on y, v1 on s2)."""
    n_modes = a1.shape[0]
    while t + 4 <= n:
        d0 = 0.0
        d1 = 0.0
        d2 = 0.0
        d3 = 0.0
        for k in range(n_modes):
            a = a1[k]
            b = a2[k]
            y0 = s1[k]
            z0 = s2[k]
            y1 = a * y0 + z0
            z1 = b * y0
            y2 = a * y1 + z1
            z2 = b * y1
            y3 = a * y2 + z2
            z3 = b * y2
            s1[k] = a * y3 + z3
            s2[k] = b * y3
            d0 += v0[k] * y0 + v1[k] * z0
            d1 += v0[k] * y1 + v1[k] * z1
            d2 += v0[k] * y2 + v1[k] * z2
            d3 += v0[k] * y3 + v1[k] * z3
        o0[t] = d0
        o0[t + 1] = d1
        o0[t + 2] = d2
        o0[t + 3] = d3
        t += 4
    return t


@njit(cache=True, fastmath=_FM)
def _free_passes(a1, a2, w, wy, wz, s1, s2, out, t, n):  # pragma: no cover - numba
    """The free decay from sample t for any number of real rows (w, on y) and pair rows
    (wy on y, wz on s2; out rows n_r ..), four samples per pass over the modes.

    Up to two rows (two real, a real and a pair, or one pair) run in one sweep; more run as
    several sweeps of at most two rows, each from the same starting state (the recursion, one
    multiply-add and one multiply a mode-sample, is recomputed per sweep): four real rows cost
    two sweeps of two, 6 multiply-adds a mode-sample instead of the minimal 5 and a quarter of
    the per-sample loop's time, whose scattered sums into many rows do not vectorise (20x
    slower than a sweep at three rows). Returns the first sample not done (the last state)."""
    n_r = w.shape[0]
    n_q = wy.shape[0]
    if n_r + n_q == 0 or t + 4 > n:
        return t
    # the sweeps: (kind, row, row), kind 0: two real rows, 1: one real, 2: real + pair, 3: pair
    n_sweeps = 0
    kinds = np.empty(n_r + n_q, dtype=np.int64)
    ra = np.empty(n_r + n_q, dtype=np.int64)
    rb = np.empty(n_r + n_q, dtype=np.int64)
    c = 0
    while n_r - c >= 2:
        kinds[n_sweeps] = 0
        ra[n_sweeps] = c
        rb[n_sweeps] = c + 1
        n_sweeps += 1
        c += 2
    q = 0
    if c < n_r:
        if n_q > 0:
            kinds[n_sweeps] = 2
            rb[n_sweeps] = 0
            q = 1
        else:
            kinds[n_sweeps] = 1
            rb[n_sweeps] = 0
        ra[n_sweeps] = c
        n_sweeps += 1
    while q < n_q:
        kinds[n_sweeps] = 3
        ra[n_sweeps] = q
        rb[n_sweeps] = 0
        n_sweeps += 1
        q += 1
    s1c = s1.copy()
    s2c = s2.copy()
    t_end = t
    for i in range(n_sweeps):
        if i > 0:
            s1[:] = s1c
            s2[:] = s2c
        a = ra[i]
        b = rb[i]
        if kinds[i] == 0:
            t_end = _free2(a1, a2, w[a], w[b], s1, s2, out[a], out[b], t, n)
        elif kinds[i] == 1:
            t_end = _free1(a1, a2, w[a], s1, s2, out[a], t, n)
        elif kinds[i] == 2:
            t_end = _free_rq(a1, a2, w[a], wy[b], wz[b], s1, s2, out[a], out[n_r + b], t, n)
        else:
            t_end = _free_q(a1, a2, wy[a], wz[a], s1, s2, out[n_r + a], t, n)
    return t_end


@njit(cache=True, fastmath=_FM)
def resonator_bank(a1, a2, b0, b1, b2, w, u, s1, s2, out):  # pragma: no cover - numba
    """Run the resonator bank over ``out.shape[1]`` samples.

    Parameters
    ----------
    a1, a2, b0, b1, b2 : float64 arrays, shape (n_modes,)
        Recursion coefficients (see module docstring).
    w : float64 array, shape (n_out, n_modes)
        Output weight of each mode.
    u : float64 array, shape (n_u,)
        Input samples; zero after ``n_u`` (n_u may be shorter than the output).
    s1, s2 : float64 arrays, shape (n_modes,)
        Filter state, updated in place (so blocks can be chained).
    out : float64 array, shape (n_out, n_samples)
        Written in place.
    """
    n_modes = a1.shape[0]
    n_out = w.shape[0]
    n = out.shape[1]
    nu = min(u.shape[0], n)
    for t in range(nu):
        ut = u[t]
        for c in range(n_out):
            out[c, t] = 0.0
        for k in range(n_modes):
            y = b0[k] * ut + s1[k]
            s1[k] = b1[k] * ut + a1[k] * y + s2[k]
            s2[k] = b2[k] * ut + a2[k] * y
            for c in range(n_out):
                out[c, t] += w[c, k] * y
    t = _free_passes(a1, a2, w, w[:0], w[:0], s1, s2, out, nu, n)
    # remaining samples (and any number of outputs): one sample per pass
    for tt in range(t, n):
        for c in range(n_out):
            out[c, tt] = 0.0
        for k in range(n_modes):
            y = s1[k]
            s1[k] = a1[k] * y + s2[k]
            s2[k] = a2[k] * y
            for c in range(n_out):
                out[c, tt] += w[c, k] * y


@njit(cache=True, fastmath=_FM)
def resonator_bank_iq(a1, a2, b0, b1, b2, w, wy, wz, u, s1, s2, out):  # pragma: no cover - numba
    """The resonator bank read with real and with complex (two-weight) output gains.

    Rows 0 .. n_r - 1 of ``out`` are real reads as in :func:`resonator_bank`,
    out[c, n] = sum_k w[c, k] y_k[n]; rows n_r .. n_r + n_q - 1 read the state and the delayed
    state, out[n_r + c, n] = sum_k wy[c, k] y_k[n] + wz[c, k] s2_k[n], with s2_k[n] the second
    state entering step n (b2 u[n-1] + a2 y[n-1]: a2 y_k[n-1] when b2 = 0). Two weights give
    a mode any amplitude and phase, so a listener's complex gain costs two multiply-adds a
    mode-sample (physsynth.simulate.linear folds one channel's gain into the numerators).

    Parameters
    ----------
    a1, a2, b0, b1, b2 : float64 arrays, shape (n_modes,)
    w : float64 array, shape (n_r, n_modes)
    wy, wz : float64 arrays, shape (n_q, n_modes)
    u : float64 array, shape (n_u,)
        Input samples; zero after ``n_u``.
    s1, s2 : float64 arrays, shape (n_modes,)
        Filter state, updated in place.
    out : float64 array, shape (n_r + n_q, n_samples)
    """
    n_modes = a1.shape[0]
    n_r = w.shape[0]
    n_q = wy.shape[0]
    n = out.shape[1]
    nu = min(u.shape[0], n)
    for t in range(nu):
        ut = u[t]
        for c in range(n_r + n_q):
            out[c, t] = 0.0
        for k in range(n_modes):
            y = b0[k] * ut + s1[k]
            z = s2[k]
            s1[k] = b1[k] * ut + a1[k] * y + z
            s2[k] = b2[k] * ut + a2[k] * y
            for c in range(n_r):
                out[c, t] += w[c, k] * y
            for c in range(n_q):
                out[n_r + c, t] += wy[c, k] * y + wz[c, k] * z
    t = _free_passes(a1, a2, w, wy, wz, s1, s2, out, nu, n)
    for tt in range(t, n):
        for c in range(n_r + n_q):
            out[c, tt] = 0.0
        for k in range(n_modes):
            y = s1[k]
            z = s2[k]
            s1[k] = a1[k] * y + z
            s2[k] = a2[k] * y
            for c in range(n_r):
                out[c, tt] += w[c, k] * y
            for c in range(n_q):
                out[n_r + c, tt] += wy[c, k] * y + wz[c, k] * z
