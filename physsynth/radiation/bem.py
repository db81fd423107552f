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

has a unique solution at every real k. It is discretised by Galerkin with continuous piecewise
linear (P1) functions on the object's surface triangles, assembled densely by bempp-cl on its
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

#: Relative frequency difference under which modes share one BEM assembly (0.1 %: the radiated
#: field changes by about ka x 1e-3 in phase, far below the discretisation error).
GROUP_TOLERANCE = 1e-3
#: Assembly time per pair of triangles for the four operators, s (measured on one core of a
#: 2-core x86-64 machine, 512 and 2048 triangles; bempp-cl 0.4.2, numba backend).
SECONDS_PER_PAIR = 6e-6
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


def estimate(surface: Surface, n_freqs: int, *, images: bool = False) -> tuple[float, float]:
    """(seconds, bytes) a BEM solve of ``n_freqs`` frequencies on ``surface`` is expected to take
    (``images``: with a rigid floor, the object and its image solved together)."""
    m = len(surface.triangles) * (2 if images else 1)
    n = len(surface.points) * (2 if images else 1)
    seconds = JIT_SECONDS + n_freqs * SECONDS_PER_PAIR * m * m
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


def _cache_dir() -> str:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "physsynth", "radiation")


def _key(surface: Surface, g: np.ndarray, k: float, air: Air) -> str:
    h = hashlib.sha256()
    for a in (surface.points, surface.triangles, np.ascontiguousarray(g)):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr((float(k), air.c, air.rho, "burton-miller-p1")).encode())
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
    t0 = time.perf_counter()
    for j, grp in enumerate(groups):
        kk = float(np.mean([k[i] for i, _ in grp]))
        ops = [
            op(space, space, space, kk).weak_form().A
            for op in (
                helmholtz.double_layer,
                helmholtz.single_layer,
                helmholtz.hypersingular,
                helmholtz.adjoint_double_layer,
            )
        ]
        K, V, W, Kp = (np.asarray(o) for o in ops)
        eta = 1j / kk
        A = 0.5 * M - K + eta * W
        lu = lu_factor(A, overwrite_a=True, check_finite=False)
        for i, key in grp:
            rhs = -(V @ g[i]) - eta * (0.5 * (M @ g[i]) + Kp @ g[i])
            out[i] = lu_solve(lu, rhs, check_finite=False)
            if cache:
                _cache_put(key, out[i])
        del K, V, W, Kp, A, lu
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
            "formulation": "burton-miller",
            "triangles": int(len(surface.triangles)),
            "seconds": time.perf_counter() - t0,
        },
        floor,
    )
