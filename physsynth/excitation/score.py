"""Scores: timed events (mallet strikes, pulses, plucks, noise, recorded forces) on one object.

A score is a list of events read from CSV, JSON or MIDI, checked field by field when it is
read (or when an :class:`Event` is made). :func:`physsynth.simulate.score.render_score`
renders it: every event acts on the same modal state, time-stepped once from start to end, so
a mallet that strikes a ringing bowl meets a moving surface. Each event starts on the sample
round(time * sr).

Event fields (CSV columns or JSON keys; units SI):

============  ===================================================================
time          s, >= 0 (required)
kind          mallet | strike | pluck | noise | force (required)
at            "x y z" (m; also "x,y,z" in JSON lists), a mesh region name, a selector
              such as "z>=0.07 and r>=0.08", "rim", or "node:N" (required)
direction     "dx dy dz" (default: into the surface; at "rim" of a solid: horizontally
              towards the axis, like a player's stroke)
angle         degrees about the z axis, to pick one node of a region or of the rim
              (default: the node nearest the region's centre; 0 for "rim")
mallet        kind mallet: felt | rubber | wood | plastic | metal (default rubber);
              kind strike: soft | medium | hard (default medium)
velocity      kind mallet: impact velocity, m/s (default: the mallet's, 1 m/s)
mass          kind mallet: head mass override, kg
impulse       kind strike: N s (default 0.01)
contact_time  kind strike: s (overrides the soft/medium/hard preset)
force         kind pluck: static force released, N (default 1); kind noise: RMS force, N
              (default 0.1)
duration      kind noise: s (default 0.1)
band          kind noise: "LOW-HIGH" Hz (default: white)
seed          kind noise: integer (default 0)
file          kind force: WAV file, relative to the score's folder
gain          kind force: force at full scale, N (default 1)
channel       kind force: channel of the WAV file (default 0)
============  ===================================================================

JSON: ``{"events": [{...}, ...]}`` (or a bare list), optionally ``"midi": "piece.mid"`` with a
``"map"`` as below. MIDI (``.mid``): every note-on becomes an event at its time in seconds
(tempo changes included, note-offs ignored: these are struck objects); the map says how::

    {"kind": "mallet", "mallet": "felt", "velocity_max": 2.0,
     "notes": {"60": {"at": "rim", "angle": 0}, "64": {"at": [0.05, 0.0, 0.07]}}}

MIDI velocity 1-127 scales ``velocity_max`` (m/s, mallets; default 2), ``impulse_max``
(N s, strikes; default 0.02) or ``force_max`` (N, plucks and noise; default 1). Notes not in
``notes`` are spread over the surface: note n strikes the (n mod 128)-th of 128 surface nodes
chosen far apart from each other (farthest-point sampling).
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from dataclasses import dataclass, field

import numpy as np

from physsynth import validate
from physsynth.errors import PhyssynthError
from physsynth.excitation.mallet import MALLETS as PHYSICAL
from physsynth.excitation.mallet import Mallet
from physsynth.excitation.strike import MALLETS as PULSES
from physsynth.fem.selectors import is_predicate, parse_predicate
from physsynth.pickups import SurfaceIndex, snap, surface_index, surface_normal

KINDS = {
    "mallet": ("mallet", "velocity", "mass"),
    "strike": ("mallet", "contact_time", "impulse"),
    "pluck": ("force",),
    "noise": ("duration", "force", "band", "seed"),
    "force": ("file", "gain", "channel"),
}
COMMON = ("time", "kind", "at", "direction", "angle")
MIDI_MAP_KEYS = (
    "kind",
    "mallet",
    "velocity_max",
    "impulse_max",
    "force_max",
    "notes",
    "direction",
    "duration",
    "band",
    "seed",
    "mass",
    "contact_time",
)
N_SPREAD = 128


class ScoreError(PhyssynthError):
    """A score file or event is malformed; the message names the row and the field."""


@dataclass(frozen=True)
class Event:
    """One event of a score.

    Attributes
    ----------
    time : float, s
    kind : {"mallet", "strike", "pluck", "noise", "force"}
    at : tuple of 3 floats (m), str or int
        A point, a position name (region, selector, "rim", "node:N", "note:N") or a node.
    direction : tuple of 3 floats, optional
    angle : float, optional, degrees
    params : dict
        The kind's parameters (see the module docstring).
    origin : str
        Where the event came from (for error messages), e.g. "score.csv row 4".
    """

    time: float
    kind: str
    at: object
    direction: tuple | None = None
    angle: float | None = None
    params: dict = field(default_factory=dict)
    origin: str = "event"

    def __post_init__(self):
        _check_event(self)

    @staticmethod
    def make(time, kind, at, **fields) -> Event:
        """An Event from keyword fields, checked as a score row is, e.g.
        ``Event.make(0.5, "mallet", "rim", mallet="felt", velocity=2.0)``."""
        origin = fields.pop("origin", f"event at {time} s")
        return event_from_fields({"time": time, "kind": kind, "at": at, **fields}, origin)


@dataclass(frozen=True)
class Score:
    """A list of events in time order, and where they came from."""

    events: tuple
    source: str = ""

    def __len__(self):
        return len(self.events)

    @property
    def end(self) -> float:
        """Time of the last event's start, s."""
        return max((e.time for e in self.events), default=0.0)


# ---------------------------------------------------------------- field parsing
def event_error(origin, key, msg) -> ScoreError:
    """A ScoreError naming where the event came from and the field at fault."""
    return ScoreError(f"{origin}, field {key!r}: {msg}")


def _number(origin, key, value, *, positive=False, nonneg=False, nonzero=False, integer=False):
    """A field's number, checked by physsynth.validate; the ScoreError names the row and field."""
    name = f"{origin}, field {key!r}:"
    if integer:
        x = validate.integer(value, name, lo=0 if nonneg else None, error=ScoreError)
    else:
        lo = 0.0 if (positive or nonneg) else None
        x = validate.finite(value, name, lo=lo, lo_open=positive, error=ScoreError)
    if nonzero and x == 0:
        raise event_error(origin, key, "must not be zero")
    return x


def _vector(origin, key, value):
    if isinstance(value, str):
        parts = [p for p in re.split(r"[,;\s]+", value.strip()) if p]
    elif isinstance(value, (list, tuple, np.ndarray)):
        parts = list(value)
    else:
        raise event_error(origin, key, f"expected three numbers x y z, got {value!r}")
    if len(parts) != 3:
        raise event_error(origin, key, f"expected three numbers x y z, got {value!r}")
    return tuple(_number(origin, key, p) for p in parts)


def _position(origin, value):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if value < 0:
            raise event_error(origin, "at", f"a node index must be >= 0, got {value}")
        return int(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return _vector(origin, "at", value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise event_error(origin, "at", "empty; give x y z, a region name, a selector or 'rim'")
        num = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
        if re.fullmatch(rf"{num}(?:[,;\s]+{num})*", text):  # numbers only: a point
            return _vector(origin, "at", text)
        m = re.fullmatch(r"(node|note):\s*(\d+)", text)
        if m:
            return f"{m.group(1)}:{int(m.group(2))}"
        if is_predicate(text):
            try:
                parse_predicate(text)
            except PhyssynthError as exc:
                raise event_error(origin, "at", str(exc)) from None
        return text
    raise event_error(origin, "at", f"expected x y z, a region name, a selector or 'rim', got {value!r}")


def _check_event(ev: Event):
    """Check (and normalise in place) every field of an Event, as a score row is checked."""
    o = ev.origin if isinstance(ev.origin, str) else "event"
    if not isinstance(ev.kind, str) or ev.kind not in KINDS:
        raise event_error(o, "kind", f"unknown kind {ev.kind!r}; use one of {', '.join(KINDS)}")
    t = _number(o, "time", ev.time, nonneg=True)
    if t > 24 * 3600:
        raise event_error(o, "time", f"{t:g} s is more than a day")
    if not isinstance(ev.params, dict):
        raise event_error(o, "params", f"expected a dict of the kind's parameters, got {type(ev.params).__name__}")
    fixed = {"origin": o, "time": t, "at": _position(o, ev.at), "params": _convert_params(o, ev.kind, ev.params, ".")}
    if ev.direction is not None:
        d = _vector(o, "direction", ev.direction)
        if not any(d):
            raise event_error(o, "direction", "must not be the zero vector")
        fixed["direction"] = d
    if ev.angle is not None:
        fixed["angle"] = _number(o, "angle", ev.angle)
    for key, val in fixed.items():
        object.__setattr__(ev, key, val)


def _convert_params(origin, kind, raw: dict, base_dir: str) -> dict:
    """Typed, checked parameters of a kind from raw (str or JSON) values."""
    out = {}
    for key, val in raw.items():
        if key not in KINDS[kind]:
            raise event_error(origin, key, f"not a parameter of a {kind} event (it takes {', '.join(KINDS[kind])})")
        if key == "mallet":
            if isinstance(val, Mallet) and kind == "mallet":
                out[key] = val
                continue
            name = str(val).strip().lower()
            if kind == "mallet" and name not in PHYSICAL:
                hint = " (a half-sine preset: use kind 'strike')" if name in PULSES else ""
                raise event_error(origin, key, f"unknown mallet {val!r}{hint}; use one of {', '.join(PHYSICAL)}")
            if kind == "strike" and name not in PULSES:
                hint = " (a physical mallet: use kind 'mallet')" if name in PHYSICAL else ""
                raise event_error(origin, key, f"unknown pulse {val!r}{hint}; use one of {', '.join(PULSES)}")
            out[key] = name
        elif key == "velocity":
            v = _number(origin, key, val, positive=True)
            if v > 50:
                raise event_error(origin, key, f"{v:g} m/s is faster than any mallet; use <= 50")
            out[key] = v
        elif key in ("mass", "impulse", "duration"):
            out[key] = _number(origin, key, val, positive=True)
        elif key == "contact_time":
            ct = _number(origin, key, val, positive=True)
            if ct > 0.5:
                raise event_error(origin, key, f"{ct:g} s is not a strike; use <= 0.5 s")
            out[key] = ct
        elif key == "force":
            out[key] = _number(origin, key, val, positive=(kind == "noise"), nonzero=True)
        elif key == "gain":
            out[key] = _number(origin, key, val, nonzero=True)
        elif key in ("seed", "channel"):
            out[key] = _number(origin, key, val, nonneg=True, integer=True)
        elif key == "band":
            if isinstance(val, str):
                parts = [p for p in re.split(r"[-:,;\s]+", val.strip()) if p]
            elif isinstance(val, (list, tuple)):
                parts = list(val)
            else:
                parts = []
            if len(parts) != 2:
                raise event_error(origin, key, f"expected LOW-HIGH in Hz, got {val!r}")
            lo, hi = (_number(origin, key, p, positive=True) for p in parts)
            if lo >= hi:
                raise event_error(origin, key, f"the low edge {lo:g} Hz must be below the high {hi:g} Hz")
            out[key] = (lo, hi)
        elif key == "file":
            path = str(val).strip()
            if not os.path.isabs(path):
                path = os.path.join(base_dir, path)
            if not os.path.isfile(path):
                raise event_error(origin, key, f"no such file {path}")
            out[key] = path
    if kind == "force" and "file" not in out:
        raise event_error(origin, "file", "a force event needs a WAV file")
    return out


def event_from_fields(fields: dict, origin: str, base_dir: str = ".") -> Event:
    """An Event from a dict of raw values (strings from CSV, or JSON values), checked.

    Raises
    ------
    ScoreError
        Naming ``origin`` and the field at fault.
    """
    fields = {
        str(k).strip().lower(): v
        for k, v in fields.items()
        if v is not None and not (isinstance(v, str) and not v.strip())
    }
    for key in ("time", "kind", "at"):
        if key not in fields:
            raise event_error(origin, key, "missing (every event needs time, kind and at)")
    kind = str(fields.pop("kind")).strip().lower()
    if kind not in KINDS:
        raise event_error(origin, "kind", f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    time = _number(origin, "time", fields.pop("time"), nonneg=True)
    at = _position(origin, fields.pop("at"))
    direction = None
    if "direction" in fields:
        direction = _vector(origin, "direction", fields.pop("direction"))
        if not any(direction):
            raise event_error(origin, "direction", "must not be the zero vector")
    angle = _number(origin, "angle", fields.pop("angle")) if "angle" in fields else None
    unknown = [k for k in fields if k not in KINDS[kind]]
    if unknown:
        known = set(COMMON) | {p for ps_ in KINDS.values() for p in ps_}
        k = unknown[0]
        msg = (
            f"not a parameter of a {kind} event (it takes {', '.join(KINDS[kind])})"
            if k in known
            else f"unknown field; use {', '.join(COMMON)} and the kind's parameters"
        )
        raise event_error(origin, k, msg)
    params = _convert_params(origin, kind, fields, base_dir)
    return Event(time, kind, at, direction, angle, params, origin)


# ---------------------------------------------------------------- files
def read_score(path, *, midi_map=None) -> Score:
    """Read a score from a CSV, JSON or MIDI file.

    Parameters
    ----------
    path : str
        ``.csv``, ``.json``, ``.mid`` or ``.midi``.
    midi_map : dict or str, optional
        For a MIDI file: the note mapping (a dict or a JSON file; see the module docstring).

    Raises
    ------
    ScoreError
        With the file, row (or event number) and field of the first problem found.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ScoreError(f"score file not found: {path}")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".csv":
        return _read_csv(path)
    if ext == ".json":
        return _read_json(path)
    if ext in (".mid", ".midi"):
        return read_midi(path, midi_map)
    raise ScoreError(f"{path}: unknown score format {ext or '(none)'}; use .csv, .json or .mid")


def _sorted(events, source):
    # stable: events at the same time keep the file's order
    return Score(tuple(sorted(events, key=lambda e: e.time)), source)


def _read_csv(path) -> Score:
    name = os.path.basename(path)
    base = os.path.dirname(os.path.abspath(path))
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            lines = [(i + 1, ln) for i, ln in enumerate(fh) if ln.strip() and not ln.lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoreError(f"cannot read {path}: {exc}") from None
    if not lines:
        raise ScoreError(f"{name}: empty score (a header line and one row per event are needed)")
    try:
        rows = list(csv.reader([ln for _, ln in lines], skipinitialspace=True))
    except csv.Error as exc:
        raise ScoreError(f"{name}: not a readable CSV score: {exc}") from None
    header = [h.strip().lower() for h in rows[0]]
    known = set(COMMON) | {p for ps_ in KINDS.values() for p in ps_}
    for h in header:
        if h not in known:
            raise ScoreError(
                f"{name} line {lines[0][0]}: unknown column {h!r}; use {', '.join(COMMON)} and the kinds' parameters"
            )
    for key in ("time", "kind", "at"):
        if key not in header:
            raise ScoreError(f"{name} line {lines[0][0]}: the header needs a {key!r} column")
    if len(set(header)) != len(header):
        raise ScoreError(f"{name} line {lines[0][0]}: a column appears twice")
    events = []
    for (lineno, _), row in zip(lines[1:], rows[1:]):
        origin = f"{name} row {lineno}"
        if len(row) > len(header):
            raise ScoreError(f"{origin}: {len(row)} fields for {len(header)} columns")
        fields = dict(zip(header, row))
        events.append(event_from_fields(fields, origin, base))
    if not events:
        raise ScoreError(f"{name}: the score has no events")
    return _sorted(events, path)


def _read_json(path) -> Score:
    name = os.path.basename(path)
    base = os.path.dirname(os.path.abspath(path))
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoreError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ScoreError(f"{name}: not valid JSON: {exc}") from None
    except RecursionError:
        raise ScoreError(f"{name}: JSON nested too deeply to be a score; a score is a list of flat events") from None
    if isinstance(data, list):
        data = {"events": data}
    if not isinstance(data, dict):
        raise ScoreError(f"{name}: expected an object with 'events' (or a list of events)")
    for key in data:
        if key not in ("events", "midi", "map"):
            raise ScoreError(f"{name}: unknown key {key!r}; use 'events', 'midi' and 'map'")
    raw = data.get("events", [])
    if not isinstance(raw, list):
        raise ScoreError(f"{name}: 'events' must be a list")
    events = []
    for i, item in enumerate(raw):
        origin = f"{name} event {i + 1}"
        if not isinstance(item, dict):
            raise ScoreError(f"{origin}: expected an object with time, kind, at, ...")
        events.append(event_from_fields(item, origin, base))
    if "midi" in data:
        mid = data["midi"]
        if not isinstance(mid, str):
            raise ScoreError(f"{name}: 'midi' must be the path of a MIDI file")
        mid = mid if os.path.isabs(mid) else os.path.join(base, mid)
        if not os.path.isfile(mid):
            raise ScoreError(f"{name}: MIDI file not found: {mid}")
        events.extend(read_midi(mid, data.get("map"), base_dir=base).events)
    elif "map" in data:
        raise ScoreError(f"{name}: 'map' is for a 'midi' file; give one")
    if not events:
        raise ScoreError(f"{name}: the score has no events")
    return _sorted(events, path)


def read_midi(path, mapping=None, *, base_dir=None) -> Score:
    """Events from a MIDI file's note-ons (needs the ``midi`` extra: ``pip install physsynth[midi]``).

    Parameters
    ----------
    path : str
    mapping : dict or str, optional
        The note mapping or a JSON file holding it (see the module docstring).
    """
    try:
        import mido
    except ImportError:
        raise ScoreError("reading MIDI files needs mido: pip install 'physsynth[midi]'") from None
    name = os.path.basename(path)
    if isinstance(mapping, (str, os.PathLike)):
        mpath = os.fspath(mapping)
        try:
            with open(mpath, encoding="utf-8") as fh:
                mapping = json.load(fh)
        except OSError as exc:
            raise ScoreError(f"cannot read the MIDI map {mpath}: {exc.strerror or exc}") from None
        except json.JSONDecodeError as exc:
            raise ScoreError(f"{os.path.basename(mpath)}: not valid JSON: {exc}") from None
        except RecursionError:
            raise ScoreError(f"{os.path.basename(mpath)}: JSON nested too deeply to be a MIDI map") from None
        base_dir = base_dir or os.path.dirname(os.path.abspath(mpath))
    mapping = dict(mapping or {})
    mname = "MIDI map"
    for key in mapping:
        if key not in MIDI_MAP_KEYS:
            raise ScoreError(f"{mname}: unknown key {key!r}; use {', '.join(MIDI_MAP_KEYS)}")
    kind = str(mapping.get("kind", "mallet")).lower()
    if kind not in ("mallet", "strike", "pluck", "noise"):
        raise ScoreError(
            f"{mname}, field 'kind': MIDI notes can be mallet, strike, pluck or noise events, not {kind!r}"
        )
    scale = {
        "mallet": ("velocity", _number(mname, "velocity_max", mapping.get("velocity_max", 2.0), positive=True)),
        "strike": ("impulse", _number(mname, "impulse_max", mapping.get("impulse_max", 0.02), positive=True)),
        "pluck": ("force", _number(mname, "force_max", mapping.get("force_max", 1.0), positive=True)),
        "noise": ("force", _number(mname, "force_max", mapping.get("force_max", 1.0), positive=True)),
    }
    notes = mapping.get("notes", {})
    if not isinstance(notes, dict):
        raise ScoreError(f"{mname}, field 'notes': expected an object from note numbers to fields")
    defaults = {
        k: mapping[k]
        for k in ("mallet", "direction", "duration", "band", "seed", "mass", "contact_time")
        if k in mapping
    }
    base_dir = base_dir or os.path.dirname(os.path.abspath(path))
    try:
        mid = mido.MidiFile(path)
        msgs = list(mid)
    except Exception as exc:  # mido raises OSError, EOFError, ValueError, KeyError...
        raise ScoreError(f"cannot read MIDI file {path}: {exc}") from None
    events = []
    t = 0.0
    count = 0
    for msg in msgs:
        t += msg.time  # seconds: iterating a MidiFile applies its tempo map
        if msg.type != "note_on" or msg.velocity == 0:
            continue
        count += 1
        origin = f"{name} note {count} (note {msg.note} at {t:.4f} s)"
        fields = dict(defaults)
        fields.update({"time": t, "kind": kind})
        extra = notes.get(str(msg.note), notes.get(msg.note))
        if extra is not None:
            if not isinstance(extra, dict):
                raise ScoreError(f"{mname}, note {msg.note}: expected an object of event fields")
            fields.update(extra)
        fields.setdefault("at", f"note:{msg.note}")
        key, top = scale[kind]
        if kind == "noise":
            fields.setdefault("duration", 0.1)
        fields[key] = top * msg.velocity / 127.0
        events.append(event_from_fields(fields, origin, base_dir))
    if not events:
        raise ScoreError(f"{name}: the MIDI file has no note-on events")
    return _sorted(events, os.fspath(path))


# ---------------------------------------------------------------- positions
def _surface(model):
    return model._surface()  # (nodes, outward normals), cached on the model


def spread_nodes(model, n: int = N_SPREAD) -> np.ndarray:
    """n surface nodes far apart from each other (farthest-point sampling from the highest
    node), for mapping MIDI notes to strike points."""
    nodes, _ = _surface(model)
    pts = model.mesh.points[nodes]
    first = int(np.lexsort((pts[:, 0], pts[:, 2]))[-1])
    chosen = [first]
    d = np.linalg.norm(pts - pts[first], axis=1)
    for _ in range(min(n, len(nodes)) - 1):
        k = int(np.argmax(d))
        chosen.append(k)
        d = np.minimum(d, np.linalg.norm(pts - pts[k], axis=1))
    return nodes[np.array(chosen)]


def _rim_nodes(model):
    nodes, _ = _surface(model)
    pts = model.mesh.points
    lo, hi = model.mesh.bounding_box
    centre = 0.5 * (lo + hi)
    if model.mesh.dim == 2:
        rim = np.unique(model.mesh.boundary_edges())
    else:
        p = pts[nodes]
        top = p[:, 2] >= hi[2] - 0.02 * (hi[2] - lo[2])
        r = np.hypot(p[:, 0] - centre[0], p[:, 1] - centre[1])
        rim = nodes[top & (r >= 0.9 * r[top].max())] if top.any() else nodes[:0]
    if rim.size == 0:
        raise PhyssynthError("the model has no rim (no boundary nodes at its top)")
    return rim, centre


def _pick(model, candidates, angle, centre):
    pts = model.mesh.points[candidates]
    if angle is not None:
        az = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
        diff = np.abs(np.angle(np.exp(1j * (az - math.radians(angle)))))
        best = diff <= diff.min() + 1e-9
        r = np.hypot(pts[:, 0] - centre[0], pts[:, 1] - centre[1])
        return int(candidates[best][np.argmax(r[best])])
    c = pts.mean(axis=0)
    return int(candidates[np.argmin(np.linalg.norm(pts - c, axis=1))])


def resolve_position(model, at, angle=None, direction=None, *, index: SurfaceIndex | None = None):
    """The node and unit direction of a strike position.

    Parameters
    ----------
    model : ModalModel
    at : array_like (3,) m, int, or str
        A point (nearest surface node, refused when far from the object: see
        :func:`physsynth.pickups.snap`), a node index, "node:N", "note:N" (the N-th of
        :func:`spread_nodes`, modulo 128), "rim", a mesh region name or a selector.
    angle : float, optional, degrees
        For a region or the rim: the node nearest this azimuth about the z axis through the
        bounding box's centre.
    direction : array_like (3,), optional
        Default: into the surface (minus the outward normal); at the rim of a solid,
        horizontally towards the axis.
    index : SurfaceIndex, optional
        The model's surface index (:func:`physsynth.pickups.surface_index`), built once for a
        score's many points.

    Returns
    -------
    node : int
    direction : ndarray, shape (3,)
    """
    idx = surface_index(model) if index is None else index
    nodes = idx.nodes
    pts = model.mesh.points
    rim_dir = None
    if angle is not None:
        angle = validate.finite(angle, "angle", "degrees")
    if isinstance(at, (int, np.integer)) or (isinstance(at, str) and at.startswith("node:")):
        node = int(at.split(":")[1]) if isinstance(at, str) else int(at)
        if not 0 <= node < model.mesh.n_nodes:
            raise PhyssynthError(f"node {node} does not exist (the mesh has {model.mesh.n_nodes} nodes)")
    elif isinstance(at, str) and at.startswith("note:"):
        spread = spread_nodes(model)
        node = int(spread[int(at.split(":")[1]) % len(spread)])
    elif isinstance(at, str):
        name = at.strip()
        centre = 0.5 * np.add(*model.mesh.bounding_box)
        if name.lower() == "rim":
            cand, centre = _rim_nodes(model)
            node = _pick(model, cand, 0.0 if angle is None else angle, centre)
            if model.mesh.dim == 3:
                radial = pts[node] - centre
                radial[2] = 0.0
                if np.linalg.norm(radial) > 0:
                    rim_dir = -radial / np.linalg.norm(radial)
        elif name in model.mesh.regions:
            cand = np.intersect1d(model.mesh.regions[name].nodes, nodes)
            if cand.size == 0:
                raise PhyssynthError(f"region {name!r} has no surface node to strike")
            node = _pick(model, cand, angle, centre)
        elif is_predicate(name):
            mask = parse_predicate(name)(pts[nodes], 1e-6 * float(np.ptp(pts, axis=0).max()))
            if not mask.any():
                raise PhyssynthError(f"selector {name!r} selects no surface node")
            node = _pick(model, nodes[mask], angle, centre)
        else:
            regions = ", ".join(sorted(model.mesh.regions)) or "none"
            raise PhyssynthError(
                f"unknown position {name!r}: not a region of the mesh (regions: "
                f"{regions}), 'rim', 'node:N' or a selector such as 'z>=0.07'"
            )
    else:
        node, _ = snap(model, at, "strike point", index=idx)
    if direction is not None:
        return node, validate.direction(direction, "direction")
    if rim_dir is not None:
        return node, rim_dir
    return node, -surface_normal(idx, node)
