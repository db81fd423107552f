"""Friction-driven modal object: a rubbed rim or a bowed point, time-stepped with its modes.

Each mode k obeys q_k'' + 2 sigma_k q_k' + omega_k^2 q_k = g_k(c) F + n_k(c) (P + D), where F
is the friction force along the sliding direction, P = -N the normal load and D = -c_n v_n a
dashpot along the normal (the slider's contact losses), all acting at the contact point c(t)
(``g`` and ``n`` are the mode shapes there, projected on the sliding and on the outward normal
directions). Over one step of length h the forces are held constant and each mode is advanced
exactly (docs/friction-theory.md, eq. (3)):

    q+  = a11 q + a12 v + b1 u,      v+ = a21 q + a22 v + a12 u,     u = g F + n (P + D).

The velocities after the step are therefore affine in F and D (eq. (5)):

    v_c+ = v_free + Y_tt F + Y_tn D,   v_n+ = vn_free + Y_tn F + Y_nn D,   Y_ab = sum_k a_k b_k a12_k,

D = -c_n v_n+ is eliminated (eq. (11)), and F is solved implicitly from the friction law at the
end of the step (eq. (6)): stick (v_c+ = V exactly) if the force that achieves it is within
static friction, mu_s N, otherwise slip, where x = |v_c+ - V| is the root of
x + Y N mu(x) = |v_free - V| (safeguarded Newton; the root is unique when Y N max|mu'| < 1,
which the caller guarantees by the choice of step, eq. (7)). The contact point moves along a
tabulated path (the rim ring) at angular speed Omega; the shapes are linearly interpolated
between the table's rows.
"""

from __future__ import annotations

import math

from numba import njit

# 'reassoc' lets LLVM vectorise the sums over modes; NaN/inf still propagate to the output,
# where the caller checks for them.
_FM = {"reassoc", "contract", "nsz", "arcp"}

#: Friction-law codes for the kernels.
LAW_EXPONENTIAL = 0
LAW_HYPERBOLIC = 1
LAW_COULOMB = 2


@njit(cache=True)
def friction_mu(x, law, mus, mud, vc):  # pragma: no cover - numba
    """Friction coefficient at sliding speed ``x`` >= 0 (m/s).

    law 0 (exponential): mu = mu_d + (mu_s - mu_d) exp(-x / v_c);
    law 1 (hyperbolic):  mu = mu_d + (mu_s - mu_d) v_c / (v_c + x);
    law 2 (Coulomb):     mu = mu_d while sliding (mu_s only holds a stuck contact).
    """
    if law == 0:
        return mud + (mus - mud) * math.exp(-x / vc)
    if law == 1:
        return mud + (mus - mud) * vc / (vc + x)
    return mud


@njit(cache=True)
def friction_dmu(x, law, mus, mud, vc):  # pragma: no cover - numba
    """d mu / d x at sliding speed ``x`` >= 0 (s/m); <= 0 for every law."""
    if law == 0:
        return -(mus - mud) / vc * math.exp(-x / vc)
    if law == 1:
        return -(mus - mud) * vc / ((vc + x) * (vc + x))
    return 0.0


@njit(cache=True)
def friction_solve(d, y, nf, law, mus, mud, vc):  # pragma: no cover - numba
    """Implicit friction force for one step.

    Parameters
    ----------
    d : float, m/s
        Free relative velocity v_free - V (the contact's velocity after the step without
        friction, minus the slider's).
    y : float, m/(N s)
        One-step admittance Y > 0: the velocity change a unit force over the step causes.
    nf : float, N
        Normal force N >= 0.
    law, mus, mud, vc
        Friction law (see :func:`friction_mu`).

    Returns
    -------
    f : float, N
        Friction force on the object along the sliding direction.
    u : float, m/s
        Relative velocity after the step, d + y f (0 while sticking).
    """
    if nf <= 0.0:
        return 0.0, d
    a = abs(d)
    if y <= 0.0:  # the contact does not move under the force (a node of every mode)
        if a == 0.0:
            return 0.0, 0.0
        return (-nf if d > 0.0 else nf) * friction_mu(a, law, mus, mud, vc), d
    yn = y * nf
    if a <= yn * mus:
        return -d / y, 0.0
    s = 1.0 if d > 0.0 else -1.0
    # g(x) = x + yn mu(x) - a is increasing and convex on [0, a] with g(0) < 0 < g(a); Newton
    # from x0 = a - yn mu_d (where g >= 0) decreases monotonically onto the root, quadratically
    # near it. The bracket [lo, hi] and bisection guard the (excluded) non-monotone case.
    lo = 0.0
    hi = a
    x = a - yn * mud
    tol = 1e-14 * a
    for _ in range(100):
        gx = x + yn * friction_mu(x, law, mus, mud, vc) - a
        if gx == 0.0:
            break
        if gx > 0.0:
            hi = x
        else:
            lo = x
        dg = 1.0 + yn * friction_dmu(x, law, mus, mud, vc)
        xn = x - gx / dg if dg > 0.0 else 0.5 * (lo + hi)
        if not (lo < xn < hi):
            xn = 0.5 * (lo + hi)
        done = abs(xn - x) <= tol or hi - lo <= tol
        x = xn
        if done:
            break
    return -s * nf * friction_mu(x, law, mus, mud, vc), s * x


@njit(cache=True, fastmath=_FM)
def _mode_pass(
    a11, a12, a21, a22, b1, r0, r1, m0, m1, fr, w0, w1, q, v, g, gn, fin, fp, pdp, p, disp
):  # pragma: no cover - numba
    """One pass over the modes: finish the previous step (add the response to its friction
    force ``fp`` and dashpot force ``pdp``), read the outputs and the contact displacements
    from the finished state, interpolate the shapes of this step (rows r0, r1 and m0, m1 at
    fraction fr), make its free update under the normal load ``p`` and the sums of eq. (5).

    Kept apart from the time loop so that only these sums get 'reassoc' (vectorised over the
    modes) while the friction solve keeps IEEE arithmetic (its Newton stopping test relies on
    it; with fast-math it ran up to 49 iterations instead of 3).
    """
    acc0 = 0.0
    acc1 = 0.0
    x1 = 0.0
    xn1 = 0.0
    nx0 = 0.0
    nxn0 = 0.0
    vfree = 0.0
    vnfree = 0.0
    ytt = 0.0
    ytn = 0.0
    ynn = 0.0
    for k in range(q.shape[0]):
        # finish the previous step
        go = g[k]
        no = gn[k]
        ak = a12[k]
        bk = b1[k]
        uo = go * fp + no * pdp
        qk = q[k] + bk * uo
        vk = v[k] + ak * uo
        x1 += go * qk
        xn1 += no * qk
        if disp:
            acc0 += w0[k] * qk
            acc1 += w1[k] * qk
            fin[k] = qk
        else:
            acc0 += w0[k] * vk
            acc1 += w1[k] * vk
            fin[k] = vk
        # this step: shapes at the contact, free update under the normal load, sums
        gk = r0[k] + fr * (r1[k] - r0[k])
        nk = m0[k] + fr * (m1[k] - m0[k])
        g[k] = gk
        gn[k] = nk
        u = nk * p
        nx0 += gk * qk
        nxn0 += nk * qk
        q[k] = a11[k] * qk + ak * vk + bk * u
        vf = a21[k] * qk + a22[k] * vk + ak * u
        v[k] = vf
        vfree += gk * vf
        vnfree += nk * vf
        ytt += gk * gk * ak
        ytn += gk * nk * ak
        ynn += nk * nk * ak
    return acc0, acc1, x1, xn1, nx0, nxn0, vfree, vnfree, ytt, ytn, ynn


@njit(cache=True)
def friction_block(
    a11,
    a12,
    a21,
    a22,
    b1,
    tab_g,
    tab_n,
    w,
    q,
    v,
    g,
    gn,
    fin,
    st,
    hstep,
    n0,
    n1,
    vs0,
    vs1,
    om0,
    om1,
    dth,
    cn,
    law,
    mus,
    mud,
    vc,
    osf,
    quantity,
    out,
    rel,
    frc,
):  # pragma: no cover - numba
    """Run the friction-driven modes for ``out.shape[1]`` output samples.

    Parameters
    ----------
    a11, a12, a21, a22, b1 : float64 arrays, shape (n_modes,)
        Exact one-step update of each mode for a force held constant over a step ``hstep``:
        the state matrix exp(A h) and the displacement response b1 to a unit force (the
        velocity response is a12).
    tab_g, tab_n : float64 arrays, shape (n_rows, n_modes), 1/sqrt(kg)
        Mode shapes along the contact path projected on the sliding and the (outward) normal
        directions. A closed path of M angles has n_rows = M + 1 (the last row repeats the
        first); a fixed contact point has n_rows = 1 (no interpolation).
    w : float64 array, shape (n_out, n_modes)
        Output weight of each mode (mode shape at the pickup along its direction), n_out >= 1.
    q, v : float64 arrays, shape (n_modes,)
        Modal displacement and velocity, updated in place.
    g, gn, fin : float64 arrays, shape (n_modes,)
        Scratch space (interpolated shapes, finished state for outputs beyond the second).
    st : float64 array, shape (4,)
        [contact angle in [0, 2 pi) (rad), work done on the object by friction, by the normal
        load and by the contact dashpot (J)]; updated in place.
    hstep : float, s
        Step length, 1 / (sr osf).
    n0, n1 : float, N
        Normal force N at the start and the end of the block (linear in between).
    vs0, vs1 : float, m/s
        Slider (puja, bow) velocity along the sliding direction, start and end of the block.
    om0, om1 : float, rad/s
        Angular speed of the contact point along the path, start and end of the block.
    dth : float, rad
        Angle between table rows (2 pi / M).
    cn : float, N s/m
        Dashpot of the contact along the normal (the slider's losses), >= 0.
    law, mus, mud, vc
        Friction law (see :func:`friction_mu`).
    osf : int
        Steps per output sample (oversampling).
    quantity : int
        0: the outputs read displacement (m), 1: velocity (m/s).
    out : float64 array, shape (n_out, n)
        Written in place.
    rel, frc : float64 arrays, shape (n,)
        Relative sliding velocity v_c - V (m/s, 0 while sticking) and friction force on the
        object (N) at each output sample; written in place.

    Notes
    -----
    One pass over the modes per step: the pass that advances step s first adds the force
    response of step s - 1 (known only after that step's solve), reads the outputs and the
    work from the finished state, then makes step s's free update and its sums. A last pass
    finishes the block's final step, so that ``q`` and ``v`` are complete between blocks.
    """
    K = a11.shape[0]
    n_out = w.shape[0]
    n = out.shape[1]
    M = tab_g.shape[0] - 1
    total = n * osf
    theta = st[0]
    work_f = st[1]
    work_n = st[2]
    work_d = st[3]
    twopi = 2.0 * math.pi
    w0 = w[0]
    w1 = w[n_out - 1]
    disp = quantity == 0
    r0 = tab_g[0]
    r1 = tab_g[0]
    m0 = tab_n[0]
    m1 = tab_n[0]
    fr = 0.0
    # pending forces of the previous step (none at the start of a block)
    fp = 0.0
    pdp = 0.0
    pp = 0.0
    x0 = 0.0
    xn0 = 0.0
    for s in range(total):
        r = (s + 1) / total
        nf = n0 + (n1 - n0) * r
        vs = vs0 + (vs1 - vs0) * r
        om = om0 + (om1 - om0) * r
        p = -nf
        # the contact point at the end of the step (the implicit solve's instant); a fixed
        # point reads row 0 with fr = 0
        if M > 0:
            theta += om * hstep
            if theta >= twopi:
                theta -= twopi
            elif theta < 0.0:
                theta += twopi
            pos = theta / dth
            i = int(pos)
            if i >= M:
                i = M - 1
            fr = pos - i
            r0 = tab_g[i]
            r1 = tab_g[i + 1]
            m0 = tab_n[i]
            m1 = tab_n[i + 1]
        acc0, acc1, x1, xn1, nx0, nxn0, vfree, vnfree, ytt, ytn, ynn = _mode_pass(
            a11, a12, a21, a22, b1, r0, r1, m0, m1, fr, w0, w1, q, v, g, gn, fin, fp, pdp, p, disp
        )
        if s > 0:
            work_f, work_n, work_d = _emit(
                s, osf, fp, pp, pdp, x0, x1, xn0, xn1, work_f, work_n, work_d, acc0, acc1, w, fin, out
            )
        x0 = nx0
        xn0 = nxn0
        # The dashpot's force D = -cn vn+ is linear in F: eliminate it (eq. (11)); the
        # effective admittance is a Schur complement, so it stays > 0.
        den = 1.0 + cn * ynn
        d_eff = vfree - cn * ytn * vnfree / den - vs
        y_eff = ytt - cn * ytn * ytn / den
        f, u_rel = friction_solve(d_eff, y_eff, nf, law, mus, mud, vc)
        pdp = -cn * (vnfree + ytn * f) / den
        fp = f
        pp = p
        if (s + 1) % osf == 0:
            t = (s + 1) // osf - 1
            rel[t] = u_rel
            frc[t] = f
    # finish the block's last step
    acc0 = 0.0
    acc1 = 0.0
    x1 = 0.0
    xn1 = 0.0
    for k in range(K):
        uo = g[k] * fp + gn[k] * pdp
        qk = q[k] + b1[k] * uo
        vk = v[k] + a12[k] * uo
        q[k] = qk
        v[k] = vk
        x1 += g[k] * qk
        xn1 += gn[k] * qk
        fin[k] = qk if disp else vk
        acc0 += w0[k] * fin[k]
        acc1 += w1[k] * fin[k]
    work_f, work_n, work_d = _emit(
        total, osf, fp, pp, pdp, x0, x1, xn0, xn1, work_f, work_n, work_d, acc0, acc1, w, fin, out
    )
    st[0] = theta
    st[1] = work_f
    st[2] = work_n
    st[3] = work_d


@njit(cache=True)
def _emit(
    s, osf, fp, pp, pdp, x0, x1, xn0, xn1, work_f, work_n, work_d, acc0, acc1, w, fin, out
):  # pragma: no cover - numba
    """Book the work of step s - 1 (eq. (12): each force held constant over the step times
    the displacement of the contact point along its direction) and write the outputs of the
    finished state if step s - 1 ended an output sample."""
    work_f += fp * (x1 - x0)
    work_n += pp * (xn1 - xn0)
    work_d += pdp * (xn1 - xn0)
    if s % osf == 0:
        n_out = w.shape[0]
        t = s // osf - 1
        out[0, t] = acc0
        out[n_out - 1, t] = acc1
        for c in range(1, n_out - 1):
            acc = 0.0
            for k in range(w.shape[1]):
                acc += w[c, k] * fin[k]
            out[c, t] = acc
    return work_f, work_n, work_d
