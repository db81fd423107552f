"""Exterior Helmholtz boundary elements through bempp-cl: the reference radiation solver.

For a mode of normal surface velocity v_n at angular frequency omega (wavenumber k = omega / c),
the pressure p in the air solves the Helmholtz equation with the Neumann data
g = dp/dn = i omega rho v_n (e^{-i omega t}) and radiates outwards. Green's representation
(n outward, G = e^{ikR} / (4 pi R)) gives, outside the object,

    p(x) = (D p)(x) - (S g)(x),                                       (1)

and its traces on the surface, in bempp's notation (K double layer, V single layer, K' adjoint
double layer, W hypersingular),

    (1/2 I - K) p = -V g,          W p = -(1/2 I + K') g.                (2)

The first alone (the conventional CBIE) fails at the Dirichlet eigenfrequencies of the interior;
the Burton-Miller combination (Burton & Miller 1971, Proc. R. Soc. A 323, 201) of the two with
coupling eta = i / k,

    (1/2 I - K + eta W) p = -V g - eta (1/2 I + K') g,                   (3)

has a unique solution at every real k. Below the lowest interior Dirichlet eigenfrequency the
CBIE alone is unique, and it needs two operators (K, V) instead of four: it is used for
k < CBIE_SAFETY x pi / (2 rho), rho the object's inradius (Hersch's bound lambda_1 >= pi^2 /
(4 rho^2) for the first Dirichlet eigenvalue; ``interior_cutoff``). The bundled bowl (a
1.55 mm wall, 3.75 mm at the rim; rho estimated from above as 3.5 mm) has no interior
resonance below 24 kHz, so its audio-band modes take the CBIE at half the assembly; a solid
sphere (rho = a) switches to Burton-Miller above ka = pi / 4. It is discretised by Galerkin
with continuous piecewise linear (P1) functions on the object's surface triangles, assembled densely by bempp-cl on its
Numba backend (no OpenCL needed) and solved by LU. The listener field (1) is then a plain
quadrature over the triangles (:func:`field_from_surface`), and the radiated power
W = 1/2 Re int p conj(v_n) dS uses the P1 mass matrix.

Cost: 4 dense operators of n_vertices^2 complex entries per frequency; assembly time grows as
n_triangles^2 (:func:`estimate`). Solutions are cached on disk by surface, data, air and
frequency (``$XDG_CACHE_HOME/physsynth/radiation``), so a second run of the same model is free.
Modes whose frequencies agree within ``GROUP_TOLERANCE`` (a degenerate pair of a symmetric
object) share one assembly at their mean frequency.
"""

from __future__ import annotations

import hashlib
import os
import time

import numpy as np
from scipy.linalg import lu_factor, lu_solve

from physsynth import validate
from physsynth._progress import log
from physsynth.errors import PhyssynthError
from physsynth.radiation._base import (
    AIR,
    Air,
    RadiationData,
    Surface,
    check_floor,
    efficiency,
    field_from_surface,
    fit_expansion,
    mass_matrix,
    mirrored,
    surface_from_arrays,
)

#: Relative frequency difference under which modes share one BEM assembly, solved at the group's
#: mean (0.25 %: the surface solution moves by about ka x 1.25e-3 rad in phase, 0.6 degrees at
#: ka = 8, the bowl at 5 kHz, far below the discretisation error; the listener field is then
#: evaluated at each mode's own k). It joins the doublets of a meshed axisymmetric object.
GROUP_TOLERANCE = 2.5e-3
#: Share of Hersch's bound on the first interior Dirichlet wavenumber below which the CBIE is
#: used (a factor of 2 for non-convex objects and the estimate of the inradius).
CBIE_SAFETY = 0.5
#: Assembly time per pair of triangles for four operators (Burton-Miller; the CBIE's two take
#: half), s: the bundled bowl (6926 triangles, CBIE) took 51 s a frequency alone and 106 s a
#: frequency over all 19 (2008 s) on a 2-core machine shared with other jobs; bempp-cl 0.4.2,
#: numba backend, which runs on one core.
SECONDS_PER_PAIR = 3e-6
#: One-off compilation of bempp-cl's kernels in a fresh process, s.
JIT_SECONDS = 60.0
#: Dense complex matrices held at once per frequency (K, V, W, K', the system and its LU).
MATRICES = 7
#: Triangles per wavelength below which a warning is logged.
MIN_PER_WAVELENGTH = 6.0


def _bempp():
    try:
        import bempp_cl.api as bempp
    except ImportError:
        raise PhyssynthError(
            "the BEM radiation solver needs bempp-cl: pip install 'physsynth[bem]' "
            "(or use --radiation rayleigh for a flat plate, compact for a small object)"
        ) from None
    return bempp


def estimate(surface: Surface, n_freqs: int, *, images: bool = False, operators: int = 4) -> tuple[float, float]:
    """(seconds, bytes) a BEM solve of ``n_freqs`` frequencies on ``surface`` is expected to take
    (``images``: with a rigid floor, the object and its image solved together; ``operators``:
    4 for Burton-Miller, 2 for the CBIE)."""
    m = len(surface.triangles) * (2 if images else 1)
    n = len(surface.points) * (2 if images else 1)
    seconds = JIT_SECONDS + n_freqs * SECONDS_PER_PAIR * operators / 4 * m * m
    nbytes = MATRICES * 16.0 * n * n
    return seconds, nbytes


def check_memory(surface: Surface, n_freqs: int, *, images: bool = False) -> float:
    """Refuse a solve that would not fit in memory; returns the time estimate (s)."""
    seconds, nbytes = estimate(surface, n_freqs, images=images)
    validate.check_memory(
        nbytes,
        f"a BEM radiation solve on {len(surface.triangles)} triangles ({len(surface.points)} unknowns, "
        f"about {seconds / 60:.1f} min for {n_freqs} frequencies)",
        "use a coarser surface mesh, --radiation rayleigh (flat plates) or compact (small objects)",
    )
    return seconds


def interior_cutoff(surface: Surface) -> float:
    """pi / (2 rho), rad/m: Hersch's lower bound on the first interior Dirichlet wavenumber.

    rho, the inradius, is estimated from above (so the bound errs low, towards Burton-Miller):
    along each vertex's inward normal the chord to the opposite side is cast, and the ball at
    its midpoint reaches at most the nearer of the chord's half and the nearest vertex (a
    sphere's radius; about half a wall's thickness, plus a fraction of an edge, for a shell).
    """
    p, t, nrm = surface.points, surface.triangles, surface.normals
    v0 = p[t[:, 0]]
    e1 = p[t[:, 1]] - v0
    e2 = p[t[:, 2]] - v0
    scale = surface.max_edge
    rho = 0.0
    # Moller-Trumbore, 64 rays against every triangle at a time
    for i0 in range(0, len(p), 64):
        o = p[i0 : i0 + 64] - 1e-6 * scale * nrm[i0 : i0 + 64]
        d = -nrm[i0 : i0 + 64]
        h = np.cross(d[:, None, :], e2[None, :, :])
        a = np.einsum("md,rmd->rm", e1, h)
        ok = np.abs(a) > 1e-14 * scale**2
        f = np.divide(1.0, a, out=np.zeros_like(a), where=ok)
        sv = o[:, None, :] - v0[None, :, :]
        u = f * np.einsum("rmd,rmd->rm", sv, h)
        q = np.cross(sv, e1[None, :, :])
        v = f * np.einsum("rd,rmd->rm", d, q)
        dist = f * np.einsum("md,rmd->rm", e2, q)
        hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (dist > 1e-6 * scale)
        chord = np.where(hit, dist, np.inf).min(axis=1)
        good = np.isfinite(chord)
        if not np.any(good):
            continue
        mid = o[good] + 0.5 * chord[good, None] * d[good]
        dv = np.sqrt(np.min(np.einsum("rnd,rnd->rn", mid[:, None, :] - p[None], mid[:, None, :] - p[None]), axis=1))
        rho = max(rho, float(np.max(np.minimum(0.5 * chord[good], dv))))
    if rho <= 0:
        rho = surface.radius(surface.center)
    return float(np.pi / (2 * rho))


def _cache_dir() -> str:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "physsynth", "radiation")


def _key(surface: Surface, g: np.ndarray, k: float, air: Air) -> str:
    h = hashlib.sha256()
    for a in (surface.points, surface.triangles, np.ascontiguousarray(g)):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr((float(k), air.c, air.rho, "burton-miller-or-cbie-p1")).encode())
    return h.hexdigest()[:32]


def _cache_get(key: str):
    path = os.path.join(_cache_dir(), key + ".npy")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None


def _cache_put(key: str, u: np.ndarray) -> None:
    d = _cache_dir()
    try:
        os.makedirs(d, exist_ok=True)
        tmp = os.path.join(d, f".{key}.{os.getpid()}.npy")
        np.save(tmp, u)
        os.replace(tmp, os.path.join(d, key + ".npy"))
    except OSError as exc:  # a read-only home: the solve still stands, uncached
        log.debug("radiation cache not written: %s", exc)


def _grid(bempp, surface: Surface):
    return bempp.Grid(surface.points.T.copy(), surface.triangles.T.astype(np.uint32).copy())


def solve_surface(
    surface: Surface,
    g: np.ndarray,
    k: np.ndarray,
    air: Air,
    *,
    cache: bool = True,
    progress: bool = True,
    floor: float | None = None,
) -> np.ndarray:
    """Surface pressure of each mode by the Burton-Miller equation (3).

    With a rigid ``floor`` (the plane z = floor below the object) the object and its mirror
    image are solved together with mirrored Neumann data: by symmetry dp/dz = 0 on the plane,
    so the object's surface pressure is the half-space one (the image method; the half-space
    Green's function G(x, y) + G(x, y') in discrete form), at four times the matrix storage.

    Parameters
    ----------
    surface : Surface
        Closed, outward-oriented.
    g : ndarray, complex, shape (n_modes, n)
        Neumann data dp/dn = i omega rho v_n at the surface points, Pa/m.
    k : ndarray, shape (n_modes,), rad/m
    air : Air

    Returns
    -------
    ndarray, complex, shape (n_modes, n), Pa
    """
    if not surface.closed:
        raise PhyssynthError(
            "the BEM solver needs a closed surface (a solid's boundary); for a flat sheet use --radiation rayleigh"
        )
    k = np.atleast_1d(np.asarray(k, dtype=float))
    g = np.atleast_2d(np.asarray(g, dtype=complex))
    if check_floor(surface, floor) is not None:
        img = mirrored(surface, floor)
        n = len(surface.points)
        both = surface_from_arrays(
            np.vstack([surface.points, img.points]), np.vstack([surface.triangles, img.triangles + n]), closed=True
        )
        return solve_surface(both, np.hstack([g, g]), k, air, cache=cache, progress=progress)[:, :n]
    out = np.empty_like(g)
    todo = []
    for i in range(len(k)):
        key = _key(surface, g[i], k[i], air) if cache else None
        u = _cache_get(key) if cache else None
        if u is not None and u.shape == (g.shape[1],):
            out[i] = u
        else:
            todo.append((i, key))
    if not todo:
        return out
    # Groups of near-equal frequencies share one assembly.
    todo.sort(key=lambda t: k[t[0]])
    groups: list[list] = []
    for item in todo:
        if groups and abs(k[item[0]] - k[groups[-1][0][0]]) <= GROUP_TOLERANCE * k[item[0]]:
            groups[-1].append(item)
        else:
            groups.append([item])
    seconds = check_memory(surface, len(groups))
    h = surface.max_edge
    kmax = float(k.max())
    if 2 * np.pi / kmax / h < MIN_PER_WAVELENGTH:
        log.warning(
            "BEM: the longest surface edge (%.3g m) is %.1f per wavelength at %.0f Hz (fewer than %g): "
            "expect errors above 1 dB there",
            h,
            2 * np.pi / kmax / h,
            kmax * air.c / 2 / np.pi,
            MIN_PER_WAVELENGTH,
        )
    if progress:
        log.info(
            "BEM: %d modes at %d frequencies on %d triangles, about %.0f s (%.0f s of it compiling bempp-cl once)",
            len(todo),
            len(groups),
            len(surface.triangles),
            seconds,
            JIT_SECONDS,
        )
    bempp = _bempp()
    from bempp_cl.api.operators.boundary import helmholtz, sparse

    grid = _grid(bempp, surface)
    space = bempp.function_space(grid, "P", 1)
    # bempp numbers P1 dofs by grid vertex; our points are the grid's vertices in order.
    M = sparse.identity(space, space, space).weak_form().A
    k_cbie = CBIE_SAFETY * interior_cutoff(surface)
    t0 = time.perf_counter()
    for j, grp in enumerate(groups):
        kk = float(np.mean([k[i] for i, _ in grp]))
        K = np.asarray(helmholtz.double_layer(space, space, space, kk).weak_form().A)
        V = np.asarray(helmholtz.single_layer(space, space, space, kk).weak_form().A)
        if kk < k_cbie:  # (2), first equation: no interior resonance below k_cbie
            A = 0.5 * M - K
            rhs = -(V @ g[[i for i, _ in grp]].T)
        else:  # (3)
            W = np.asarray(helmholtz.hypersingular(space, space, space, kk).weak_form().A)
            Kp = np.asarray(helmholtz.adjoint_double_layer(space, space, space, kk).weak_form().A)
            eta = 1j / kk
            A = 0.5 * M - K + eta * W
            gg = g[[i for i, _ in grp]].T
            rhs = -(V @ gg) - eta * (0.5 * (M @ gg) + Kp @ gg)
            del W, Kp
        lu = lu_factor(A, overwrite_a=True, check_finite=False)
        sol = lu_solve(lu, rhs, check_finite=False)
        for c, (i, key) in enumerate(grp):
            out[i] = sol[:, c]
            if cache:
                _cache_put(key, out[i])
        del K, V, A, lu
        if progress:
            done = j + 1
            el = time.perf_counter() - t0
            log.info(
                "BEM: frequency %d/%d (%.0f Hz) done, %.0f s so far, about %.0f s left",
                done,
                len(groups),
                kk * air.c / 2 / np.pi,
                el,
                el / done * (len(groups) - done),
            )
    return out


def radiate_bem(
    surface: Surface,
    vn,
    frequencies,
    air: Air = AIR,
    *,
    cache: bool = True,
    progress: bool = True,
    floor: float | None = None,
):
    """Radiation of modes with normal velocities ``vn`` (n_modes, n) at ``frequencies`` (Hz),
    in free space or over a rigid ``floor`` (the plane z = floor, m).

    Returns
    -------
    RadiationData
        ``method == "bem"``, with the surface pressure and a fitted multipole expansion.
    """
    f = np.atleast_1d(np.asarray(frequencies, dtype=float))
    vn = np.atleast_2d(np.asarray(vn, dtype=float))
    omega = 2 * np.pi * f
    k = omega / air.c
    g = 1j * (omega * air.rho)[:, None] * vn
    t0 = time.perf_counter()
    u = solve_surface(surface, g, k, air, cache=cache, progress=progress, floor=floor)
    M = mass_matrix(surface)
    power = 0.5 * np.real(np.einsum("kn,kn->k", vn, (M @ u.T).T))
    power = np.maximum(power, 0.0)
    center = surface.center
    radius = surface.radius(center)
    expansion = fit_expansion(lambda p: field_from_surface(surface, u, g, k, p), k, center, radius)
    return RadiationData(
        "bem",
        air,
        f,
        power,
        efficiency(power, vn, surface, air),
        expansion,
        u,
        {
            "formulation": "cbie below the interior cutoff, burton-miller above",
            "triangles": int(len(surface.triangles)),
            "seconds": time.perf_counter() - t0,
        },
        floor,
    )
