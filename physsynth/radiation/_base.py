"""Shared pieces of the radiation models: air, the radiating surface, quadrature, the multipole
expansion every method stores, and :class:`RadiationData` (what a ModalModel keeps).

Conventions (docs/radiation-theory.md): time dependence e^{-i omega t}, so outgoing waves are
e^{+ikr}; the normal n points out of the object into the air; a mode's normal surface velocity is
v_n = (phi_k . n) V for a modal velocity amplitude V (m sqrt(kg)/s); every pressure here is *per
unit modal velocity*, Pa / (m sqrt(kg) / s), and a power W / (m sqrt(kg) / s)^2.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from physsynth import validate
from physsynth.errors import PhyssynthError

#: Methods of ``radiate`` (and ``--radiation``).
METHODS = ("bem", "fast", "rayleigh", "compact")


@dataclass(frozen=True)
class Air:
    """The medium sound radiates into.

    Attributes
    ----------
    c : float, m/s
        Speed of sound (343 m/s: dry air at 20 degrees C).
    rho : float, kg/m^3
        Density (1.204 kg/m^3 at 20 degrees C, 101.325 kPa).
    """

    c: float = 343.0
    rho: float = 1.204

    def __post_init__(self):
        validate.positive(self.c, "speed of sound", "m/s")
        validate.positive(self.rho, "air density", "kg/m^3")

    @property
    def impedance(self) -> float:
        """Characteristic impedance rho c, Pa s/m."""
        return self.rho * self.c


#: Air at 20 degrees C, the default medium.
AIR = Air()


@dataclass(frozen=True)
class Surface:
    """A radiating surface: flat triangles with P1 (nodal) data.

    Attributes
    ----------
    points : ndarray, shape (n, 3), m
    triangles : ndarray of int, shape (m, 3)
        Indices into ``points``, ordered so that the right-hand normal points into the air.
    nodes : ndarray of int, shape (n,)
        The model's mesh node of each point.
    normals : ndarray, shape (n, 3)
        Outward unit normals at the points (area-weighted).
    closed : bool
        True for the boundary of a solid; False for an open sheet (a plate).
    """

    points: np.ndarray
    triangles: np.ndarray
    nodes: np.ndarray
    normals: np.ndarray
    closed: bool

    @property
    def area(self) -> float:
        """Total area, m^2."""
        return float(tri_areas(self.points, self.triangles).sum())

    @property
    def center(self) -> np.ndarray:
        """Area centroid, m."""
        a = tri_areas(self.points, self.triangles)
        c = self.points[self.triangles].mean(axis=1)
        return (a[:, None] * c).sum(axis=0) / a.sum()

    def radius(self, center) -> float:
        """Radius of the smallest sphere about ``center`` holding the surface, m."""
        return float(np.max(np.linalg.norm(self.points - np.asarray(center), axis=1)))

    @property
    def max_edge(self) -> float:
        """Longest triangle edge, m."""
        p = self.points[self.triangles]
        e = np.linalg.norm(p - np.roll(p, 1, axis=1), axis=2)
        return float(e.max())


def tri_areas(points, tris) -> np.ndarray:
    p = points[tris]
    return 0.5 * np.linalg.norm(np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), axis=1)


def surface_from_arrays(points, triangles, *, closed: bool, nodes=None) -> Surface:
    """A :class:`Surface` from vertices and outward-oriented triangles (checked)."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    tris = np.ascontiguousarray(triangles, dtype=np.int64)
    if points.ndim != 2 or points.shape[1] != 3 or not np.isfinite(points).all():
        raise PhyssynthError(f"surface points must be finite, shape (n, 3), got {points.shape}")
    if tris.ndim != 2 or tris.shape[1] != 3 or tris.size == 0 or tris.min() < 0 or tris.max() >= len(points):
        raise PhyssynthError("surface triangles must be (m, 3) indices into the points")
    fn = np.cross(points[tris[:, 1]] - points[tris[:, 0]], points[tris[:, 2]] - points[tris[:, 0]])
    acc = np.zeros_like(points)
    for j in range(3):
        np.add.at(acc, tris[:, j], fn)
    nrm = np.linalg.norm(acc, axis=1, keepdims=True)
    if np.any(nrm == 0):
        raise PhyssynthError("every surface point must belong to a triangle of non-zero area")
    nodes = np.arange(len(points)) if nodes is None else np.asarray(nodes, dtype=np.int64)
    return Surface(points, tris, nodes, acc / nrm, bool(closed))


def mirrored(surface: Surface, floor: float) -> Surface:
    """The image of a surface in the plane z = floor (orientation kept outward)."""
    p = surface.points.copy()
    p[:, 2] = 2 * floor - p[:, 2]
    n = surface.normals.copy()
    n[:, 2] = -n[:, 2]
    return Surface(p, np.ascontiguousarray(surface.triangles[:, ::-1]), surface.nodes, n, surface.closed)


def check_floor(surface: Surface, floor) -> float | None:
    """The floor height (m), refused unless the whole surface is above it; None passes."""
    if floor is None:
        return None
    floor = validate.finite(floor, "floor height", "m")
    low = float(surface.points[:, 2].min())
    if not low > floor:
        raise PhyssynthError(
            f"the rigid floor at z = {floor:g} m is not below the object (its lowest point is at z = {low:.4g} m); "
            "give a floor height below the object"
        )
    return floor


def model_surface(model) -> Surface:
    """The radiating surface of a ModalModel: a solid's boundary, or a sheet's triangles."""
    mesh = model.mesh
    tri = mesh.boundary_triangles()
    nodes = np.unique(tri)
    local = np.full(mesh.n_nodes, -1, dtype=np.int64)
    local[nodes] = np.arange(len(nodes))
    return surface_from_arrays(mesh.points[nodes], local[tri], closed=mesh.dim == 3, nodes=nodes)


def normal_velocity(model, surface: Surface) -> np.ndarray:
    """phi_k . n at the surface points for every mode, shape (n_modes, n), 1/sqrt(kg)."""
    return np.ascontiguousarray(np.einsum("knd,nd->kn", model.shapes[:, surface.nodes, :], surface.normals))


# Strang-Fix / Dunavant degree-4 rule on the reference triangle: barycentric points, weights
# summing to 1 (Dunavant 1985, Int. J. Numer. Meth. Eng. 21, 1129, the 6-point rule).
_A1, _B1, _W1 = 0.445948490915965, 0.108103018168070, 0.223381589678011
_A2, _B2, _W2 = 0.091576213509771, 0.816847572980459, 0.109951743655322
_BARY = np.array([[_A1, _A1, _B1], [_A1, _B1, _A1], [_B1, _A1, _A1], [_A2, _A2, _B2], [_A2, _B2, _A2], [_B2, _A2, _A2]])
_WQ = np.array([_W1, _W1, _W1, _W2, _W2, _W2])


def quadrature(surface: Surface):
    """Quadrature points of the surface (6 a triangle).

    Returns
    -------
    x : ndarray, shape (6 m, 3), m
    w : ndarray, shape (6 m,), m^2
    normal : ndarray, shape (6 m, 3)
        The triangle's unit normal at each point.
    interp : scipy.sparse matrix, shape (6 m, n)
        P1 interpolation of nodal values to the points.
    """
    p, t = surface.points, surface.triangles
    a = tri_areas(p, t)
    x = np.einsum("qj,mjd->mqd", _BARY, p[t]).reshape(-1, 3)
    w = (a[:, None] * _WQ[None, :]).ravel()
    fn = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
    fn /= np.linalg.norm(fn, axis=1, keepdims=True)
    normal = np.repeat(fn, 6, axis=0)
    rows = np.repeat(np.arange(len(x)), 3)
    cols = np.repeat(t, 6, axis=0).ravel()
    vals = np.tile(_BARY, (len(t), 1)).ravel()
    interp = sp.csr_matrix((vals, (rows, cols)), shape=(len(x), len(p)))
    return x, w, normal, interp


def mass_matrix(surface: Surface):
    """The P1 mass matrix int phi_i phi_j dS, sparse (n, n), m^2."""
    _, w, _, B = quadrature(surface)
    return (B.T @ sp.diags(w) @ B).tocsr()


def field_from_surface(surface: Surface, u, g, k, points) -> np.ndarray:
    """Pressure (1) at points from surface pressure ``u`` and Neumann data ``g`` (both P1).

    Shape (n_modes, n_points). Exact quadrature is not needed away from the surface: the
    6-point rule per triangle is accurate to well below 0.1 dB at a triangle size from the
    listener.
    """
    x, w, nrm, B = quadrature(surface)
    pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
    u = np.atleast_2d(u)
    g = np.atleast_2d(g)
    uq = (B @ u.T).T  # (n_modes, nq)
    gq = (B @ g.T).T
    out = np.empty((len(u), len(pts)), dtype=complex)
    k = np.atleast_1d(k)
    for j, xp in enumerate(pts):
        d = xp - x  # x - y
        R = np.linalg.norm(d, axis=1)
        dn = np.einsum("qd,qd->q", d, nrm)
        for i, ki in enumerate(k):
            e = np.exp(1j * ki * R) / (4 * np.pi * R)
            dG = e * (1 - 1j * ki * R) * dn / R**2  # dG/dn_y
            out[i, j] = np.sum(w * (dG * uq[i] - e * gq[i]))
    return out


# ---------------------------------------------------------------- multipole expansion
def _sph(points, center):
    d = np.atleast_2d(np.asarray(points, dtype=np.float64)) - center
    r = np.linalg.norm(d, axis=1)
    theta = np.arccos(np.clip(d[:, 2] / np.where(r > 0, r, 1.0), -1.0, 1.0))
    phi = np.arctan2(d[:, 1], d[:, 0])
    return r, theta, phi


#: First index of each order l in the (l, m) ordering of the expansion coefficients.
_L_STARTS = np.array([ell * ell for ell in range(64)])


def _harmonics(order: int, theta, phi) -> np.ndarray:
    """Y_lm(theta, phi) for l <= order, -l <= m <= l, shape ((order+1)^2, n_points)."""
    from scipy.special import sph_harm_y

    ls = np.repeat(np.arange(order + 1), 2 * np.arange(order + 1) + 1)
    ms = np.concatenate([np.arange(-ell, ell + 1) for ell in range(order + 1)])
    return sph_harm_y(ls[:, None], ms[:, None], np.asarray(theta)[None, :], np.asarray(phi)[None, :])


def hankel_orders(order: int, x) -> np.ndarray:
    """Spherical Hankel functions h_l(x) = j_l + i y_l of the first kind, l = 0..order.

    Shape (order + 1,) + x.shape, for real x > 0. The upward recurrence
    h_{l+1} = (2l + 1) / x h_l - h_{l-1} (DLMF 10.51.1) is stable for h_l, whose y_l part grows
    with l; it is 10x faster than scipy's spherical_yn per order on the render's few points.
    """
    x = np.asarray(x, dtype=float)
    out = np.empty((order + 1,) + x.shape, dtype=complex)
    e = np.exp(1j * x)
    out[0] = -1j * e / x
    if order >= 1:
        out[1] = -e * (x + 1j) / x**2
    for ell in range(1, order):
        out[ell + 1] = (2 * ell + 1) / x * out[ell] - out[ell - 1]
    return out


def multipole_basis(points, center, k: float, order: int) -> np.ndarray:
    """Outgoing multipoles h_l(kr) Y_lm(theta, phi), l <= order, shape (n_points, (order+1)^2).

    h_l is the spherical Hankel function of the first kind (outgoing for e^{-i omega t}),
    Y_lm the orthonormal spherical harmonics (scipy.special.sph_harm_y).
    """
    from scipy.special import sph_harm_y, spherical_jn, spherical_yn

    r, theta, phi = _sph(points, center)
    x = k * r
    out = np.empty((len(r), (order + 1) ** 2), dtype=complex)
    j = 0
    for ell in range(order + 1):
        h = spherical_jn(ell, x) + 1j * spherical_yn(ell, x)
        for m in range(-ell, ell + 1):
            out[:, j] = h * sph_harm_y(ell, m, theta, phi)
            j += 1
    return out


def sphere_points(n: int, radius: float, center) -> np.ndarray:
    """n nearly uniform points on a sphere (Fibonacci lattice), shape (n, 3)."""
    i = np.arange(n) + 0.5
    z = 1 - 2 * i / n
    rho = np.sqrt(1 - z**2)
    phi = np.pi * (3 - np.sqrt(5)) * i
    return np.asarray(center) + radius * np.column_stack([rho * np.cos(phi), rho * np.sin(phi), z])


@dataclass(frozen=True)
class Expansion:
    """Per-mode outgoing multipole expansions about one centre (the fast representation).

    p_k(x) = sum_{l <= L, m} c_klm h_l(k_k r) Y_lm(theta, phi), valid outside the sphere of
    ``radius`` about ``center`` that holds the object. With a ``baffle`` (a plate in an infinite
    baffle, the plane through ``center`` normal to ``baffle``), the expansion holds the front
    half-space and the back one is its mirror image with the sign flipped (the plate's back face).

    Attributes
    ----------
    center : ndarray, shape (3,), m
    radius : float, m
    k : ndarray, shape (n_modes,), rad/m
    coeffs : ndarray, complex, shape (n_modes, (L+1)^2), Pa / (m sqrt(kg)/s)
    baffle : ndarray, shape (3,), or None
    """

    center: np.ndarray
    radius: float
    k: np.ndarray
    coeffs: np.ndarray
    baffle: np.ndarray | None = None

    @property
    def order(self) -> int:
        return int(round(np.sqrt(self.coeffs.shape[1]))) - 1

    def pressure(self, points) -> np.ndarray:
        """Complex pressure at points, shape (n_modes, n_points)."""
        pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
        sign = np.ones(len(pts))
        if self.baffle is not None:
            pts, sign = _mirror_front(pts, self.center, self.baffle)
        r = np.linalg.norm(pts - self.center, axis=1)
        if np.any(r < self.radius * (1 - 1e-9)):
            bad = pts[int(np.argmin(r))]
            raise PhyssynthError(
                f"listener point ({', '.join(f'{v:.3g}' for v in bad)}) m lies inside the sphere of "
                f"{self.radius:.3g} m about the object's centre where its radiation expansion holds; move it farther"
            )
        # Y_lm depends on the direction only: once for all modes (one call for every (l, m));
        # h_l(k r) by the upward recurrence, all orders at once.
        _, theta, phi = _sph(pts, self.center)
        L = self.order
        Y = _harmonics(L, theta, phi)  # ((L+1)^2, n_points)
        h = hankel_orders(L, self.k[:, None] * r[None, :])  # (L+1, n_modes, n_points)
        # S[k, l, p] = sum_m c_klm Y_lm(p): the angular part of each order
        S = np.add.reduceat(self.coeffs[:, :, None] * Y[None, :, :], _L_STARTS[: L + 1], axis=1)
        out = np.einsum("lkp,klp->kp", h, S)
        return out * sign

    def power(self, air: Air) -> np.ndarray:
        """Radiated power of each mode from its coefficients, W per unit modal velocity squared.

        Far field p ~ sum c_lm (-i)^{l+1} e^{ikr} Y_lm / (kr), so W = sum |c_lm|^2 / (2 rho c k^2)
        (orthonormal Y_lm); with a baffle the front half-space carries half of it, the back the
        other half.
        """
        return np.sum(np.abs(self.coeffs) ** 2, axis=1) / (2 * air.impedance * self.k**2)

    def select(self, idx) -> Expansion:
        return replace(self, k=self.k[idx], coeffs=self.coeffs[idx])


def _mirror_front(pts, center, normal):
    n = np.asarray(normal, dtype=float)
    s = (pts - center) @ n
    back = s < 0
    out = pts.copy()
    out[back] -= 2 * s[back, None] * n
    return out, np.where(back, -1.0, 1.0)


def expansion_order(ka: float, max_order: int = 16) -> int:
    """Multipole order for a source of electrical size ka: ka + 4 terms, at most ``max_order``
    (the truncation error of h_l at l > ka + a few falls off super-exponentially)."""
    return int(min(max_order, np.ceil(ka) + 4))


def fit_expansion(field, k, center, radius, *, max_order: int = 16, baffle=None, oversample: float = 2.0) -> Expansion:
    """Fit per-mode multipole expansions to a field by least squares.

    Parameters
    ----------
    field : callable
        ``field(points)`` -> complex pressure, shape (n_modes, n_points), Pa / unit modal velocity.
    k : ndarray, shape (n_modes,), rad/m
    center : ndarray, shape (3,), m
    radius : float, m
        Radius of the sphere holding the object; the fit points lie on a sphere 1.5 times larger.
    baffle : ndarray, shape (3,), optional
        Plane normal of a baffle through ``center``: the field is given on the front side only
        and fitted to its even image.
    """
    k = np.atleast_1d(np.asarray(k, dtype=float))
    L = expansion_order(float(k.max() * radius), max_order)
    n_coef = (L + 1) ** 2
    n_pts = int(oversample * n_coef) + 24
    r_fit = 1.5 * radius
    pts = sphere_points(n_pts, r_fit, center)
    if baffle is not None:
        n = np.asarray(baffle, dtype=float)
        front = (pts - center) @ n >= 0
        pts = pts[front]
        values = field(pts)
        mirror = pts - 2 * ((pts - center) @ n)[:, None] * n
        pts = np.vstack([pts, mirror])
        values = np.hstack([values, values])
    else:
        values = field(pts)
    coeffs = np.zeros((len(k), n_coef), dtype=complex)
    for i, ki in enumerate(k):
        Li = expansion_order(float(ki * radius), max_order)
        A = multipole_basis(pts, center, ki, Li)
        scale = np.linalg.norm(A, axis=0)
        c, *_ = np.linalg.lstsq(A / scale, values[i], rcond=None)
        coeffs[i, : (Li + 1) ** 2] = c / scale
    baffle = None if baffle is None else np.asarray(baffle, dtype=float)
    return Expansion(np.asarray(center, float), float(radius), k, coeffs, baffle)


# ---------------------------------------------------------------- what a model stores
@dataclass(frozen=True)
class RadiationData:
    """Radiation of a model's modes: what a ModalModel stores and a listener reads.

    Attributes
    ----------
    method : str
        "bem", "fast", "rayleigh" or "compact".
    air : Air
    frequencies : ndarray, shape (n_modes,), Hz
        The modes' frequencies when it was computed (the first n_modes modes of the model).
    power : ndarray, shape (n_modes,), W / (m sqrt(kg)/s)^2
        Radiated power per unit modal velocity amplitude squared.
    efficiency : ndarray, shape (n_modes,)
        Radiation efficiency W / (rho c S <|v_n|^2> / 2).
    expansion : Expansion
        The fast representation (pressure anywhere outside the object's sphere).
    surface_pressure : ndarray, complex, shape (n_modes, n_surface), optional
        The BEM's surface pressure (``method == "bem"``), for exact listener evaluation.
    info : dict
        Solver facts: elements, formulation, seconds.
    floor : float or None, m
        Height z0 of a rigid floor (the plane z = z0, below the object), or None for free
        space. The pressure is then the image sum p(x) + p(x'), x' = x mirrored in the floor
        (the exact half-space solution for fields that satisfy the object's boundary condition
        in the presence of its image: the BEM solves the object and its image together).
    """

    method: str
    air: Air
    frequencies: np.ndarray
    power: np.ndarray
    efficiency: np.ndarray
    expansion: Expansion
    surface_pressure: np.ndarray | None = None
    info: dict = field(default_factory=dict)
    floor: float | None = None

    @property
    def n_modes(self) -> int:
        return len(self.frequencies)

    def pressure(self, points, model=None) -> np.ndarray:
        """Complex pressure (e^{-i omega t}) at points per unit modal velocity, shape (n_modes, n_points).

        With ``method == "bem"`` and the ``model`` given, the boundary integral is evaluated
        from the stored surface pressure (exact to the BEM's discretisation); otherwise the
        multipole expansion is used.
        """
        pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
        if self.floor is None:
            return self._free_pressure(pts, model)
        below = pts[:, 2] < self.floor
        if np.any(below):
            bad = pts[int(np.argmax(below))]
            raise PhyssynthError(
                f"listener point ({', '.join(f'{v:.3g}' for v in bad)}) m is below the rigid floor at "
                f"z = {self.floor:g} m; put it above the floor"
            )
        image = pts.copy()
        image[:, 2] = 2 * self.floor - image[:, 2]
        both = self._free_pressure(np.vstack([pts, image]), model)
        return both[:, : len(pts)] + both[:, len(pts) :]

    def _free_pressure(self, pts, model):
        if self.method == "bem" and self.surface_pressure is not None and model is not None:
            surf = model_surface(model)
            vn = normal_velocity(model, surf)[: self.n_modes]
            k = 2 * np.pi * self.frequencies / self.air.c
            g = 1j * (2 * np.pi * self.frequencies * self.air.rho)[:, None] * vn
            return field_from_surface(surf, self.surface_pressure, g, k, pts)
        return self.expansion.pressure(pts)

    def select(self, idx) -> RadiationData:
        """The data of a subset of the modes (indices into these n_modes)."""
        idx = np.atleast_1d(np.arange(self.n_modes)[idx])
        sp = None if self.surface_pressure is None else self.surface_pressure[idx]
        return replace(
            self,
            frequencies=self.frequencies[idx],
            power=self.power[idx],
            efficiency=self.efficiency[idx],
            expansion=self.expansion.select(idx),
            surface_pressure=sp,
        )

    # ------------------------------------------------------------ files
    def to_arrays(self) -> tuple[dict, dict]:
        """(meta, arrays) for a ModalModel file (keys without the "radiation/" prefix)."""
        e = self.expansion
        meta = {
            "method": self.method,
            "c": self.air.c,
            "rho": self.air.rho,
            "radius": e.radius,
            "info": self.info,
            "floor": self.floor,
        }
        arrays = {
            "frequencies": self.frequencies,
            "power": self.power,
            "efficiency": self.efficiency,
            "center": e.center,
            "k": e.k,
            "coeffs": e.coeffs,
        }
        if e.baffle is not None:
            arrays["baffle"] = e.baffle
        if self.surface_pressure is not None:
            arrays["surface_pressure"] = self.surface_pressure
        return meta, arrays

    @staticmethod
    def from_arrays(meta: dict, arrays: dict) -> RadiationData:
        """Inverse of :meth:`to_arrays` (PhyssynthError on an inconsistent record)."""
        try:
            method = str(meta["method"])
            air = Air(float(meta["c"]), float(meta["rho"]))
            f = np.asarray(arrays["frequencies"], dtype=float)
            n = len(f)
            power = np.asarray(arrays["power"], dtype=float)
            eff = np.asarray(arrays["efficiency"], dtype=float)
            coeffs = np.asarray(arrays["coeffs"], dtype=complex)
            k = np.asarray(arrays["k"], dtype=float)
            center = np.asarray(arrays["center"], dtype=float)
            radius = float(meta["radius"])
        except (KeyError, TypeError, ValueError) as exc:
            raise PhyssynthError(f"radiation data incomplete ({type(exc).__name__}: {exc})") from None
        if method not in METHODS:
            raise PhyssynthError(f"radiation method {method!r} unknown")
        if power.shape != (n,) or eff.shape != (n,) or k.shape != (n,) or coeffs.ndim != 2 or len(coeffs) != n:
            raise PhyssynthError("radiation arrays do not have one row per mode")
        if center.shape != (3,) or not (radius > 0):
            raise PhyssynthError("radiation expansion centre or radius invalid")
        for name, a in (("power", power), ("efficiency", eff), ("k", k), ("coeffs", coeffs), ("frequencies", f)):
            if not np.all(np.isfinite(a)):
                raise PhyssynthError(f"radiation {name} holds NaN or infinite values")
        if np.any(power < 0):
            raise PhyssynthError("radiation power must be >= 0")
        baffle = arrays.get("baffle")
        sp = arrays.get("surface_pressure")
        info = meta.get("info", {})
        floor = meta.get("floor")
        if floor is not None and not np.isfinite(floor := float(floor)):
            raise PhyssynthError("radiation floor height must be finite")
        return RadiationData(
            method,
            air,
            f,
            power,
            eff,
            Expansion(center, radius, k, coeffs, None if baffle is None else np.asarray(baffle, float)),
            None if sp is None else np.asarray(sp, dtype=complex),
            info if isinstance(info, dict) else {},
            floor,
        )


def efficiency(power, vn, surface: Surface, air: Air, *, sides: int = 1) -> np.ndarray:
    """Radiation efficiency W / (rho c S <|v_n|^2> / 2) of each mode (``sides`` faces radiating)."""
    M = mass_matrix(surface)
    mean_sq = np.einsum("kn,kn->k", vn, (M @ vn.T).T)  # int |v_n|^2 dS
    with np.errstate(divide="ignore", invalid="ignore"):
        out = power / (0.5 * air.impedance * sides * mean_sq)
    return np.where(mean_sq > 0, out, 0.0)
