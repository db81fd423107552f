"""Banded-waveguide kernel (Essl & Cook): one delay loop per mode, all driven at one contact.

Band k, per sample (design: physsynth/models/banded.py):

    x   = buf_k[pos_k]                              y_k[n - N_k]
    a   = eta_k x + sa_k ;  sa_k = x - eta_k a      tuning allpass
    s   = g_k a + e_k J[n]                          loop gain, input
    y_k = c0_k (s - s[n-2]) / (1 + a1_k z^-1 + a2_k z^-2)   two-pole bandpass (TDF-II)
    buf_k[pos_k] = y_k

The input enters before the bandpass, whose zero at 0 Hz keeps a steady force from producing a
steady velocity (an input added after it would act as a damper at the contact, on which a bow
could stick for ever).

y_k is band k's modal velocity, scaled so that the velocity at a node X is sum_k phiX_k y_k;
each output row r reads sum_k phip[r, k] y_k (a pickup is one row, a listener the two taps A, B
of physsynth.pickups.output_rows on y_k[n] and y_k[n-1], combined by pickups.ChannelStream).
J[n] = (u[n] + f[n]) / sr is the impulse (N s) of this sample: u the given force, f the bow's
friction force, solved from the load line v = v_h + Y0 f at the contact (v_h = sum phiA_k w_k,
Y0 = sum phiA_k c0_k e_k / sr) with the friction law of physsynth/kernels/bowed.py.
"""

from __future__ import annotations

from numba import njit

from physsynth.kernels.bowed import friction


@njit(cache=True)
def banded_block(
    u, buf, nd, pos, st, eta, c0, a1, a2, g, e, phia, phip, y0, inv_sr, f0, f1, vb0, vb1, mus, mud, v0, w, out, rel
):  # pragma: no cover - numba
    """Run a banded waveguide for ``out.shape[0]`` samples.

    Parameters
    ----------
    u : float64 array, shape (n_u,)
        External force at the contact, N; zero after n_u.
    buf : float64 array, shape (n_bands, max_N)
        Delay lines; band k uses ``buf[k, :nd[k]]``. Updated in place.
    nd, pos : int64 arrays, shape (n_bands,)
        Delay lengths and read/write indices (pos updated in place).
    st : float64 array, shape (n_bands, 3)
        Allpass state and the bandpass's two (TDF-II) states, updated in place.
    eta, c0, a1, a2, g, e : float64 arrays, shape (n_bands,)
        Allpass, bandpass (gain, denominator), loop gain, input gain (m/s per N s).
    phia : float64 array, shape (n_bands,)
        Mode shapes at the contact along its direction, 1/sqrt(kg).
    phip : float64 array, shape (n_rows, n_bands)
        Output weights: mode shapes at pickups along their directions (1/sqrt(kg)), or a
        listener's taps.
    y0 : float
        sum(phia c0 e) / sr, the contact's instantaneous admittance, m/s per N (> 0).
    inv_sr : float
        1 / sr, s.
    f0, f1, vb0, vb1 : float
        Bow force (N) and velocity (m/s), linear across the block; force 0: no bow.
    mus, mud, v0 : float
        Friction law.
    w : float64 array, shape (n_bands,)
        Scratch (the loop signal g A x of each band, then its output y).
    out : float64 array, shape (n_rows, n)
        Row r: sum_k phip[r, k] y_k (velocity at a pickup along its direction, m/s); written.
    rel : float64 array, shape (n,)
        Relative bow velocity at the contact (0 while sticking, or with no bow), m/s; written.
    """
    n = out.shape[1]
    n_rows = out.shape[0]
    K = buf.shape[0]
    ph0 = phip[0]
    nu = min(u.shape[0], n)
    dF = (f1 - f0) / n
    dV = (vb1 - vb0) / n
    for t in range(n):
        vh = 0.0
        for k in range(K):
            x = buf[k, pos[k]]
            a = eta[k] * x + st[k, 0]
            st[k, 0] = x - eta[k] * a
            w[k] = g[k] * a
            # the bandpass output if this sample's impulse were 0
            vh += phia[k] * (c0[k] * w[k] + st[k, 1])
        ext = u[t] if t < nu else 0.0
        F = f0 + dF * (t + 1)
        fr = 0.0
        xr = 0.0
        if F > 0.0:
            vb = vb0 + dV * (t + 1)
            fr, xr = friction(vb - (vh + y0 * ext), F, 1.0 / y0, mus, mud, v0)
        J = (ext + fr) * inv_sr
        acc = 0.0
        for k in range(K):
            s = w[k] + e[k] * J
            y = c0[k] * s + st[k, 1]
            st[k, 1] = st[k, 2] - a1[k] * y
            st[k, 2] = -c0[k] * s - a2[k] * y
            buf[k, pos[k]] = y
            p = pos[k] + 1
            if p == nd[k]:
                p = 0
            pos[k] = p
            w[k] = y
            acc += ph0[k] * y
        out[0, t] = acc
        for r in range(1, n_rows):  # further rows (listeners' taps) from the bands' outputs
            acc = 0.0
            for k in range(K):
                acc += phip[r, k] * w[k]
            out[r, t] = acc
        rel[t] = xr
