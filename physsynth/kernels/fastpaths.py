"""String-loop kernels: Karplus-Strong (one voice, many voices) and a two-rail waveguide.

One loop step (Jaffe & Smith 1983), for the loop design of physsynth/models/_design.py:

    x  = buf[pos]                                   (y[n - N])
    sl = g (1 - p) x + p sl                         loss filter, one pole
    y  = eta sl + sa ;  sa = sl - eta y             tuning allpass, transposed direct form II
    y  = a y + sd[m] ; sd[m] = y_in - a y  (m < M)  dispersion allpasses
    y += u[n] ;  buf[pos] = y ;  pos += 1 (mod N)

The loss filter's g and p move linearly from (g0, p0) to (g1, p1) across a block, so a change
of decay between blocks has no step; with g0 == g1 and p0 == p1 the arithmetic is identical to
a constant-coefficient run, which is what makes block-wise output equal to one-shot output.
No fastmath here: the recursions are serial, so reassociation would buy nothing and would break
that exact equality.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def ks_block(u, buf, ipos, st, sd, eta, g0, g1, p0, p1, a, out):  # pragma: no cover - numba
    """Run one Karplus-Strong voice for ``out.shape[0]`` samples.

    Parameters
    ----------
    u : float64 array, shape (n_u,)
        Input (excitation) samples; zero after n_u.
    buf : float64 array, shape (N,)
        Delay line, updated in place.
    ipos : int64 array, shape (1,)
        Read/write index into ``buf``, updated in place.
    st : float64 array, shape (2,)
        Loss-filter and tuning-allpass states, updated in place.
    sd : float64 array, shape (M,)
        Dispersion-allpass states (M may be 0), updated in place.
    eta, a : float
        Tuning and dispersion allpass coefficients.
    g0, g1, p0, p1 : float
        Loss filter gain and pole at the start and at the end of the block.
    out : float64 array, shape (n,)
        Written in place.
    """
    n = out.shape[0]
    N = buf.shape[0]
    M = sd.shape[0]
    nu = min(u.shape[0], n)
    pos = ipos[0]
    sl = st[0]
    sa = st[1]
    dg = (g1 - g0) / n
    dp = (p1 - p0) / n
    for t in range(n):
        g = g0 + dg * (t + 1)
        p = p0 + dp * (t + 1)
        x = buf[pos]
        sl = g * (1.0 - p) * x + p * sl
        y = eta * sl + sa
        sa = sl - eta * y
        for m in range(M):
            yy = a * y + sd[m]
            sd[m] = y - a * yy
            y = yy
        if t < nu:
            y += u[t]
        buf[pos] = y
        pos += 1
        if pos == N:
            pos = 0
        out[t] = y
    ipos[0] = pos
    st[0] = sl
    st[1] = sa


@njit(cache=True)
def _ks_one(u, v, row, srow, N, M, q, s1, s2, e, b, pp, av, wv, out):  # pragma: no cover - numba
    """One voice of :func:`ks_voices`; returns the new (pos, loss state, allpass state)."""
    n = out.shape[0]
    nu = min(u.shape[1], n)
    for t in range(n):
        x = row[q]
        s1 = b * x + pp * s1
        y = e * s1 + s2
        s2 = s1 - e * y
        for m in range(M):
            yy = av * y + srow[m]
            srow[m] = y - av * yy
            y = yy
        if t < nu:
            y += u[v, t]
        row[q] = y
        q += 1
        if q == N:
            q = 0
        out[t] += wv * y
    return q, s1, s2


@njit(cache=True)
def ks_voices(u, buf, nd, pos, sl, sa, sd, nsec, eta, g, p, a, w, out):  # pragma: no cover - numba
    """Run many Karplus-Strong voices and mix them: voice v is row v of every state array.

    Parameters
    ----------
    u : float64 array, shape (n_voices, n_u)
        Inputs; zero after n_u.
    buf : float64 array, shape (n_voices, max_N)
        Delay lines; voice v uses ``buf[v, :nd[v]]``.
    nd, pos : int64 arrays, shape (n_voices,)
        Delay length and read/write index of each voice (pos updated in place).
    sl, sa : float64 arrays, shape (n_voices,)
        Loss-filter and tuning-allpass states, updated in place.
    sd : float64 array, shape (n_voices, max_M)
        Dispersion states; voice v uses ``sd[v, :nsec[v]]``.
    nsec : int64 array, shape (n_voices,)
    eta, g, p, a : float64 arrays, shape (n_voices,)
        Coefficients, constant over the call.
    w : float64 array, shape (n_voices,)
        Mix gain of each voice.
    out : float64 array, shape (n,)
        The mix, written in place.
    """
    n = out.shape[0]
    nu = min(u.shape[1], n)
    nv = buf.shape[0]
    for t in range(n):
        out[t] = 0.0
    # Voices outside, samples inside, so each delay line stays in cache for the block. Each
    # voice's recursions are serial (about 12 cycles a sample through the allpass state), so
    # four voices without dispersion or input run interleaved: four independent chains in
    # flight (measured 2x faster than one voice at a time).
    v = 0
    while v < nv:
        if v + 4 <= nv and nu == 0 and nsec[v] == 0 and nsec[v + 1] == 0 and nsec[v + 2] == 0 and nsec[v + 3] == 0:
            r0 = buf[v]
            r1 = buf[v + 1]
            r2 = buf[v + 2]
            r3 = buf[v + 3]
            N0 = nd[v]
            N1 = nd[v + 1]
            N2 = nd[v + 2]
            N3 = nd[v + 3]
            q0 = pos[v]
            q1 = pos[v + 1]
            q2 = pos[v + 2]
            q3 = pos[v + 3]
            l0 = sl[v]
            l1 = sl[v + 1]
            l2 = sl[v + 2]
            l3 = sl[v + 3]
            c0 = sa[v]
            c1 = sa[v + 1]
            c2 = sa[v + 2]
            c3 = sa[v + 3]
            e0 = eta[v]
            e1 = eta[v + 1]
            e2 = eta[v + 2]
            e3 = eta[v + 3]
            b0 = g[v] * (1.0 - p[v])
            b1 = g[v + 1] * (1.0 - p[v + 1])
            b2 = g[v + 2] * (1.0 - p[v + 2])
            b3 = g[v + 3] * (1.0 - p[v + 3])
            p0 = p[v]
            p1 = p[v + 1]
            p2 = p[v + 2]
            p3 = p[v + 3]
            w0 = w[v]
            w1 = w[v + 1]
            w2 = w[v + 2]
            w3 = w[v + 3]
            for t in range(n):
                l0 = b0 * r0[q0] + p0 * l0
                l1 = b1 * r1[q1] + p1 * l1
                l2 = b2 * r2[q2] + p2 * l2
                l3 = b3 * r3[q3] + p3 * l3
                y0 = e0 * l0 + c0
                y1 = e1 * l1 + c1
                y2 = e2 * l2 + c2
                y3 = e3 * l3 + c3
                c0 = l0 - e0 * y0
                c1 = l1 - e1 * y1
                c2 = l2 - e2 * y2
                c3 = l3 - e3 * y3
                r0[q0] = y0
                r1[q1] = y1
                r2[q2] = y2
                r3[q3] = y3
                q0 += 1
                if q0 == N0:
                    q0 = 0
                q1 += 1
                if q1 == N1:
                    q1 = 0
                q2 += 1
                if q2 == N2:
                    q2 = 0
                q3 += 1
                if q3 == N3:
                    q3 = 0
                out[t] += (w0 * y0 + w1 * y1) + (w2 * y2 + w3 * y3)
            pos[v] = q0
            pos[v + 1] = q1
            pos[v + 2] = q2
            pos[v + 3] = q3
            sl[v] = l0
            sl[v + 1] = l1
            sl[v + 2] = l2
            sl[v + 3] = l3
            sa[v] = c0
            sa[v + 1] = c1
            sa[v + 2] = c2
            sa[v + 3] = c3
            v += 4
        else:
            q, s1, s2 = _ks_one(
                u,
                v,
                buf[v],
                sd[v],
                nd[v],
                nsec[v],
                pos[v],
                sl[v],
                sa[v],
                eta[v],
                g[v] * (1.0 - p[v]),
                p[v],
                a[v],
                w[v],
                out,
            )
            pos[v] = q
            sl[v] = s1
            sa[v] = s2
            v += 1


@njit(cache=True)
def waveguide_block(br, bl, ipos, st, sd, eta, g0, g1, p0, p1, a, xp, out):  # pragma: no cover - numba
    """Run a two-rail digital waveguide string for ``out.shape[0]`` samples.

    The right-going rail ``br`` runs from the nut (rigid, reflection -1) to the bridge, where
    the wave is reflected by -A_d(z)^M A_eta(z) H(z) (loss filter, tuning allpass and M
    dispersion allpasses: a stiff string); the left-going rail ``bl`` carries it back. Spatial
    sample x (0 at the nut) of the rails is ``br[(pos - x) % L]`` and ``bl[(pos - (L - 1 - x)) % L]``;
    both rails share one index.

    Parameters
    ----------
    br, bl : float64 arrays, shape (L,)
        Displacement waves, updated in place.
    ipos : int64 array, shape (1,)
    st : float64 array, shape (2,)
        Loss-filter and tuning-allpass states.
    sd : float64 array, shape (M,)
        Dispersion-allpass states (M may be 0: an ideal string), updated in place.
    eta, g0, g1, p0, p1, a : float
        As in :func:`ks_block`.
    xp : int
        Pickup position, samples from the nut (0 <= xp < L).
    out : float64 array, shape (n,)
        Displacement at the pickup, written in place.
    """
    n = out.shape[0]
    L = br.shape[0]
    M = sd.shape[0]
    pos = ipos[0]
    sl = st[0]
    sa = st[1]
    dg = (g1 - g0) / n
    dp = (p1 - p0) / n
    ir = -xp
    il = -(L - 1 - xp)
    for t in range(n):
        g = g0 + dg * (t + 1)
        p = p0 + dp * (t + 1)
        pos += 1
        if pos == L:
            pos = 0
        at_bridge = br[pos]
        at_nut = bl[pos]
        sl = g * (1.0 - p) * at_bridge + p * sl
        y = eta * sl + sa
        sa = sl - eta * y
        for m in range(M):
            yy = a * y + sd[m]
            sd[m] = y - a * yy
            y = yy
        bl[pos] = -y
        br[pos] = -at_nut
        jr = pos + ir
        if jr < 0:
            jr += L
        jl = pos + il
        if jl < 0:
            jl += L
        out[t] = br[jr] + bl[jl]
    ipos[0] = pos
    st[0] = sl
    st[1] = sa
