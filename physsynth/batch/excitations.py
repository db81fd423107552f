"""Excitation kinds of a sweep: a small registry, so that new kinds plug in without touching
the engine.

A kind declares its parameters (:class:`Param`: type, default, unit) and a ``render``
function ``render(model, params, ctx) -> (audio, info)`` that runs on a worker: ``model`` is
the item's :class:`~physsynth.modal.model.ModalModel`, ``params`` the item's excitation
parameters (validated, one value each), ``ctx`` a :class:`~physsynth.batch.positions.RenderContext`
(sample rate, duration, pickups, positions, the item's seed). It returns the samples, shape
``(n_channels, n_samples)`` in the physical unit of ``ctx.quantity``, and a dict of facts for
the metadata table (JSON-able). The spec parser expands every list a parameter is given into a
sweep axis (see :meth:`Param.values`).

Kinds whose code lives in an optional module name it in ``requires``; the module is imported
lazily, on the worker, and a spec that uses a kind whose module is absent is refused before
anything is rendered. :func:`register_excitation` adds a kind; the kind object itself travels
with each render task, so a kind registered in the client's process works on a cluster as
long as its ``render`` function can be pickled (defined in an importable module, or in the
script that runs the sweep).
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from physsynth.batch._base import SpecError
from physsynth.batch.positions import parse_position
from physsynth.errors import PhyssynthError

#: The renderers' stated ranges, repeated here so that reading a spec does not import the
#: friction code (and numba): physsynth.simulate.friction.MAX_NORMAL_FORCE (N) and
#: MAX_SLIDING_SPEED (m/s), physsynth.excitation.mallet.check_velocity (m/s);
#: tests/test_refusals_api.py checks that they agree.
MAX_NORMAL_FORCE = 1000.0
MAX_SLIDING_SPEED = 20.0
MAX_IMPACT_VELOCITY = 50.0

#: Marks a parameter without a default.
REQUIRED = object()
_TYPES = ("float", "int", "str", "vec3", "position", "bool")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@dataclass(frozen=True)
class Param:
    """One parameter of an excitation kind.

    Attributes
    ----------
    name : str
        Key in the spec.
    type : {"float", "int", "str", "vec3", "position", "bool"}
        ``vec3`` is three numbers; ``position`` is a point on the object (three numbers in m,
        a region name or coordinate predicate, or ``{random = N, region = "...", seed = S}``,
        see :mod:`physsynth.batch.positions`).
    default : object
        Used when the spec leaves the key out; :data:`REQUIRED` if it must be given.
    choices : tuple of str
        Allowed values of a ``str`` parameter (empty: any).
    low : float, optional
        Numbers must be greater than this.
    high : float, optional
        Numbers must be at most this (a stated physical range, so that a sweep is refused when
        it is read rather than failing item by item).
    unit : str
        For the docs and messages.
    sweep : bool
        Whether a list of values is a sweep axis (True) or an error.
    """

    name: str
    type: str
    default: object = REQUIRED
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    unit: str = ""
    doc: str = ""
    sweep: bool = True

    def __post_init__(self):
        if self.type not in _TYPES:
            raise ValueError(f"unknown parameter type {self.type!r}")

    def values(self, raw, key: str) -> list:
        """The list of values ``raw`` stands for (one, or a sweep axis), each checked.

        A list is an axis, except for ``vec3`` and ``position`` where three numbers are one
        value; a random position ``{random = N, ...}`` is N values.
        """
        if raw is None:
            if self.default is REQUIRED:
                raise SpecError(f"{key}: required ({self.doc or self.type})")
            return [self.default]
        if self.type in ("vec3", "position") and isinstance(raw, list) and raw and all(_is_number(v) for v in raw):
            raw = [raw]
        if isinstance(raw, list):
            if not raw:
                raise SpecError(f"{key}: an empty list gives no items; give at least one value")
            if not self.sweep and len(raw) > 1:
                raise SpecError(f"{key}: give one value, not a list")
            out = []
            for i, v in enumerate(raw):
                out.extend(self._one(v, f"{key}[{i}]"))
            return out
        return self._one(raw, key)

    def _one(self, v, key) -> list:
        t = self.type
        if t == "position":
            return parse_position(v, key)
        if t == "vec3":
            if not (isinstance(v, list) and len(v) == 3 and all(_is_number(x) for x in v)):
                raise SpecError(f"{key}: expected three numbers [x, y, z], got {v!r}")
            w = [float(x) for x in v]
            if not all(math.isfinite(x) for x in w) or not any(w):
                raise SpecError(f"{key}: expected three finite numbers, not all zero, got {v!r}")
            return [w]
        if t == "bool":
            if not isinstance(v, bool):
                raise SpecError(f"{key}: expected true or false, got {v!r}")
            return [v]
        if t == "str":
            if not isinstance(v, str):
                raise SpecError(f"{key}: expected a string, got {v!r}")
            if self.choices and v not in self.choices:
                raise SpecError(f"{key}: {v!r} is not one of {', '.join(self.choices)}")
            return [v]
        if not _is_number(v) or (t == "int" and not float(v).is_integer()):
            raise SpecError(
                f"{key}: expected {'an integer' if t == 'int' else 'a number'}"
                f"{' in ' + self.unit if self.unit else ''}, got {v!r}"
            )
        x = int(v) if t == "int" else float(v)
        if not math.isfinite(x) or (self.low is not None and not x > self.low):
            bound = f" > {self.low:g}{' ' + self.unit if self.unit else ''}" if self.low is not None else ""
            raise SpecError(f"{key}: must be a finite number{bound}, got {v!r}")
        if self.high is not None and x > self.high:
            raise SpecError(f"{key}: must be <= {self.high:g}{' ' + self.unit if self.unit else ''}, got {v!r}")
        return [x]


@dataclass(frozen=True)
class ExcitationKind:
    """An excitation kind: its parameters and how to render it.

    Attributes
    ----------
    name : str
        The ``kind`` value in the spec.
    params : tuple of Param
    render : callable
        ``render(model, params, ctx) -> (audio, info)``, see the module docstring.
    doc : str
        One line for ``physsynth batch --kinds``.
    requires : str, optional
        Module the kind needs (imported lazily by ``render``); a spec that uses the kind is
        refused when it cannot be found.
    canonical : callable, optional
        ``canonical(params) -> params``: drop parameters another one overrides, so that
        items that sound the same get the same ID.
    check : callable, optional
        ``check(params, key)``: further checks where the spec is read (raise
        :class:`SpecError` naming ``key``); it may import the kind's module.
    """

    name: str
    params: tuple
    render: Callable
    doc: str = ""
    requires: str | None = None
    canonical: Callable | None = None
    check: Callable | None = None

    def available(self) -> bool:
        return self.requires is None or importlib.util.find_spec(self.requires) is not None


#: The registered kinds, by name.
EXCITATIONS: dict[str, ExcitationKind] = {}


def register_excitation(kind: ExcitationKind, *, replace: bool = False) -> ExcitationKind:
    """Add an excitation kind to the registry (``replace=True`` to redefine one)."""
    if not isinstance(kind, ExcitationKind):
        raise TypeError("register an ExcitationKind")
    if kind.name in EXCITATIONS and not replace:
        raise PhyssynthError(f"excitation kind {kind.name!r} is already registered")
    EXCITATIONS[kind.name] = kind
    return kind


def get_excitation(name, key: str = "kind") -> ExcitationKind:
    """The registered kind ``name``; a :class:`SpecError` naming ``key`` if unknown or if its
    module is missing."""
    kind = EXCITATIONS.get(name)
    if kind is None:
        raise SpecError(f"{key}: unknown excitation kind {name!r}; known kinds: {', '.join(sorted(EXCITATIONS))}")
    if not kind.available():
        raise SpecError(
            f"{key}: excitation kind {name!r} needs the module {kind.requires}, "
            "which this installation of physsynth does not have; upgrade physsynth "
            "or use another kind"
        )
    return kind


# ------------------------------------------------------------------ strike (half-sine pulse)
def _render_strike(model, p, ctx):
    from physsynth.excitation.strike import MALLETS, strike
    from physsynth.simulate.linear import render

    node, point = ctx.locate(p["at"], "excitation.at")
    hit = strike(
        model,
        point,
        direction=p["direction"],
        mallet=p["mallet"] or "medium",
        contact_time=p["contact_time"],
        impulse=p["impulse"],
        sr=ctx.sr,
    )
    pickups = ctx.pickups(hit.node, hit.direction)
    audio = render(model, hit, pickups, duration=ctx.duration, quantity=ctx.quantity)
    return audio, {
        "excitation_node": int(hit.node),
        "excitation_point": model.mesh.points[hit.node].tolist(),
        "excitation_direction": hit.direction.tolist(),
        "contact_time_s": p["contact_time"] or MALLETS[p["mallet"] or "medium"],
    }


def _canonical_strike(p):
    if p["contact_time"] is not None:
        p = dict(p, mallet=None)  # an explicit contact time overrides the preset
    return p


def _strike_kind() -> ExcitationKind:
    from physsynth.excitation.strike import MALLETS

    return ExcitationKind(
        "strike",
        (
            Param("at", "position", doc="strike point"),
            Param("direction", "vec3", None, doc="force direction (default: into the surface)"),
            Param(
                "mallet",
                "str",
                "medium",
                choices=tuple(MALLETS),
                doc="contact-time preset: soft 3 ms, medium 1 ms, hard 0.25 ms",
            ),
            Param("contact_time", "float", None, low=0.0, unit="s", doc="half-sine contact time (overrides mallet)"),
            Param("impulse", "float", 1e-2, low=0.0, unit="N s", doc="time integral of the force"),
        ),
        _render_strike,
        doc="half-sine contact pulse at a point (physsynth.strike)",
        canonical=_canonical_strike,
    )


register_excitation(_strike_kind())


# ------------------------------------------------------------------ issue 5: events of a score
# A physical mallet, a pluck (release from a static force) or a noise burst at a point: one
# event of physsynth.excitation.score, rendered by its time-stepped simulation (the contact
# force comes out of the coupled mallet-object system, not from a preset pulse).
_EVENT_KEYS = {  # batch parameter -> score event field
    "mallet": {"mallet": "mallet", "velocity": "velocity", "mass": "mass"},
    "pluck": {"force": "force"},
    "noise": {"noise_duration": "duration", "force": "force", "seed": "seed"},
}


def _event_fields(name, p, seed=0) -> dict:
    fields = {"time": 0.0, "kind": name, "at": [0.0, 0.0, 0.0]}
    if p.get("direction") is not None:
        fields["direction"] = p["direction"]
    for key, field_ in _EVENT_KEYS[name].items():
        if p.get(key) is not None:
            fields[field_] = p[key]
    if name == "noise":
        if (p["band_low"] is None) != (p["band_high"] is None):
            raise SpecError("give both band_low and band_high (Hz), or neither")
        if p["band_low"] is not None:
            fields["band"] = [p["band_low"], p["band_high"]]
        if p["seed"] is None:
            fields["seed"] = seed
    return fields


def _check_event(p, key):
    from physsynth.excitation.score import event_from_fields

    try:
        event_from_fields(_event_fields(p["kind"], p), key)
    except PhyssynthError as exc:
        raise SpecError(f"{key}: {exc}") from None


def _render_event(model, p, ctx):
    from physsynth.excitation.score import event_from_fields, resolve_position
    from physsynth.simulate.score import render_score

    node, point = ctx.locate(p["at"], "excitation.at")
    # the item's own seed (from its ID) unless the spec gives one: 32 bits for numpy
    fields = _event_fields(p["kind"], p, seed=ctx.seed % 2**32)
    fields["at"] = [float(x) for x in point]
    ev = event_from_fields(fields, "excitation")
    node, d = resolve_position(model, ev.at, None, ev.direction)
    res = render_score(model, [ev], ctx.pickups(node, d), sr=ctx.sr, duration=ctx.duration, quantity=ctx.quantity)
    info = {
        "excitation_node": int(node),
        "excitation_point": model.mesh.points[node].tolist(),
        "excitation_direction": np.asarray(d).tolist(),
    }
    if p["kind"] == "noise":
        info["noise_seed"] = int(fields["seed"])
    if res.mallets:
        st = res.mallets[0]
        info.update(
            contact_time_s=st["contact_time"],
            peak_force_n=st["peak_force"],
            contacts=st["contacts"],
            rebound_velocity_m_s=st["rebound_velocity"],
            substeps=int(res.n_sub),
        )
    return res.audio, info


_AT = Param("at", "position", doc="where")
_DIRECTION = Param("direction", "vec3", None, doc="force direction (default: into the surface)")
register_excitation(
    ExcitationKind(
        "mallet",
        (
            _AT,
            Param("mallet", "str", "rubber", doc="felt, rubber, wood, plastic or metal"),
            Param(
                "velocity",
                "float",
                None,
                low=0.0,
                high=MAX_IMPACT_VELOCITY,
                unit="m/s",
                doc="impact velocity (default the mallet's)",
            ),
            Param("mass", "float", None, low=0.0, unit="kg", doc="head mass (default the mallet's)"),
            _DIRECTION,
        ),
        _render_event,
        doc="a physical mallet (Hertz or felt tip) time-stepped with the object",
        requires="physsynth.excitation.mallet",
        check=_check_event,
    )
)
register_excitation(
    ExcitationKind(
        "pluck",
        (_AT, Param("force", "float", 1.0, unit="N", doc="static force released"), _DIRECTION),
        _render_event,
        doc="release from the displacement a static point force holds",
        requires="physsynth.excitation.score",
        check=_check_event,
    )
)
register_excitation(
    ExcitationKind(
        "noise",
        (
            _AT,
            Param("noise_duration", "float", 0.1, low=0.0, unit="s", doc="burst length"),
            Param("force", "float", 0.1, low=0.0, unit="N", doc="RMS force"),
            Param("band_low", "float", None, low=0.0, unit="Hz", doc="band-pass low edge"),
            Param("band_high", "float", None, low=0.0, unit="Hz", doc="band-pass high edge"),
            Param("seed", "int", None, doc="noise seed (default: derived from the item's ID)"),
            _DIRECTION,
        ),
        _render_event,
        doc="a burst of (band-limited) noise force at a point",
        requires="physsynth.excitation.signals",
        check=_check_event,
    )
)


# ------------------------------------------------------------------ issue 5: friction
def _render_rub(model, p, ctx):
    from physsynth.simulate.friction import rub

    if "strike" in ctx.pickup_positions and ctx.pickup_positions != ["strike"]:
        raise SpecError("pickups: a rub has no strike point; give positions on the object")
    pickups = None if ctx.pickup_positions == ["strike"] else ctx.pickups(None, None)
    res = rub(
        model,
        force=p["force"],
        speed=p["speed"],
        duration=ctx.duration,
        sr=ctx.sr,
        height=p["height"],
        region=p["region"],
        pickups=pickups,
        detune_cents=p["detune_cents"],
        attack=p["attack"],
        quantity=ctx.quantity,
        start_angle=p["start_angle"],
    )
    return res.audio, {"oversample": int(res.oversample), "threshold_force_n": float(np.min(res.threshold))}


def _render_bow(model, p, ctx):
    from physsynth.excitation.friction import point_contact
    from physsynth.simulate.friction import bow_modal

    node, point = ctx.locate(p["at"], "excitation.at")
    path = point_contact(model, point, p["direction"])
    res = bow_modal(
        model,
        point,
        direction=p["direction"],
        force=p["force"],
        speed=p["speed"],
        duration=ctx.duration,
        sr=ctx.sr,
        attack=p["attack"],
        pickups=ctx.pickups(path.node, path.direction),
        quantity=ctx.quantity,
    )
    return res.audio, {
        "excitation_node": int(path.node),
        "excitation_point": model.mesh.points[path.node].tolist(),
        "oversample": int(res.oversample),
        "threshold_force_n": float(np.min(res.threshold)),
    }


register_excitation(
    ExcitationKind(
        "rub",
        (
            Param("force", "float", low=0.0, high=MAX_NORMAL_FORCE, unit="N", doc="normal force of the puja"),
            Param("speed", "float", low=0.0, high=MAX_SLIDING_SPEED, unit="m/s", doc="puja speed along the rim"),
            Param("height", "float", None, unit="m", doc="height of the rubbed ring (default: the rim)"),
            Param("region", "str", "outer", doc="surface region the ring lies on"),
            Param("detune_cents", "float", 0.0, doc="split each doublet by this much"),
            Param("attack", "float", 0.3, low=0.0, unit="s", doc="force and speed ramp"),
            Param("start_angle", "float", 0.0, unit="rad", doc="where the puja starts"),
        ),
        _render_rub,
        doc="rub a bowl's rim with a puja (friction, Inacio et al. 2006)",
        requires="physsynth.excitation.friction",
    )
)
register_excitation(
    ExcitationKind(
        "bow",
        (
            _AT,
            Param("direction", "vec3", doc="sliding direction of the bow"),
            Param("force", "float", low=0.0, high=MAX_NORMAL_FORCE, unit="N", doc="bow force"),
            Param("speed", "float", low=0.0, high=MAX_SLIDING_SPEED, unit="m/s", doc="bow speed"),
            Param("attack", "float", 0.05, low=0.0, unit="s", doc="force and speed ramp"),
        ),
        _render_bow,
        doc="bow a point (friction, Essl & Cook 2000)",
        requires="physsynth.excitation.friction",
    )
)
