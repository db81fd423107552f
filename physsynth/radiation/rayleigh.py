"""The Rayleigh integral: a flat vibrating surface set in an infinite rigid baffle.

For a plane surface S with normal velocity v_n in a rigid baffle, the pressure in the front
half-space is exactly (Rayleigh 1896, The Theory of Sound, vol. II, section 278; e^{-i omega t})

    p(x) = -(i omega rho / 2 pi) int_S v_n(y) e^{ikR} / R dS(y),   R = |x - y|,          (1)

and the radiated power W = 1/2 Re int p conj(v_n) dS takes the singularity-free form

    W = (omega rho k / 4 pi) int int v_n(y) conj(v_n(y')) sin(kR) / (kR) dS dS',          (2)

the form Wallace (1972, J. Acoust. Soc. Am. 51, 946) starts from. A plate radiates from both
faces: the back half-space holds the mirror image of (1) with the sign flipped, and the power
the mode loses is twice (2). The radiation efficiency is the one-sided W / (rho c S <|v|^2>/2)
(Wallace's sigma).
"""

from __future__ import annotations

import time

import numpy as np

from physsynth.errors import PhyssynthError
from physsynth.radiation._base import AIR, Air, RadiationData, Surface, efficiency, fit_expansion, quadrature, tri_areas

#: Triangles up to which the power is the direct double integral (2).
MAX_DIRECT = 3000
#: Rows of the power integral's kernel computed at once.
BLOCK = 512
#: Largest out-of-plane deviation of a "flat" surface, as a fraction of its size.
FLAT_TOLERANCE = 1e-6


def plane_of(surface: Surface) -> tuple[np.ndarray, np.ndarray]:
    """(origin, unit normal) of a flat surface; PhyssynthError if it is not flat."""
    c = surface.center
    a = tri_areas(surface.points, surface.triangles)
    p = surface.points[surface.triangles]
    fn = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    n = fn.sum(axis=0)
    if not np.linalg.norm(n) > 0:
        raise PhyssynthError("the Rayleigh integral needs a flat surface with a net normal")
    n /= np.linalg.norm(n)
    dev = np.abs((surface.points - c) @ n).max()
    size = np.sqrt(a.sum())
    if dev > FLAT_TOLERANCE * size + 1e-12:
        raise PhyssynthError(
            f"the Rayleigh integral is for flat plates in a baffle; this surface leaves its plane by {dev:.3g} m "
            "(use --radiation bem for a solid, compact for a small object)"
        )
    return c, n


def rayleigh_pressure(surface: Surface, vn, k, points, air: Air = AIR) -> np.ndarray:
    """Pressure (1) at points, shape (n_modes, n_points); back half-space by the odd image."""
    c, n = plane_of(surface)
    x, w, _, B = quadrature(surface)
    vq = (B @ np.atleast_2d(vn).T).T  # (n_modes, nq)
    pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
    s = (pts - c) @ n
    sign = np.where(s < 0, -1.0, 1.0)
    pts = pts - 2 * np.minimum(s, 0.0)[:, None] * n
    k = np.atleast_1d(np.asarray(k, dtype=float))
    out = np.empty((len(k), len(pts)), dtype=complex)
    for j0 in range(0, len(pts), 64):  # 64 points x all quadrature points at once
        d = pts[j0 : j0 + 64, None, :] - x[None, :, :]
        R = np.sqrt(np.einsum("ijd,ijd->ij", d, d))
        if np.any(R == 0):
            raise PhyssynthError("a listener point lies on the plate")
        for i, ki in enumerate(k):
            omega_rho = ki * air.c * air.rho
            out[i, j0 : j0 + 64] = -1j * omega_rho / (2 * np.pi) * ((np.exp(1j * ki * R) / R) @ (w * vq[i]))
    return out * sign


def rayleigh_power(surface: Surface, vn, k, air: Air = AIR) -> np.ndarray:
    """One-sided radiated power (2) of each mode, W per unit modal velocity squared.

    The double integral uses three points per triangle (degree 2), whose error at kh < 1 is
    well below the 0.5 dB the tests ask of it.
    """
    p, t = surface.points, surface.triangles
    a = tri_areas(p, t)
    bary = np.array([[2 / 3, 1 / 6, 1 / 6], [1 / 6, 2 / 3, 1 / 6], [1 / 6, 1 / 6, 2 / 3]])
    x = np.einsum("qj,mjd->mqd", bary, p[t]).reshape(-1, 3)
    w = np.repeat(a / 3, 3)
    vn = np.atleast_2d(vn)
    vq = np.einsum("qj,kmj->kmq", bary, vn[:, t]).reshape(len(vn), -1)
    k = np.atleast_1d(np.asarray(k, dtype=float))
    wv = w[None, :] * vq  # (n_modes, nq)
    acc = np.zeros(len(k))
    # Row blocks of the sinc matrix keep memory at BLOCK x nq doubles.
    for i0 in range(0, len(x), BLOCK):
        d = x[i0 : i0 + BLOCK, None, :] - x[None, :, :]
        R = np.sqrt(np.einsum("ijd,ijd->ij", d, d))
        for i, ki in enumerate(k):
            acc[i] += float(wv[i, i0 : i0 + BLOCK] @ (np.sinc(ki * R / np.pi) @ wv[i]))
    out = k * air.c * air.rho * k / (4 * np.pi) * acc
    return out


def radiate_rayleigh(surface: Surface, vn, frequencies, air: Air = AIR) -> RadiationData:
    """Radiation of a baffled flat surface's modes (both faces radiating)."""
    t0 = time.perf_counter()
    f = np.atleast_1d(np.asarray(frequencies, dtype=float))
    vn = np.atleast_2d(np.asarray(vn, dtype=float))
    k = 2 * np.pi * f / air.c
    c, n = plane_of(surface)
    expansion = fit_expansion(
        lambda pts: rayleigh_pressure(surface, vn, k, pts, air), k, c, surface.radius(c), baffle=n
    )
    if len(surface.triangles) <= MAX_DIRECT:
        one = rayleigh_power(surface, vn, k, air)
    else:
        # (2) costs (3 m)^2 a mode; on a fine structural mesh the far-field power of the fitted
        # expansion (both faces) is the same integral, evaluated on the sphere instead.
        one = 0.5 * expansion.power(air)
    return RadiationData(
        "rayleigh",
        air,
        f,
        2 * one,
        efficiency(one, vn, surface, air),
        expansion,
        None,
        {"triangles": int(len(surface.triangles)), "seconds": time.perf_counter() - t0, "faces": 2},
    )
