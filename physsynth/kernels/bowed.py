"""Bowed-string kernels: the friction junction and the two-segment waveguide string.

McIntyre, Schumacher & Woodhouse, "On the oscillations of musical instruments", JASA 74(5),
1983; Smith, "Physical Audio Signal Processing", "Bowed strings". Velocity waves; the bow
divides the string into a bridge-side and a nut-side segment. Each segment is folded into one
delay line holding its round trip (bow -> end -> bow), and its end's reflection is applied as
the wave comes back to the bow:

    nut side:    v_in_n = -r_nut * dn[pn]                    (2 L_n samples ago)
    bridge side: v_in_b = -A_eta(z) H(z) db[pb]              (2 L_b samples ago)

At the bow the string's velocity is v = v_h + f / (2 Z), v_h = v_in_n + v_in_b (the load
line; Z = sqrt(T rho) is the string's wave impedance, the bow sees both halves, 2 Z), and f
is the friction force, a function of the relative velocity x = v_b - v:

    f = F_b mu(|x|) sign(x),  mu(u) = mu_d + (mu_s - mu_d) v0 / (v0 + u)     (slipping)
    |f| <= mu_s F_b, x = 0                                                   (sticking)

Each sample: stick if the force that keeps x = 0, f = 2 Z (v_b - v_h), is within static
friction; else slip. For this hyperbolic mu the slip intersection is the positive root of a
quadratic (multiply by v0 + u):

    2Z u^2 + (F mu_d + 2Z (v0 - D)) u + v0 (F mu_s - 2Z D) = 0,   D = |v_b - v_h|,

whose constant term is negative when sticking fails, so exactly one root is positive: a closed
form, no iteration and no ambiguity. The outgoing waves are v_in + f / (2 Z) on both sides.
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True)
def friction(dh, force, zz, mus, mud, v0):  # pragma: no cover - numba
    """Friction force f (N) and relative velocity x (m/s) at a bow junction.

    The load line is f = zz (dh - x): ``dh`` = v_b - v_h (m/s), the bow's velocity minus the
    velocity the contact point would have without the bow, ``zz`` (kg/s) the impedance the bow
    drives (2 Z for a string). ``force`` (N) >= 0, ``mus`` >= ``mud`` >= 0, ``v0`` > 0 (m/s).
    """
    if zz * abs(dh) <= mus * force:
        return zz * dh, 0.0
    s = 1.0 if dh > 0.0 else -1.0
    D = abs(dh)
    b = force * mud + zz * (v0 - D)
    c = v0 * (force * mus - zz * D)
    # the positive root of zz u^2 + b u + c (c < 0), in the form without cancellation
    u = -2.0 * c / (b + math.sqrt(b * b - 4.0 * zz * c))
    x = s * u
    return zz * (dh - x), x


@njit(cache=True)
def bowed_block(
    dn, db, ipos, st, r_nut, eta, g, p, z, f0, f1, vb0, vb1, mus, mud, v0, out, rel
):  # pragma: no cover - numba
    """Run the bowed string for ``out.shape[0]`` samples.

    Parameters
    ----------
    dn, db : float64 arrays, shape (2 L_n,), (2 L_b,)
        Round-trip delay lines of the nut-side and bridge-side segments, updated in place.
    ipos : int64 array, shape (2,)
        Read/write indices into ``dn`` and ``db``, updated in place.
    st : float64 array, shape (2,)
        Loss-filter and tuning-allpass states of the bridge reflection, updated in place.
    r_nut : float
        Magnitude of the nut reflection (1: rigid).
    eta, g, p : float
        Bridge reflection -A_eta(z) H(z): tuning allpass, one-pole loss filter g (1-p)/(1-p z^-1).
    z : float, kg/s
        Wave impedance of the string.
    f0, f1, vb0, vb1 : float, N and m/s
        Bow force and bow velocity; each moves linearly from its first to its second value
        across the block (reached at the last sample).
    mus, mud, v0 : float
        Friction law (see :func:`friction`).
    out : float64 array, shape (n,)
        Transverse force on the bridge, Z (v_arriving - v_reflected), N; written in place.
    rel : float64 array, shape (n,)
        Relative bow-string velocity v_b - v at the bow (0 while sticking), m/s; written.
    """
    n = out.shape[0]
    Nn = dn.shape[0]
    Nb = db.shape[0]
    pn = ipos[0]
    pb = ipos[1]
    sl = st[0]
    sa = st[1]
    zz = 2.0 * z
    dF = (f1 - f0) / n
    dV = (vb1 - vb0) / n
    for t in range(n):
        F = f0 + dF * (t + 1)
        vb = vb0 + dV * (t + 1)
        vin_n = -r_nut * dn[pn]
        x = db[pb]
        sl = g * (1.0 - p) * x + p * sl
        y = eta * sl + sa
        sa = sl - eta * y
        vin_b = -y
        fr, xr = friction(vb - (vin_n + vin_b), F, zz, mus, mud, v0)
        dv = fr / zz
        dn[pn] = vin_b + dv
        db[pb] = vin_n + dv
        pn += 1
        if pn == Nn:
            pn = 0
        pb += 1
        if pb == Nb:
            pb = 0
        out[t] = z * (x + y)
        rel[t] = xr
    ipos[0] = pn
    ipos[1] = pb
    st[0] = sl
    st[1] = sa
