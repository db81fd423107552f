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

This module holds the friction laws, the contact paths (where the slider touches, as mode
shapes along the path) and the linear theory (growth rates, threshold forces). The time
stepping is ``physsynth.simulate.friction``: :func:`~physsynth.simulate.friction.rub` and
:func:`~physsynth.simulate.friction.bow_modal` (arrays in, a ``FrictionRender`` out),
``FrictionExciter`` (streaming, ``process(n)``), and ``physsynth rub`` on the command line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from physsynth import validate
from physsynth.errors import PhyssynthError
from physsynth.pickups import snap, surface_index, surface_normal

#: The friction laws, in the order of their codes in the kernels (``kernels.friction.LAW_*``;
#: tests/test_friction.py checks that the two agree).
KINDS = ("exponential", "hyperbolic", "coulomb")

#: Default dashpot of a puja's contact along the normal, N s/m: the losses of its leather or
#: felt and of the hand holding it. Our assumption, of the order of the resistive part of the
#: hand-arm driving-point impedance (tens of N s/m in the audio range; ISO 10068:2012 tabulates
#: it from 10 to 500 Hz), not a measurement of a puja (docs/friction-theory.md).
PUJA_DAMPING = 20.0


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
        if not isinstance(self.kind, str) or self.kind not in KINDS:
            raise PhyssynthError(f"unknown friction law {self.kind!r}; use exponential, hyperbolic or coulomb")
        mus = validate.finite(self.mu_s, "mu_s", "", lo=0.0, lo_open=True)
        mud = validate.finite(self.mu_d, "mu_d", "", lo=0.0)
        validate.finite(self.v_c, "v_c", "m/s", lo=0.0, lo_open=True)
        if mud > mus:
            raise PhyssynthError(
                f"mu_d ({mud:g}) must not exceed mu_s ({mus:g}): friction falls "
                "from its static value as the sliding speeds up"
            )

    @property
    def code(self) -> int:
        """The law's code for the friction kernel (its index in :data:`KINDS`)."""
        return KINDS.index(self.kind)

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
    if not isinstance(region, str) or region not in mesh.regions:
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
    n_angles = validate.integer(n_angles, "n_angles", lo=64, hi=2**16)
    p = mesh.points
    zr = p[reg.nodes, 2]
    zmin, zmax = float(zr.min()), float(zr.max())
    if zmax - zmin <= 1e-9 * max(abs(zmax), 1.0):
        raise PhyssynthError(
            f"region {region!r} is flat (z = {zmax:g} m): no ring runs round it at a height; rub a wall such as 'outer'"
        )
    if height is None:
        height = zmax - 0.04 * (zmax - zmin)
    height = validate.finite(height, "the rubbing height", "m")
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
    grid = 2 * np.pi * np.arange(n_angles) / n_angles
    exact = _angular_form(model, p, ea, eb, on, order, theta, g_t, g_r, grid)
    if exact is not None:  # a body of revolution: each mode's exact cos / sin n theta round the ring
        return ContactPath(
            exact[0],
            exact[1],
            radius=float(r.mean()),
            height=height,
            description=f"ring of region {region!r} at z = {height * 1e3:.2f} mm, radius {r.mean() * 1e3:.2f} mm "
            "(axisymmetric model: each mode's exact angular form, a cos n theta + b sin n theta)",
        )
    if harmonics is None:
        harmonics = max(8, len(pts) // 4)
    harmonics = validate.integer(harmonics, "harmonics")
    if not 1 <= harmonics <= n_angles // 4:
        raise PhyssynthError(f"harmonics must be between 1 and n_angles / 4 = {n_angles // 4}, got {harmonics}")
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


def _angular_form(model, p, ea, eb, on, order, theta, g_t, g_r, grid):
    """A body of revolution's ring tables from each mode's exact angular form, or None.

    On a model of :func:`~physsynth.modal.axisym_analysis.modal_analysis_axisymmetric`
    (``provenance["model"] == "axisymmetric"``) every shape round the ring is exactly
    a cos n theta + b sin n theta (a doublet member, or a mix of the two where an asymmetry
    split them). On the cut points of the revolved mesh's meridian edges (both ends at one
    angle, where the nodal values are the exact shapes, interpolated in z only; the sectors'
    angles, equally spaced) each mode is one harmonic n, read off as the strongest, and a and b
    are its Fourier coefficients there, so the tables carry order n alone: none of the element
    kinks the generic path filters out, none of the harmonics a truncation leaves. None for
    other models, or too few meridian points to resolve the orders."""
    if (getattr(model, "provenance", None) or {}).get("model") != "axisymmetric" or model.mesh.dim != 3:
        return None
    ang = np.arctan2(p[:, 1], p[:, 0])
    d = np.abs(np.angle(np.exp(1j * (ang[ea] - ang[eb]))))
    meridian = np.concatenate([d <= 1e-9, np.ones(len(on), bool)])[order]
    th = theta[meridian]
    m = len(th)
    if m < 8 or np.max(np.abs(np.diff(np.concatenate([th, th[:1] + 2 * np.pi])) - 2 * np.pi / m)) > 1e-6:
        return None
    n_top = (m - 1) // 2  # orders the m equally spaced samples resolve
    E = np.exp(-1j * np.outer(np.arange(n_top + 1), th))  # (orders, m)
    ct, cr = E @ g_t[:, meridian].T, E @ g_r[:, meridian].T  # (orders, K) Fourier sums
    n = np.argmax(np.abs(ct) ** 2 + np.abs(cr) ** 2, axis=0)  # each mode's order
    tabs = []
    for c in (ct, cr):
        coef = c[n, np.arange(model.n_modes)] * np.where(n == 0, 1.0, 2.0) / m  # a - i b
        tab = np.real(coef[None, :] * np.exp(1j * np.outer(grid, n)))  # a cos n t + b sin n t
        tabs.append(np.ascontiguousarray(np.vstack([tab, tab[:1]])))
    return tabs


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
    idx = surface_index(model)
    node, _ = snap(model, at, "bowing point", index=idx)
    d = validate.direction(direction, "bowing direction")
    if normal is not None:
        nrm = validate.direction(normal, "normal direction")
    elif model.mesh.dim == 3:
        nrm = surface_normal(idx, node).copy()
    else:
        nrm = model.mesh.points[node] - model.mesh.points.mean(axis=0)
        nrm[2] = 0.0
    if np.linalg.norm(nrm) == 0:
        raise PhyssynthError("cannot tell the normal direction at the bowing point; give normal=")
    nrm = nrm / np.linalg.norm(nrm)
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
    cents = validate.finite(cents, "detune", "cents", lo=-1200.0, hi=1200.0)  # within an octave
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
    order = np.argsort(f, kind="stable")  # a split can pass a neighbour: keep the modes ascending
    return replace(model, frequencies=f[order], shapes=model.shapes[order], decay_rates=model.decay_rates[order])


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
    slope = abs(float(law.slope(validate.finite(speed, "speed", "m/s", lo=0.0))))
    cf = validate.finite(force, "force", "N", lo=0.0) * slope
    cn = validate.finite(contact_damping, "contact damping", "N s/m", lo=0.0)
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
