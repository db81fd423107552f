"""Profiles of bodies of revolution: the meridian section (r, z) of a bowl, bell, glass or gong.

A :class:`Profile` is a closed polygon in the half-plane r >= 0 (metres), counter-clockwise,
each edge labelled ("outer", "inner", "rim", "base", "axis", ...) so that clamps, strikes and
pickups can name parts of the body. It comes from

* a CSV file: columns ``curve,r,z`` with curve ``outer`` and ``inner`` (both running from the
  base or crown to the rim), or columns ``r,z`` alone for one closed polyline;
* a JSON file: ``{"units": "mm", "outer": [[r, z], ...], "inner": [[r, z], ...]}`` or
  ``{"polyline": [[r, z], ...]}`` (``"labels"`` optional, one per edge);
* a generator: :func:`bowl_profile` (the geometry of meshes/make_bowl.py), :func:`bell_profile`,
  :func:`glass_profile`;

and a 2D gmsh ``.msh`` of the section is read as a ready :class:`Section`. :func:`mesh_section`
triangulates a profile with gmsh (the ``mesh`` extra); :func:`revolve` turns a section into a
tetrahedral :class:`~physsynth.mesh.Mesh` of the whole body (for strikes, pickups and pictures).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass, field, replace

import meshio
import numpy as np
from scipy.interpolate import CubicSpline

from physsynth import validate
from physsynth._io import atomic_path
from physsynth.errors import MeshError
from physsynth.mesh import TET_EDGES, UNITS, Mesh, Region, from_arrays

__all__ = [
    "Profile",
    "Section",
    "read_profile",
    "write_profile",
    "bowl_profile",
    "bell_profile",
    "glass_profile",
    "mesh_section",
    "load_section",
    "revolve",
    "BUNDLED",
    "bundled_profile",
]

#: The profiles shipped in meshes/profiles/ (name -> file).
BUNDLED = {
    "tibetan_bowl_180": "tibetan_bowl_180.json",
    "hand_bell": "hand_bell.json",
    "church_bell": "church_bell.json",
    "wine_glass": "wine_glass.json",
}
#: Elements through the thinnest wall by default (P2: two give bending frequencies to ~0.1 %).
THROUGH_WALL = 2
#: Most vertices of a profile polygon (beyond, a scanned outline should be simplified first).
MAX_VERTICES = 20_000


@dataclass(frozen=True)
class Profile:
    """The closed meridian section of a body of revolution.

    Attributes
    ----------
    loop : ndarray, shape (k, 2), m
        Vertices (r, z), counter-clockwise, not repeated at the end; r >= 0.
    labels : tuple of str, length k
        Label of edge i, from ``loop[i]`` to ``loop[(i + 1) % k]``.
    source : str
    outer, inner : ndarray, shape (m, 2), or None
        The outer and inner curves it was made of (base to rim), when known: what
        :mod:`physsynth.tune` moves.
    """

    loop: np.ndarray
    labels: tuple
    source: str = ""
    outer: np.ndarray | None = field(default=None, repr=False)
    inner: np.ndarray | None = field(default=None, repr=False)

    @property
    def extent(self) -> float:
        return float(np.ptp(self.loop, axis=0).max())

    def area(self) -> float:
        """Area of the section (m^2)."""
        r, z = self.loop.T
        return 0.5 * float(np.sum(r * np.roll(z, -1) - np.roll(r, -1) * z))

    def volume(self) -> float:
        """Volume of the revolved body (m^3), by Pappus: 2 pi times the first moment in r."""
        r, z = self.loop.T
        r1, z1 = np.roll(r, -1), np.roll(z, -1)
        cross = r * z1 - r1 * z
        return float(2 * np.pi * np.sum(cross * (r + r1)) / 6.0)

    def thickness(self) -> np.ndarray:
        """Local wall thickness at each vertex (m): distance to the nearest non-neighbouring edge."""
        return _local_thickness(self.loop, self.labels)


def _polygon(outer, inner, source: str) -> Profile:
    """The closed loop of an outer and an inner curve, both from base (or crown) to rim."""
    outer = np.asarray(outer, dtype=float)
    inner = np.asarray(inner, dtype=float)
    pts = [outer, inner[::-1]]
    labels = ["outer"] * (len(outer) - 1) + ["rim"] + ["inner"] * (len(inner) - 1) + ["base"]
    loop = np.vstack(pts)
    return _finish(loop, labels, source, outer, inner)


def _finish(loop, labels, source, outer=None, inner=None) -> Profile:
    loop = np.asarray(loop, dtype=float)
    if loop.ndim != 2 or loop.shape[1] != 2 or len(loop) < 3:
        raise MeshError(f"{source}: a profile needs three (r, z) points at least, got shape {loop.shape}")
    if len(loop) > MAX_VERTICES:
        raise MeshError(f"{source}: {len(loop)} profile points, more than {MAX_VERTICES}; simplify the outline")
    if not np.all(np.isfinite(loop)):
        raise MeshError(f"{source}: the profile holds NaN or infinite coordinates")
    labels = list(labels)
    # drop repeated points (a closed polyline given with its first point again)
    keep = np.ones(len(loop), bool)
    step = np.linalg.norm(np.roll(loop, -1, axis=0) - loop, axis=1)
    extent = float(np.ptp(loop, axis=0).max())
    if extent <= 0:
        raise MeshError(f"{source}: the profile's points all coincide")
    keep[step <= 1e-12 * extent] = False
    loop = loop[keep]
    labels = [lab for lab, k in zip(labels, keep) if k]
    tol = 1e-9 * extent
    if np.any(loop[:, 0] < -tol):
        raise MeshError(
            f"{source}: the profile has points at r < 0 (min r = {loop[:, 0].min():.4g} m); a profile lies in the "
            "half-plane r >= 0 right of the axis (give r, the distance from the axis, not x)"
        )
    loop[:, 0] = np.where(loop[:, 0] < tol, 0.0, loop[:, 0])
    on_axis = (loop[:, 0] == 0) & (np.roll(loop[:, 0], -1) == 0)
    labels = ["axis" if a else lab for lab, a in zip(labels, on_axis)]
    r, z = loop.T
    area = 0.5 * float(np.sum(r * np.roll(z, -1) - np.roll(r, -1) * z))
    if abs(area) <= 1e-12 * extent**2:
        raise MeshError(f"{source}: the profile encloses no area (the outer and inner curves coincide?)")
    if area < 0:  # clockwise: reverse, keeping each label on its edge
        loop = loop[::-1]
        labels = labels[::-1][1:] + labels[::-1][:1]
    _check_simple(loop, source)
    return Profile(np.ascontiguousarray(loop), tuple(labels), source, outer, inner)


def _check_simple(loop: np.ndarray, source: str) -> None:
    """Refuse a polygon whose edges cross (a profile drawn with outer and inner swapped, a loop)."""
    k = len(loop)
    a, b = loop, np.roll(loop, -1, axis=0)
    d = b - a
    for i0 in range(0, k, 512):
        i = np.arange(i0, min(k, i0 + 512))[:, None]
        j = np.arange(k)[None, :]

        # orientations of the end points of edge j about edge i and vice versa
        def orient(p, q, s):
            return (q[..., 0] - p[..., 0]) * (s[..., 1] - p[..., 1]) - (q[..., 1] - p[..., 1]) * (s[..., 0] - p[..., 0])

        pi, qi = a[i], b[i]
        pj, qj = a[j], b[j]
        o1, o2 = orient(pi, qi, pj), orient(pi, qi, qj)
        o3, o4 = orient(pj, qj, pi), orient(pj, qj, qi)
        cross = (o1 * o2 < 0) & (o3 * o4 < 0)
        near = (np.abs(i - j) <= 1) | (np.abs(i - j) >= k - 1)
        bad = cross & ~near
        if bad.any():
            ii, jj = np.argwhere(bad)[0]
            p = a[i0 + ii] + 0.5 * d[i0 + ii]
            raise MeshError(
                f"{source}: the profile crosses itself near r = {p[0]:.4g} m, z = {p[1]:.4g} m; the outer and inner "
                "curves must not cross (both run from the base to the rim)"
            )


def _local_thickness(loop: np.ndarray, labels) -> np.ndarray:
    """For each vertex, the distance to the nearest edge that is not near it along the outline."""
    k = len(loop)
    a, b = loop, np.roll(loop, -1, axis=0)
    seg = np.linalg.norm(b - a, axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)[:-1]])
    perim = seg.sum()
    out = np.full(k, np.inf)
    axis = np.array([lab == "axis" for lab in labels])
    for i0 in range(0, k, 256):
        p = loop[i0 : i0 + 256, None, :]
        d = b - a
        t = np.clip(np.einsum("ijk,jk->ij", p - a, d) / np.maximum(np.einsum("jk,jk->j", d, d), 1e-300), 0, 1)
        q = a + t[..., None] * d
        dist = np.linalg.norm(p - q, axis=2)
        sq = s[None, :] + t * seg[None, :]
        ds = np.abs(sq - s[i0 : i0 + 256, None])
        ds = np.minimum(ds, perim - ds)
        # an edge counts as "across the wall" when the way round the outline is much longer
        # than the straight line; the axis is not a wall
        far = (ds > 2.5 * dist) & ~axis[None, :]
        dist = np.where(far, dist, np.inf)
        out[i0 : i0 + 256] = dist.min(axis=1)
    finite = np.isfinite(out)
    if not finite.any():
        return np.full(k, float(np.ptp(loop, axis=0).max()))
    out[~finite] = out[finite].max()
    return out


# ------------------------------------------------------------------ files
def _scale(units: str) -> float:
    if units not in UNITS:
        raise MeshError(f"unknown units {units!r}; choose one of {', '.join(UNITS)}")
    return UNITS[units]


def read_profile(path, *, units: str = "m") -> Profile:
    """Read a profile from a CSV or JSON file (module docstring), lengths in ``units``."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise MeshError(f"profile file not found: {path}")
    ext = os.path.splitext(path)[1].lower()
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(64 * 2**20 + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise MeshError(f"cannot read profile {path}: {exc}") from None
    if len(text) > 64 * 2**20:
        raise MeshError(f"profile {path} is larger than 64 MiB; a profile is a few hundred points")
    if ext == ".json":
        return _from_json(text, path, units)
    if ext in (".csv", ".txt"):
        return _from_csv(text, path, units)
    raise MeshError(f"profile {path}: unknown format {ext or '(none)'}; give a .csv or .json profile (or a 2D .msh)")


def _points(value, path: str, what: str) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise MeshError(f"profile {path}: {what} must be a list of [r, z] pairs of numbers") from None
    if a.ndim != 2 or a.shape[1] != 2 or len(a) < 2:
        raise MeshError(f"profile {path}: {what} must be a list of [r, z] pairs (two at least), got shape {a.shape}")
    return a


def _from_json(text: str, path: str, units: str) -> Profile:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MeshError(f"profile {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MeshError(f"profile {path}: expected a JSON object with 'outer' and 'inner' (or 'polyline')")
    units = data.get("units", units)
    s = _scale(units)
    if "polyline" in data:
        loop = _points(data["polyline"], path, "'polyline'") * s
        labels = data.get("labels") or ["surface"] * len(loop)
        if not isinstance(labels, list) or len(labels) != len(loop) or not all(isinstance(x, str) for x in labels):
            raise MeshError(f"profile {path}: 'labels' must be one name per edge ({len(loop)})")
        return _finish(loop, labels, path)
    if "outer" not in data or "inner" not in data:
        raise MeshError(f"profile {path}: give 'outer' and 'inner' curves (lists of [r, z]) or a 'polyline'")
    return _polygon(_points(data["outer"], path, "'outer'") * s, _points(data["inner"], path, "'inner'") * s, path)


def _from_csv(text: str, path: str, units: str) -> Profile:
    rows = [r for r in csv.reader(io.StringIO(text)) if r and not r[0].lstrip().startswith("#")]
    if not rows:
        raise MeshError(f"profile {path} is empty")
    head = [h.strip().lower() for h in rows[0]]
    s = _scale(units)
    try:
        if head[:3] == ["curve", "r", "z"]:
            curves: dict[str, list] = {}
            for row in rows[1:]:
                curves.setdefault(row[0].strip().lower(), []).append((float(row[1]), float(row[2])))
            if set(curves) - {"outer", "inner"} or len(curves) != 2:
                raise MeshError(f"profile {path}: the curve column holds 'outer' and 'inner', got {sorted(curves)}")
            return _polygon(
                _points(curves["outer"], path, "outer") * s, _points(curves["inner"], path, "inner") * s, path
            )
        if head[:2] == ["r", "z"]:
            loop = _points([(float(r[0]), float(r[1])) for r in rows[1:]], path, "the polyline") * s
            return _finish(loop, ["surface"] * len(loop), path)
    except (ValueError, IndexError):
        raise MeshError(f"profile {path}: every row needs numbers r and z (metres or --units)") from None
    raise MeshError(f"profile {path}: the header must be 'curve,r,z' (outer and inner curves) or 'r,z' (a polyline)")


def write_profile(profile: Profile, path) -> str:
    """Write a profile as JSON (outer and inner curves when known, else the polyline), atomically."""
    path = os.fspath(path)
    if profile.outer is not None and profile.inner is not None:
        data = {"units": "m", "outer": profile.outer.tolist(), "inner": profile.inner.tolist()}
    else:
        data = {"units": "m", "polyline": profile.loop.tolist(), "labels": list(profile.labels)}
    data["source"] = profile.source
    if path.lower().endswith(".csv"):
        buf = io.StringIO()
        if "outer" in data:
            buf.write("curve,r,z\n")
            for name in ("outer", "inner"):
                for r, z in data[name]:
                    buf.write(f"{name},{r:.9g},{z:.9g}\n")
        else:
            buf.write("r,z\n")
            for r, z in profile.loop:
                buf.write(f"{r:.9g},{z:.9g}\n")
        payload = buf.getvalue()
    else:
        payload = json.dumps(data, indent=1)
    with atomic_path(path, MeshError) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(payload)
    return path


def bundled_profile(name: str) -> Profile:
    """A profile shipped in meshes/profiles/ (see :data:`BUNDLED`)."""
    if name not in BUNDLED:
        raise MeshError(f"no bundled profile {name!r}; choose one of {', '.join(BUNDLED)}")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for base in (os.path.join(here, "meshes", "profiles"),):
        p = os.path.join(base, BUNDLED[name])
        if os.path.exists(p):
            return read_profile(p)
    raise MeshError(f"bundled profile {BUNDLED[name]} not found (meshes/profiles/ of the source tree)")


# ------------------------------------------------------------------ generators
def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _bezier(ctrl: np.ndarray, s: np.ndarray):
    p0, p1, p2, p3 = ctrl
    s = s[:, None]
    pts = (1 - s) ** 3 * p0 + 3 * (1 - s) ** 2 * s * p1 + 3 * (1 - s) * s**2 * p2 + s**3 * p3
    der = 3 * (1 - s) ** 2 * (p1 - p0) + 6 * (1 - s) * s * (p2 - p1) + 3 * s**2 * (p3 - p2)
    return pts, der


def bowl_profile(
    *,
    diameter: float = 0.180,
    height: float = 0.095,
    base_radius: float = 0.060,
    rim_angle: float = 92.0,
    belly: float = 0.7,
    shoulder: float = 0.7,
    t_base: float = 0.00155,
    t_wall: float = 0.00155,
    wall_blend: float = 0.04,
    t_rim: float = 0.00375,
    lip_height: float = 0.05,
    n_points: int = 161,
) -> Profile:
    """A singing bowl: the cross-section of meshes/make_bowl.py (same parameters, same defaults).

    A flat base of radius ``base_radius`` (m), a cubic Bezier outer wall up to the rim at
    ``(diameter / 2, height)`` meeting it at ``rim_angle`` degrees, and the inner wall offset
    inwards by the thickness ``t(z)`` (make_bowl.py's formula: ``t_base`` on the floor,
    ``t_wall`` on the wall, thickening smoothly over the top ``lip_height`` to ``t_rim``). As in
    make_bowl.py, the inner wall interpolates the 41 offset points by a spline (here a cubic
    spline in chord length, sampled at ``n_points``), and the flat rim face is horizontal.
    """
    vals = dict(diameter=diameter, height=height, base_radius=base_radius, t_base=t_base, t_wall=t_wall)
    vals |= dict(wall_blend=wall_blend, t_rim=t_rim, lip_height=lip_height)
    for k, v in vals.items():
        validate.positive(v, f"bowl {k}", "m", error=MeshError)
    r_rim = 0.5 * diameter
    rb, h = base_radius, height
    if not rb < r_rim:
        raise MeshError(f"bowl base_radius {rb:g} m must be less than the rim radius {r_rim:g} m")
    a = math.radians(rim_angle)
    p0, p3 = np.array([rb, 0.0]), np.array([r_rim, h])
    p1 = p0 + np.array([belly * (r_rim - rb), 0.0])
    p2 = p3 - shoulder * h * np.array([math.cos(a), math.sin(a)])
    ctrl = np.array([p0, p1, p2, p3])

    def offset(n):
        pts, der = _bezier(ctrl, np.linspace(0.0, 1.0, n))
        tang = der / np.linalg.norm(der, axis=1, keepdims=True)
        normal_in = np.column_stack([-tang[:, 1], tang[:, 0]])
        z = pts[:, 1]
        t = (
            t_base
            + (t_wall - t_base) * _smoothstep(z / wall_blend)
            + (t_rim - t_wall) * _smoothstep((z - (h - lip_height)) / lip_height)
        )
        inner = pts + t[:, None] * normal_in
        inner[0] = [rb, t_base]
        lam = (h - inner[-1, 1]) / tang[-1, 1]
        inner[-1] = inner[-1] + lam * tang[-1]
        keep = np.concatenate([[True], inner[1:, 1] > t_base + 1e-4])
        return pts, inner[keep]

    outer_wall, _ = offset(n_points)
    _, inner41 = offset(41)  # make_bowl.py's 41 spline points
    chord = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(inner41, axis=0), axis=1))])
    spline = CubicSpline(chord, inner41, bc_type="not-a-knot")
    inner_wall = spline(np.linspace(0.0, chord[-1], n_points))
    outer = np.vstack([[0.0, 0.0], outer_wall])
    inner = np.vstack([[0.0, t_base], inner_wall])
    prof = _polygon(outer, inner, "bowl_profile")
    return prof


def _shell(outer: np.ndarray, thickness: np.ndarray, source: str, *, rim_flat: bool = True) -> Profile:
    """A wall of the given thickness inside an outer curve that runs from the crown on the axis
    out and down to the lip (a bell): the inside is to the right of the curve's direction."""
    d = np.gradient(outer, axis=0)
    tang = d / np.linalg.norm(d, axis=1, keepdims=True)
    normal_in = np.column_stack([tang[:, 1], -tang[:, 0]])
    inner = outer + thickness[:, None] * normal_in
    inner[0, 0] = 0.0  # the crown stays on the axis
    # Offsetting into a tight convex turn (the shoulder) makes a swallowtail: its points come
    # closer to the outer curve than the wall's thickness. Drop them (the trimmed offset).
    a, b = outer[:-1], outer[1:]
    d = b - a
    q = inner[:, None, :] - a[None]
    t = np.clip(np.einsum("ijk,jk->ij", q, d) / np.maximum(np.einsum("jk,jk->j", d, d), 1e-300), 0, 1)
    dist = np.linalg.norm(q - t[..., None] * d[None], axis=2).min(axis=1)
    keep = dist >= 0.98 * thickness
    keep[[0, -1]] = True
    return _polygon(outer, inner[keep], source)


def bell_profile(
    *,
    diameter: float = 0.60,
    height: float | None = None,
    crown: float = 0.5,
    flare: float = 0.18,
    t_waist: float | None = None,
    t_lip: float | None = None,
    lip_position: float = 0.92,
    n_points: int = 161,
) -> Profile:
    """A bell from a few parameters: crown, waist, flared sound bow and lip (m).

    The outer curve runs from the crown on the axis over the shoulder, down the waist and out
    to the lip at radius ``diameter / 2``; ``height`` (default 0.8 diameter) is the crown-to-lip
    height; ``crown`` the crown radius as a fraction of the lip radius; ``flare`` how far the
    sound bow swells out (fraction of the lip radius). The wall is ``t_waist`` (default
    diameter / 35) thin in the waist and thickens smoothly to ``t_lip`` (default diameter / 13,
    the bell founders' thickness of the sound bow) at ``lip_position`` of the way down, thinning
    a little to the lip. A generator for design studies, not a foundry's profile (the bundled
    ``church_bell`` is this generator at ``diameter=0.60``).
    """
    D = validate.positive(diameter, "bell diameter", "m", error=MeshError)
    H = 0.8 * D if height is None else validate.positive(height, "bell height", "m", error=MeshError)
    tw = D / 35 if t_waist is None else validate.positive(t_waist, "bell t_waist", "m", error=MeshError)
    tl = D / 13 if t_lip is None else validate.positive(t_lip, "bell t_lip", "m", error=MeshError)
    R = D / 2
    s = np.linspace(0.0, 1.0, n_points)
    # crown: a flat top from the axis to crown*R, rounded shoulder; waist; flared bow
    # parametrised by the fraction s of the way from the top of the crown (z = H) to the lip (z = 0).
    n_top = max(n_points // 6, 8)
    top = np.column_stack([np.linspace(0.0, crown * R, n_top, endpoint=False), np.full(n_top, H)])
    u = s
    z = H * (1 - u) ** 1.0
    # radius: shoulder (quarter ellipse into the waist), then the flare towards the lip
    waist = crown * R + (0.78 * R - crown * R) * np.sin(0.5 * np.pi * np.clip(u / 0.25, 0, 1)) ** 0.8
    bow = flare * R * _smoothstep((u - 0.45) / 0.55) ** 1.5
    r = waist + bow + (R - (0.78 * R + flare * R)) * _smoothstep((u - 0.6) / 0.4)
    side = np.column_stack([r, z])
    outer = np.vstack([top, side])
    t = tw + (tl - tw) * _smoothstep((np.linspace(0, 1, len(outer)) - 0.55) / (lip_position - 0.55))
    t = t - 0.35 * (tl - tw) * _smoothstep((np.linspace(0, 1, len(outer)) - lip_position) / (1 - lip_position))
    t[: n_top + 1] = tw * 1.4  # the crown plate is a little thicker than the waist
    return _shell(outer, t, "bell_profile")


def glass_profile(
    *,
    rim_diameter: float = 0.075,
    bowl_height: float = 0.09,
    belly_diameter: float = 0.085,
    t_rim: float = 0.0012,
    t_bottom: float = 0.004,
    stem_length: float = 0.07,
    stem_diameter: float = 0.008,
    foot_diameter: float = 0.075,
    t_foot: float = 0.003,
    n_points: int = 121,
) -> Profile:
    """A stemmed wine glass (m): a tulip bowl, a solid stem and a flat foot.

    The bowl wall thins from ``t_bottom`` at its base to ``t_rim`` at the rim; the stem is a
    solid rod of ``stem_diameter``; the foot a disc of ``foot_diameter`` and ``t_foot``.
    """
    for k, v in dict(rim_diameter=rim_diameter, bowl_height=bowl_height, belly_diameter=belly_diameter).items():
        validate.positive(v, f"glass {k}", "m", error=MeshError)
    Rr, Rb = rim_diameter / 2, belly_diameter / 2
    rs, Rf = stem_diameter / 2, foot_diameter / 2
    z0 = t_foot + stem_length  # bottom of the bowl
    u = np.linspace(0.0, 1.0, n_points)
    # outer bowl: from the stem top, round out to the belly, in to the rim (a sine-shaped tulip)
    r_out = rs + (Rb - rs) * np.sin(0.5 * np.pi * np.clip(u / 0.55, 0, 1)) ** 0.6
    r_out = r_out - (Rb - Rr) * _smoothstep((u - 0.55) / 0.45)
    z_out = z0 + bowl_height * u
    t = t_bottom + (t_rim - t_bottom) * _smoothstep(u / 0.4)
    outer_bowl = np.column_stack([r_out, z_out])
    d = np.gradient(outer_bowl, axis=0)
    tang = d / np.linalg.norm(d, axis=1, keepdims=True)
    inner_bowl = outer_bowl + t[:, None] * np.column_stack([-tang[:, 1], tang[:, 0]])
    inner_bowl = inner_bowl[inner_bowl[:, 0] > 0.15 * rs]
    # bottom of the cup on the axis, a little above the stem's top
    cup = np.array([[0.0, inner_bowl[0, 1]]])
    outer = np.vstack(
        [
            [[0.0, 0.0], [Rf, 0.0], [Rf, 0.6 * t_foot], [rs + 0.004, t_foot], [rs, t_foot + 0.004]],
            [[rs, z0 - 0.002]],
            outer_bowl[1:],
        ]
    )
    inner = np.vstack([cup, inner_bowl])
    return _polygon(outer, inner, "glass_profile")


# ------------------------------------------------------------------ meshing
@dataclass(frozen=True)
class Section:
    """A triangle mesh of the meridian section.

    Attributes
    ----------
    points : ndarray, shape (n, 2), m
        (r, z) of the nodes.
    triangles : ndarray of int, shape (m, 3)
        Counter-clockwise corner nodes.
    edges : dict of str to ndarray of int, shape (k, 2)
        Boundary edges (node pairs) of each profile label.
    profile : Profile or None
    source : str
    """

    points: np.ndarray
    triangles: np.ndarray
    edges: dict
    profile: Profile | None = None
    source: str = ""

    @property
    def regions(self) -> dict:
        """Nodes of each labelled part of the boundary."""
        return {k: np.unique(v) for k, v in self.edges.items()}

    def mass(self, rho: float) -> float:
        """Mass (kg) of the revolved body of density ``rho`` (kg/m^3)."""
        p = self.points[self.triangles]
        a = 0.5 * (
            (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1])
            - (p[:, 2, 0] - p[:, 0, 0]) * (p[:, 1, 1] - p[:, 0, 1])
        )
        return float(rho * 2 * np.pi * np.sum(a * p[:, :, 0].mean(axis=1)))


def _gmsh():
    try:
        import gmsh
    except ImportError:
        raise MeshError("meshing a profile needs gmsh: pip install 'physsynth[mesh]'") from None
    return gmsh


def _resample(profile: Profile, sizes: np.ndarray):
    """Vertices of the loop with extra points on long edges, so no edge exceeds its size."""
    loop, labels = profile.loop, profile.labels
    k = len(loop)
    pts, labs = [], []
    for i in range(k):
        a, b = loop[i], loop[(i + 1) % k]
        h = min(sizes[i], sizes[(i + 1) % k])
        m = max(1, int(math.ceil(np.linalg.norm(b - a) / h - 1e-9)))
        for j in range(m):
            pts.append(a + (b - a) * (j / m))
            labs.append(labels[i])
    return np.array(pts), labs


def _coarsen(profile: Profile, h) -> Profile:
    """The loop with vertices about ``h`` apart (a number or one per vertex, m), keeping corners
    (turns over 25 degrees) and label changes."""
    loop, labels = profile.loop, profile.labels
    k = len(loop)
    h = np.broadcast_to(np.asarray(h, dtype=float), (k,))
    d_in = loop - np.roll(loop, 1, axis=0)
    d_out = np.roll(loop, -1, axis=0) - loop
    cosang = np.einsum("ij,ij->i", d_in, d_out) / (np.linalg.norm(d_in, axis=1) * np.linalg.norm(d_out, axis=1))
    fixed = (cosang < math.cos(math.radians(25))) | (np.array(labels) != np.roll(np.array(labels), 1))
    start = int(np.flatnonzero(fixed)[0]) if fixed.any() else 0
    order = (start + np.arange(k)) % k
    keep, acc = [order[0]], 0.0
    for i_prev, i in zip(order[:-1], order[1:]):
        acc += float(np.linalg.norm(loop[i] - loop[i_prev]))
        if fixed[i] or acc >= 0.999 * h[i]:
            keep.append(i)
            acc = 0.0
    keep = np.array(keep)
    if len(keep) < 3:
        return profile
    new_labels = [labels[i] for i in keep]  # the edge leaving a kept vertex keeps its label
    return Profile(loop[keep], tuple(new_labels), profile.source, profile.outer, profile.inner)


#: Smallest angle (degrees) of a triangle of the mapped wall mesh; below, the profile goes to gmsh.
MAPPED_MIN_ANGLE = 8.0
#: Longest element of the mapped wall mesh along the wall, in wall thicknesses (P2 bending keeps
#: 0.03 % at 8 kHz on the bundled bowl with 2 layers and this aspect, docs/axisymmetric.md).
MAPPED_ASPECT = 4.0
#: Largest turn (rad) of the outer or inner curve over one element of the mapped wall mesh.
MAPPED_TURN = math.radians(5.0)


def _arclength_samples(curve: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Points of a polyline at fractions ``s`` (0..1) of its length."""
    seg = np.linalg.norm(np.diff(curve, axis=0), axis=1)
    t = np.concatenate([[0.0], np.cumsum(seg)])
    t /= t[-1]
    return np.column_stack([np.interp(s, t, curve[:, 0]), np.interp(s, t, curve[:, 1])])


def _corner_fractions(curve: np.ndarray, angle: float = 25.0) -> np.ndarray:
    """Arc-length fractions (0..1) of a polyline's interior vertices where it turns by over ``angle`` degrees."""
    d = np.diff(curve, axis=0)
    seg = np.linalg.norm(d, axis=1)
    if len(d) < 2:
        return np.zeros(0)
    cosang = np.einsum("ij,ij->i", d[:-1], d[1:]) / np.maximum(seg[:-1] * seg[1:], 1e-300)
    t = np.cumsum(seg)[:-1] / seg.sum()
    return t[cosang < math.cos(math.radians(angle))]


def _mapped_section(profile: Profile, size: float, through_wall: int) -> Section | None:
    """A structured mesh of a shell-like profile: ``through_wall`` layers between its outer and
    inner curves, matched by fraction of arc length, each quad cut along its shorter diagonal.

    Along a thin wall the elements are up to :data:`MAPPED_ASPECT` thicknesses long (bending
    waves are far longer than the wall is thick), a fifth of the DOF of isotropic triangles of
    the same accuracy through the wall. None when the profile has no outer and inner curves, labels
    of its own, a corner (a turn over 25 degrees at a vertex of either curve: a bell's shoulder),
    or a shape the map would skew (a triangle under :data:`MAPPED_MIN_ANGLE`, a fold: a wine
    glass's stem); the caller then meshes it with gmsh."""
    O, inner = profile.outer, profile.inner
    if O is None or inner is None or len(O) < 2 or len(inner) < 2:
        return None
    if not set(profile.labels) <= {"outer", "inner", "rim", "base", "axis"}:
        return None
    if len(_corner_fractions(O)) or len(_corner_fractions(inner)):
        # a corner (a bell's shoulder) wants the local refinement gmsh gives it: a re-entrant one
        # is a stress singularity, 0.4 % on the church bell's (0, 0) mode with two mapped layers
        return None
    # The spacing along the wall: at most ``size`` and MAPPED_ASPECT local thicknesses, and
    # fine enough that no element turns either curve by more than MAPPED_TURN (a chord's sagitta,
    # h^2 / 8 R, in a tight fillet is otherwise a fair part of the wall: 0.25 % on the bowl's base
    # modes at 2.4 mm). A density dN/ds on a fine grid of the common arc-length fraction s.
    fine = np.linspace(0.0, 1.0, 4001)
    fo, fi = _arclength_samples(O, fine), _arclength_samples(inner, fine)
    gap = np.linalg.norm(fo - fi, axis=1)
    h_loc = np.minimum(size, MAPPED_ASPECT * np.minimum(gap[:-1], gap[1:]) / max(through_wall, 1))
    # ... but no element shorter than a quarter of a layer (a tight fillet would crowd slivers)
    h_min = 0.25 * np.minimum(gap[:-1], gap[1:]) / max(through_wall, 1)
    dN = np.zeros(len(fine) - 1)
    for c in (fo, fi):
        d = np.diff(c, axis=0)
        phi = np.unwrap(np.arctan2(d[:, 1], d[:, 0]))
        turn = np.abs(np.diff(phi, prepend=phi[0]))
        step = np.linalg.norm(d, axis=1)
        dN = np.maximum(dN, np.maximum(step / h_loc, np.minimum(turn / MAPPED_TURN, step / h_min)))
    cum = np.concatenate([[0.0], np.cumsum(dN)])
    n_along = max(2, int(math.ceil(cum[-1])))
    if n_along * through_wall > 2e5:
        return None
    s = np.interp(np.linspace(0.0, cum[-1], n_along + 1), cum, fine)
    a, b = _arclength_samples(O, s), _arclength_samples(inner, s)
    frac = np.arange(through_wall + 1) / through_wall
    pts = (a[:, None, :] + frac[None, :, None] * (b - a)[:, None, :]).reshape(-1, 2)  # node i * (tw + 1) + j
    w = through_wall + 1
    i, j = np.meshgrid(np.arange(n_along), np.arange(through_wall), indexing="ij")
    p00, p10 = (i * w + j).ravel(), ((i + 1) * w + j).ravel()
    p01, p11 = p00 + 1, p10 + 1
    diag = np.linalg.norm(pts[p00] - pts[p11], axis=1) <= np.linalg.norm(pts[p10] - pts[p01], axis=1)
    tri = np.vstack(
        [
            np.where(diag[:, None], np.column_stack([p00, p10, p11]), np.column_stack([p00, p10, p01])),
            np.where(diag[:, None], np.column_stack([p00, p11, p01]), np.column_stack([p10, p11, p01])),
        ]
    )
    q = pts[tri]
    e = [q[:, (k + 1) % 3] - q[:, k] for k in range(3)]
    cross = e[0][:, 0] * e[1][:, 1] - e[0][:, 1] * e[1][:, 0]
    sign = np.sign(np.median(cross))
    if np.any(cross * sign <= 0):
        return None  # a folded map
    lens = [np.linalg.norm(x, axis=1) for x in e]
    # the smallest angle of each triangle, from the law of sines: sin A = |cross| / (|b| |c|)
    sines = [np.abs(cross) / (lens[k] * lens[(k + 2) % 3]) for k in range(3)]
    if math.degrees(math.asin(min(1.0, float(np.min(sines))))) < MAPPED_MIN_ANGLE:
        return None
    if sign < 0:
        tri = tri[:, [0, 2, 1]]
    col = np.arange(w)
    edges = {
        "outer": np.column_stack([np.arange(n_along) * w, np.arange(1, n_along + 1) * w]),
        "inner": np.column_stack([np.arange(n_along) * w + w - 1, np.arange(1, n_along + 1) * w + w - 1]),
        "rim": np.column_stack([n_along * w + col[:-1], n_along * w + col[1:]]),
    }
    base = "axis" if (O[0, 0] == 0.0 and inner[0, 0] == 0.0) else "base"
    edges[base] = np.column_stack([col[:-1], col[1:]])
    return _section(pts, tri, edges, profile, profile.source)


def mesh_section(
    profile: Profile,
    *,
    size: float | None = None,
    through_wall: int = THROUGH_WALL,
    aspect: float = 1.0,
    mapped: bool | None = None,
) -> Section:
    """Triangulate a profile: a mapped wall mesh where it fits, else gmsh (the ``mesh`` extra).

    Parameters
    ----------
    profile : Profile
    size : float, optional, m
        Largest element edge; default 1/40 of the profile's extent.
    through_wall : int
        Elements across the thinnest part of the wall (the local size near the boundary is
        ``aspect`` times the local thickness divided by this).
    aspect : float
        Length along the wall of the boundary edges, in element thicknesses: above 1 the
        triangles of a thin wall are stretched along it (P2 bending stays accurate to aspect
        ratios of 3 or so, at a fraction of the DOF).
    mapped : bool, optional
        A structured mesh of ``through_wall`` layers between the outer and inner curves
        (:func:`_mapped_section`, elements up to :data:`MAPPED_ASPECT` thicknesses long); None
        (default): where the profile allows it, else gmsh; False: always gmsh; True: refuse a
        profile that does not allow it.
    """
    ext = profile.extent
    size = ext / 40 if size is None else validate.positive(size, "section mesh size", "m", error=MeshError)
    through_wall = validate.integer(through_wall, "elements through the wall", lo=0, hi=16, error=MeshError)
    if size < 1e-4 * ext:
        raise MeshError(f"section mesh size {size:g} m is below 1e-4 of the profile's extent {ext:g} m; raise it")
    if mapped is not False and through_wall > 0:
        sec = _mapped_section(profile, size, through_wall)
        if sec is not None:
            return sec
        if mapped:
            raise MeshError(
                f"{profile.source}: the profile does not allow a mapped wall mesh (no outer and inner curves, labels "
                "of its own, or a shape the map would fold); use mapped=None or False"
            )
    if through_wall == 0:  # a coarse picture of the body: vertices about ``size`` apart, thin walls one across
        profile = _coarsen(profile, size)
        thick = np.full(len(profile.loop), size)
        local = thick
    else:
        thick = profile.thickness()
        local = np.minimum(size, aspect * thick / through_wall)
        keep = _coarsen(profile, 0.7 * local)
        if len(keep.loop) < len(profile.loop):
            idx = [int(np.flatnonzero(np.all(profile.loop == v, axis=1))[0]) for v in keep.loop]
            profile, thick, local = keep, thick[idx], local[idx]
    if local.min() < 1e-4 * ext:
        raise MeshError(
            f"the profile's wall is {thick.min():.3g} m thin somewhere, under 1e-4 of its extent: a crack or "
            "touching curves? check the inner and outer curves"
        )
    n_est = 2.5 * profile.area() / np.mean(local) ** 2
    if n_est > 2e6:
        raise MeshError(f"the section would need about {n_est:.0f} triangles; raise the mesh size")
    pts, labs = _resample(profile, local)
    # sizes at the resampled points: from the nearest original vertex
    near = (
        np.argmin(np.linalg.norm(pts[:, None, :] - profile.loop[None, :, :], axis=2), axis=1)
        if len(pts) < 4000
        else None
    )
    psize = local[near] if near is not None else np.full(len(pts), local.min())
    gmsh = _gmsh()
    gmsh.initialize(
        interruptible=False
    ) if "interruptible" in gmsh.initialize.__code__.co_varnames else gmsh.initialize()
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.option.setNumber("Mesh.RandomSeed", 1)
        gmsh.model.add("section")
        geo = gmsh.model.geo
        tags = [geo.addPoint(float(p[0]), float(p[1]), 0.0, float(h)) for p, h in zip(pts, psize)]
        lines = [geo.addLine(tags[i], tags[(i + 1) % len(tags)]) for i in range(len(tags))]
        loop = geo.addCurveLoop(lines)
        surf = geo.addPlaneSurface([loop])
        geo.synchronize()
        for name in sorted(set(labs)):
            gmsh.model.addPhysicalGroup(1, [ln for ln, lab in zip(lines, labs) if lab == name], name=name)
        gmsh.model.addPhysicalGroup(2, [surf], name="section")
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 1)
        gmsh.option.setNumber("Mesh.MeshSizeMax", size)
        gmsh.option.setNumber("Mesh.Algorithm", 6)
        gmsh.model.mesh.generate(2)
        node_tags, coords, _ = gmsh.model.mesh.getNodes()
        xyz = coords.reshape(-1, 3)
        index = np.full(int(node_tags.max()) + 1, -1, dtype=np.int64)
        index[node_tags.astype(np.int64)] = np.arange(len(node_tags))
        _, _, elem_nodes = gmsh.model.mesh.getElements(2, surf)
        tri = index[np.asarray(elem_nodes[0], dtype=np.int64).reshape(-1, 3)]
        edges = {}
        for name in sorted(set(labs)):
            ed = []
            for ln, lab in zip(lines, labs):
                if lab == name:
                    _, _, en = gmsh.model.mesh.getElements(1, ln)
                    ed.append(index[np.asarray(en[0], dtype=np.int64).reshape(-1, 2)])
            edges[name] = np.vstack(ed)
    finally:
        gmsh.finalize()
    return _section(xyz[:, :2], tri, edges, profile, profile.source)


def _section(points, tri, edges, profile, source) -> Section:
    used = np.unique(tri)
    remap = np.full(len(points), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    points = np.ascontiguousarray(points[used], dtype=float)
    ext = float(np.ptp(points, axis=0).max())
    points[:, 0] = np.where(np.abs(points[:, 0]) < 1e-9 * ext, 0.0, points[:, 0])
    tri = remap[tri]
    p = points[tri]
    area = (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1]) - (p[:, 2, 0] - p[:, 0, 0]) * (p[:, 1, 1] - p[:, 0, 1])
    tri[area < 0] = tri[area < 0][:, [0, 2, 1]]
    edges = {k: remap[v] for k, v in edges.items() if np.all(remap[v] >= 0)}
    return Section(points, np.ascontiguousarray(tri), edges, profile, source)


def load_section(path, *, units: str = "m") -> Section:
    """Read a 2D triangle mesh of the section (gmsh .msh or any meshio format).

    The section lies in the xy-plane (x = r, y = z) or the xz-plane (x = r, z = z); named
    line groups become the edge labels."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise MeshError(f"section mesh not found: {path}")
    try:
        m = meshio.read(path)
    except Exception as exc:
        raise MeshError(f"cannot read section mesh {path}: {exc}") from None
    s = _scale(units)
    pts = np.asarray(m.points, dtype=float) * s
    if pts.shape[1] == 2:
        pts = np.column_stack([pts, np.zeros(len(pts))])
    tri = [c.data for c in m.cells if c.type == "triangle"]
    if not tri:
        raise MeshError(f"{path} holds no triangles: a section mesh is a 2D triangle mesh of the (r, z) half-plane")
    if any(c.type in ("tetra", "tetra10") for c in m.cells):
        raise MeshError(f"{path} is a volume mesh; for a body of revolution give its 2D section (or a profile)")
    tri = np.vstack(tri).astype(np.int64)
    used = np.unique(tri)
    span = np.ptp(pts[used], axis=0)
    if span[2] <= 1e-9 * span.max():
        rz = pts[:, :2]
    elif span[1] <= 1e-9 * span.max():
        rz = pts[:, [0, 2]]
    else:
        raise MeshError(f"{path}: the section must lie in the xy-plane (x = r, y = z) or the xz-plane (x = r)")
    ext = float(span.max())
    if np.any(rz[used, 0] < -1e-9 * ext):
        raise MeshError(f"{path}: the section has nodes at r = x < 0; it must lie right of the axis (x >= 0)")
    edges = {}
    names = {}
    for name, (tag, dim) in getattr(m, "field_data", {}).items():
        if dim == 1:
            names[int(tag)] = name
    phys = m.cell_data.get("gmsh:physical")
    if phys is not None:
        for block, tags in zip(m.cells, phys):
            if block.type == "line":
                for tag in np.unique(tags):
                    name = names.get(int(tag), f"group{int(tag)}")
                    edges.setdefault(name, []).append(block.data[tags == tag])
    edges = {k: np.vstack(v).astype(np.int64) for k, v in edges.items()}
    return _section(rz, tri, edges, None, path)


# ------------------------------------------------------------------ the revolved body
@dataclass(frozen=True)
class Revolved:
    """A tetrahedral mesh of the revolved section and where its nodes come from.

    Attributes
    ----------
    mesh : Mesh
    node : ndarray of int, shape (n_nodes,)
        Section node of each 3D node.
    theta : ndarray, shape (n_nodes,), rad
        Angle of each 3D node (0 on the axis).
    """

    mesh: Mesh
    node: np.ndarray
    theta: np.ndarray


def revolve(section: Section, n_theta: int = 48, *, source: str = "", quadratic: bool = False) -> Revolved:
    """Revolve the section's triangles about the z axis into tetrahedra (``n_theta`` sectors).

    Each triangle sweeps a prism per sector, cut into three tetrahedra by the rule "the
    diagonal of a quad face runs from the bottom of its higher-numbered vertex to the top of
    the lower", which makes neighbouring prisms conform; a triangle with a vertex on the axis
    sweeps a pyramid (two tetrahedra), one with an edge on the axis a single tetrahedron.
    Regions: each profile label as a surface (dim 2: its boundary triangles).

    ``quadratic``: tetra10 cells whose mid-edge nodes lie on the body of revolution (half way
    in r, z and angle), so that isoparametric P2 solids see the round body, not the polygon of
    ``n_theta`` sides (for a 3D check of the axisymmetric solve on the same geometry). The
    extra nodes come after the corners; ``node`` and ``theta`` describe the corners only."""
    n_theta = validate.integer(n_theta, "sectors round the axis (n_theta)", lo=8, hi=4096, error=MeshError)
    p = section.points
    on_axis = p[:, 0] == 0.0
    n2 = len(p)
    off = np.flatnonzero(~on_axis)
    # 3D node numbering: axis nodes once, then off-axis node j at sector k
    idx_axis = np.full(n2, -1, dtype=np.int64)
    idx_axis[on_axis] = np.arange(on_axis.sum())
    n_ax = int(on_axis.sum())
    pos = np.full(n2, -1, dtype=np.int64)
    pos[off] = np.arange(len(off))
    theta = 2 * np.pi * np.arange(n_theta) / n_theta

    def gid(v, k):
        k = np.asarray(k) % n_theta
        return np.where(on_axis[v], idx_axis[v], n_ax + pos[v] * n_theta + k)

    tets = []
    tri = np.sort(section.triangles, axis=1)  # a < b < c by section index
    n_on = on_axis[tri].sum(axis=1)
    K = np.arange(n_theta)
    for t in tri[n_on == 0]:
        a, b, c = t
        # bottom (sector k) and top (k + 1): (a,b,c,a'), (b,c,a',b'), (c,a',b',c')
        A, B, C = gid(a, K), gid(b, K), gid(c, K)
        A1, B1, C1 = gid(a, K + 1), gid(b, K + 1), gid(c, K + 1)
        tets += [np.column_stack(x) for x in ((A, B, C, A1), (B, C, A1, B1), (C, A1, B1, C1))]
    for t in tri[n_on == 1]:
        v = t[on_axis[t]][0]
        b, c = np.sort(t[~on_axis[t]])
        V = gid(v, K)
        B, C, B1, C1 = gid(b, K), gid(c, K), gid(b, K + 1), gid(c, K + 1)
        tets += [np.column_stack(x) for x in ((V, B, C, B1), (V, C, B1, C1))]
    for t in tri[n_on == 2]:
        v1, v2 = t[on_axis[t]]
        c = t[~on_axis[t]][0]
        tets.append(np.column_stack((gid(v1, K), gid(v2, K), gid(c, K), gid(c, K + 1))))
    if any(n_on == 3):
        raise MeshError("a section triangle lies on the axis (all three nodes at r = 0)")
    cells = np.vstack(tets)
    n3 = n_ax + len(off) * n_theta
    node = np.empty(n3, dtype=np.int64)
    ang = np.zeros(n3)
    node[:n_ax] = np.flatnonzero(on_axis)
    node[n_ax:] = np.repeat(off, n_theta)
    ang[n_ax:] = np.tile(theta, len(off))
    r, z = p[node].T
    pts = np.column_stack([r * np.cos(ang), r * np.sin(ang), z])
    mesh = from_arrays(pts, cells, source=source or section.source)
    if quadratic:
        # on the checked, oriented corners: the mid-edge nodes in the canonical edge order by
        # construction (from_arrays' matching by nearest midpoint is ambiguous in thin curved cells)
        cells = mesh.cells
        a, b = cells[:, TET_EDGES[:, 0]].ravel(), cells[:, TET_EDGES[:, 1]].ravel()
        uniq, inv = np.unique(np.minimum(a, b) * n3 + np.maximum(a, b), return_inverse=True)
        lo, hi = uniq // n3, uniq % n3
        r2, z2 = 0.5 * (r[lo] + r[hi]), 0.5 * (z[lo] + z[hi])
        # the angle half way (a node on the axis takes its partner's: its own is arbitrary)
        d = np.angle(np.exp(1j * (ang[hi] - ang[lo])))
        t2 = np.where(r[lo] == 0.0, ang[hi], np.where(r[hi] == 0.0, ang[lo], ang[lo] + 0.5 * d))
        mids = np.column_stack([r2 * np.cos(t2), r2 * np.sin(t2), z2])
        mesh = replace(mesh, points=np.vstack([mesh.points, mids]), cells=np.hstack([cells, n3 + inv.reshape(-1, 6)]))
    # from_arrays keeps every node (all are used) in order, so node/theta still apply
    assert mesh.n_nodes == n3 + (len(uniq) if quadratic else 0)
    regions = {}
    for name, e in section.edges.items():
        if name == "axis":
            continue
        tri = _swept_faces(section, e, gid, n_theta, pts)
        if len(tri):
            regions[name] = Region(name, 2, np.unique(tri), tri)
    return Revolved(replace(mesh, regions=regions), node, ang)


def _swept_faces(section: Section, edges: np.ndarray, gid, n_theta: int, pts: np.ndarray) -> np.ndarray:
    """The boundary triangles a labelled part of the section sweeps, outward (shape (k, 3)).

    Each boundary edge lo < hi (section indices) sweeps, per sector k, the quad cut by the
    prisms' rule: (lo_k, hi_k, lo_k+1) and (hi_k, lo_k+1, hi_k+1); an edge with an end on
    the axis sweeps one triangle per sector. The faces of the tetrahedra of :func:`revolve`,
    found without the sort of every face of the volume (half of revolving the bowl)."""
    p = section.points
    e = np.sort(np.asarray(edges, dtype=np.int64), axis=1)
    e = e[~((p[e[:, 0], 0] == 0.0) & (p[e[:, 1], 0] == 0.0))]  # an edge on the axis sweeps nothing
    if not len(e):
        return np.zeros((0, 3), dtype=np.int64)
    # the section triangle of each edge: its third corner marks the inside
    tri = section.triangles
    pairs = np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]]), axis=1)
    third = np.concatenate([tri[:, 2], tri[:, 0], tri[:, 1]])
    key = pairs[:, 0] * len(p) + pairs[:, 1]
    order = np.argsort(key)
    at = order[np.searchsorted(key[order], e[:, 0] * len(p) + e[:, 1])]
    inside = third[at]
    K = np.arange(n_theta)
    out, ins = [], []
    for (lo, hi), c in zip(e, inside):
        if p[lo, 0] == 0.0 or p[hi, 0] == 0.0:
            v, w = (lo, hi) if p[lo, 0] == 0.0 else (hi, lo)
            out.append(np.column_stack([gid(v, K), gid(w, K), gid(w, K + 1)]))
            ins.append(np.full(n_theta, c))
        else:
            out.append(np.column_stack([gid(lo, K), gid(hi, K), gid(lo, K + 1)]))
            out.append(np.column_stack([gid(hi, K), gid(lo, K + 1), gid(hi, K + 1)]))
            ins += [np.full(n_theta, c)] * 2
    faces = np.vstack(out)
    inside = np.concatenate(ins)
    sector = np.tile(K, len(faces) // n_theta)
    th = 2 * np.pi * (sector + 0.5) / n_theta
    q = pts[faces]
    normal = np.cross(q[:, 1] - q[:, 0], q[:, 2] - q[:, 0])
    r_in, z_in = p[inside].T
    x_in = np.column_stack([r_in * np.cos(th), r_in * np.sin(th), z_in])
    flip = np.einsum("ij,ij->i", normal, q.mean(axis=1) - x_in) < 0
    faces[flip] = faces[flip][:, [0, 2, 1]]
    return faces
