"""The sweep spec: a TOML (or YAML, or JSON) file of meshes, materials, excitations, pickups,
durations and sample rates, and the list of items it stands for.

Every list at an axis position is swept: with ``product = true`` (the default) the items are
the cartesian product mesh x material x excitation x pickup set x sample rate x duration x
quantity, where a list inside an excitation (``mallet = ["soft", "hard"]``, several ``at``
points, ``{random = 8, region = "outer"}``) expands that excitation. With ``product = false``
the items are the ``[[items]]`` tables, each naming its mesh, material, excitation ... .
See docs/batch.md for the full format and an example.

Each item has an ID: the first 16 hex digits of the SHA-256 of its full parameters (including
the SHA-256 of its mesh file or generator script), so the same spec gives the same IDs on every
run and machine, and an item's files are named by its ID. Items whose modal model is the same
(same mesh, analysis and material) share a model key.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from dataclasses import dataclass, field

import numpy as np

from physsynth import validate
from physsynth._version import __version__
from physsynth.batch._base import SpecError, short_hash
from physsynth.batch.excitations import get_excitation
from physsynth.batch.meshes import MeshSource, build_mesh, parse_mesh
from physsynth.batch.positions import RenderContext, parse_listeners, parse_pickup_positions, pickup_channels
from physsynth.damping import DampingLaw, LossFactor
from physsynth.errors import MaterialError, PhyssynthError
from physsynth.materials import custom_material, get_material
from physsynth.radiation._base import METHODS as RADIATION_METHODS

TOP_KEYS = (
    "name",
    "description",
    "product",
    "sr",
    "duration",
    "quantity",
    "format",
    "headroom_db",
    "fade",
    "snap_tolerance",
    "analysis",
    "meshes",
    "materials",
    "excitations",
    "pickups",
    "items",
)
QUANTITIES = ("velocity", "displacement", "acceleration")
FORMATS = ("pcm24", "pcm16", "float32")
DEFAULTS = {
    "sr": 48000,
    "duration": 1.0,
    "quantity": "velocity",
    "format": "pcm24",
    "headroom_db": 1.0,
    "fade": 0.05,
    "snap_tolerance": None,
}
#: The default pickup set: one channel at the excitation point, along its direction.
DRIVING_POINT = {"name": "strike", "at": ["strike"]}
#: Deepest bracket nesting read (a spec needs 3 or 4 levels).
MAX_NESTING = 64
#: Largest spec file read (bytes).
MAX_SPEC_BYTES = 64 * 2**20
#: Most items one sweep may have (a million files; split a larger sweep into several specs).
MAX_ITEMS = 1_000_000
#: Bytes per sample of each WAV format.
FORMAT_BYTES = {"pcm16": 2, "pcm24": 3, "float32": 4}
#: Mesh kinds whose positions are checked when the spec is read (their meshes load in well
#: under a second); generated gmsh meshes (bowl, plate) are checked on the worker that makes them.
CHECKED_MESH_KINDS = ("file", "bar")


@dataclass(frozen=True)
class ModelInput:
    """What a modal model is made from: a mesh, a material and the analysis options."""

    key: str
    mesh: MeshSource
    material: dict
    analysis: dict


@dataclass(frozen=True)
class Item:
    """One sound of the sweep.

    Attributes
    ----------
    id : str
        16 hex digits, the hash of ``params``.
    index : int
        Position in the spec's order.
    params : dict
        Every parameter, JSON-able: ``mesh``, ``analysis``, ``material``, ``excitation``,
        ``pickups``, ``sr``, ``duration``, ``quantity``, ``format``, ``headroom_db``, ``fade``,
        ``snap_tolerance``.
    model_key : str
        Key of the item's :class:`ModelInput` (its cache file is ``models/<key>.npz``).
    """

    id: str
    index: int
    params: dict
    model_key: str

    @property
    def seed(self) -> int:
        """A 63-bit seed derived from the ID, for kinds with randomness."""
        return int(self.id, 16) >> 1


@dataclass(frozen=True)
class Sweep:
    """A parsed spec: its items, in order, and the models they need."""

    source: str
    name: str
    items: tuple
    models: dict
    duplicates: int = 0
    warnings: tuple = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def wav_bytes(self) -> int:
        """Bytes of all the sweep's WAV files (samples x channels x sample size, 44-byte headers)."""
        return sum(_item_bytes(it.params) for it in self.items)


def _channels(params) -> int:
    return pickup_channels(params["pickups"])


def _item_bytes(params) -> int:
    n = int(round(params["duration"] * params["sr"]))
    return 44 + n * _channels(params) * FORMAT_BYTES[params["format"]]


# ------------------------------------------------------------------ reading
def read_spec(path) -> dict:
    """The raw table of a spec file: TOML (.toml), YAML (.yaml, .yml; needs PyYAML) or JSON."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise SpecError(f"the spec must be a file name, got {path!r}") from None
    name = os.path.basename(path)
    ext = os.path.splitext(path)[1].lower()
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"cannot read the spec {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(
            f"{name}: the spec is larger than {MAX_SPEC_BYTES // 2**20} MiB; a sweep spec lists axes, not items "
            "(use random positions or lists of values)"
        )
    # brackets nested deeper than any spec needs: refused before a (pure-Python) parser
    # spends seconds on them (brackets inside strings count too; no real spec comes near)
    b = np.frombuffer(data, dtype=np.uint8)
    step = np.isin(b, (ord("["), ord("{"))).astype(np.int32) - np.isin(b, (ord("]"), ord("}"))).astype(np.int32)
    if step.size and int(np.cumsum(step).max()) > MAX_NESTING:
        raise SpecError(f"{name}: brackets nested more than {MAX_NESTING} deep; a spec is a few levels of tables")
    try:
        return _parse_text(data, name, ext)
    except RecursionError:
        raise SpecError(f"{name}: the spec is nested too deeply to read; a spec is a few levels of tables") from None


def _parse_text(data: bytes, name: str, ext: str) -> dict:
    if ext == ".toml":
        try:
            import tomllib
        except ImportError:  # Python 3.10
            try:
                import tomli as tomllib
            except ImportError:
                raise SpecError("reading TOML on Python 3.10 needs tomli: pip install tomli") from None
        try:
            raw = tomllib.loads(data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SpecError(f"{name}: not valid TOML: {exc}") from None
    elif ext in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise SpecError("a YAML spec needs PyYAML: pip install pyyaml (or write the spec in TOML)") from None
        try:
            raw = yaml.safe_load(data)
        except yaml.YAMLError as exc:
            raise SpecError(f"{name}: not valid YAML: {' '.join(str(exc).split())}") from None
    elif ext == ".json":
        try:
            raw = json.loads(data)
        except ValueError as exc:
            raise SpecError(f"{name}: not valid JSON: {exc}") from None
    else:
        raise SpecError(f"{name}: unknown spec format {ext or '(no extension)'!r}; use .toml, .yaml or .json")
    if not isinstance(raw, dict):
        raise SpecError(f"{name}: the spec must be a table of keys (meshes, materials, ...)")
    return raw


def load_spec(path, *, pickups: list | None = None) -> Sweep:
    """Read and check a spec file; errors name the file and the key. ``pickups`` (a list of
    pickup tables) replaces the spec's own (``physsynth batch --listener``)."""
    raw = read_spec(path)
    if pickups is not None:
        raw = {**raw, "pickups": pickups}
    try:
        return parse_spec(raw, base_dir=os.path.dirname(os.path.abspath(path)), source=os.path.abspath(path))
    except SpecError as exc:
        raise SpecError(f"{os.path.basename(path)}: {exc}") from None
    except RecursionError:
        raise SpecError(
            f"{os.path.basename(path)}: a value is nested too deeply; a spec is a few levels of tables"
        ) from None


# ------------------------------------------------------------------ checks
def _check_keys(table, known, key):
    for k in table:
        if k not in known:
            raise SpecError(f"{key + '.' if key else ''}{k}: unknown key (known: {', '.join(known)})")


def _names(v, key) -> list:
    if isinstance(v, str):
        v = [v]
    if not (isinstance(v, list) and v and all(isinstance(x, str) and x for x in v)):
        raise SpecError(f"{key}: expected a name or a list of names, got {v!r}")
    return v


def _scalar(raw, key, typ, *, low=None, choices=(), allow_list=True, nonneg=False) -> list:
    """A top-level value or axis: a list of checked values (numbers > ``low``, or >= 0 with
    ``nonneg``)."""
    vals = raw if isinstance(raw, list) else [raw]
    if isinstance(raw, list) and (not raw or not allow_list):
        raise SpecError(f"{key}: give one value" if raw else f"{key}: empty list")
    out = []
    for i, v in enumerate(vals):
        k = f"{key}[{i}]" if isinstance(raw, list) else key
        if typ is str:
            if v not in choices:
                raise SpecError(f"{k}: expected one of {', '.join(choices)}, got {v!r}")
            out.append(v)
            continue
        ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        if ok and typ is int:
            ok = float(v).is_integer()
        bad = not ok or v != v or v in (float("inf"), -float("inf"))
        bad = bad or (low is not None and not v > low) or (nonneg and v < 0)
        if bad:
            what = "an integer" if typ is int else "a number"
            bound = f" > {low:g}" if low is not None else " >= 0" if nonneg else ""
            raise SpecError(f"{k}: expected {what}{bound}, got {v!r}")
        out.append(typ(v))
    return out


def _material(entry, key) -> dict:
    try:
        if isinstance(entry, str):
            m = get_material(entry)
        elif isinstance(entry, dict):
            _check_keys(entry, ("name", "E", "nu", "rho", "damping", "loss_factor"), key)
            custom = [entry.get(k) for k in ("E", "nu", "rho")]
            name = entry.get("name")
            if any(v is not None for v in custom):
                if any(v is None for v in custom):
                    missing = [k for k, v in zip(("E", "nu", "rho"), custom) if v is None][0]
                    raise SpecError(f"{key}.{missing}: a custom material needs E (Pa), nu and rho (kg/m^3)")
                for k, v in zip(("E", "nu", "rho"), custom):
                    if not isinstance(v, (int, float)) or isinstance(v, bool):
                        raise SpecError(f"{key}.{k}: expected a number, got {v!r}")
                m = custom_material(*custom, name=str(name or "custom"))
            elif name is None:
                raise SpecError(f"{key}: give a library name or E, nu and rho")
            else:
                m = get_material(str(name))
            if "damping" in entry and "loss_factor" in entry:
                raise SpecError(f"{key}: give damping or loss_factor, not both")
            if "damping" in entry:
                d = entry["damping"]
                if not isinstance(d, dict):
                    raise SpecError(f'{key}.damping: expected a table like {{kind = "loss_factor", eta = 1e-3}}}}')
                try:
                    law = DampingLaw.from_dict(d)
                except TypeError as exc:
                    raise SpecError(f"{key}.damping: {exc}") from None
                m = m.with_damping(law)
            if "loss_factor" in entry:
                eta = entry["loss_factor"]
                if not isinstance(eta, (int, float)) or isinstance(eta, bool):
                    raise SpecError(f"{key}.loss_factor: expected a number, got {eta!r}")
                m = m.with_damping(LossFactor(float(eta)))
        else:
            raise SpecError(f"{key}: expected a library name or a table")
    except MaterialError as exc:
        raise SpecError(f"{key}: {exc}") from None
    return {"name": m.name, "E": m.E, "nu": m.nu, "rho": m.rho, "damping": m.damping.to_dict()}


def _analysis(top, mesh_keys, key) -> dict:
    """The modal-analysis options of a mesh: the spec's [analysis], overridden by the mesh."""
    a = {
        "n_modes": None,
        "fmax": None,
        "order": 2,
        "solver": "auto",
        "clamp": [],
        "support": [],
        "thickness": None,
        "tension": None,
        "areal_density": None,
    }
    for src, k0 in ((top, "analysis"), (mesh_keys, key)):
        if "n_modes" in src and "fmax" in src:
            raise SpecError(f"{k0}: give n_modes or fmax, not both")
        if "n_modes" in src or "fmax" in src:
            a["n_modes"] = a["fmax"] = None
        for k, v in src.items():
            kk = f"{k0}.{k}"
            if k == "n_modes":
                a[k] = _scalar(v, kk, int, low=0, allow_list=False)[0]
            elif k == "order":
                if v not in (1, 2) or isinstance(v, bool):
                    raise SpecError(f"{kk}: the element order is 1 or 2, got {v!r}")
                a[k] = int(v)
            elif k == "solver":
                if not isinstance(v, str):
                    raise SpecError(f"{kk}: expected a backend name (auto, cholmod, pardiso, superlu)")
                a[k] = v
            elif k in ("clamp", "support"):
                a[k] = _names(v, kk)
            else:
                a[k] = _scalar(v, kk, float, low=0, allow_list=False)[0]
    return a


def _filter(entry, key, meshes) -> set | None:
    if "meshes" not in entry:
        return None
    names = _names(entry.pop("meshes"), f"{key}.meshes")
    for n in names:
        if n not in meshes:
            raise SpecError(f"{key}.meshes: no mesh named {n!r} (meshes: {', '.join(meshes)})")
    return set(names)


def _excitations(entry, key, meshes) -> tuple[list, set | None]:
    """All the excitations one entry stands for (its lists expanded), and its mesh filter."""
    if not isinstance(entry, dict):
        raise SpecError(f"{key}: expected a table with kind = ... and its parameters")
    entry = dict(entry)
    only = _filter(entry, key, meshes)
    name = entry.pop("kind", "strike")
    kind = get_excitation(name, f"{key}.kind")
    known = [p.name for p in kind.params]
    for k in entry:
        if k not in known:
            raise SpecError(f"{key}.{k}: unknown parameter of excitation kind {name!r} (known: {', '.join(known)})")
    axes = [p.values(entry.get(p.name), f"{key}.{p.name}") for p in kind.params]
    n = math.prod(len(a) for a in axes)
    if n > MAX_ITEMS:
        raise SpecError(f"{key}: its lists expand to {n:,} excitations, more than the {MAX_ITEMS:,} items of a sweep")
    out = []
    for combo in itertools.product(*axes):
        p = {"kind": name, **dict(zip(known, combo))}
        p = kind.canonical(p) if kind.canonical else p
        if kind.check:
            kind.check(p, key)
        out.append(p)
    return out, only


def _pickups(entry, key, meshes) -> tuple[dict, set | None]:
    if not isinstance(entry, dict):
        raise SpecError(f'{key}: expected a table like {{name = "stereo", at = [[x, y, z], [x, y, z]]}}}}')
    entry = dict(entry)
    only = _filter(entry, key, meshes)
    _check_keys(entry, ("name", "at", "listen", "radiation", "floor", "radiation_damping", "meshes"), key)
    if "at" not in entry and "listen" not in entry:
        raise SpecError(
            f'{key}.at: required (a list of positions, one per channel, or "strike"), or listen = [[x, y, z]] '
            "for listeners in the air"
        )
    at = parse_pickup_positions(entry["at"], f"{key}.at") if "at" in entry else []
    name = entry.get("name", f"pickups{key[key.find('[') :] if '[' in key else ''}")
    if not isinstance(name, str):
        raise SpecError(f"{key}.name: expected a string")
    out = {"name": name, "at": at}
    if "listen" in entry:
        out["listen"] = parse_listeners(entry["listen"], f"{key}.listen")
        method = entry.get("radiation")
        if method is not None and method not in RADIATION_METHODS:
            raise SpecError(f"{key}.radiation: expected one of {', '.join(RADIATION_METHODS)}, got {method!r}")
        floor = entry.get("floor")
        number = isinstance(floor, (int, float)) and not isinstance(floor, bool)
        if floor is not None and not (number and math.isfinite(floor)):
            raise SpecError(f"{key}.floor: expected the floor's height z in metres, got {floor!r}")
        damping = entry.get("radiation_damping", True)
        if not isinstance(damping, bool):
            raise SpecError(f"{key}.radiation_damping: expected true or false, got {damping!r}")
        out.update(radiation=method, floor=None if floor is None else float(floor), radiation_damping=damping)
    elif {"radiation", "floor", "radiation_damping"} & set(entry):
        raise SpecError(f"{key}: radiation, floor and radiation_damping are for listeners (listen = [[x, y, z]])")
    return out, only


def _list_of_tables(raw, key, *, allow_strings=False) -> list:
    if isinstance(raw, dict):
        raw = [raw]
    if allow_strings and isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise SpecError(f"{key}: expected a non-empty list ([[{key}]] tables)")
    return raw


# ------------------------------------------------------------------ the spec
def parse_spec(raw: dict, *, base_dir: str = ".", source: str = "<spec>") -> Sweep:
    """A Sweep from a spec's raw table (see :func:`load_spec`)."""

    _check_keys(raw, TOP_KEYS, "")
    product = raw.get("product", True)
    if not isinstance(product, bool):
        raise SpecError(f"product: expected true or false, got {product!r}")
    name = raw.get("name", os.path.splitext(os.path.basename(source))[0])
    if not isinstance(name, str):
        raise SpecError("name: expected a string")

    axes = {
        "sr": [
            validate.sample_rate(v, "sr", error=SpecError)
            for v in _scalar(raw.get("sr", DEFAULTS["sr"]), "sr", int, low=0)
        ],
        "duration": _scalar(raw.get("duration", DEFAULTS["duration"]), "duration", float, low=0),
        "quantity": _scalar(raw.get("quantity", DEFAULTS["quantity"]), "quantity", str, choices=QUANTITIES),
    }
    fixed = {
        "format": _scalar(raw.get("format", "pcm24"), "format", str, choices=FORMATS, allow_list=False)[0],
        "headroom_db": validate.finite(
            _scalar(raw.get("headroom_db", 1.0), "headroom_db", float, nonneg=True, allow_list=False)[0],
            "headroom_db",
            "dB",
            lo=0.0,
            hi=60.0,
            error=SpecError,
        ),
        "fade": _scalar(raw.get("fade", 0.05), "fade", float, nonneg=True, allow_list=False)[0],
        "snap_tolerance": (
            None
            if raw.get("snap_tolerance") is None
            else _scalar(raw["snap_tolerance"], "snap_tolerance", float, low=0, allow_list=False)[0]
        ),
    }

    top_analysis = raw.get("analysis", {})
    if not isinstance(top_analysis, dict):
        raise SpecError("analysis: expected a table (n_modes or fmax, order, solver)")
    _check_keys(top_analysis, ("n_modes", "fmax", "order", "solver"), "analysis")

    if "meshes" not in raw:
        raise SpecError("meshes: required (a list of [[meshes]] tables with a file or a generator)")
    meshes: dict[str, tuple[MeshSource, dict]] = {}
    warnings = []
    for i, e in enumerate(_list_of_tables(raw["meshes"], "meshes")):
        src, akeys = parse_mesh(e, f"meshes[{i}]", base_dir)
        if src.name in meshes:
            raise SpecError(f"meshes[{i}].name: the name {src.name!r} is used twice")
        meshes[src.name] = (src, _analysis(top_analysis, akeys, f"meshes[{i}]"))
        if src.error:
            warnings.append(f"meshes[{i}] ({src.name}): {src.error}; its items will fail")

    if "materials" not in raw:
        raise SpecError('materials: required (library names such as "steel", or tables with E, nu, rho)')
    materials: dict[str, dict] = {}
    for i, e in enumerate(_list_of_tables(raw["materials"], "materials", allow_strings=True)):
        m = _material(e, f"materials[{i}]")
        if m["name"] in materials:
            raise SpecError(f"materials[{i}]: the name {m['name']!r} is used twice")
        materials[m["name"]] = m

    pickups = []
    if "pickups" in raw:
        for i, e in enumerate(_list_of_tables(raw["pickups"], "pickups")):
            pickups.append(_pickups(e, f"pickups[{i}]", meshes))
    else:
        pickups.append((DRIVING_POINT, None))

    models: dict[str, ModelInput] = {}

    def model_for(mesh_name, mat):
        src, analysis = meshes[mesh_name]
        phys = {k: mat[k] for k in ("E", "nu", "rho", "damping")}
        key = short_hash({"mesh": src.identity(), "analysis": analysis, "material": phys, "physsynth": __version__})
        if key not in models:
            models[key] = ModelInput(key, src, mat, analysis)
        return key

    def params_of(mesh_name, mat, exc, pk, sr, duration, quantity):
        src, analysis = meshes[mesh_name]
        return {
            "mesh": {"name": src.name, **src.identity()},
            "analysis": analysis,
            "material": mat,
            "excitation": exc,
            "pickups": pk,
            "sr": sr,
            "duration": duration,
            "quantity": quantity,
            **fixed,
        }

    rows = []  # (params, model key)
    if product:
        if "items" in raw:
            raise SpecError("items: an explicit list of items needs product = false")
        if "excitations" not in raw:
            raise SpecError('excitations: required (e.g. [[excitations]] kind = "strike", at = [x, y, z])')
        excs = [
            _excitations(e, f"excitations[{i}]", meshes)
            for i, e in enumerate(_list_of_tables(raw["excitations"], "excitations"))
        ]
        bound = (
            len(meshes)
            * len(materials)
            * sum(len(x) for x, _ in excs)
            * len(pickups)
            * len(axes["sr"])
            * len(axes["duration"])
            * len(axes["quantity"])
        )
        if bound > MAX_ITEMS:
            raise SpecError(
                f"the sweep expands to up to {bound:,} items (meshes x materials x excitations x pickups x "
                f"sr x duration x quantity), more than {MAX_ITEMS:,}; split it into several specs"
            )
        for mesh_name in meshes:
            for mat in materials.values():
                mkey = None
                for exc_list, only in excs:
                    if only is not None and mesh_name not in only:
                        continue
                    for exc in exc_list:
                        for pk, ponly in pickups:
                            if ponly is not None and mesh_name not in ponly:
                                continue
                            for sr, dur, q in itertools.product(axes["sr"], axes["duration"], axes["quantity"]):
                                mkey = mkey or model_for(mesh_name, mat)
                                rows.append((params_of(mesh_name, mat, exc, pk, sr, dur, q), mkey))
    else:
        if "items" not in raw:
            raise SpecError("items: product = false needs an explicit list of [[items]]")
        if "excitations" in raw:
            raise SpecError("excitations: with product = false, each item gives its excitation")
        named_pk = {pk["name"]: pk for pk, _ in pickups}
        for i, it in enumerate(_list_of_tables(raw["items"], "items")):
            key = f"items[{i}]"
            if not isinstance(it, dict):
                raise SpecError(f"{key}: expected a table with mesh, material, excitation ...")
            _check_keys(it, ("mesh", "material", "excitation", "pickups", "sr", "duration", "quantity"), key)
            mesh_name = it.get("mesh")
            if mesh_name not in meshes:
                raise SpecError(
                    f"{key}.mesh: expected one of the meshes' names ({', '.join(meshes)}), got {mesh_name!r}"
                )
            m = it.get("material")
            if m is None:
                raise SpecError(f"{key}.material: required")
            mat = materials[m] if isinstance(m, str) and m in materials else _material(m, f"{key}.material")
            if "excitation" not in it:
                raise SpecError(f"{key}.excitation: required (a table with kind and its parameters)")
            exc_list, _ = _excitations(it["excitation"], f"{key}.excitation", meshes)
            p = it.get("pickups")
            if p is None:
                pk = pickups[0][0] if "pickups" in raw else DRIVING_POINT
            elif isinstance(p, str):
                if p not in named_pk:
                    raise SpecError(f"{key}.pickups: no pickup set named {p!r} (sets: {', '.join(named_pk)})")
                pk = named_pk[p]
            else:
                pk, _ = _pickups(p, f"{key}.pickups", meshes)
            vals = {}
            for k in ("sr", "duration", "quantity"):
                if k in it:
                    typ = {"sr": int, "duration": float, "quantity": str}[k]
                    vals[k] = _scalar(
                        it[k], f"{key}.{k}", typ, low=None if typ is str else 0, choices=QUANTITIES, allow_list=False
                    )[0]
                    if k == "sr":
                        vals[k] = validate.sample_rate(vals[k], f"{key}.sr", error=SpecError)
                elif len(axes[k]) > 1:
                    raise SpecError(
                        f"{k}: with product = false give one value (the default of every item) or give {key}.{k}"
                    )
                else:
                    vals[k] = axes[k][0]
            mkey = model_for(mesh_name, mat)
            if len(rows) + len(exc_list) > MAX_ITEMS:
                raise SpecError(f"{key}: the sweep has more than {MAX_ITEMS:,} items; split it into several specs")
            for exc in exc_list:
                rows.append((params_of(mesh_name, mat, exc, pk, vals["sr"], vals["duration"], vals["quantity"]), mkey))
    if not rows:
        raise SpecError("the spec gives no items (check the meshes filters of the excitations and pickups)")
    items, seen = [], set()
    for params, mkey in rows:
        iid = short_hash(params)
        if iid in seen:
            continue
        seen.add(iid)
        items.append(Item(iid, len(items), params, mkey))
    used = {it.model_key for it in items}
    _check_lengths(items)
    _check_positions(items, {n: src for n, (src, _) in meshes.items()})
    return Sweep(
        source,
        name,
        tuple(items),
        {k: v for k, v in models.items() if k in used},
        duplicates=len(rows) - len(items),
        warnings=tuple(warnings),
    )


def _check_lengths(items) -> None:
    """Each render within the memory budget (duration x sr x channels, validate.check_samples),
    and the fade no longer than the render, before anything is written."""
    seen = set()
    for it in items:
        p = it.params
        key = (p["duration"], p["sr"], _channels(p))
        if key in seen:
            continue
        seen.add(key)
        try:
            validate.check_samples(p["duration"], p["sr"], _channels(p), error=SpecError)
        except SpecError as exc:
            raise SpecError(f"duration: {exc}") from None
    fade = items[0].params["fade"] if items else 0.0
    shortest = min((it.params["duration"] for it in items), default=math.inf)
    if fade > shortest:
        raise SpecError(f"fade: {fade:g} s is longer than the shortest render ({shortest:g} s); shorten the fade")


class _MeshOnly:
    """What :class:`RenderContext` asks of a model, from the mesh alone (no modal analysis)."""

    def __init__(self, mesh):
        self.mesh = mesh
        self._surf = mesh.surface_nodes()

    def nearest_surface_node(self, point) -> int:
        p = np.asarray(point, dtype=float)
        d2 = np.einsum("ij,ij->i", self.mesh.points[self._surf] - p, self.mesh.points[self._surf] - p)
        return int(self._surf[int(np.argmin(d2))])


def _check_positions(items, sources: dict) -> None:
    """Every excitation and pickup position of every item resolved on its mesh (snapped within
    snap_tolerance, regions and predicates selecting something), for the meshes that load
    quickly (:data:`CHECKED_MESH_KINDS`), so that a point off the object is refused when the
    spec is read, not recorded as a failed item."""
    views: dict = {}
    checked: set = set()
    for it in items:
        p = it.params
        name = p["mesh"]["name"]
        src = sources[name]
        if src.kind not in CHECKED_MESH_KINDS or src.error:
            continue
        if name not in views:
            try:
                views[name] = _MeshOnly(build_mesh(src))
            except PhyssynthError as exc:
                raise SpecError(f"meshes ({name}): {exc}") from None
        kind = get_excitation(p["excitation"]["kind"])
        positions = [
            (f"excitation {p['excitation']['kind']}.{q.name}", p["excitation"][q.name])
            for q in kind.params
            if q.type == "position" and p["excitation"].get(q.name) is not None
        ]
        positions += [(f"pickups {p['pickups']['name']}.at[{i}]", v) for i, v in enumerate(p["pickups"]["at"])]
        for what, pos in positions:
            if pos == "strike":
                continue
            # random points lie on their region by construction: check the region once
            rid = {k: v for k, v in pos.items() if k != "index"} if isinstance(pos, dict) else pos
            sig = (name, p.get("snap_tolerance"), repr(rid))
            if sig in checked:
                continue
            checked.add(sig)
            ctx = RenderContext(views[name], {**p, "pickups": {"at": []}}, seed=0)
            try:
                ctx.locate(pos, what)
            except PhyssynthError as exc:
                raise SpecError(f"mesh {name!r}: {exc}") from None
