"""Waveguide string terminated by a modal body (the string-on-body hybrid).

Velocity waves on two rails as in :func:`physsynth.kernels.fastpaths.waveguide_block` (rigid
nut, reflection -1; loss filter and tuning allpass on the wave arriving at the bridge). At the
bridge the string (impedance Z) meets the body's driving-point admittance, a sum of modes each
discretised by the bilinear transform (prewarped to its frequency), so that

    v_b[n] = h[n] + Y0 F[n]           h: the modes' state, Y0 = sum_k d_k^2 b0_k
    F[n]   = Z (2 v_in[n] - v_b[n])   force of the string on the bridge
    =>  F  = Z (2 v_in - h) / (1 + Z Y0),   v_out = v_b - v_in

is solved exactly each sample (no delay inserted in the loop). Mode k, driven by d_k F:
qd = b0 u + s1; s1 = s2 - A1 qd; s2 = -b0 u - A2 qd (transposed direct form II of
b0 (1 - z^-2) / (1 + A1 z^-1 + A2 z^-2)). See docs/fastpaths-theory.md.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def string_body_block(
    br, bl, ipos, st, eta, g, p, Z, Y0, b0, A1, A2, d, e, s1, s2, xp, out_string, out_body
):  # pragma: no cover - numba
    """Run the string on its body for ``out_string.shape[0]`` samples.

    Parameters
    ----------
    br, bl : float64 arrays, shape (L,)
        Velocity waves (m/s) towards the bridge and towards the nut; updated in place.
    ipos : int64 array, shape (1,)
    st : float64 array, shape (2,)
        Loss-filter and tuning-allpass states.
    eta, g, p : float
        Tuning allpass coefficient, loss-filter gain and pole.
    Z : float, kg/s
        String wave impedance sqrt(T mu).
    Y0 : float, s/kg
        Instantaneous part of the discrete bridge admittance, sum_k d_k^2 b0_k.
    b0, A1, A2 : float64 arrays, shape (n_modes,)
        Bilinear coefficients of each mode's s / (s^2 + 2 sigma s + w^2) (b0 in s).
    d, e : float64 arrays, shape (n_modes,), 1/sqrt(kg)
        Mode shapes at the bridge (along the string's plane of motion) and at the body pickup.
    s1, s2 : float64 arrays, shape (n_modes,)
        Mode states, updated in place.
    xp : int
        String pickup, samples from the nut.
    out_string, out_body : float64 arrays, shape (n,)
        String velocity at ``xp`` and body velocity at the pickup (m/s), written in place.
    """
    n = out_string.shape[0]
    L = br.shape[0]
    K = b0.shape[0]
    pos = ipos[0]
    sl = st[0]
    sa = st[1]
    ir = -xp
    il = -(L - 1 - xp)
    zf = Z / (1.0 + Z * Y0)
    for t in range(n):
        pos += 1
        if pos == L:
            pos = 0
        at_bridge = br[pos]
        at_nut = bl[pos]
        sl = g * (1.0 - p) * at_bridge + p * sl
        vin = eta * sl + sa
        sa = sl - eta * vin
        h = 0.0
        for k in range(K):
            h += d[k] * s1[k]
        F = zf * (2.0 * vin - h)
        vb = 0.0
        vbody = 0.0
        for k in range(K):
            u = d[k] * F
            q = b0[k] * u + s1[k]
            s1[k] = s2[k] - A1[k] * q
            s2[k] = -b0[k] * u - A2[k] * q
            vb += d[k] * q
            vbody += e[k] * q
        bl[pos] = vb - vin
        br[pos] = -at_nut
        jr = pos + ir
        if jr < 0:
            jr += L
        jl = pos + il
        if jl < 0:
            jl += L
        out_string[t] = br[jr] + bl[jl]
        out_body[t] = vbody
    ipos[0] = pos
    st[0] = sl
    st[1] = sa
