"""Friction excitation: rubbing a bowl's rim with a puja, bowing a bar or a plate edge.

A slider (the puja, a bow) presses on the object with a normal force N and slides along it at
speed V; the friction force F = -N mu(|v_rel|) sign(v_rel), v_rel = v_c - V, acts on the object
along the sliding direction, or holds the contact point to the slider while |F| <= mu_s N
(sticking). The object is its ModalModel; the coupled system is time-stepped in a Numba
kernel (physsynth/kernels/friction.py) with each mode advanced exactly over a step and the
friction force solved implicitly at the end of it: there is no stability limit on the step,
which only has to keep the step's friction equation to one root (eq. (7) of
docs/friction-theory.md; the step is chosen so).

Rubbing follows Inacio, Henrique & Antunes, "The dynamics of Tibetan singing bowls", Acta
Acustica united with Acustica 92 (2006) 637-653: the bowl is its unconstrained modes, the
puja's contact point moves around the rim at the puja's tangential speed, the friction
coefficient decreases exponentially with the sliding speed, and the self-excited mode spins
with the puja, so that a fixed listener hears it beat 2 n times per revolution (n = 2 for the
first wine-glass mode). A dashpot at the contact (the puja's leather and the hand) keeps the
singing pattern's radial node at the puja (docs/friction-theory.md, sections 10 and 11).
Bowing a point is the same with a fixed contact (Essl & Cook,
"Measurements and efficient simulations of bowed bars", JASA 108 (2000) 379).

Three layers: :func:`rub` and :func:`bow_modal` (arrays in, a :class:`FrictionRender` out),
:class:`FrictionExciter` (streaming, ``process(n)``), and ``physsynth rub`` on the command
line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from physsynth.errors import PhyssynthError, RenderError, StabilityError
from physsynth.kernels.friction import LAW_COULOMB, LAW_EXPONENTIAL, LAW_HYPERBOLIC, friction_block

_LAWS = {"exponential": LAW_EXPONENTIAL, "hyperbolic": LAW_HYPERBOLIC, "coulomb": LAW_COULOMB}
_QUANTITIES = {"displacement": 0, "velocity": 1}
#: The implicit friction equation of a step has one root when Y N max|mu'| < 1 (eq. (7));
#: the step is shortened (oversampling) until this is at most UNIQUE_MARGIN.
UNIQUE_MARGIN = 0.5
#: Refuse (rather than crawl) when eq. (7) would need more steps per output sample than this.
MAX_OVERSAMPLE = 256
#: Default dashpot of a puja's contact along the normal, N s/m: the losses of its leather or
#: felt and of the hand holding it. Our assumption, of the order of the resistive part of the
#: hand-arm driving-point impedance (tens of N s/m in the audio range; ISO 10068:2012 tabulates
#: it from 10 to 500 Hz), not a measurement of a puja (docs/friction-theory.md).
PUJA_DAMPING = 20.0


def _finite(name, value, *, lo=None, lo_open=False, unit=""):
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise PhyssynthError(f"{name} must be a number{unit}, got {value!r}") from None
    bad = not math.isfinite(x)
    if lo is not None and not bad:
        bad = x <= lo if lo_open else x < lo
    if bad:
        bound = "" if lo is None else (f" > {lo:g}" if lo_open else f" >= {lo:g}")
        raise PhyssynthError(f"{name} must be a finite number{bound}{unit}, got {value!r}")
    return x


# ------------------------------------------------------------------ friction law
@dataclass(frozen=True)
class FrictionLaw:
    """A friction coefficient that falls from mu_s at rest to mu_d at high sliding speed.

    ``exponential``: mu(v) = mu_d + (mu_s - mu_d) exp(-|v| / v_c), the law of Inacio, Henrique &
    Antunes (2006) for the puja on the bowl (their exp(-C |v|), C = 1 / v_c). ``hyperbolic``:
    mu(v) = mu_d + (mu_s - mu_d) v_c / (v_c + |v|), the rosin-like curve of the bowed string
    (physsynth.models.bowed; Smith & Woodhouse, J. Mech. Phys. Solids 48, 2000). ``coulomb``:
    mu_d at any sliding speed, mu_s the most a stuck contact holds (the classic static/kinetic
    law of the mass on a moving belt; v_c is unused).

    Parameters
    ----------
    mu_s : float
        Static friction coefficient (the largest sticking force is mu_s N).
    mu_d : float
        Dynamic (fast-sliding) coefficient, 0 <= mu_d <= mu_s.
    v_c : float, m/s
        Velocity scale of the decrease. The negative slope mu'(V) at the sliding speed V is
        what feeds the oscillation (docs/friction-theory.md, eq. (9)).
    kind : {"exponential", "hyperbolic", "coulomb"}

    Notes
    -----
    The defaults (mu_s 0.4, mu_d 0.2, v_c 0.1 m/s) are of the order of dry wood or leather on
    metal; they are this package's choice, not values measured on a puja. The threshold force
    and the start-up time depend on them through mu'(V).
    """

    mu_s: float = 0.4
    mu_d: float = 0.2
    v_c: float = 0.1
    kind: str = "exponential"

    def __post_init__(self):
        if self.kind not in _LAWS:
            raise PhyssynthError(f"unknown friction law {self.kind!r}; use exponential, hyperbolic or coulomb")
        mus = _finite("mu_s", self.mu_s, lo=0.0, lo_open=True)
        mud = _finite("mu_d", self.mu_d, lo=0.0)
        _finite("v_c", self.v_c, lo=0.0, lo_open=True, unit=" m/s")
        if mud > mus:
            raise PhyssynthError(
                f"mu_d ({mud:g}) must not exceed mu_s ({mus:g}): friction falls "
                "from its static value as the sliding speeds up"
            )

    @property
    def code(self) -> int:
        return _LAWS[self.kind]

    def mu(self, v):
        """Friction coefficient at sliding speed |v| (m/s)."""
        x = np.abs(np.asarray(v, dtype=float))
        if self.kind == "exponential":
            return self.mu_d + (self.mu_s - self.mu_d) * np.exp(-x / self.v_c)
        if self.kind == "hyperbolic":
            return self.mu_d + (self.mu_s - self.mu_d) * self.v_c / (self.v_c + x)
        return np.full_like(x, self.mu_d)

    def slope(self, v):
        """d mu / d|v| at sliding speed |v| (s/m), <= 0."""
        x = np.abs(np.asarray(v, dtype=float))
        if self.kind == "exponential":
            return -(self.mu_s - self.mu_d) / self.v_c * np.exp(-x / self.v_c)
        if self.kind == "hyperbolic":
            return -(self.mu_s - self.mu_d) * self.v_c / (self.v_c + x) ** 2
        return np.zeros_like(x)

    @property
    def max_slope(self) -> float:
        """max |mu'| over all sliding speeds (at |v| -> 0), s/m (0 for Coulomb, whose drop from
        mu_s to mu_d is a jump: the solve then gives sticking priority, eq. (6))."""
        return 0.0 if self.kind == "coulomb" else (self.mu_s - self.mu_d) / self.v_c


# ------------------------------------------------------------------ one step of a mode
def modal_step(omega, sigma, h: float):
    """Exact one-step update of damped modes under a force held constant over the step.

    For q'' + 2 sigma q' + omega^2 q = u (u constant on [0, h]):
    q(h) = a11 q + a12 v + b1 u,  v(h) = a21 q + a22 v + a12 u (docs/friction-theory.md, eq. (3)).

    Parameters
    ----------
    omega : ndarray, shape (n,), rad/s
        Undamped angular frequencies (> 0).
    sigma : ndarray, shape (n,), 1/s
        Decay rates, 0 <= sigma < omega.
    h : float, s

    Returns
    -------
    a11, a12, a21, a22, b1 : ndarrays, shape (n,)
        a12 (s) is also the velocity response to a unit force over the step; b1 (s^2) the
        displacement response.
    """
    omega = np.asarray(omega, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    if np.any(~(omega > 0)) or np.any(sigma >= omega) or np.any(sigma < 0):
        raise RenderError("every mode needs 0 <= decay rate < angular frequency (underdamped)")
    wd = np.sqrt((omega - sigma) * (omega + sigma))
    e = np.exp(-sigma * h)
    c = np.cos(wd * h)
    s = np.sin(wd * h)
    a12 = e * s / wd
    a11 = e * c + sigma * a12
    a22 = e * c - sigma * a12
    a21 = -(omega**2) * a12
    # b1 = (1 - a11) / omega^2 without the cancellation of 1 - a11 for omega h << 1:
    # 1 - a11 = (1 - e) + 2 e sin^2(wd h / 2) - sigma a12.
    one_minus = -np.expm1(-sigma * h) + 2.0 * e * np.sin(0.5 * wd * h) ** 2 - sigma * a12
    b1 = one_minus / omega**2
    return a11, a12, a21, a22, b1


# ------------------------------------------------------------------ contact paths
@dataclass(frozen=True)
class ContactPath:
    """Where the slider touches the object: a ring around an axisymmetric rim, or a point.

    Attributes
    ----------
    tangential : ndarray, shape (n_rows, n_modes), 1/sqrt(kg)
        Mode shapes along the sliding direction. A ring of M angles has M + 1 rows (angles
        2 pi j / M, the last repeating the first); a point has one row.
    normal : ndarray, shape (n_rows, n_modes), 1/sqrt(kg)
        Mode shapes along the outward direction the normal force presses against (the load
        on the object is -N times this direction).
    radius : float, m
        Radius of the ring (0 for a point); the contact point's angular speed is V / radius.
    height : float, m
        z of the ring (the point's z for a point contact).
    description : str
    node : int
        Mesh node of a point contact (-1 for a ring).
    direction, normal_direction : ndarray, shape (3,), or None
        A point contact's sliding and outward normal directions (unit vectors).
    """

    tangential: np.ndarray
    normal: np.ndarray
    radius: float
    height: float
    description: str = ""
    node: int = -1
    direction: np.ndarray | None = None
    normal_direction: np.ndarray | None = None

    @property
    def is_ring(self) -> bool:
        return self.radius > 0

    @property
    def n_angles(self) -> int:
        return self.tangential.shape[0] - 1 if self.is_ring else 0

    def mean_square(self) -> np.ndarray:
        """<g_k^2>: each mode's squared sliding-direction shape, averaged along the path
        (1/kg), shape (n_modes,). Sets the linear threshold (eq. (10))."""
        rows = self.tangential[:-1] if self.is_ring else self.tangential
        return np.mean(rows**2, axis=0)

    def select(self, idx) -> ContactPath:
        return replace(
            self,
            tangential=np.ascontiguousarray(self.tangential[:, idx]),
            normal=np.ascontiguousarray(self.normal[:, idx]),
        )


def rim_path(
    model, *, height: float | None = None, region: str = "outer", n_angles: int = 1024, harmonics: int | None = None
) -> ContactPath:
    """The ring where a puja rubs an axisymmetric object (axis z), e.g. a bowl's outer rim.

    The horizontal plane z = ``height`` cuts the surface triangles of ``region``; the mode
    shapes at the cut (interpolated linearly along the triangles' edges, as the shapes vary
    between nodes) are resampled at ``n_angles`` equal angles, smoothed to their low
    circumferential harmonics, and projected on the
    circumferential direction e_theta = (-sin, cos, 0) (sliding, positive speed runs
    counter-clockwise seen from +z) and on the radial direction e_r (the puja presses inwards,
    along -e_r).

    Parameters
    ----------
    model : ModalModel
    height : float, optional, m
        z of the ring. Default: 4 % of the region's height below its top (3.8 mm below the rim
        on the bundled bowl).
    region : str
        Surface region of the mesh (gmsh physical group), default ``outer``.
    n_angles : int
        Table resolution (>= 64).
    harmonics : int, optional
        Keep the shapes' circumferential harmonics up to this order (default a quarter of the
        number of cut points, at least 8): removes the kinks the elements leave along the
        ring, keeps every mode's order n and any real asymmetry of low order.

    Raises
    ------
    PhyssynthError
        If the region is missing or not a surface, or the plane does not cut it in one closed
        ring around the z axis.
    """
    mesh = model.mesh
    if region not in mesh.regions:
        have = ", ".join(sorted(mesh.regions)) or "none"
        raise PhyssynthError(
            f"the model's mesh has no region {region!r} to rub (regions: {have}); "
            "give --region NAME, or bow a point with --at X,Y,Z"
        )
    reg = mesh.regions[region]
    if reg.triangles is None or len(reg.triangles) == 0 or mesh.dim != 3:
        raise PhyssynthError(
            f"region {region!r} is not a surface of a solid; rub a surface region "
            "such as 'outer', or bow a point with --at X,Y,Z"
        )
    n_angles = int(n_angles)
    if n_angles < 64:
        raise PhyssynthError(f"n_angles must be >= 64, got {n_angles}")
    p = mesh.points
    zr = p[reg.nodes, 2]
    zmin, zmax = float(zr.min()), float(zr.max())
    if zmax - zmin <= 1e-9 * max(abs(zmax), 1.0):
        raise PhyssynthError(
            f"region {region!r} is flat (z = {zmax:g} m): no ring runs round it at a height; rub a wall such as 'outer'"
        )
    if height is None:
        height = zmax - 0.04 * (zmax - zmin)
    height = _finite("the rubbing height", height, unit=" m")
    if not (zmin < height <= zmax):
        raise PhyssynthError(
            f"rubbing height {height:g} m is outside region {region!r} (z from {zmin:g} to {zmax:g} m)"
        )
    tri = np.asarray(reg.triangles)[:, :3]
    edges = np.unique(np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]]), axis=1), axis=0)
    za = p[edges[:, 0], 2] - height
    zb = p[edges[:, 1], 2] - height
    tol = 1e-9 * max(zmax - zmin, 1e-300)
    cross = (za * zb < 0) & (np.abs(za) > tol) & (np.abs(zb) > tol)
    ea, eb = edges[cross, 0], edges[cross, 1]
    t = (za[cross] / (za[cross] - zb[cross]))[:, None]
    on = np.unique(np.concatenate([edges[np.abs(za) <= tol, 0], edges[np.abs(zb) <= tol, 1]]))
    pts = np.concatenate([p[ea] + t * (p[eb] - p[ea]), p[on]])
    if len(pts) < 8:
        raise PhyssynthError(
            f"the plane z = {height:g} m cuts region {region!r} in {len(pts)} "
            "points; choose a height inside the wall (--height)"
        )
    sh = model.shapes  # (K, n_nodes, 3)
    shp = np.concatenate([sh[:, ea] + t[None] * (sh[:, eb] - sh[:, ea]), sh[:, on]], axis=1)
    theta = np.arctan2(pts[:, 1], pts[:, 0])
    r = np.hypot(pts[:, 0], pts[:, 1])
    order = np.argsort(theta)
    theta, r, shp = theta[order], r[order], shp[:, order]
    gaps = np.diff(np.concatenate([theta, theta[:1] + 2 * np.pi]))
    # one ring: no gap over 22.5 degrees, and one radius (3 %; two rings, e.g. the inner and
    # outer edges of a flat rim face, differ by the wall's thickness)
    if gaps.max() > np.pi / 8 or np.ptp(r) > 0.03 * r.mean():
        raise PhyssynthError(
            f"the plane z = {height:g} m does not cut region {region!r} in one "
            "closed ring around the z axis (the object must be axisymmetric "
            "about z, e.g. a bowl standing on z = 0); choose --height or --region, "
            "or bow a point with --at X,Y,Z"
        )
    c, s = np.cos(theta), np.sin(theta)
    g_t = -shp[:, :, 0] * s + shp[:, :, 1] * c  # (K, n_cut)
    g_r = shp[:, :, 0] * c + shp[:, :, 1] * s
    if harmonics is None:
        harmonics = max(8, len(pts) // 4)
    harmonics = int(harmonics)
    if not 1 <= harmonics <= n_angles // 4:
        raise PhyssynthError(f"harmonics must be between 1 and n_angles / 4 = {n_angles // 4}, got {harmonics}")
    grid = 2 * np.pi * np.arange(n_angles) / n_angles
    tabs = []
    for comp in (g_t, g_r):
        lin = np.stack([np.interp(grid, theta, comp[k], period=2 * np.pi) for k in range(model.n_modes)], axis=1)
        # The shapes vary linearly between the cut points, with a kink at each element edge:
        # a mesh artefact that a contact sliding past excites as broadband noise, which the
        # very lightly damped modes pick out. Keep the ring's low harmonics only (eq. (4)).
        spec = np.fft.rfft(lin, axis=0)
        spec[harmonics + 1 :] = 0.0
        smooth = np.fft.irfft(spec, n=n_angles, axis=0)
        tabs.append(np.ascontiguousarray(np.vstack([smooth, smooth[:1]])))
    return ContactPath(
        tabs[0],
        tabs[1],
        radius=float(r.mean()),
        height=height,
        description=f"ring of region {region!r} at z = {height * 1e3:.2f} mm, "
        f"radius {r.mean() * 1e3:.2f} mm ({len(pts)} cut points, harmonics up to "
        f"{harmonics})",
    )


def point_contact(model, at, direction, *, normal=None) -> ContactPath:
    """A fixed contact point for bowing: the surface node nearest ``at``.

    Parameters
    ----------
    model : ModalModel
    at : sequence of 3 floats, m
    direction : sequence of 3 floats
        Sliding direction of the bow (made orthogonal to ``normal`` and unit).
    normal : sequence of 3 floats, optional
        Outward direction the bow presses against (the load on the object is -N along it).
        Default: the surface normal at the node; for a flat (plate) mesh, the in-plane
        direction from the plate's centre to the node (an edge's outward direction).
    """
    from physsynth.excitation.strike import _point

    p = _point(at, "bowing point")
    d = _point(direction, "bowing direction")
    node = model.nearest_surface_node(p)
    if normal is not None:
        nrm = _point(normal, "normal direction")
    elif model.mesh.dim == 3:
        nrm = model.surface_normal(node)
    else:
        nrm = model.mesh.points[node] - model.mesh.points.mean(axis=0)
        nrm[2] = 0.0
    if np.linalg.norm(nrm) == 0:
        raise PhyssynthError("cannot tell the normal direction at the bowing point; give normal=")
    nrm = nrm / np.linalg.norm(nrm)
    if np.linalg.norm(d) == 0:
        raise PhyssynthError("the bowing direction is zero; give the bow's sliding direction")
    d = d / np.linalg.norm(d)
    dt = d - (d @ nrm) * nrm
    if np.linalg.norm(dt) < 0.5:
        raise PhyssynthError(
            "the bowing direction is nearly along the surface normal; a bow slides "
            "along the surface (give a direction tangent to it)"
        )
    dt /= np.linalg.norm(dt)
    sh = model.shapes[:, node, :]
    return ContactPath(
        (sh @ dt)[None, :].copy(),
        (sh @ nrm)[None, :].copy(),
        radius=0.0,
        height=float(model.mesh.points[node, 2]),
        description=f"point at node {node} {np.round(model.mesh.points[node], 5)} m, sliding along {np.round(dt, 3)}",
        node=node,
        direction=dt,
        normal_direction=nrm,
    )


def detune_doublets(model, cents: float, *, tolerance: float = 0.002):
    """Split every near-degenerate doublet by ``cents`` (the lower member down, the upper up,
    by half each).

    A real bowl is not perfectly round: each wine-glass mode is a doublet split by a fraction
    of a percent, and a struck bowl beats at the split. The bundled mesh is nearly perfect
    (splits of about 0.02 %); this is the knob for a less perfect bowl.

    Parameters
    ----------
    cents : float
        Total split of each doublet, cents (1 cent = 0.058 %).
    tolerance : float
        Modes closer than this fraction of their frequency are a doublet.
    """
    cents = _finite("detune", cents, unit=" cents")
    if cents == 0:
        return model
    f = model.frequencies.copy()
    k = 0
    n_pairs = 0
    while k + 1 < len(f):
        if f[k + 1] - f[k] <= tolerance * f[k]:
            mid = math.sqrt(f[k] * f[k + 1])
            f[k] = mid * 2 ** (-cents / 2400)
            f[k + 1] = mid * 2 ** (cents / 2400)
            k += 2
            n_pairs += 1
        else:
            k += 1
    if n_pairs == 0:
        return model
    out = replace(model, frequencies=f)
    order = np.argsort(f, kind="stable")
    return out if np.all(order == np.arange(len(f))) else out.select(order)


def _orders(path: ContactPath) -> np.ndarray:
    """Dominant circumferential order of each mode's sliding shape along a ring (0 for a
    point contact or a mode the contact does not drive)."""
    if not path.is_ring:
        return np.zeros(path.tangential.shape[1], dtype=int)
    spec = np.abs(np.fft.rfft(path.tangential[:-1], axis=0))
    return np.argmax(spec, axis=0)


def linear_stability(
    frequencies,
    decay_rates,
    path: ContactPath,
    law: FrictionLaw,
    *,
    force: float,
    speed: float,
    contact_damping: float = 0.0,
    tolerance: float = 0.002,
):
    """Growth rate and threshold force of each mode under steady sliding (linear theory).

    Linearised about the object at rest and the slider sliding at V, friction is a negative
    dashpot c_f = N |mu'(V)| along the sliding direction (docs/friction-theory.md, eq. (9)).
    A mode alone (a point contact, or an axisymmetric mode on a ring) has the amplitude growth
    rate lambda = c_f <g^2> / 2 - sigma - c_n <n^2> / 2 (<.>: average along the path). On a ring
    a doublet (n, two modes within ``tolerance`` of each other) is analysed in the frame turning
    with the contact, where it is constant (eq. (10)):

        lambda = -(alpha + beta) / 2 + Re sqrt((alpha - beta)^2 / 4 - (n Omega)^2),
        alpha = sigma + c_n G_r^2 / 2,  beta = sigma - c_f G_t^2 / 2,  Omega = V / R,

    G_t^2, G_r^2 being the doublet's summed mean squares. The threshold is the force where
    lambda = 0: N_th = 2 (sigma + min(alpha, (n Omega)^2 / alpha)) / (|mu'(V)| G_t^2).

    Parameters
    ----------
    frequencies, decay_rates : ndarray, shape (n_modes,), Hz and 1/s
    path : ContactPath
    law : FrictionLaw
    force : float, N
    speed : float, m/s
    contact_damping : float, N s/m
    tolerance : float
        Relative frequency gap below which two modes form a doublet.

    Returns
    -------
    growth : ndarray, shape (n_modes,), 1/s
        Amplitude growth rate (negative: decays).
    threshold : ndarray, shape (n_modes,), N
        Normal force above which the mode grows (``inf`` if the contact cannot drive it).
    """
    f = np.asarray(frequencies, dtype=float)
    sig = np.asarray(decay_rates, dtype=float)
    slope = abs(float(law.slope(_finite("speed", speed, lo=0.0, unit=" m/s"))))
    cf = _finite("force", force, lo=0.0, unit=" N") * slope
    cn = _finite("contact damping", contact_damping, lo=0.0, unit=" N s/m")
    rows = slice(0, -1) if path.is_ring else slice(None)
    gt2 = np.mean(path.tangential[rows] ** 2, axis=0)
    gn2 = np.mean(path.normal[rows] ** 2, axis=0)
    growth = cf * gt2 / 2 - sig - cn * gn2 / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        thr = np.where(gt2 > 0, (2 * sig + cn * gn2) / (slope * gt2), np.inf)
    order = _orders(path)
    k = 0
    while path.is_ring and k + 1 < len(f):
        n = order[k]
        if n > 0 and order[k + 1] == n and f[k + 1] - f[k] <= tolerance * f[k]:
            G_t2 = gt2[k] + gt2[k + 1]
            G_r2 = gn2[k] + gn2[k + 1]
            s = 0.5 * (sig[k] + sig[k + 1])
            alpha = s + cn * G_r2 / 2
            beta = s - cf * G_t2 / 2
            w = n * speed / path.radius
            disc = complex((alpha - beta) ** 2 / 4 - w * w)
            growth[k : k + 2] = -(alpha + beta) / 2 + np.sqrt(disc).real
            thr[k : k + 2] = 2 * (s + min(alpha, w * w / alpha)) / (slope * G_t2) if G_t2 > 0 and slope > 0 else np.inf
            k += 2
        else:
            k += 1
    return growth, np.where(np.isfinite(thr) & (thr >= 0), thr, np.inf)


# ------------------------------------------------------------------ streaming
class FrictionExciter:
    """A modal object driven by a sliding contact, processed in blocks.

    Normal force and sliding speed start at 0; :meth:`set_contact` sets new targets, reached
    at the end of the next block (linear across it), so changes are smooth.

    Parameters
    ----------
    frequencies, decay_rates : ndarray, shape (n_modes,), Hz and 1/s
    path : ContactPath
        Mode shapes along the contact (n_modes columns).
    weights : ndarray, shape (n_out, n_modes)
        Output weight of each mode (its shape at a pickup along the pickup's direction).
    sr : float, Hz
        Output sample rate.
    law : FrictionLaw
    oversample : int
        Steps per output sample.
    quantity : {"velocity", "displacement"}
    start_angle : float, rad
        Initial angle of a ring contact.
    contact_damping : float, N s/m
        Dashpot along the normal at the contact (>= 0).

    Examples
    --------
    >>> import numpy as np
    >>> path = ContactPath(np.array([[1.0]]), np.array([[0.0]]), radius=0.0, height=0.0)
    >>> ex = FrictionExciter(np.array([100.0]), np.array([1.0]), path, np.array([[1.0]]), sr=8000)
    >>> ex.set_contact(force=1.0, speed=0.1)
    >>> ex.process(800).shape
    (1, 800)
    """

    def __init__(
        self,
        frequencies,
        decay_rates,
        path: ContactPath,
        weights,
        *,
        sr: float,
        law: FrictionLaw | None = None,
        oversample: int = 1,
        quantity: str = "velocity",
        start_angle: float = 0.0,
        contact_damping: float = 0.0,
    ):
        f = np.asarray(frequencies, dtype=float)
        K = f.size
        if K == 0:
            raise PhyssynthError("no modes to drive")
        if path.tangential.shape[1] != K or path.normal.shape != path.tangential.shape:
            raise PhyssynthError("the contact path's shapes do not match the modes")
        w = np.atleast_2d(np.asarray(weights, dtype=float))
        if w.shape[1] != K:
            raise PhyssynthError(f"weights must have shape (n_out, {K})")
        if quantity not in _QUANTITIES:
            raise PhyssynthError(f"quantity must be velocity or displacement, got {quantity!r}")
        self.sr = _finite("sample rate", sr, lo=0.0, lo_open=True, unit=" Hz")
        self.contact_damping = _finite("contact damping", contact_damping, lo=0.0, unit=" N s/m")
        osf = int(oversample)
        if osf < 1 or osf != oversample:
            raise PhyssynthError(f"oversample must be a whole number >= 1, got {oversample}")
        self.oversample = osf
        self.law = law or FrictionLaw()
        self.path = path
        self.quantity = quantity
        self.omega = 2 * np.pi * f
        self.sigma = np.asarray(decay_rates, dtype=float)
        h = 1.0 / (self.sr * osf)
        self._h = h
        self._coef = tuple(np.ascontiguousarray(x) for x in modal_step(self.omega, self.sigma, h))
        self._w = np.ascontiguousarray(w)
        self._tg = np.ascontiguousarray(path.tangential, dtype=np.float64)
        self._tn = np.ascontiguousarray(path.normal, dtype=np.float64)
        self.q = np.zeros(K)
        self.v = np.zeros(K)
        self._g = np.zeros(K)
        self._gn = np.zeros(K)
        self._fin = np.zeros(K)
        self._st = np.array([float(start_angle) % (2 * np.pi), 0.0, 0.0, 0.0])
        self._force = self._speed = 0.0
        self._target = (0.0, 0.0)
        # largest one-step admittance along the path (eq. (5)): sets the uniqueness bound
        self.admittance = float(np.max(self._tg**2 @ self._coef[1]))
        self.relative_velocity = np.zeros(0)
        self.friction_force = np.zeros(0)

    def max_unique_force(self) -> float:
        """Largest normal force (N) for which every step's friction equation has one root,
        with the margin UNIQUE_MARGIN (eq. (7))."""
        return UNIQUE_MARGIN / (self.admittance * self.law.max_slope) if self.law.max_slope > 0 else math.inf

    def set_contact(self, *, force: float | None = None, speed: float | None = None):
        """New normal force (N, >= 0) and sliding speed (m/s), reached at the end of the next
        block."""
        fN, V = self._target
        if force is not None:
            fN = _finite("normal force", force, lo=0.0, unit=" N")
        if speed is not None:
            V = _finite("sliding speed", speed, unit=" m/s")
        if fN > self.max_unique_force():
            need = math.ceil(self.oversample * fN / self.max_unique_force())
            raise StabilityError(
                f"normal force {fN:g} N is too large for the time step: the "
                f"friction solve is not unique; use oversample >= {need}"
            )
        self._target = (fN, V)

    def process(self, n: int) -> np.ndarray:
        """The next ``n`` output samples, shape (n_out, n), in m/s (or m)."""
        n = int(n)
        out = np.empty((self._w.shape[0], n))
        rel = np.empty(n)
        frc = np.empty(n)
        if n == 0:
            return out
        (f0, v0), (f1, v1) = (self._force, self._speed), self._target
        R = self.path.radius
        om0, om1 = (v0 / R, v1 / R) if R > 0 else (0.0, 0.0)
        dth = 2 * np.pi / max(self.path.n_angles, 1)
        a11, a12, a21, a22, b1 = self._coef
        law = self.law
        friction_block(
            a11,
            a12,
            a21,
            a22,
            b1,
            self._tg,
            self._tn,
            self._w,
            self.q,
            self.v,
            self._g,
            self._gn,
            self._fin,
            self._st,
            self._h,
            f0,
            f1,
            v0,
            v1,
            om0,
            om1,
            dth,
            self.contact_damping,
            law.code,
            float(law.mu_s),
            float(law.mu_d),
            float(law.v_c),
            self.oversample,
            _QUANTITIES[self.quantity],
            out,
            rel,
            frc,
        )
        self._force, self._speed = f1, v1
        if not (np.isfinite(out).all() and np.isfinite(self.v).all()):
            raise RenderError(
                "the friction simulation produced non-finite values; check the model's frequencies and damping"
            )
        self.relative_velocity = rel
        self.friction_force = frc
        return out

    @property
    def angle(self) -> float:
        """Contact angle on a ring (rad)."""
        return float(self._st[0])

    @property
    def energy(self) -> float:
        """Vibrational energy of the modes, 1/2 sum (v^2 + omega^2 q^2) (J)."""
        return float(0.5 * np.sum(self.v**2 + (self.omega * self.q) ** 2))

    @property
    def work(self) -> tuple[float, float, float]:
        """Work done on the object so far by the friction force, the normal load and the
        contact dashpot (J)."""
        return float(self._st[1]), float(self._st[2]), float(self._st[3])


# ------------------------------------------------------------------ one-call renders
@dataclass(frozen=True)
class FrictionRender:
    """The result of :func:`rub` or :func:`bow_modal`.

    Attributes
    ----------
    audio : ndarray, shape (n_channels, n), m/s (or m)
        The pickups' velocity (or displacement).
    sr : float, Hz
    relative_velocity : ndarray, shape (n,), m/s
        v_c - V at the contact (0 while sticking).
    friction_force : ndarray, shape (n,), N
        Friction force on the object along the sliding direction.
    path : ContactPath
    threshold : ndarray, shape (n_modes,), N
        Linear threshold force of each mode at the final force and speed (eq. (10)).
    growth : ndarray, shape (n_modes,), 1/s
        Linear growth rate of each mode at the final force and speed (eq. (10)).
    frequencies : ndarray, shape (n_modes,), Hz
        The modes simulated (after any detuning).
    oversample : int
    work : tuple of float, J
        Work done on the object by friction, by the normal load and by the contact dashpot.
    """

    audio: np.ndarray
    sr: float
    relative_velocity: np.ndarray
    friction_force: np.ndarray
    path: ContactPath
    threshold: np.ndarray
    growth: np.ndarray
    frequencies: np.ndarray
    oversample: int
    work: tuple = field(default=(0.0, 0.0, 0.0))


def _auto_oversample(omega, sigma, path, law, force, sr):
    a12 = modal_step(omega, sigma, 1.0 / sr)[1]
    y = float(np.max(path.tangential**2 @ a12))
    if law.max_slope == 0 or force == 0:
        return 1
    # Y scales with the step (a12 ~ h), so osf steps per sample divide it by about osf
    return max(1, math.ceil(force * y * law.max_slope / UNIQUE_MARGIN * 1.05))


def _render(
    model,
    path,
    pickups,
    *,
    force,
    speed,
    duration,
    sr,
    law,
    attack,
    oversample,
    quantity,
    start_angle,
    fmax,
    contact_damping,
):
    from physsynth.render import Pickup

    force = _finite("normal force", force, lo=0.0, lo_open=True, unit=" N")
    speed = _finite("sliding speed", speed, lo=0.0, lo_open=True, unit=" m/s")
    duration = _finite("duration", duration, lo=0.0, lo_open=True, unit=" s")
    sr = _finite("sample rate", sr, lo=0.0, lo_open=True, unit=" Hz")
    attack = _finite("attack", attack, lo=0.0, unit=" s")
    if duration * sr > 2**31:
        raise PhyssynthError("duration too long for one render")
    law = law or FrictionLaw()
    keep = np.ones(model.n_modes, bool) if fmax is None else model.frequencies < float(fmax)
    if not keep.any():
        raise RenderError(f"no mode below fmax = {fmax} Hz")
    f = model.frequencies[keep]
    sigma = model.decay_rates[keep]
    path = path.select(keep)
    if isinstance(pickups, Pickup):
        pickups = [pickups]
    w = np.stack([model.shapes[keep][:, p.node, :] @ p.direction for p in pickups])
    # modes above the output's Nyquist frequency still act at the contact but are not heard
    w[:, f >= 0.49 * sr] = 0.0
    if oversample is None:
        oversample = _auto_oversample(2 * np.pi * f, sigma, path, law, force, sr)
        if oversample > MAX_OVERSAMPLE:
            raise StabilityError(
                f"the friction curve is too steep for {force:g} N: a unique "
                f"friction solve needs {oversample} steps per sample (eq. (7)); "
                "raise v_c (--vc), lower mu_s - mu_d or the force"
            )
    ex = FrictionExciter(
        f,
        sigma,
        path,
        w,
        sr=sr,
        law=law,
        oversample=oversample,
        quantity=quantity,
        start_angle=start_angle,
        contact_damping=contact_damping,
    )
    n = int(round(duration * sr))
    na = min(n, max(1, int(round(attack * sr))))
    ex.set_contact(force=force, speed=speed)
    blocks = [ex.process(na)]
    rel = [ex.relative_velocity]
    frc = [ex.friction_force]
    if n > na:
        blocks.append(ex.process(n - na))
        rel.append(ex.relative_velocity)
        frc.append(ex.friction_force)
    audio = np.concatenate(blocks, axis=1)
    growth, thr = linear_stability(f, sigma, path, law, force=force, speed=speed, contact_damping=contact_damping)
    return FrictionRender(
        audio, sr, np.concatenate(rel), np.concatenate(frc), path, thr, growth, f, ex.oversample, ex.work
    )


def rub(
    model,
    *,
    force: float,
    speed: float,
    duration: float,
    sr: float = 48000,
    law: FrictionLaw | None = None,
    height: float | None = None,
    region: str = "outer",
    pickups=None,
    detune_cents: float = 0.0,
    attack: float = 0.3,
    oversample: int | None = None,
    quantity: str = "velocity",
    start_angle: float = 0.0,
    fmax: float | None = None,
    n_angles: int = 1024,
    contact_damping: float = PUJA_DAMPING,
) -> FrictionRender:
    """Rub an axisymmetric object (a singing bowl) around its rim with a puja.

    The puja presses radially inwards with ``force`` and slides round the ring
    :func:`rim_path` at ``speed`` (counter-clockwise seen from +z for speed > 0); its contact
    point turns at speed / radius. Force and speed rise linearly from 0 over ``attack`` (a
    player starting the stroke), then stay.

    Parameters
    ----------
    model : ModalModel
        Its mesh axisymmetric about z (the bundled bowl, or a saved model of it).
    force : float, N
        Normal force (> 0). Below the threshold (``FrictionRender.threshold``, eq. (10)) the
        bowl does not sing.
    speed : float, m/s
        Puja speed along the rim (> 0).
    duration : float, s
    sr : float, Hz
    law : FrictionLaw, optional
    height, region, n_angles
        The ring (see :func:`rim_path`).
    pickups : Pickup or sequence of Pickup, optional
        Default: two pickups on the ring at +-60 degrees reading the surface-normal velocity
        (a spaced stereo pair, as ``physsynth demo``).
    detune_cents : float
        Split each doublet by this much (see :func:`detune_doublets`).
    attack : float, s
    oversample : int, optional
        Steps per sample; default the least that keeps the friction solve unique (eq. (7)).
    quantity : {"velocity", "displacement"}
    start_angle : float, rad
        Where the puja starts on the ring.
    fmax : float, optional, Hz
        Leave out modes above this.
    contact_damping : float, N s/m
        Dashpot of the puja's contact along the normal (its leather or felt and the hand):
        it damps the bowl's motion into the puja, so that the singing pattern keeps its radial
        node at the puja and turns with it (docs/friction-theory.md, "The moving contact").

    Returns
    -------
    FrictionRender
    """
    from physsynth.render import pickup

    model = detune_doublets(model, detune_cents)
    path = rim_path(model, height=height, region=region, n_angles=n_angles)
    if pickups is None:
        R, z = path.radius, path.height
        pickups = [pickup(model, (R * math.cos(a), R * math.sin(a), z)) for a in np.radians([60.0, -60.0])]
    return _render(
        model,
        path,
        pickups,
        force=force,
        speed=speed,
        duration=duration,
        sr=sr,
        law=law,
        attack=attack,
        oversample=oversample,
        quantity=quantity,
        start_angle=start_angle,
        fmax=fmax,
        contact_damping=contact_damping,
    )


def bow_modal(
    model,
    at,
    *,
    direction,
    force: float,
    speed: float,
    duration: float,
    sr: float = 48000,
    normal=None,
    law: FrictionLaw | None = None,
    pickups=None,
    attack: float = 0.05,
    oversample: int | None = None,
    quantity: str = "velocity",
    fmax: float | None = None,
    contact_damping: float = 0.0,
) -> FrictionRender:
    """Bow a modal object (a bar, a plate edge) at a fixed point.

    Parameters
    ----------
    model : ModalModel
    at : sequence of 3 floats, m
        Bowing point (snapped to the nearest surface node).
    direction : sequence of 3 floats
        The bow's sliding direction.
    force : float, N
        Bow force (normal, > 0).
    speed : float, m/s
        Bow speed (> 0).
    normal : sequence of 3 floats, optional
        See :func:`point_contact`.
    pickups : Pickup or sequence of Pickup, optional
        Default: the bowed point's velocity along the sliding direction.
    attack, oversample, quantity, fmax, law, duration, sr, contact_damping
        As in :func:`rub` (no contact dashpot by default: a bow's hair is light).
    """
    from physsynth.render import Pickup

    path = point_contact(model, at, direction, normal=normal)
    if pickups is None:
        pickups = [Pickup(path.node, path.direction.copy(), model.mesh.points[path.node].copy())]
    return _render(
        model,
        path,
        pickups,
        force=force,
        speed=speed,
        duration=duration,
        sr=sr,
        law=law,
        attack=attack,
        oversample=oversample,
        quantity=quantity,
        start_angle=0.0,
        fmax=fmax,
        contact_damping=contact_damping,
    )
