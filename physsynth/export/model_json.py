"""A modal model as data: a versioned JSON format that game and web engines can read.

A :class:`PortableModel` is what a ModalModel reduces to once its strike positions are chosen
(mesh2faust's "exposed positions"): the modes' frequencies and decay rates, and at each exposed
point its modal weights phi_k(x_p) . d_p. That is all a modal synthesiser needs: a force F(t)
(N) at point p read as velocity at point r is

    v_r(t) = sum_k w_rk w_pk h_k(t) * F(t),
    h_k(t) = e^{-sigma_k t} (cos omega_dk t - sigma_k / omega_dk sin omega_dk t)   (1/kg),

with omega_dk = sqrt(omega_k^2 - sigma_k^2) (the velocity impulse response of a mass-normalised
mode; docs/theory.md, "Resonators"). Optionally the file carries the object's surface (vertices,
triangles) and the first mode shapes on it, for drawing. The schema is
``physsynth/export/modal-model.schema.json`` (JSON Schema 2020-12); every field is documented
there, with its unit.

    pm = from_model(model, n_points=8)        # or points=[(x, y, z), ...]
    write_json(pm, "bowl.json")
    pm = read_json("bowl.json")               # checked field by field
    audio = pm.render(force, point=0, sr=48000, duration=2.0)
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from physsynth import validate
from physsynth._io import atomic_path
from physsynth._version import __version__
from physsynth.errors import ModelFileError, PhyssynthError, RenderError
from physsynth.excitation.score import resolve_position, spread_nodes
from physsynth.kernels.resonators import resonator_bank
from physsynth.pickups import (
    as_listeners,
    flight_times,
    listener_pressure,
    point_weights,
    pressure_gains,
    surface_index,
)
from physsynth.simulate.linear import render_gains
from physsynth.simulate.modal import NYQUIST_FRACTION, check_model, check_modes, resonator_coefficients

FORMAT = "physsynth-portable-modal-model"
#: Version of the JSON format; a reader refuses a file of a higher version.
VERSION = 1
SCHEMA_FILE = "modal-model.schema.json"
#: Exposed points chosen by default (farthest-point sampling over the surface).
N_POINTS = 8
#: Most exposed points and shapes a file may hold (a table per point per mode).
MAX_POINTS = 4096
#: A file larger than this is refused before it is parsed.
MAX_BYTES = 256 * 2**20


def schema() -> dict:
    """The JSON Schema of the format (a dict), as shipped in the package."""
    return json.loads(resources.files("physsynth.export").joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class PortableModel:
    """A modal model reduced to its exposed points: what the JSON, Faust and web exports hold.

    Attributes
    ----------
    frequencies : ndarray, shape (n_modes,), Hz
        Undamped natural frequencies f_k = omega_k / (2 pi), ascending.
    decay_rates : ndarray, shape (n_modes,), 1/s
        Amplitude decay rates sigma_k (0 <= sigma_k < omega_k).
    points : ndarray, shape (n_points, 3), m
        The exposed points (surface nodes).
    directions : ndarray, shape (n_points, 3)
        Unit force (and pickup) direction at each point, into the surface by default.
    weights : ndarray, shape (n_points, n_modes), 1/sqrt(kg)
        phi_k(x_p) . d_p for each point and mode (mass-normalised shapes).
    nodes : ndarray, shape (n_points,), int
        Mesh node of each point (-1 when unknown).
    name : str
    surface : dict or None
        ``vertices`` (n_v, 3) m, ``triangles`` (n_t, 3) int and optionally ``shapes``
        (n_shapes, n_v, 3) 1/sqrt(kg): the first mode shapes at the vertices, for drawing.
    provenance : dict
        How the model was made (physsynth's version, the mesh, material, damping law).
    """

    frequencies: np.ndarray
    decay_rates: np.ndarray
    points: np.ndarray
    directions: np.ndarray
    weights: np.ndarray
    nodes: np.ndarray
    name: str = "model"
    surface: dict | None = None
    provenance: dict = field(default_factory=dict)
    listeners: np.ndarray | None = None
    pressures: np.ndarray | None = None
    flight_times: np.ndarray | None = None
    radiation: dict = field(default_factory=dict)

    def __post_init__(self):
        self._check_listeners()
        f = np.asarray(self.frequencies)
        n = f.size
        if f.ndim != 1 or n == 0 or not np.all(np.isfinite(f)) or np.any(f <= 0):
            raise PhyssynthError("frequencies must be one finite number > 0 Hz per mode (one mode at least)")
        if n > 1 and np.any(np.diff(f) < 0):
            raise PhyssynthError("frequencies must be in ascending order")
        s = np.asarray(self.decay_rates)
        if s.shape != (n,) or not np.all(np.isfinite(s)) or np.any(s < 0) or np.any(s >= 2 * np.pi * f):
            raise PhyssynthError("decay rates must be one finite number per mode, 0 <= sigma < omega (underdamped)")
        p = np.asarray(self.points)
        if p.ndim != 2 or p.shape[1] != 3 or len(p) == 0:
            raise PhyssynthError(f"points must have shape (n_points, 3), got {p.shape}")
        if np.asarray(self.directions).shape != p.shape:
            raise PhyssynthError("directions must have one unit vector per point")
        if np.asarray(self.weights).shape != (len(p), n):
            raise PhyssynthError(f"weights must have shape ({len(p)}, {n}), got {np.asarray(self.weights).shape}")
        if np.asarray(self.nodes).shape != (len(p),):
            raise PhyssynthError("nodes must have one entry per point")

    def _check_listeners(self):
        n = np.asarray(self.frequencies).size
        if self.listeners is None and self.pressures is None and self.flight_times is None:
            object.__setattr__(self, "listeners", np.zeros((0, 3)))
            object.__setattr__(self, "pressures", np.zeros((0, n), dtype=complex))
            object.__setattr__(self, "flight_times", np.zeros(0))
            return
        if self.listeners is None or self.pressures is None or self.flight_times is None:
            raise PhyssynthError("listeners need their points, pressures and flight times together")
        pts = np.asarray(self.listeners, dtype=float)
        H = np.asarray(self.pressures, dtype=complex)
        t = np.asarray(self.flight_times, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 3 or not np.isfinite(pts).all():
            raise PhyssynthError(f"listener points must be finite, shape (n_listeners, 3), got {pts.shape}")
        if H.shape != (len(pts), n) or not np.isfinite(H).all():
            raise PhyssynthError(f"listener pressures must be finite, shape ({len(pts)}, {n}), got {H.shape}")
        if t.shape != (len(pts),) or not np.isfinite(t).all() or np.any(t < 0):
            raise PhyssynthError("listener flight times must be one finite number >= 0 s per listener")
        object.__setattr__(self, "listeners", pts)
        object.__setattr__(self, "pressures", H)
        object.__setattr__(self, "flight_times", t)

    @property
    def n_listeners(self) -> int:
        """Listeners in the air whose pressure the model carries (0 without radiation)."""
        return len(self.listeners)

    @property
    def n_modes(self) -> int:
        return len(self.frequencies)

    @property
    def n_points(self) -> int:
        return len(self.points)

    @property
    def damped_frequencies(self) -> np.ndarray:
        """Ringing frequencies f_dk = sqrt(omega_k^2 - sigma_k^2) / (2 pi), Hz."""
        w = 2 * np.pi * self.frequencies
        return np.sqrt((w - self.decay_rates) * (w + self.decay_rates)) / (2 * np.pi)

    @property
    def t60(self) -> np.ndarray:
        """60 dB decay time of each mode, ln(1000) / sigma_k (s); inf for an undamped mode."""
        with np.errstate(divide="ignore"):
            return np.where(self.decay_rates > 0, math.log(1000.0) / self.decay_rates, np.inf)

    def point_index(self, point) -> int:
        """The index of an exposed point: an int in range, or the point nearest to (x, y, z) m."""
        if isinstance(point, (int, np.integer)) and not isinstance(point, bool):
            if not 0 <= point < self.n_points:
                raise PhyssynthError(f"exposed point {point} does not exist (the model has {self.n_points}: 0..)")
            return int(point)
        p = validate.point(point, "point")
        return int(np.argmin(np.sum((self.points - p) ** 2, axis=1)))

    def listener_gains(self, listener: int, *, sr: float, keep=None):
        """Complex gains (on each mode's velocity) and the delay in samples of listener
        ``listener`` at rate ``sr``: :func:`physsynth.pickups.pressure_gains` of the stored
        pressures, for the modes ``keep`` (a boolean mask; default all)."""
        j = validate.integer(listener, "listener", lo=0)
        if j >= self.n_listeners:
            raise PhyssynthError(
                f"listener {j} does not exist (the model has {self.n_listeners}"
                + ("; export with --listener X,Y,Z" if not self.n_listeners else ": 0..")
                + ")"
            )
        keep = np.ones(self.n_modes, dtype=bool) if keep is None else keep
        om = 2 * np.pi * self.frequencies[keep]
        G, d = pressure_gains(
            self.pressures[j : j + 1, keep], self.flight_times[j : j + 1], om, self.decay_rates[keep], sr=sr, quantity=1
        )
        return G[0], int(d[0])

    def render(
        self,
        force,
        *,
        point=0,
        pickup=None,
        listener: int | None = None,
        sr: float,
        duration: float,
        fmax: float | None = None,
    ):
        """The velocity (m/s) at ``pickup`` (default: the driving point) for a force at ``point``,
        or the sound pressure (Pa) at ``listener`` (an index into :attr:`listeners`).

        The same exactly discretised resonator bank as :func:`physsynth.render` (force samples
        joined by straight lines), so a model exported and read back renders the same samples;
        a listener's complex gains are folded into the numerators as there
        (:func:`physsynth.simulate.linear.fold_gains`).

        Parameters
        ----------
        force : array_like, shape (n,), N
            Force samples at ``sr`` (e.g. :func:`physsynth.contact_pulse`).
        point, pickup : int or array_like (3,)
            Exposed point index, or a position (the nearest exposed point).
        sr : float, Hz
        duration : float, s
        fmax : float, optional, Hz
            Leave out modes above this (always those at or above 0.49 sr).

        listener : int, optional
            Render the pressure at this listener instead (Pa, a model exported with listeners).

        Returns
        -------
        ndarray, shape (1, n_samples), m/s (Pa at a listener)
        """
        sr = validate.sample_rate(sr)
        n = validate.check_samples(duration, sr)
        force = np.ascontiguousarray(force, dtype=np.float64)
        if force.ndim != 1 or force.size == 0 or not np.isfinite(force).all() or not np.any(force):
            raise RenderError("the force must be a non-empty 1D array of finite newtons, not all zero")
        i = self.point_index(point)
        if listener is not None and pickup is not None:
            raise PhyssynthError("give a pickup or a listener, not both")
        j = i if pickup is None else self.point_index(pickup)
        limit = NYQUIST_FRACTION * sr if fmax is None else min(NYQUIST_FRACTION * sr, validate.positive(fmax, "fmax"))
        keep = self.frequencies < limit
        if not keep.any():
            raise RenderError(f"no mode below {limit:.0f} Hz; raise the sample rate")
        g = self.weights[i, keep]
        om, sig = 2 * np.pi * self.frequencies[keep], self.decay_rates[keep]
        if listener is None:
            w = np.ascontiguousarray(self.weights[j, keep][None, :])
        else:
            G, delay = self.listener_gains(listener, sr=sr, keep=keep)
            w = G[None, :]
        if not (np.any(g) and np.any(w)):
            raise RenderError("the point or the listener hears none of the modes kept: the render is silent")
        a1, a2, b0, b1, b2 = resonator_coefficients(om, sig, sr=sr, quantity="velocity")
        out = np.empty((1, n))
        if listener is None:
            c = [np.ascontiguousarray(x, dtype=np.float64) for x in (a1, a2, b0 * g, b1 * g, b2 * g)]
            resonator_bank(*c, w, force, np.zeros(g.size), np.zeros(g.size), out)
        else:
            render_gains(w, [delay], om, sig, (a1, a2, b0 * g, b1 * g, b2 * g), force, out, sr=sr)
        if not np.isfinite(out).all():
            raise RenderError("the render produced non-finite samples")
        return out


def from_model(
    model,
    points=None,
    *,
    n_points: int = N_POINTS,
    directions=None,
    n_shapes: int = 0,
    surface: bool = False,
    fmax: float | None = None,
    name: str | None = None,
    listeners=None,
) -> PortableModel:
    """Reduce a ModalModel to its exposed points (and, with radiation data, listeners).

    Parameters
    ----------
    model : ModalModel
    points : sequence, optional
        Strike positions: points (m, snapped to the nearest surface node), node indices or the
        position names of :func:`physsynth.excitation.score.resolve_position` ("rim", a region).
        Default: ``n_points`` surface nodes far apart (farthest-point sampling).
    n_points : int
        Number of points chosen when ``points`` is not given (1..4096).
    directions : sequence of array_like (3,), optional
        One force direction per point (default: into the surface).
    n_shapes : int
        Keep the first ``n_shapes`` mode shapes at the surface vertices (implies ``surface``).
    surface : bool
        Keep the surface (vertices and triangles), for drawing.
    fmax : float, optional, Hz
        Keep the modes below this only.
    name : str, optional
        Default: the mesh file's stem.
    listeners : sequence, optional
        Points in the air (m, array_like or :class:`~physsynth.pickups.Listener`; "stereo" for
        :func:`~physsynth.pickups.stereo_pair`) whose pressure the exports render: each mode's
        pressure there per unit modal velocity (complex, from ``model.radiation``) and the
        flight time a render takes out as a delay. Needs a model with radiation data
        (:func:`physsynth.radiation.radiate`, ``--radiation``); modes beyond it are silent there.

    Returns
    -------
    PortableModel
    """
    check_model(model)
    check_modes(model.frequencies, model.decay_rates)
    n_shapes = validate.integer(n_shapes, "n_shapes", lo=0)
    if fmax is not None:
        model = model.below(fmax)
    idx = surface_index(model)
    if points is None:
        n_points = validate.integer(n_points, "the number of exposed points", lo=1, hi=MAX_POINTS)
        points = [int(k) for k in spread_nodes(model, min(n_points, len(idx.nodes)))]
    points = list(points)
    if not 1 <= len(points) <= MAX_POINTS:
        raise PhyssynthError(f"give 1..{MAX_POINTS} exposed points, got {len(points)}")
    if directions is not None and len(directions) != len(points):
        raise PhyssynthError(f"give one direction per point ({len(points)}), got {len(directions)}")
    nodes, dirs = [], []
    for i, at in enumerate(points):
        d = None if directions is None else directions[i]
        node, dd = resolve_position(model, at, None, d, index=idx)
        nodes.append(node)
        dirs.append(np.asarray(dd, float))
    nodes = np.array(nodes, dtype=np.int64)
    dirs = np.array(dirs)
    weights = np.stack([point_weights(model.shapes, int(n), d) for n, d in zip(nodes, dirs)])
    surf = None
    if surface or n_shapes:
        verts = np.unique(model.mesh.boundary_triangles().reshape(-1))
        remap = np.full(model.mesh.n_nodes, -1, dtype=np.int64)
        remap[verts] = np.arange(verts.size)
        surf = {"vertices": model.mesh.points[verts], "triangles": remap[model.mesh.boundary_triangles()]}
        if n_shapes:
            surf["shapes"] = model.shapes[: min(n_shapes, model.n_modes)][:, verts, :]
    lis = _listeners(model, listeners)
    src = model.mesh.source or ""
    if name is None:
        name = model_name(model)
    mat = model.material
    provenance = {
        "generator": f"physsynth {__version__}",
        "mesh": src,
        "material": mat.to_dict(),
        "modal_analysis": {k: v for k, v in model.provenance.items() if _jsonable(v)},
    }
    return PortableModel(
        np.asarray(model.frequencies, float),
        np.asarray(model.decay_rates, float),
        model.mesh.points[nodes].copy(),
        dirs,
        weights,
        nodes,
        str(name),
        surf,
        provenance,
        **lis,
    )


def _listeners(model, listeners) -> dict:
    """The listener fields of a PortableModel from a ModalModel's radiation (empty without)."""
    if listeners is None:
        return {}
    pts = [q.point for q in as_listeners(model, listeners)]
    if not 1 <= len(pts) <= MAX_POINTS:
        raise PhyssynthError(f"give 1..{MAX_POINTS} listeners, got {len(pts)}")
    rad = getattr(model, "radiation", None)
    if rad is None:
        raise PhyssynthError(
            "listeners hear the model's radiation, and this model has none: compute it with "
            "physsynth.radiation.radiate(model) or give --radiation (bem, fast, rayleigh, compact)"
        )
    pts = np.array(pts, dtype=float)
    m = min(model.n_modes, rad.n_modes)
    H = np.zeros((len(pts), model.n_modes), dtype=complex)
    H[:, :m] = listener_pressure(model, rad, pts, m)
    info = {"method": rad.method, "c": rad.air.c, "rho": rad.air.rho, "floor": rad.floor, "n_modes": int(m)}
    return {"listeners": pts, "pressures": H, "flight_times": flight_times(rad, pts), "radiation": info}


def model_name(model) -> str:
    """A short name for a model: its mesh file's stem ("tibetan_bowl_180"), else "model"."""
    src = os.path.basename(getattr(model.mesh, "source", "") or "")
    stem, ext = os.path.splitext(src)
    if stem and re.fullmatch(r"\.[A-Za-z0-9]{1,5}", ext or ".") and re.fullmatch(r"[\w.+-]+", stem):
        return stem
    return "model"


def _jsonable(v) -> bool:
    try:
        json.dumps(v, allow_nan=False)
        return True
    except (TypeError, ValueError):
        return False


def _list(a):
    # float64 -> shortest repr that reads back to the same double (json uses repr)
    return np.asarray(a).tolist()


def to_dict(pm: PortableModel) -> dict:
    """The JSON document of a PortableModel (the schema's layout)."""
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "name": pm.name,
        "units": {"frequency": "Hz", "decay_rate": "1/s", "length": "m", "weight": "1/sqrt(kg)"},
        "modes": {
            "frequencies": _list(pm.frequencies),
            "decay_rates": _list(pm.decay_rates),
            "t60": [float(x) if math.isfinite(x) else None for x in pm.t60],
        },
        "points": [
            {
                "position": _list(pm.points[i]),
                "direction": _list(pm.directions[i]),
                "node": int(pm.nodes[i]),
                "weights": _list(pm.weights[i]),
            }
            for i in range(pm.n_points)
        ],
        "provenance": pm.provenance,
    }
    if pm.n_listeners:
        doc["radiation"] = dict(
            {k: v for k, v in pm.radiation.items() if _jsonable(v)},
            listeners=[
                {
                    "position": _list(pm.listeners[j]),
                    "flight_time": float(pm.flight_times[j]),
                    "pressure_re": _list(pm.pressures[j].real),
                    "pressure_im": _list(pm.pressures[j].imag),
                }
                for j in range(pm.n_listeners)
            ],
        )
    if pm.surface is not None:
        s = {"vertices": _list(pm.surface["vertices"]), "triangles": _list(pm.surface["triangles"])}
        if "shapes" in pm.surface:
            s["shapes"] = _list(pm.surface["shapes"])
        doc["surface"] = s
    return doc


def write_json(pm: PortableModel, path) -> str:
    """Write ``pm`` as JSON (atomically). Returns the path written."""
    if not isinstance(pm, PortableModel):
        raise PhyssynthError(f"write_json takes a PortableModel (from_model), got {type(pm).__name__}")
    path = os.fspath(path)
    text = json.dumps(to_dict(pm), allow_nan=False, separators=(",", ":"))
    with atomic_path(path, ModelFileError, suffix=".json") as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    return path


def _bad(src: str, where: str, problem: str) -> ModelFileError:
    return ModelFileError(f"{src}: {where} {problem}")


def _arr(src, where, value, shape_tail=(), *, integer=False):
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _bad(src, where, "must be an array of numbers") from None
    if a.ndim != 1 + len(shape_tail) or a.shape[1:] != tuple(shape_tail) or not np.isfinite(a).all():
        raise _bad(src, where, f"must be finite numbers of shape (n{''.join(', ' + str(s) for s in shape_tail)})")
    if integer:
        if np.any(a != np.round(a)):
            raise _bad(src, where, "must hold whole numbers")
        return a.astype(np.int64)
    return a


def from_dict(doc, source: str = "model") -> PortableModel:
    """A PortableModel from a JSON document, checked field by field (ModelFileError naming it)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"{source} is not a physsynth portable modal model (no 'format': '{FORMAT}')")
    v = doc.get("version")
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise _bad(source, "version", f"must be a whole number >= 1, got {v!r}")
    if v > VERSION:
        raise ModelFileError(f"{source} is version {v} of the format; this physsynth reads up to {VERSION}: upgrade")
    modes = doc.get("modes")
    if not isinstance(modes, dict):
        raise _bad(source, "modes", "is missing")
    f = _arr(source, "modes.frequencies", modes.get("frequencies"))
    s = _arr(source, "modes.decay_rates", modes.get("decay_rates"))
    pts = doc.get("points")
    if not isinstance(pts, list) or not pts or len(pts) > MAX_POINTS:
        raise _bad(source, "points", f"must be a list of 1..{MAX_POINTS} exposed points")
    pos, dirs, nodes, w = [], [], [], []
    for i, p in enumerate(pts):
        if not isinstance(p, dict):
            raise _bad(source, f"points[{i}]", "must be an object")
        pos.append(_arr(source, f"points[{i}].position", [p.get("position")], (3,))[0])
        d = _arr(source, f"points[{i}].direction", [p.get("direction")], (3,))[0]
        if abs(np.linalg.norm(d) - 1.0) > 1e-9:
            raise _bad(source, f"points[{i}].direction", "must be a unit vector")
        dirs.append(d)
        node = p.get("node", -1)
        if isinstance(node, bool) or not isinstance(node, int) or node < -1:
            raise _bad(source, f"points[{i}].node", f"must be a whole number >= -1, got {node!r}")
        nodes.append(node)
        wi = _arr(source, f"points[{i}].weights", p.get("weights"))
        if wi.shape != f.shape:
            raise _bad(source, f"points[{i}].weights", f"must have one weight per mode ({f.size}), got {wi.size}")
        w.append(wi)
    surf = None
    if doc.get("surface") is not None:
        sd = doc["surface"]
        if not isinstance(sd, dict):
            raise _bad(source, "surface", "must be an object")
        verts = _arr(source, "surface.vertices", sd.get("vertices"), (3,))
        tri = _arr(source, "surface.triangles", sd.get("triangles"), (3,), integer=True)
        if tri.size and (tri.min() < 0 or tri.max() >= len(verts)):
            raise _bad(source, "surface.triangles", f"must index the vertices 0..{len(verts) - 1}")
        surf = {"vertices": verts, "triangles": tri}
        if sd.get("shapes") is not None:
            sh = sd["shapes"]
            try:
                sh = np.asarray(sh, dtype=np.float64)
            except (TypeError, ValueError):
                raise _bad(source, "surface.shapes", "must be numbers") from None
            if sh.ndim != 3 or sh.shape[1:] != (len(verts), 3) or len(sh) > f.size or not np.isfinite(sh).all():
                raise _bad(source, "surface.shapes", f"must be finite numbers of shape (n_shapes, {len(verts)}, 3)")
            surf["shapes"] = sh
    lis = {}
    rd = doc.get("radiation")
    if rd is not None:
        if not isinstance(rd, dict):
            raise _bad(source, "radiation", "must be an object")
        items = rd.get("listeners", [])
        if not isinstance(items, list) or len(items) > MAX_POINTS:
            raise _bad(source, "radiation.listeners", f"must be a list of at most {MAX_POINTS} listeners")
        if items:
            lpos, H, t = [], [], []
            for j, li in enumerate(items):
                where = f"radiation.listeners[{j}]"
                if not isinstance(li, dict):
                    raise _bad(source, where, "must be an object")
                lpos.append(_arr(source, f"{where}.position", [li.get("position")], (3,))[0])
                t.append(_arr(source, f"{where}.flight_time", [li.get("flight_time")])[0])
                re_ = _arr(source, f"{where}.pressure_re", li.get("pressure_re"))
                im_ = _arr(source, f"{where}.pressure_im", li.get("pressure_im"))
                if re_.shape != f.shape or im_.shape != f.shape:
                    raise _bad(source, where, f"must have one pressure per mode ({f.size})")
                H.append(re_ + 1j * im_)
            info = {k: v for k, v in rd.items() if k != "listeners"}
            lis = {
                "listeners": np.array(lpos),
                "pressures": np.array(H),
                "flight_times": np.array(t),
                "radiation": info,
            }
    prov = doc.get("provenance", {})
    name = doc.get("name", "model")
    try:
        return PortableModel(
            f,
            s,
            np.array(pos),
            np.array(dirs),
            np.array(w),
            np.array(nodes, dtype=np.int64),
            name if isinstance(name, str) else "model",
            surf,
            prov if isinstance(prov, dict) else {},
            **lis,
        )
    except ModelFileError:
        raise
    except PhyssynthError as exc:
        raise ModelFileError(f"{source}: {exc}") from None


def read_json(path) -> PortableModel:
    """Read a model written by :func:`write_json` (or by hand, following the schema)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"model file not found: {path}")
    if os.path.getsize(path) > MAX_BYTES:
        raise ModelFileError(f"{path} is larger than {MAX_BYTES >> 20} MiB; not a portable modal model")
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"cannot read {path}: {exc}") from None
    return from_dict(doc, path)
