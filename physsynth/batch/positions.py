"""Points on the object: coordinates, region names, predicates or random points on a region.

A position in a sweep spec is one of

- ``[x, y, z]``: coordinates in metres. The point snaps to the nearest surface node, which
  must lie within the spec's ``snap_tolerance`` (default 5 % of the mesh's bounding-box
  diagonal): a point far off the mesh is an error of that item, not a silent strike somewhere
  else.
- ``"name"``: a region of the mesh (a gmsh physical group ...), ``"surface"`` (the whole
  surface), or a coordinate predicate such as ``"z>=0.09"`` (the grammar of
  :mod:`physsynth.fem.selectors`). The point is the selected surface node nearest to the
  selection's centroid.
- ``{random = N, region = "outer", seed = 7}``: N points drawn uniformly by area on the
  region's surface triangles (or uniformly among its surface nodes for a node set, a volume
  region or a predicate), with numpy's PCG64 generator seeded with ``seed``: the same spec and
  mesh give the same points. Each point is one item; the k-th item gets the k-th point.
- ``"strike"`` (pickups only): the excitation's own node and direction (a driving-point
  pickup).

:func:`parse_position` checks and canonicalises a position where the spec is read (no mesh
needed); :class:`RenderContext` resolves it against the model on the worker.
"""

from __future__ import annotations

import math

import numpy as np

from physsynth.batch._base import SpecError
from physsynth.errors import RenderError, SelectorError

#: Default snap tolerance, as a fraction of the bounding-box diagonal.
SNAP_FRACTION = 0.05


def parse_position(v, key: str) -> list:
    """Canonical form(s) of one position of a spec: a list (a random position gives N)."""
    if isinstance(v, list):
        if len(v) == 3 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            w = [float(x) for x in v]
            if all(math.isfinite(x) for x in w):
                return [w]
        raise SpecError(
            f"{key}: a position is [x, y, z] in metres, a region name or {{random = N, region = ...}}, got {v!r}"
        )
    if isinstance(v, str):
        if not v.strip():
            raise SpecError(f"{key}: empty region name")
        return [v.strip()]
    if isinstance(v, dict):
        unknown = set(v) - {"random", "region", "seed"}
        if unknown:
            raise SpecError(
                f"{key}: unknown key {sorted(unknown)[0]!r} in a random position (known: random, region, seed)"
            )
        n, region, seed = v.get("random"), v.get("region", "surface"), v.get("seed", 0)
        if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
            raise SpecError(f"{key}.random: the number of random points must be an integer >= 1, got {n!r}")
        if not (isinstance(region, str) and region.strip()):
            raise SpecError(f"{key}.region: expected a region name or predicate, got {region!r}")
        if not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
            raise SpecError(f"{key}.seed: expected an integer >= 0, got {seed!r}")
        return [{"random": n, "region": region.strip(), "seed": seed, "index": k} for k in range(n)]
    raise SpecError(
        f"{key}: a position is [x, y, z] in metres, a region name or {{random = N, region = ...}}, got {v!r}"
    )


def parse_pickup_positions(v, key: str) -> list:
    """Channel positions of a pickup set: a list of positions or ``"strike"``; no random."""
    if isinstance(v, str) or (isinstance(v, list) and len(v) == 3 and all(isinstance(x, (int, float)) for x in v)):
        v = [v]
    if not isinstance(v, list) or not v:
        raise SpecError(f"{key}: expected a list of pickup positions (one per channel)")
    out = []
    for i, p in enumerate(v):
        if isinstance(p, dict):
            raise SpecError(f"{key}[{i}]: random positions are for excitations, not pickups")
        out.extend(parse_position(p, f"{key}[{i}]"))
    return out


def parse_listeners(v, key: str) -> list:
    """Listener points of a pickup set (sound pressure in the air): ``[x, y, z]`` in metres,
    or ``"stereo"`` (a spaced pair in front of and above the object: two channels)."""
    if v == "stereo" or (isinstance(v, list) and len(v) == 3 and all(isinstance(x, (int, float)) for x in v)):
        v = [v]
    if not isinstance(v, list) or not v:
        raise SpecError(f'{key}: expected a list of listener points [x, y, z] (m) or "stereo"')
    out = []
    for i, p in enumerate(v):
        if p == "stereo":
            out.append("stereo")
            continue
        ok = isinstance(p, list) and len(p) == 3
        ok = ok and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in p)
        if not ok:
            raise SpecError(f'{key}[{i}]: a listener is [x, y, z] in metres or "stereo", got {p!r}')
        out.append([float(x) for x in p])
    return out


def pickup_channels(pickups: dict) -> int:
    """Output channels of a pickup set: one per contact position and per listener point, two
    for a stereo pair."""
    listen = pickups.get("listen") or []
    return max(len(pickups["at"]) + sum(2 if p == "stereo" else 1 for p in listen), 1)


class RenderContext:
    """What a kind's ``render`` needs besides the model and its own parameters.

    Attributes
    ----------
    model : ModalModel
    sr : int, Hz
    duration : float, s
    quantity : {"displacement", "velocity", "acceleration"}
    seed : int
        Derived from the item's ID: kinds with randomness (noise) seed their generator with it,
        so the same item always sounds the same.
    snap_tolerance : float, m
    """

    def __init__(self, model, params: dict, seed: int):
        self.model = model
        self.sr = int(params["sr"])
        self.duration = float(params["duration"])
        self.quantity = params["quantity"]
        self.seed = int(seed)
        self._pickups = params["pickups"]["at"]
        self._listen = params["pickups"].get("listen") or []
        lo, hi = model.mesh.bounding_box
        tol = params.get("snap_tolerance")
        self.snap_tolerance = float(SNAP_FRACTION * np.linalg.norm(hi - lo) if tol is None else tol)
        self._surf = None

    # -------------------------------------------------------------- positions
    def surface_nodes(self) -> np.ndarray:
        if self._surf is None:
            self._surf = self.model.mesh.surface_nodes()
        return self._surf

    def locate(self, pos, what: str) -> tuple[int, np.ndarray]:
        """(surface node, point) of a canonical position; RenderError if it is off the mesh."""
        pts = self.model.mesh.points
        if isinstance(pos, list):
            p = np.asarray(pos, dtype=float)
            node = self.model.nearest_surface_node(p)
            d = float(np.linalg.norm(pts[node] - p))
            if d > self.snap_tolerance:
                lo, hi = self.model.mesh.bounding_box
                raise RenderError(
                    f"{what} {pos} is {1e3 * d:.1f} mm from the nearest surface node, more than "
                    f"snap_tolerance {1e3 * self.snap_tolerance:.1f} mm; the mesh spans "
                    f"{np.round(lo, 4).tolist()}..{np.round(hi, 4).tolist()} m"
                )
            return node, p
        if isinstance(pos, dict):
            p = self.random_points(pos["region"], pos["seed"], pos["random"])[pos["index"]]
            return self.model.nearest_surface_node(p), p
        if pos == "strike":
            raise SpecError(f"{what}: 'strike' is a pickup position only")
        nodes = self.select(pos)
        c = pts[nodes].mean(axis=0)
        node = int(nodes[np.argmin(np.linalg.norm(pts[nodes] - c, axis=1))])
        return node, pts[node].copy()

    def select(self, selector: str) -> np.ndarray:
        """Surface nodes of a region name, ``"surface"`` or a coordinate predicate."""
        from physsynth.fem.selectors import is_predicate, parse_predicate
        from physsynth.mesh import characteristic_length

        mesh, surf = self.model.mesh, self.surface_nodes()
        if selector == "surface":
            return surf
        if selector in mesh.regions:
            nodes = np.intersect1d(mesh.regions[selector].nodes, surf)
        elif is_predicate(selector):
            mask = parse_predicate(selector)(mesh.points[surf], 1e-6 * characteristic_length(mesh))
            nodes = surf[mask]
        else:
            known = ", ".join(sorted(mesh.regions)) or "none"
            raise SelectorError(
                f"{selector!r} is neither a region of the mesh (regions: {known}), "
                "'surface', nor a predicate like 'z>=0.09'"
            )
        if len(nodes) == 0:
            raise SelectorError(f"{selector!r} selects no surface node of the mesh")
        return nodes

    def random_points(self, selector: str, seed: int, n: int) -> np.ndarray:
        """``n`` points, shape (n, 3), uniform by area on the selection's surface triangles
        (uniform among its surface nodes when it has no triangles)."""
        mesh = self.model.mesh
        rng = np.random.default_rng(seed)
        tris = None
        if selector == "surface":
            tris = mesh.boundary_triangles()
        elif selector in mesh.regions:
            r = mesh.regions[selector]
            if r.triangles is not None and len(r.triangles):
                tris = r.triangles
            elif mesh.dim == 2 and r.cells is not None and len(r.cells):
                tris = mesh.cells[r.cells, :3]
        if tris is None:
            nodes = self.select(selector)
            return mesh.points[rng.choice(nodes, size=n, replace=len(nodes) < n)]
        a, b, c = (mesh.points[tris[:, k]] for k in range(3))
        area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
        k = rng.choice(len(tris), size=n, p=area / area.sum())
        u, v = rng.random((2, n))
        flip = u + v > 1.0  # fold the square onto the triangle: uniform barycentric coordinates
        u[flip], v[flip] = 1.0 - u[flip], 1.0 - v[flip]
        return a[k] + u[:, None] * (b - a)[k] + v[:, None] * (c - a)[k]

    # -------------------------------------------------------------- pickups
    @property
    def pickup_positions(self) -> list:
        """The item's pickup positions as the spec gives them (``"strike"`` included)."""
        return list(self._pickups)

    def pickups(self, node: int, direction) -> list:
        """The item's pickups, one per channel; ``"strike"`` reads at the excitation's node
        along its direction."""
        from physsynth.pickups import Pickup, as_listeners, pickup

        out = []
        for i, pos in enumerate(self._pickups):
            if pos == "strike":
                d = np.asarray(direction, dtype=float)
                out.append(Pickup(int(node), d.copy(), self.model.mesh.points[node].copy()))
            else:
                _, p = self.locate(pos, f"pickups.at[{i}]")
                out.append(pickup(self.model, p))
        # the model carries its radiation (tasks.with_radiation)
        return out + as_listeners(self.model, self._listen)
