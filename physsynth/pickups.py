"""Pickups: where and how the vibration of a modal object is read (and, later, listeners).

A :class:`Pickup` reads the displacement (or its velocity or acceleration) of one surface node
along a unit direction; its weight on mode k is phi_k(node) . direction (1/sqrt(kg)), so a
render's output is sum_k w_k q_k(t). Strikes, bows and pickups all name their place on the
object as a point in metres, snapped here to the nearest surface node by :func:`snap`.

The snapping rule: a point is accepted when it lies within ``SNAP_TOLERANCE`` (10 %) of the
model's bounding-box diagonal of the nearest surface node. Farther, it is refused
(:class:`~physsynth.errors.PhyssynthError` naming the distance and the object's bounding box):
a point 86 m from a 20 cm bowl is a mistake (wrong units, a typo), not a place on the bowl.
"""

from __future__ import annotations

import ctypes
import weakref
from dataclasses import dataclass

import numpy as np

from physsynth import validate
from physsynth._progress import log
from physsynth.errors import PhyssynthError
from physsynth.radiation.fast import listener_gains

#: Largest distance from a requested point to the surface node it snaps to, as a fraction of
#: the model's bounding-box diagonal.
SNAP_TOLERANCE = 0.10


@dataclass(frozen=True)
class Pickup:
    """Where and how the vibration is read.

    Attributes
    ----------
    node : int
        Mesh node.
    direction : ndarray, shape (3,)
        Unit vector; the pickup reads the displacement component along it.
    point : ndarray, shape (3,), m
        Requested point (before snapping).
    """

    node: int
    direction: np.ndarray
    point: np.ndarray


class NearestScan:
    """The nearest of a fixed set of points, by a plain scan.

    One query is O(n): about a millisecond at 10^5 surface nodes, far below what a k-d tree
    saves for the few points a render snaps, and it keeps scipy.spatial (0.6 s to import) out
    of every command that strikes or reads a model.
    """

    def __init__(self, points: np.ndarray):
        self.points = np.ascontiguousarray(points, dtype=np.float64)

    def query(self, point) -> tuple[float, int]:
        """(distance, index) of the point nearest ``point``."""
        d = self.points - np.asarray(point, dtype=np.float64)
        d2 = np.einsum("ij,ij->i", d, d)
        k = int(np.argmin(d2))
        return float(np.sqrt(d2[k])), k


@dataclass(frozen=True)
class SurfaceIndex:
    """A model's surface nodes, normals and bounding box, built once for snapping many points.

    Attributes
    ----------
    nodes : ndarray of int, shape (n_surface,)
        Surface node indices (ascending).
    normals : ndarray, shape (n_surface, 3)
        Outward unit normals at those nodes.
    tree : NearestScan
        Over the surface nodes' coordinates.
    lo, hi : ndarray, shape (3,), m
        The mesh's bounding box.
    """

    nodes: np.ndarray
    normals: np.ndarray
    tree: NearestScan
    lo: np.ndarray
    hi: np.ndarray

    @property
    def diagonal(self) -> float:
        """Length of the bounding box's diagonal, m."""
        return float(np.linalg.norm(self.hi - self.lo))

    def _box(self) -> str:
        return " x ".join(f"{v:.3g}" for v in self.hi - self.lo) + " m box from (" + _fmt(self.lo) + ") m"


def _fmt(p) -> str:
    return ", ".join(f"{float(v):.4g}" for v in p)


def surface_index(model) -> SurfaceIndex:
    """The :class:`SurfaceIndex` of a ModalModel (surface nodes, normals, bounding box)."""
    if not (hasattr(model, "_surface") and hasattr(model, "mesh")):
        raise PhyssynthError(
            f"expected a ModalModel (physsynth.modal_analysis or ModalModel.load), got {type(model).__name__}"
        )
    nodes, normals = model._surface()
    pts = model.mesh.points
    if len(nodes) == 0:
        raise PhyssynthError("the model's mesh has no surface node to strike or read")
    lo, hi = model.mesh.bounding_box
    return SurfaceIndex(np.asarray(nodes), np.asarray(normals), NearestScan(pts[nodes]), lo, hi)


def snap(model, at, what: str = "point", *, index: SurfaceIndex | None = None) -> tuple[int, np.ndarray]:
    """The surface node nearest a point, refused when the point is far from the object.

    Parameters
    ----------
    model : ModalModel
    at : array_like, shape (3,), m, or str "x,y,z"
    what : str
        Names the point in messages ("strike point", "pickup point").
    index : SurfaceIndex, optional
        Reuse one (from :func:`surface_index`) when snapping many points.

    Returns
    -------
    node : int
    point : ndarray, shape (3,), m
        The requested point, cleaned.

    Raises
    ------
    PhyssynthError
        If ``at`` is not three finite numbers, or lies farther than ``SNAP_TOLERANCE`` of the
        bounding-box diagonal from every surface node.
    """
    point = validate.point(at, what)
    idx = surface_index(model) if index is None else index
    limit = SNAP_TOLERANCE * idx.diagonal
    # The box distance is a lower bound of the node distance: a point far outside the box (1e300)
    # is refused before the nodes are asked (whose distances would overflow).
    out = np.maximum(idx.lo - point, 0.0) + np.maximum(point - idx.hi, 0.0)
    scale = float(np.max(out))
    gap = scale * float(np.linalg.norm(out / scale)) if scale > 0 else 0.0  # no overflow at 1e300
    k = -1
    if gap <= limit:
        gap, k = idx.tree.query(point)
    if not gap <= limit:
        raise PhyssynthError(
            f"{what} ({_fmt(point)}) m is {'' if k >= 0 else 'at least '}{gap:.3g} m from the object's surface, "
            f"more than "
            f"{100 * SNAP_TOLERANCE:g} % of its bounding-box diagonal ({idx.diagonal:.3g} m; the object fills "
            f"a {idx._box()}); give a point on the object, in metres"
        )
    return int(idx.nodes[k]), point


def surface_normal(index: SurfaceIndex, node: int) -> np.ndarray:
    """Outward unit normal at a surface node (PhyssynthError if the node is inside)."""
    k = int(np.searchsorted(index.nodes, node))
    if k >= len(index.nodes) or index.nodes[k] != node:
        raise PhyssynthError(f"node {node} is inside the object; give a direction or a surface node")
    return index.normals[k]


def pickup(model, at, direction=None) -> Pickup:
    """A pickup at the surface node nearest ``at`` (m), along ``direction`` (default: the
    outward surface normal).

    Raises
    ------
    PhyssynthError
        If ``at`` is far from the object (see :func:`snap`) or ``direction`` is not a non-zero
        vector.
    """
    idx = surface_index(model)
    node, point = snap(model, at, "pickup point", index=idx)
    if direction is None:
        d = surface_normal(idx, node).copy()
    else:
        d = validate.direction(direction, "pickup direction")
    return Pickup(node, d, point)


def as_pickups(pickups, default: Pickup) -> list[Pickup]:
    """A list of pickups from one Pickup, a sequence of them, or None (``default``).

    Raises
    ------
    PhyssynthError
        For an empty sequence or an item that is not a Pickup.
    """
    if pickups is None:
        return [default]
    if isinstance(pickups, (Pickup, Listener)):
        return [pickups]
    try:
        out = list(pickups)
    except TypeError:
        raise PhyssynthError(f"pickups must be a Pickup or a list of them, got {type(pickups).__name__}") from None
    if not out:
        raise PhyssynthError("the list of pickups is empty; give at least one Pickup (or None for the driving point)")
    for p in out:
        if not isinstance(p, (Pickup, Listener)):
            raise PhyssynthError(f"pickups must be Pickup objects (physsynth.pickup), got {type(p).__name__}")
    return out


def point_weights(shapes, node: int, direction, what: str = "point") -> np.ndarray:
    """phi_k(node) . direction for every mode: a point's modal weights, shape (n_modes,), 1/sqrt(kg).

    ``shapes`` has shape (n_modes, n_nodes, 3); a node outside the mesh is refused.
    """
    n_nodes = shapes.shape[1]
    if not 0 <= int(node) < n_nodes:
        raise PhyssynthError(f"{what} is at node {node}, which the model (with {n_nodes} nodes) does not have")
    return np.ascontiguousarray(shapes[:, int(node), :] @ np.asarray(direction, dtype=float))


def pickup_weights(shapes, pickups) -> np.ndarray:
    """Output weights of the pickups, shape (n_out, n_modes), C-contiguous."""
    return np.ascontiguousarray(np.stack([point_weights(shapes, p.node, p.direction, "a pickup") for p in pickups]))


# ---------------------------------------------------------------- listeners (issue 15)
#: Spacing of the stereo preset's two listeners, m (a spaced pair about a head's width apart).
STEREO_SPACING = 0.17
#: Distance of the stereo preset from the object's centre, m.
STEREO_DISTANCE = 1.0


@dataclass(frozen=True)
class Listener:
    """A point in the air where the sound pressure is heard (Pa), from the model's radiation.

    Attributes
    ----------
    point : ndarray, shape (3,), m
    """

    point: np.ndarray


def listener(at) -> Listener:
    """A listener at ``at`` (m, array_like or "x,y,z")."""
    return Listener(validate.point(at, "listener point"))


def stereo_pair(model, distance: float = STEREO_DISTANCE, spacing: float = STEREO_SPACING) -> list[Listener]:
    """Two listeners ``spacing`` apart (along x), ``distance`` from the centre of the model's
    bounding box, in front of and above it (direction (0, -0.6, 0.8)): left, right."""
    distance = validate.positive(distance, "stereo distance", "m")
    spacing = validate.positive(spacing, "stereo spacing", "m")
    lo, hi = model.mesh.bounding_box
    c = 0.5 * (lo + hi) + distance * np.array([0.0, -0.6, 0.8])
    half = np.array([0.5 * spacing, 0.0, 0.0])
    return [Listener(c - half), Listener(c + half)]


def as_listeners(model, spec) -> list[Listener]:
    """Listeners from a Listener, a point (m, array_like or "x,y,z"), "stereo" (the
    :func:`stereo_pair` of ``model``) or a sequence of them; the one parser of a listener list
    (API, command line, batch specs). An empty sequence gives an empty list."""
    if isinstance(spec, (str, Listener)) or (isinstance(spec, np.ndarray) and spec.ndim == 1):
        spec = [spec]
    out = []
    for p in spec:
        if isinstance(p, str) and p.strip().lower() == "stereo":
            out += stereo_pair(model)
        else:
            out.append(p if isinstance(p, Listener) else listener(p))
    return out


def has_listeners(pickups) -> bool:
    return pickups is not None and any(isinstance(p, Listener) for p in as_pickups(pickups, None))


def listener_transfer(model, points, omega, sigma, *, sr: float, quantity: int):
    """Each listener's complex gain on each mode's rendered signal, and its delay in samples.

    Returns
    -------
    gains : ndarray, complex, shape (n_points, n_modes)
        G such that the pressure of mode k is Re(G_k zeta_k(t - d / sr)), zeta_k the analytic
        signal of the mode's rendered quantity (displacement, quantity 0, or velocity, 1):
        zeta_k(t) = p^m Q e^{p t}, p = -sigma + i omega_d, so that y_k = Re zeta_k.
    delays : ndarray of int, shape (n_points,)
        d: the whole samples sound needs from the object's nearest point to the listener
        (floor((|x - c| - a) / c_air sr), c and a the centre and radius of the radiation
        expansion); the channel is shifted by d (:func:`shift_channels`).

    The model's radiation gives H_k (Pa per unit modal velocity, e^{-i omega t}) at the mode's
    damped frequency; the delayed free decay Re(conj(H) p^{1-m} zeta(t - tau)) is exact for the
    delay d / sr taken out (the factor e^{p d / sr}), and the rest of the flight time (under
    the object's diameter over c plus a sample) is a phase at the real frequency: an amplitude
    error of 8.686 sigma (tau - d / sr) dB, 0.05 dB at sigma = 10 1/s over 0.55 ms
    (docs/radiation-theory.md, "Rendering"). Modes beyond the radiation data get no weight
    (logged).
    """
    rad = getattr(model, "radiation", None)
    if rad is None:
        raise PhyssynthError(
            "listeners hear the model's radiation, and this model has none: compute it with "
            "physsynth.radiation.radiate(model) or give --radiation (bem, fast, rayleigh, compact)"
        )
    if quantity not in (0, 1):
        raise PhyssynthError("listeners read pressure from displacement or velocity renders, not acceleration")
    points = np.atleast_2d(np.asarray(points, dtype=float))
    n = len(omega)
    m = min(n, rad.n_modes)
    if m < n:
        log.info(
            "%d modes above %.0f Hz have no radiation data: the listeners do not hear them", n - m, rad.frequencies[-1]
        )
    H = np.zeros((len(points), n), dtype=complex)
    H[:, :m] = listener_pressure(model, rad, points, m)
    return pressure_gains(H, flight_times(rad, points), omega, sigma, sr=sr, quantity=quantity)


def flight_times(rad, points) -> np.ndarray:
    """Seconds sound needs from the radiation expansion's sphere to each point, shape (n_points,):
    max(|x - c| - a, 0) / c_air (the part of the flight a render takes out as a channel delay)."""
    e = rad.expansion
    points = np.atleast_2d(np.asarray(points, dtype=float))
    return np.maximum(np.linalg.norm(points - e.center, axis=1) - e.radius, 0.0) / rad.air.c


def pressure_gains(H, flight, omega, sigma, *, sr: float, quantity: int):
    """Gains and whole-sample delays of listeners from their pressures per unit modal velocity.

    Parameters
    ----------
    H : ndarray, complex, shape (n_points, n_modes), Pa / (m sqrt(kg)/s)
        Each listener's pressure of each mode (e^{-i omega t}), at the mode's frequency.
    flight : ndarray, shape (n_points,), s
        The flight time taken out as a channel delay (:func:`flight_times`).
    omega, sigma : ndarray, shape (n_modes,), rad/s and 1/s
    sr : float, Hz
    quantity : {0, 1}
        The rendered signal the gains apply to: displacement or velocity.

    Returns
    -------
    gains, delays
        As :func:`listener_transfer` (the PortableModel of physsynth.export stores H and the
        flight times, and makes its gains at any rate here).
    """
    delays = np.floor(np.asarray(flight, dtype=float) * sr).astype(np.int64)
    wd = np.sqrt(omega**2 - sigma**2)
    p = -sigma + 1j * wd
    G = np.conj(H) * p ** (1 - quantity) * np.exp(p[None, :] * (delays[:, None] / sr))
    return G, delays


#: Listener pressures kept between renders: (radiation data, model or None, points, modes) ->
#: H. A render at a listener evaluates the expansion at every mode (0.7 ms for the 90-mode
#: plate of bench_radiation.py, a quarter of a 2 s render); a second render at the same points
#: takes them from here, so that the listener costs what a contact pickup costs.
_PRESSURE_CACHE: dict = {}
_PRESSURE_CACHE_SIZE = 32


def listener_pressure(model, rad, points, m: int) -> np.ndarray:
    """H of the first ``m`` modes at the points, shape (n_points, m), from the radiation data
    (cached by the data's and the model's identity, the points and m)."""
    points = np.ascontiguousarray(np.atleast_2d(points), dtype=np.float64)
    uses_model = rad.method == "bem" and rad.surface_pressure is not None
    key = (id(rad), id(model) if uses_model else 0, points.tobytes(), int(m))
    hit = _PRESSURE_CACHE.get(key)
    if hit is not None:
        r, mo, H = hit
        if r() is rad and (not uses_model or mo() is model):
            return H
    H = listener_gains(rad.select(np.arange(m)), points, model)
    H.setflags(write=False)
    if len(_PRESSURE_CACHE) >= _PRESSURE_CACHE_SIZE:
        _PRESSURE_CACHE.pop(next(iter(_PRESSURE_CACHE)))
    try:
        _PRESSURE_CACHE[key] = (weakref.ref(rad), weakref.ref(model) if uses_model else None, H)
    except TypeError:  # an object without weak references: no cache
        pass
    return H


def shift_channels(out, delays):
    """Delay row c of ``out`` (n_channels, n) by ``delays[c]`` samples, zeros in front (in place)."""
    for c, d in enumerate(delays):
        d = int(d)
        if d >= out.shape[1]:
            out[c] = 0.0
        elif d > 0:
            row = out[c]
            if row.flags.c_contiguous:
                # one overlapping move (memmove), not numpy's copy out and back: a pass less
                ctypes.memmove(row.ctypes.data + d * row.itemsize, row.ctypes.data, (row.size - d) * row.itemsize)
            else:
                row[d:] = row[:-d].copy()
            row[:d] = 0.0
    return out


def channel_gains(model, shapes, pickups, *, omega, sigma, sr: float, quantity: int):
    """Complex gains of every channel on every mode, and the channels' delays.

    Returns
    -------
    gains : ndarray, complex, shape (n_channels, n_modes)
        A pickup's is its real weight phi_k(node) . d; a listener's is
        :func:`listener_transfer`'s.
    delays : ndarray of int, shape (n_channels,)
        0 for a pickup.
    """
    pickups = as_pickups(pickups, None)
    G = np.zeros((len(pickups), len(omega)), dtype=complex)
    delays = np.zeros(len(pickups), dtype=np.int64)
    lis = [i for i, p in enumerate(pickups) if isinstance(p, Listener)]
    if lis:
        g, d = listener_transfer(model, [pickups[i].point for i in lis], omega, sigma, sr=sr, quantity=quantity)
        G[lis] = g
        delays[lis] = d
    for i, p in enumerate(pickups):
        if not isinstance(p, Listener):
            G[i] = point_weights(shapes, p.node, p.direction, "a pickup")
    return G, delays


def output_rows(model, shapes, pickups, *, omega, sigma, sr: float, quantity: int):
    """Real output rows of pickups and listeners for a kernel that reads each mode's signal.

    Returns
    -------
    w : ndarray, shape (n_rows, n_modes)
        A pickup is one row; a listener two, the taps A and B with
        A y_k[n] + B y_k[n-1] = Re(G_k zeta_k[n]) (G of :func:`channel_gains`).
    pairs : list of (int, int or None)
        Each channel's rows: (row of A, row of B) for a listener, (row, None) for a pickup.
    delays : ndarray of int, shape (n_channels,)
        Each channel's flight delay in samples (0 for a pickup).
    """
    pickups = as_pickups(pickups, None)
    if not any(isinstance(p, Listener) for p in pickups):
        return pickup_weights(shapes, pickups), [(i, None) for i in range(len(pickups))], np.zeros(len(pickups), int)
    G, delays = channel_gains(model, shapes, pickups, omega=omega, sigma=sigma, sr=sr, quantity=quantity)
    w, pairs = tap_rows(G, [isinstance(p, Listener) for p in pickups], omega, sigma, sr=sr)
    return w, pairs, delays


def tap_rows(G, listening, omega, sigma, *, sr: float):
    """Kernel rows and each channel's rows from the channels' gains on the modes.

    ``G`` (n_channels, n_modes): a listener's complex gain (``listening[c]`` true) becomes the
    two taps A, B of :func:`complex_taps`, a pickup's real weights one row. Returns ``(w,
    pairs)`` as :func:`output_rows`.
    """
    A, B = complex_taps(G, omega, sigma, sr=sr)
    rows, pairs = [], []
    for c, heard in enumerate(listening):
        if heard:
            pairs.append((len(rows), len(rows) + 1))
            rows += [A[c], B[c]]
        else:
            pairs.append((len(rows), None))
            rows.append(np.real(G[c]))
    return np.ascontiguousarray(np.stack(rows)), pairs


class ChannelStream:
    """Rows read by a kernel -> channels, block after block: a listener's channel is
    A[n] + B[n - 1] delayed by its flight time (:func:`output_rows`); the B row's last sample
    and each channel's delay line carry over from one block to the next, so a chain of blocks
    gives the channels of the whole render."""

    def __init__(self, pairs, delays):
        self.pairs = list(pairs)
        self.delays = [int(d) for d in delays]
        self.prev = np.zeros(len(self.pairs))
        self.lines = [np.zeros(d) for d in self.delays]

    @property
    def n_channels(self) -> int:
        return len(self.pairs)

    def __call__(self, out) -> np.ndarray:
        """The channels of the rows ``out`` (n_rows, n): shape (n_channels, n)."""
        n = out.shape[1]
        res = np.empty((len(self.pairs), n))
        for c, (a, b) in enumerate(self.pairs):
            res[c] = out[a]
            if b is not None and n:
                res[c, 0] += self.prev[c]
                res[c, 1:] += out[b, :-1]
                self.prev[c] = out[b, -1]
            d = self.delays[c]
            if d:
                both = np.concatenate([self.lines[c], res[c]])
                res[c] = both[:n]
                self.lines[c] = both[n:]
        return res


def output_weights(model, shapes, pickups, *, omega, sigma, sr: float, quantity: int):
    """Real output weights of pickups and listeners for a kernel that reads each mode's
    signal, and the function that turns the rows rendered with them into the channels.

    Returns
    -------
    w : ndarray, shape (n_rows, n_modes)
        As :func:`output_rows`.
    finish : callable
        ``finish(out)`` with out of shape (n_rows, n) -> (n_channels, n): a listener's channel
        is A[n] + B[n - 1], in Pa, delayed by its flight time (:class:`ChannelStream` of one block).
    """
    w, pairs, delays = output_rows(model, shapes, pickups, omega=omega, sigma=sigma, sr=sr, quantity=quantity)
    if all(b is None for _, b in pairs) and not np.any(delays):
        return w, lambda out: out
    return w, lambda out: ChannelStream(pairs, delays)(out)


def complex_taps(G, omega, sigma, *, sr: float):
    """Real taps (A, B), each shaped like G, with A y[n] + B y[n-1] = Re(G zeta[n]) for the
    free decay zeta[n] = zeta[0] z^n, z = e^{p / sr}: A + B / z = G."""
    wd = np.sqrt(omega**2 - sigma**2)
    zinv = np.exp(-(-sigma + 1j * wd) / sr)
    B = G.imag / zinv.imag
    A = G.real - B * zinv.real
    return A, B
