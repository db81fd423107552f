"""Mallets in contact with a modal object, prescribed forces and plucks: one time-stepping kernel.

The object is the bank of modes of ``kernels.modal_step`` (exact update for forces linear over
a step). A mallet is a point mass m moving along the contact direction d; its position y and
the object's contact-point displacement u = sum_k g_k q_k give the compression delta = y - u.
The contact force (docs/contact-theory.md, eq. (6)) is

    F = max(0, K [s - eps Z]) * max(0, 1 + lam delta'),   s = max(delta, 0)^alpha,
    Z' = (s - Z) / tau                                    (Stulov's hereditary integral),

Hertz (eps = lam = 0), Stulov's felt (eps > 0) or Hunt & Crossley's damping (lam > 0). Per
step, with the forces taken linear in time from F(t) to F(t + h):

    mallet:  y(t+h) = y + h y' - h^2 (F0 / 3 + F1 / 6) / m,   y'(t+h) = y' - h (F0 + F1) / (2 m)
    object:  q(t+h) = q*(t+h) + G1q g F1,                   (q* = the step with F1 = 0)

so delta(t+h) = delta* - a F1 and delta'(t+h) = delta'* - b F1 with a = h^2 / (6 m) +
sum_k g_k^2 G1q_k and b = h / (2 m) + sum_k g_k^2 G1v_k (both > 0). The end force solves the
scalar equation F1 = Phi(F1), where Phi is non-increasing in F1: a unique root, found by a
safeguarded Newton iteration in [0, Phi(0)] (eq. (10)). Several mallets at once (a chord) are
coupled through the object's cross-admittances and solved by nonlinear Gauss-Seidel sweeps.

A step in which no mallet touches and none can touch by its end runs at the audio rate; any
other is split into ``n_sub`` sub-steps with the sub-step coefficients (a metal mallet's
contact lasts tens of microseconds), the prescribed forces interpolated linearly across it.
"""

from __future__ import annotations

import math

from numba import njit

# columns of m_par (per-mallet constants, filled by physsynth.simulate.contact)
MP_MASS, MP_K, MP_ALPHA, MP_LAM, MP_EPS = 0, 1, 2, 3, 4
MP_ES, MP_A0S, MP_A1S, MP_EA = 5, 6, 7, 8  # hereditary update: sub-step E, a0, a1; audio-step E
MP_AQ, MP_AV = 9, 10  # the contact point's one-step sub-step admittances sum g^2 G1q, sum g^2 G1v
MP_V0, MP_GAP, MP_RELEASE = 11, 12, 13  # impact velocity m/s, release gap m, release time samples
N_MPAR = 14
# columns of m_state (per-mallet state, carried across blocks)
MS_Y, MS_VY, MS_F, MS_Z, MS_S, MS_STATUS, MS_LAST, MS_DELTA = 0, 1, 2, 3, 4, 5, 6, 7
N_MSTATE = 8
# columns of m_stats
ST_PEAK, ST_TIME, ST_N, ST_FIRST, ST_VOUT, ST_DMAX = 0, 1, 2, 3, 4, 5
N_STATS = 6
# cursors (carried across blocks)
CU_EXT, CU_EXTLO, CU_KICK, CU_M, CU_MLO, CU_PEXT = 0, 1, 2, 3, 4, 5
N_CUR = 6


@njit(cache=True, fastmath={"reassoc", "contract", "nsz"})
def _dot(a, b):  # pragma: no cover - numba
    """sum a * b, reassociated so that LLVM vectorises it (no NaN/inf assumptions: a
    non-finite state still reaches the output, where the caller checks for it)."""
    s = 0.0
    for k in range(a.shape[0]):
        s += a[k] * b[k]
    return s


@njit(cache=True, fastmath={"reassoc", "contract", "nsz"})
def _free_block4(c, q, v, w, quantity, out, t):  # pragma: no cover - numba
    """Four audio steps of free modes (no force, no mallet), reading one to four pickup rows
    (displacement or velocity) into out[:, t:t+4]: each mode's state stays in registers for
    the four steps, as in kernels/resonators.py (a listener is two rows, so a stereo pair of
    listeners is four)."""
    n_out = w.shape[0]
    a0 = 0.0
    a1 = 0.0
    a2 = 0.0
    a3 = 0.0
    b0 = 0.0
    b1 = 0.0
    b2 = 0.0
    b3 = 0.0
    c0 = 0.0
    c1 = 0.0
    c2 = 0.0
    c3 = 0.0
    d0 = 0.0
    d1 = 0.0
    d2 = 0.0
    d3 = 0.0
    for k in range(q.shape[0]):
        p11 = c[0, k]
        p12 = c[1, k]
        p21 = c[2, k]
        p22 = c[3, k]
        q0 = q[k]
        v0 = v[k]
        q1 = p11 * q0 + p12 * v0
        v1 = p21 * q0 + p22 * v0
        q2 = p11 * q1 + p12 * v1
        v2 = p21 * q1 + p22 * v1
        q3 = p11 * q2 + p12 * v2
        v3 = p21 * q2 + p22 * v2
        q4 = p11 * q3 + p12 * v3
        v4 = p21 * q3 + p22 * v3
        q[k] = q4
        v[k] = v4
        if quantity == 0:
            x1, x2, x3, x4 = q1, q2, q3, q4
        else:
            x1, x2, x3, x4 = v1, v2, v3, v4
        ww = w[0, k]
        a0 += ww * x1
        a1 += ww * x2
        a2 += ww * x3
        a3 += ww * x4
        if n_out >= 2:
            ww = w[1, k]
            b0 += ww * x1
            b1 += ww * x2
            b2 += ww * x3
            b3 += ww * x4
        if n_out >= 3:
            ww = w[2, k]
            c0 += ww * x1
            c1 += ww * x2
            c2 += ww * x3
            c3 += ww * x4
        if n_out == 4:
            ww = w[3, k]
            d0 += ww * x1
            d1 += ww * x2
            d2 += ww * x3
            d3 += ww * x4
    out[0, t] = a0
    out[0, t + 1] = a1
    out[0, t + 2] = a2
    out[0, t + 3] = a3
    if n_out >= 2:
        out[1, t] = b0
        out[1, t + 1] = b1
        out[1, t + 2] = b2
        out[1, t + 3] = b3
    if n_out >= 3:
        out[2, t] = c0
        out[2, t + 1] = c1
        out[2, t + 2] = c2
        out[2, t + 3] = c3
    if n_out == 4:
        out[3, t] = d0
        out[3, t + 1] = d1
        out[3, t + 2] = d2
        out[3, t + 3] = d3


@njit(cache=True, fastmath={"reassoc", "contract", "nsz"})
def _free_states4(c, q, v, quantity, x):  # pragma: no cover - numba
    """Four audio steps of free modes (no force, no mallet); the displacement or velocity of
    each step into x[0..3] (for more rows than :func:`_free_block4` keeps in registers)."""
    for k in range(q.shape[0]):
        p11 = c[0, k]
        p12 = c[1, k]
        p21 = c[2, k]
        p22 = c[3, k]
        q0 = q[k]
        v0 = v[k]
        q1 = p11 * q0 + p12 * v0
        v1 = p21 * q0 + p22 * v0
        q2 = p11 * q1 + p12 * v1
        v2 = p21 * q1 + p22 * v1
        q3 = p11 * q2 + p12 * v2
        v3 = p21 * q2 + p22 * v2
        q4 = p11 * q3 + p12 * v3
        v4 = p21 * q3 + p22 * v3
        q[k] = q4
        v[k] = v4
        if quantity == 0:
            x[0, k] = q1
            x[1, k] = q2
            x[2, k] = q3
            x[3, k] = q4
        else:
            x[0, k] = v1
            x[1, k] = v2
            x[2, k] = v3
            x[3, k] = v4


@njit(cache=True, fastmath={"reassoc", "contract", "nsz"})
def _read_rows4(x, w, r0, n_out, out, t):  # pragma: no cover - numba
    """Rows r0 .. r0 + n_out - 1 (one to four) of four stored steps x[0..3] into out[:, t:t+4]."""
    a0 = 0.0
    a1 = 0.0
    a2 = 0.0
    a3 = 0.0
    b0 = 0.0
    b1 = 0.0
    b2 = 0.0
    b3 = 0.0
    c0 = 0.0
    c1 = 0.0
    c2 = 0.0
    c3 = 0.0
    d0 = 0.0
    d1 = 0.0
    d2 = 0.0
    d3 = 0.0
    for k in range(w.shape[1]):
        x1 = x[0, k]
        x2 = x[1, k]
        x3 = x[2, k]
        x4 = x[3, k]
        ww = w[r0, k]
        a0 += ww * x1
        a1 += ww * x2
        a2 += ww * x3
        a3 += ww * x4
        if n_out >= 2:
            ww = w[r0 + 1, k]
            b0 += ww * x1
            b1 += ww * x2
            b2 += ww * x3
            b3 += ww * x4
        if n_out >= 3:
            ww = w[r0 + 2, k]
            c0 += ww * x1
            c1 += ww * x2
            c2 += ww * x3
            c3 += ww * x4
        if n_out == 4:
            ww = w[r0 + 3, k]
            d0 += ww * x1
            d1 += ww * x2
            d2 += ww * x3
            d3 += ww * x4
    out[r0, t] = a0
    out[r0, t + 1] = a1
    out[r0, t + 2] = a2
    out[r0, t + 3] = a3
    if n_out >= 2:
        out[r0 + 1, t] = b0
        out[r0 + 1, t + 1] = b1
        out[r0 + 1, t + 2] = b2
        out[r0 + 1, t + 3] = b3
    if n_out >= 3:
        out[r0 + 2, t] = c0
        out[r0 + 2, t + 1] = c1
        out[r0 + 2, t + 2] = c2
        out[r0 + 2, t + 3] = c3
    if n_out == 4:
        out[r0 + 3, t] = d0
        out[r0 + 3, t + 1] = d1
        out[r0 + 3, t + 2] = d2
        out[r0 + 3, t + 3] = d3


@njit(cache=True)
def contact_force(df, ddf, a, b, ka, kc, alpha, lam):  # pragma: no cover - numba
    """Solve F = max(0, ka s - kc) max(0, 1 + lam (ddf - b F)), s = max(df - a F, 0)^alpha.

    Parameters
    ----------
    df, ddf : float
        Compression (m) and compression rate (m/s) at the end of the step if F were 0.
    a, b : float
        The compression's and its rate's decrease per newton of end force (m/N, m/(N s)), > 0.
    ka : float
        Coefficient of s (N/m^alpha): K (1 - eps a1) for the hereditary law, K otherwise.
    kc : float
        Hereditary part carried from the step's start (N): K eps (E Z0 + a0 s0).
    alpha : float
        Exponent, >= 1.
    lam : float
        Hunt-Crossley damping, s/m.

    Returns
    -------
    float
        The end force F >= 0 (N). The right-hand side is non-increasing in F, so the root is
        unique; Newton steps are kept inside a shrinking bracket (bisection fallback).
    """
    if df <= 0.0:
        return 0.0
    s0 = df**alpha
    phi0 = ka * s0 - kc
    if phi0 <= 0.0:
        return 0.0
    damp0 = 1.0 + lam * ddf
    if damp0 <= 0.0:
        return 0.0
    phi0 *= damp0
    lo = 0.0
    hi = min(phi0, df / a)
    x = hi
    for _ in range(200):
        d = df - a * x
        if d > 0.0:
            dp = d ** (alpha - 1.0)
            sa = ka * dp * d - kc
            dsa = -ka * alpha * dp * a
        else:
            sa = -kc
            dsa = 0.0
        fb = 1.0 + lam * (ddf - b * x)
        if sa > 0.0 and fb > 0.0:
            phi = sa * fb
            dphi = dsa * fb - sa * lam * b
        else:
            phi = 0.0
            dphi = 0.0
        gx = x - phi
        if gx > 0.0:
            hi = x
        else:
            lo = x
        xn = x - gx / (1.0 - dphi)
        if not (xn > lo and xn < hi):
            xn = 0.5 * (lo + hi)
        if abs(xn - x) <= 1e-15 * x + 1e-300 or hi - lo <= 1e-15 * hi:
            return xn
        x = xn
    return x


@njit(cache=True)
def score_block(
    cA,
    cS,
    n_sub,
    h,
    om2,
    sig2,
    w,
    quantity,
    ext_start,
    ext_off,
    ext_len,
    ext_buf,
    ext_g,
    ext_wg,
    kick_start,
    kick_dq,
    kick_dv,
    m_start,
    m_g,
    m_wg,
    m_par,
    m_state,
    m_stats,
    q,
    v,
    pext,
    cur,
    n_begin,
    out,
    force_out,
    trace,
    trace_m,
    work,
    owork,
    act,
    fw,
):  # pragma: no cover - numba
    """Advance the object, its mallets and prescribed forces over ``out.shape[1]`` samples.

    Sample indices are absolute (the block's first output is sample ``n_begin``); the state
    on entry is the state at sample n_begin - 1 (all zero at the very start, sample -1).

    Parameters
    ----------
    cA, cS : float64, shape (8, n_modes)
        Step coefficients for the audio step h and the sub-step h / n_sub.
    n_sub : int
        Sub-steps per audio step while a mallet touches or may touch.
    h : float
        Audio step, s.
    om2, sig2 : float64, shape (n_modes,)
        omega^2 (1/s^2) and 2 sigma (1/s), for the acceleration output.
    w : float64, shape (n_out, n_modes)
        Pickup weights.
    quantity : int
        0 displacement, 1 velocity, 2 acceleration at the pickups.
    ext_start, ext_off, ext_len : int64, shape (n_ext,)
        Prescribed forces: first sample (sorted ascending), offset and length in ``ext_buf``.
        Force sample j of event e acts at sample ext_start[e] + j (linear in between, zero
        before and after).
    ext_buf : float64, shape (n_buf,), N
    ext_g : float64, shape (n_ext, n_modes)
        Modal weights g of each event's point and direction.
    ext_wg : float64, shape (n_ext, n_out)
        w . g of each event (the acceleration's direct term).
    kick_start : int64, shape (n_kick,)
        Sorted samples at which ``kick_dq``, ``kick_dv`` (shape (n_kick, n_modes)) are added
        to the state (a released pluck).
    m_start : int64, shape (n_m,)
        Sorted samples at which each mallet arrives at the surface (touching, velocity
        ``m_par[:, MP_V0]``).
    m_g, m_wg : float64, shapes (n_m, n_modes), (n_m, n_out)
    m_par : float64, shape (n_m, N_MPAR)
    m_state : float64, shape (n_m, N_MSTATE), in/out
    m_stats : float64, shape (n_m, N_STATS), in/out
        Peak force N, contact time s, number of contacts, first contact's duration s, mallet
        velocity at the end of its last contact (and again when taken away) m/s, largest
        compression m.
    q, v, pext : float64, shape (n_modes,), in/out
        Modal state and the prescribed modal force at the current sample.
    cur : int64, shape (N_CUR,), in/out
        Cursors into the event lists (zero at the start).
    out : float64, shape (n_out, n)
    force_out : float64, shape (n,)
        Total contact force at each sample, N.
    trace : float64, shape (n * n_sub,) or (0,)
        If long enough, mallet ``trace_m``'s force at every sub-step: entry i is the force at
        time (n_begin - 1) h + (i + 1) h / n_sub.
    work : float64, shape (5, n_modes); owork : float64, shape (n_out,)
    act : int64, shape (n_m,); fw : float64, shape (3, n_m)
        Scratch.
    """
    n_modes = q.shape[0]
    n_out = w.shape[0]
    n = out.shape[1]
    n_ext = ext_start.shape[0]
    n_kick = kick_start.shape[0]
    n_m = m_start.shape[0]
    pe1 = work[0]
    qs = work[1]
    vs = work[2]
    pa = work[3]
    pb = work[4]
    hs = h / n_sub
    do_trace = trace.shape[0] >= n * n_sub
    can_block = quantity < 2 and n_out >= 1
    t = 0
    while t < n:
        n1 = n_begin + t
        n0 = n1 - 1
        # ---- a quiet stretch (no force, no mallet, nothing due in the next four samples):
        # four free steps in one pass over the modes
        if (
            can_block
            and t + 4 <= n
            and cur[CU_PEXT] == 0
            and cur[CU_MLO] == cur[CU_M]
            and (cur[CU_M] >= n_m or m_start[cur[CU_M]] > n1 + 2)
            and (cur[CU_KICK] >= n_kick or kick_start[cur[CU_KICK]] > n1 + 3)
            and (cur[CU_EXT] >= n_ext or ext_start[cur[CU_EXT]] > n1 + 3)
        ):
            quiet = True
            for e in range(cur[CU_EXTLO], cur[CU_EXT]):
                if ext_start[e] + ext_len[e] > n1:
                    quiet = False
            if quiet:
                # up to four rows in registers; more (three listeners are six): the four steps
                # of every mode stored once (in the sub-step scratch, free here), then read by
                # passes of up to four rows
                if n_out <= 4:
                    _free_block4(cA, q, v, w, quantity, out, t)
                else:
                    _free_states4(cA, q, v, quantity, work)
                    for r0 in range(0, n_out, 4):
                        _read_rows4(work, w, r0, min(4, n_out - r0), out, t)
                for j in range(4):
                    force_out[t + j] = 0.0
                if do_trace:
                    for j in range(4 * n_sub):
                        trace[t * n_sub + j] = 0.0
                t += 4
                continue
        # ---- mallets arriving at the surface at n0: touching, with their impact velocity
        while cur[CU_M] < n_m and m_start[cur[CU_M]] <= n0:
            i = cur[CU_M]
            u = 0.0
            for k in range(n_modes):
                u += m_g[i, k] * q[k]
            m_state[i, MS_Y] = u
            m_state[i, MS_VY] = m_par[i, MP_V0]
            m_state[i, MS_F] = 0.0
            m_state[i, MS_Z] = 0.0
            m_state[i, MS_S] = 0.0
            m_state[i, MS_STATUS] = 1.0
            m_state[i, MS_LAST] = n0
            m_state[i, MS_DELTA] = 0.0
            cur[CU_M] += 1
        # ---- prescribed forces at n1
        while cur[CU_EXT] < n_ext and ext_start[cur[CU_EXT]] <= n1:
            cur[CU_EXT] += 1
        while cur[CU_EXTLO] < cur[CU_EXT] and ext_start[cur[CU_EXTLO]] + ext_len[cur[CU_EXTLO]] <= n0:
            cur[CU_EXTLO] += 1
        have1 = False
        for c in range(n_out):
            owork[c] = 0.0
        for e in range(cur[CU_EXTLO], cur[CU_EXT]):
            j = n1 - ext_start[e]
            if j >= 0 and j < ext_len[e]:
                f = ext_buf[ext_off[e] + j]
                if f != 0.0:
                    if not have1:
                        for k in range(n_modes):
                            pe1[k] = 0.0
                        have1 = True
                    for k in range(n_modes):
                        pe1[k] += ext_g[e, k] * f
                    for c in range(n_out):
                        owork[c] += ext_wg[e, c] * f
        if not have1:
            for k in range(n_modes):
                pe1[k] = 0.0
        have0 = cur[CU_PEXT] != 0
        # ---- active mallets; does any touch, or may touch, within this step?
        n_act = 0
        for i in range(cur[CU_MLO], cur[CU_M]):
            if m_state[i, MS_STATUS] == 1.0:
                act[n_act] = i
                n_act += 1
        sub = False
        for a_ in range(n_act):
            i = act[a_]
            if m_state[i, MS_F] > 0.0 or m_state[i, MS_DELTA] > 0.0:
                sub = True
        if n_act > 0 and not sub:
            for a_ in range(n_act):
                i = act[a_]
                u = 0.0
                for k in range(n_modes):
                    x = cA[0, k] * q[k] + cA[1, k] * v[k]
                    if have0:
                        x += cA[4, k] * pext[k]
                    if have1:
                        x += cA[5, k] * pe1[k]
                    u += m_g[i, k] * x
                if m_state[i, MS_Y] + h * m_state[i, MS_VY] - u > 0.0:
                    sub = True
        if not sub:
            # ---- one audio step, prescribed forces only
            if have0 or have1:
                for k in range(n_modes):
                    qk = q[k]
                    vk = v[k]
                    q[k] = cA[0, k] * qk + cA[1, k] * vk + cA[4, k] * pext[k] + cA[5, k] * pe1[k]
                    v[k] = cA[2, k] * qk + cA[3, k] * vk + cA[6, k] * pext[k] + cA[7, k] * pe1[k]
            else:
                for k in range(n_modes):
                    qk = q[k]
                    vk = v[k]
                    q[k] = cA[0, k] * qk + cA[1, k] * vk
                    v[k] = cA[2, k] * qk + cA[3, k] * vk
            for a_ in range(n_act):
                i = act[a_]
                m_state[i, MS_Y] += h * m_state[i, MS_VY]
                m_state[i, MS_Z] *= m_par[i, MP_EA]
                m_state[i, MS_S] = 0.0
                u = 0.0
                for k in range(n_modes):
                    u += m_g[i, k] * q[k]
                m_state[i, MS_DELTA] = m_state[i, MS_Y] - u
            if do_trace:
                for j in range(n_sub):
                    trace[t * n_sub + j] = 0.0
        else:
            for j in range(n_sub):
                ta = j / n_sub
                tb = (j + 1) / n_sub
                for k in range(n_modes):
                    pa[k] = pext[k] + (pe1[k] - pext[k]) * ta
                    pb[k] = pext[k] + (pe1[k] - pext[k]) * tb
                for a_ in range(n_act):
                    i = act[a_]
                    f0 = m_state[i, MS_F]
                    if f0 != 0.0:
                        for k in range(n_modes):
                            pa[k] += m_g[i, k] * f0
                # predictor: the sub-step with every contact force at its end set to zero
                for k in range(n_modes):
                    qs[k] = cS[0, k] * q[k] + cS[1, k] * v[k] + cS[4, k] * pa[k] + cS[5, k] * pb[k]
                    vs[k] = cS[2, k] * q[k] + cS[3, k] * v[k] + cS[6, k] * pa[k] + cS[7, k] * pb[k]
                fmax = 0.0
                for a_ in range(n_act):
                    i = act[a_]
                    m = m_par[i, MP_MASS]
                    f0 = m_state[i, MS_F]
                    ys = m_state[i, MS_Y] + hs * m_state[i, MS_VY] - hs * hs * f0 / (3.0 * m)
                    vys = m_state[i, MS_VY] - hs * f0 / (2.0 * m)
                    us = 0.0
                    uds = 0.0
                    for k in range(n_modes):
                        us += m_g[i, k] * qs[k]
                        uds += m_g[i, k] * vs[k]
                    fw[0, a_] = ys - us
                    fw[1, a_] = vys - uds
                    fw[2, a_] = 0.0
                # end forces: one scalar solve per mallet, Gauss-Seidel sweeps when coupled
                for _sweep in range(200):
                    change = 0.0
                    fmax = 0.0
                    for a_ in range(n_act):
                        i = act[a_]
                        m = m_par[i, MP_MASS]
                        df = fw[0, a_]
                        ddf = fw[1, a_]
                        if n_act > 1:
                            for b_ in range(n_act):
                                if b_ != a_ and fw[2, b_] != 0.0:
                                    jm = act[b_]
                                    aq = 0.0
                                    av = 0.0
                                    for k in range(n_modes):
                                        gg = m_g[i, k] * m_g[jm, k]
                                        aq += gg * cS[5, k]
                                        av += gg * cS[7, k]
                                    df -= aq * fw[2, b_]
                                    ddf -= av * fw[2, b_]
                        kk = m_par[i, MP_K]
                        eps = m_par[i, MP_EPS]
                        ka = kk * (1.0 - eps * m_par[i, MP_A1S])
                        kc = kk * eps * (m_par[i, MP_ES] * m_state[i, MS_Z] + m_par[i, MP_A0S] * m_state[i, MS_S])
                        fn = contact_force(
                            df,
                            ddf,
                            hs * hs / (6.0 * m) + m_par[i, MP_AQ],
                            hs / (2.0 * m) + m_par[i, MP_AV],
                            ka,
                            kc,
                            m_par[i, MP_ALPHA],
                            m_par[i, MP_LAM],
                        )
                        change = max(change, abs(fn - fw[2, a_]))
                        fw[2, a_] = fn
                        fmax = max(fmax, fn)
                    if n_act == 1 or change <= 1e-13 * fmax:
                        break
                # corrector: add the end forces' share
                for a_ in range(n_act):
                    i = act[a_]
                    fn = fw[2, a_]
                    if fn != 0.0:
                        for k in range(n_modes):
                            qs[k] += cS[5, k] * m_g[i, k] * fn
                            vs[k] += cS[7, k] * m_g[i, k] * fn
                for k in range(n_modes):
                    q[k] = qs[k]
                    v[k] = vs[k]
                for a_ in range(n_act):
                    i = act[a_]
                    m = m_par[i, MP_MASS]
                    f0 = m_state[i, MS_F]
                    fn = fw[2, a_]
                    m_state[i, MS_Y] += hs * m_state[i, MS_VY] - hs * hs * (f0 / 3.0 + fn / 6.0) / m
                    m_state[i, MS_VY] -= hs * (f0 + fn) / (2.0 * m)
                    u = 0.0
                    for k in range(n_modes):
                        u += m_g[i, k] * q[k]
                    d_old = m_state[i, MS_DELTA]
                    d_new = m_state[i, MS_Y] - u
                    s_new = d_new ** m_par[i, MP_ALPHA] if d_new > 0.0 else 0.0
                    m_state[i, MS_Z] = (
                        m_par[i, MP_ES] * m_state[i, MS_Z]
                        + m_par[i, MP_A0S] * m_state[i, MS_S]
                        + m_par[i, MP_A1S] * s_new
                    )
                    m_state[i, MS_S] = s_new
                    m_state[i, MS_DELTA] = d_new
                    m_state[i, MS_F] = fn
                    # statistics: contact time to a fraction of a sub-step from the zero
                    # crossings of the compression (linear within the sub-step)
                    if fn > 0.0:
                        m_state[i, MS_LAST] = n1
                        m_stats[i, ST_PEAK] = max(m_stats[i, ST_PEAK], fn)
                        m_stats[i, ST_DMAX] = max(m_stats[i, ST_DMAX], d_new)
                        if f0 == 0.0:
                            m_stats[i, ST_N] += 1.0
                            frac = d_new / (d_new - d_old) if d_old < 0.0 else 1.0
                        else:
                            frac = 1.0
                        m_stats[i, ST_TIME] += frac * hs
                    elif f0 > 0.0:
                        frac = d_old / (d_old - d_new) if d_new < 0.0 and d_old > 0.0 else 0.5
                        m_stats[i, ST_TIME] += frac * hs
                        m_stats[i, ST_VOUT] = m_state[i, MS_VY]
                        if m_stats[i, ST_N] == 1.0:
                            m_stats[i, ST_FIRST] = m_stats[i, ST_TIME]
                    if do_trace and i == trace_m:
                        trace[t * n_sub + j] = fn
                if do_trace:
                    found = False
                    for a_ in range(n_act):
                        if act[a_] == trace_m:
                            found = True
                    if not found:
                        trace[t * n_sub + j] = 0.0
        # ---- the prescribed force at n1 becomes the next step's start
        for k in range(n_modes):
            pext[k] = pe1[k]
        cur[CU_PEXT] = 1 if have1 else 0
        # ---- released plucks
        while cur[CU_KICK] < n_kick and kick_start[cur[CU_KICK]] <= n1:
            e = cur[CU_KICK]
            for k in range(n_modes):
                q[k] += kick_dq[e, k]
                v[k] += kick_dv[e, k]
            cur[CU_KICK] += 1
        # ---- mallets taken away: out of reach (retreating further than the freely vibrating
        # surface can ever come: sum_k |g_k| sqrt(q_k^2 + v_k^2 / omega_k^2), an upper bound
        # of its displacement until another event adds energy), clear by the release gap, or
        # untouched for the release time
        ftot = 0.0
        for a_ in range(n_act):
            i = act[a_]
            fi = m_state[i, MS_F]
            ftot += fi
            if fi != 0.0 or m_state[i, MS_DELTA] > 0.0:
                continue
            gap = -m_state[i, MS_DELTA]
            done = gap > m_par[i, MP_GAP] or n1 - m_state[i, MS_LAST] > m_par[i, MP_RELEASE]
            if not done and m_state[i, MS_VY] < 0.0:
                reach = 0.0
                for k in range(n_modes):
                    reach += abs(m_g[i, k]) * math.sqrt(q[k] * q[k] + v[k] * v[k] / om2[k])
                done = gap > reach
            if done:
                m_state[i, MS_STATUS] = 2.0
                m_stats[i, ST_VOUT] = m_state[i, MS_VY]
        while cur[CU_MLO] < cur[CU_M] and m_state[cur[CU_MLO], MS_STATUS] == 2.0:
            cur[CU_MLO] += 1
        force_out[t] = ftot
        # ---- pickups
        if quantity == 0:
            for c in range(n_out):
                out[c, t] = _dot(w[c], q)
        elif quantity == 1:
            for c in range(n_out):
                out[c, t] = _dot(w[c], v)
        else:
            for c in range(n_out):
                s = owork[c]
                for k in range(n_modes):
                    s -= w[c, k] * (om2[k] * q[k] + sig2[k] * v[k])
                for a_ in range(n_act):
                    s += m_wg[act[a_], c] * m_state[act[a_], MS_F]
                out[c, t] = s
        t += 1
