"""Compact sources: the monopole and dipole moments of an object small against the wavelength.

For ka << 1 (a the radius of the object) the air near the object moves as an incompressible
flow, and the far field is that of a point monopole and a point dipole at the centre c
(Pierce 1989, Acoustics, sections 4.3 and 4.6; e^{-i omega t}):

    Q  = int v_n dS                                  volume velocity, m^3/s
    mu = int ((y - c) v_n - phi n) dS                dipole moment (Kelvin impulse / rho), m^4/s

with phi the velocity potential of the incompressible flow (Laplace, dphi/dn = v_n, phi -> 0),
and the pressure p = i omega rho Phi of

    Phi(x) = -Q G(r) + mu . grad G(r),     G = e^{ikr} / (4 pi r),   r = |x - c|.

The -phi n term is the air the body carries with it (its added mass): for a rigid sphere
mu = 2 pi a^3 U, 1.5 times the volume times the velocity. phi comes from the BEM at a small
wavenumber (k a = 0.02), p = i omega rho phi there, so this path also needs the ``bem`` extra;
it costs one assembly for all modes. Errors grow as (ka)^2: about 0.1 dB at ka = 0.3.
"""

from __future__ import annotations

import time

import numpy as np

from physsynth.radiation._base import (
    AIR,
    Air,
    RadiationData,
    Surface,
    check_floor,
    efficiency,
    fit_expansion,
    mass_matrix,
    quadrature,
)
from physsynth.radiation.bem import solve_surface

#: k a of the incompressible-flow solve.
KA_STATIC = 0.02


def moments(surface: Surface, vn, air: Air = AIR, *, cache: bool = True, progress: bool = True):
    """(Q, mu, center) of each mode: shapes (n_modes,), (n_modes, 3), (3,) in m^3/s, m^4/s, m."""
    vn = np.atleast_2d(np.asarray(vn, dtype=float))
    c = surface.center
    a = surface.radius(c)
    k0 = KA_STATIC / a
    omega0 = k0 * air.c
    g = 1j * omega0 * air.rho * vn.astype(complex)
    p0 = solve_surface(surface, g, np.full(len(vn), k0), air, cache=cache, progress=progress)
    phi = np.real(p0 / (1j * omega0 * air.rho))
    M = mass_matrix(surface)
    ones = np.ones(len(surface.points))
    Q = vn @ (M @ ones)
    y = surface.points - c
    # int phi n dS with nodal normals (P1 interpolation of phi n)
    mu = vn @ (M @ y) - phi @ (M @ surface.normals)
    return Q, mu, c


def compact_pressure(Q, mu, center, k, points, air: Air = AIR) -> np.ndarray:
    """Pressure of monopoles Q and dipoles mu at ``center``, shape (n_modes, n_points)."""
    pts = np.atleast_2d(np.asarray(points, dtype=np.float64)) - center
    r = np.linalg.norm(pts, axis=1)
    xh = pts / r[:, None]
    k = np.atleast_1d(k)
    out = np.empty((len(k), len(pts)), dtype=complex)
    for i, ki in enumerate(k):
        G = np.exp(1j * ki * r) / (4 * np.pi * r)
        dG = G * (1j * ki - 1 / r)  # dG/dr; grad G = dG/dr x_hat
        Phi = -Q[i] * G + (xh @ mu[i]) * dG
        out[i] = 1j * ki * air.c * air.rho * Phi
    return out


def radiate_compact(surface: Surface, vn, frequencies, air: Air = AIR, *, cache=True, progress=True, floor=None):
    """Radiation of modes as compact monopole + dipole sources (valid for ka << 1).

    With a rigid ``floor`` (z = floor, m) the sources' images are added at the listeners, and
    the power gains the work the image's field does on the surface, 1/2 Re int p_image v_n dS
    (for a monopole at height h, W = W_free (1 + sin(2kh) / (2kh)); Pierce 1989, section 5.1).
    The moments stay the free-field ones: the floor's effect on the near field is of order
    (a / h)^3.
    """
    floor = check_floor(surface, floor)
    t0 = time.perf_counter()
    f = np.atleast_1d(np.asarray(frequencies, dtype=float))
    vn = np.atleast_2d(np.asarray(vn, dtype=float))
    k = 2 * np.pi * f / air.c
    Q, mu, c = moments(surface, vn, air, cache=cache, progress=progress)
    a = surface.radius(c)
    # Monopole W = rho c k^2 |Q|^2 / (8 pi), dipole W = rho c k^4 |mu|^2 / (24 pi) (Pierce 4.3, 4.6).
    power = air.impedance * (k**2 * Q**2 / (8 * np.pi) + k**4 * np.sum(mu**2, axis=1) / (24 * np.pi))
    expansion = fit_expansion(lambda p: compact_pressure(Q, mu, c, k, p, air), k, c, a, max_order=1)
    if floor is not None:
        x, wq, _, B = quadrature(surface)
        img = x.copy()
        img[:, 2] = 2 * floor - img[:, 2]
        vq = (B @ vn.T).T
        power = power + 0.5 * np.real(np.sum(compact_pressure(Q, mu, c, k, img, air) * vq * wq, axis=1))
    return RadiationData(
        "compact",
        air,
        f,
        power,
        efficiency(power, vn, surface, air),
        expansion,
        None,
        {"ka_max": float(k.max() * a), "seconds": time.perf_counter() - t0},
        floor,
    )
