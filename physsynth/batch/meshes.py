"""The meshes of a sweep: files, or generators with parameters, built where the model is made.

A mesh entry of a spec is one of::

    {name = "part", file = "part.msh", units = "mm"}                 # any file load_mesh reads
    {name = "bar", generator = "bar", length = 0.2, width = 0.012,
     height = 0.006, n = [20, 2, 1]}                                 # physsynth.bar_mesh (no gmsh)
    {name = "bowl", generator = "bowl", diameter = 0.15, mesh_size = 0.008}   # meshes/make_bowl.py
    {name = "plate", generator = "plate", shape = "rect", dims = [0.3, 0.2], size = 0.008,
     thickness = 0.002}                                              # meshes/make_plates.py

The client reads a file (or the generator script) once, hashes it into the item IDs and the
model cache key, and ships the bytes with the model task: the workers need no copy of the
inputs. A generator runs on the worker that makes the model (gmsh must be installed there).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import sys
import tempfile
import threading
import types
from dataclasses import dataclass, replace

from physsynth.batch._base import SpecError
from physsynth.errors import MeshError

GENERATORS = ("bar", "bowl", "plate")
_SCRIPTS = {"bowl": "make_bowl.py", "plate": "make_plates.py"}
#: Keys of a mesh entry that set up its modal analysis (see physsynth.modal_analysis).
ANALYSIS_KEYS = ("n_modes", "fmax", "order", "clamp", "support", "thickness", "tension", "areal_density")


@dataclass(frozen=True)
class MeshSource:
    """Where a sweep's mesh comes from.

    Attributes
    ----------
    name : str
        The label in the spec.
    kind : {"file", "bar", "bowl", "plate"}
    params : dict
        Everything that determines the mesh, JSON-able: a file's name, SHA-256 and units, or a
        generator's full parameters (defaults filled in) and its script's SHA-256.
    payload : bytes or None
        The file's bytes, or the generator script's source.
    path : str
        The file or script path on the client (for messages).
    error : str or None
        Why the mesh cannot be built (a missing file): the items of this mesh fail with it.
    """

    name: str
    kind: str
    params: dict
    payload: bytes | None = None
    path: str = ""
    error: str | None = None

    def identity(self) -> dict:
        """What the mesh is, without its label: part of the model cache key."""
        return {"source": self.kind, **self.params}


# ------------------------------------------------------------------ parsing (client side)
def _number(v, key, *, low=0.0, integer=False):
    ok = isinstance(v, (int, float)) and not isinstance(v, bool)
    if ok and integer:
        ok = float(v).is_integer()
    if not ok or not math.isfinite(v) or not v > low:
        kind = "an integer" if integer else "a number"
        raise SpecError(f"{key}: expected {kind} > {low:g}, got {v!r}")
    return int(v) if integer else float(v)


def find_script(generator: str) -> str:
    """Path of a mesh generator script in meshes/ (source checkout or PHYSSYNTH_MESHES)."""
    name = _SCRIPTS[generator]
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates = [os.environ.get("PHYSSYNTH_MESHES", ""), os.path.join(os.path.dirname(here), "meshes")]
    for c in candidates:
        if c and os.path.exists(os.path.join(c, name)):
            return os.path.join(c, name)
    raise SpecError(
        f"the {generator!r} generator needs meshes/{name}, which was not found "
        f"(looked in {', '.join(c for c in candidates if c)}); set PHYSSYNTH_MESHES to "
        "the meshes/ folder of a physsynth checkout"
    )


class _Gmsh:
    """gmsh, except that ``initialize`` does not install a SIGINT handler outside the main
    thread (Python allows that only in the main thread, and a Dask worker runs its tasks in
    another one)."""

    def __init__(self, gmsh):
        self._gmsh = gmsh

    def __getattr__(self, name):
        return getattr(self._gmsh, name)

    def initialize(self, *args, **kw):
        if threading.current_thread() is not threading.main_thread():
            kw["interruptible"] = False
        return self._gmsh.initialize(*args, **kw)


def load_script(source: bytes, generator: str) -> types.ModuleType:
    """Run a generator script's source as a module (its ``__main__`` block does not run)."""
    try:
        import gmsh
    except ImportError:
        raise SpecError(f"the {generator!r} mesh generator needs gmsh: pip install 'physsynth[mesh]'") from None
    del gmsh
    mod = types.ModuleType(f"_physsynth_{generator}_generator")
    mod.__file__ = _SCRIPTS[generator]  # the scripts derive default output names from it
    exec(compile(source, _SCRIPTS[generator], "exec"), mod.__dict__)  # noqa: S102 - our own script
    return mod


@contextlib.contextmanager
def _gmsh_off_main_thread():
    """Make ``import gmsh`` give :class:`_Gmsh` while a generator runs (the scripts import it
    at the top or inside their functions)."""
    import gmsh

    old = sys.modules.get("gmsh")
    sys.modules["gmsh"] = _Gmsh(gmsh)
    try:
        yield
    finally:
        sys.modules["gmsh"] = old


def _bowl_params(entry, key, source):
    mod = load_script(source, "bowl")
    defaults = {k: v for k, v in vars(mod.parse_args([])).items() if k != "output"}
    out = dict(defaults)
    for k, v in entry.items():
        if k not in defaults:
            raise SpecError(
                f"{key}: unknown key {k!r} for the bowl generator (known: "
                f"{', '.join(sorted(defaults))}, and the analysis keys "
                f"{', '.join(ANALYSIS_KEYS)})"
            )
        if k == "order":
            if v not in (1, 2) or isinstance(v, bool):
                raise SpecError(f"{key}.order: the mesh order is 1 or 2, got {v!r}")
            out[k] = int(v)
        else:
            out[k] = _number(v, f"{key}.{k}", low=-math.inf if k == "rim_angle" else 0.0)
    return out


def parse_mesh(entry, key: str, base_dir: str) -> tuple[MeshSource, dict]:
    """A mesh entry of a spec -> (MeshSource, its analysis keys)."""
    if not isinstance(entry, dict):
        raise SpecError(f"{key}: expected a table with a name and a file or a generator")
    entry = dict(entry)
    analysis = {k: entry.pop(k) for k in ANALYSIS_KEYS if k in entry}
    name = entry.pop("name", None)
    has_file, gen = "file" in entry, entry.pop("generator", None)
    if has_file == (gen is not None):
        raise SpecError(f"{key}: give either file = PATH or generator = {' | '.join(GENERATORS)}")
    if has_file:
        path = entry.pop("file")
        units = entry.pop("units", "m")
        if not isinstance(path, str) or not path:
            raise SpecError(f"{key}.file: expected a path, got {path!r}")
        from physsynth.mesh import UNITS

        if units not in UNITS:
            raise SpecError(f"{key}.units: expected one of {', '.join(UNITS)}, got {units!r}")
        if entry:
            raise SpecError(
                f"{key}: unknown key {sorted(entry)[0]!r} for a mesh file (known: name, "
                f"file, units, {', '.join(ANALYSIS_KEYS)})"
            )
        full = os.path.normpath(os.path.join(base_dir, os.path.expanduser(path)))
        name = name if name is not None else os.path.splitext(os.path.basename(path))[0]
        try:
            with open(full, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            params = {"file": os.path.basename(full), "sha256": None, "units": units}
            return MeshSource(
                str(name), "file", params, None, full, f"cannot read mesh file {full}: {exc.strerror or exc}"
            ), analysis
        params = {"file": os.path.basename(full), "sha256": hashlib.sha256(data).hexdigest(), "units": units}
        return MeshSource(str(name), "file", params, data, full), analysis
    if gen not in GENERATORS:
        raise SpecError(f"{key}.generator: unknown generator {gen!r}; known: {', '.join(GENERATORS)}")
    name = name if name is not None else gen
    if gen == "bar":
        known = ("length", "width", "height", "n")
        for k in entry:
            if k not in known:
                raise SpecError(
                    f"{key}: unknown key {k!r} for the bar generator (known: "
                    f"{', '.join(known)}, {', '.join(ANALYSIS_KEYS)})"
                )
        for k in known:
            if k not in entry:
                raise SpecError(
                    f"{key}.{k}: required by the bar generator (lengths in m, "
                    "n = [nx, ny, nz] hexahedral blocks, 6 tetrahedra each)"
                )
        n = entry["n"]
        if not (isinstance(n, list) and len(n) == 3):
            raise SpecError(f"{key}.n: expected three block counts [nx, ny, nz], got {n!r}")
        params = {k: _number(entry[k], f"{key}.{k}") for k in ("length", "width", "height")}
        params["n"] = [_number(v, f"{key}.n[{i}]", integer=True) for i, v in enumerate(n)]
        return MeshSource(str(name), "bar", params), analysis
    script = find_script(gen)
    with open(script, "rb") as fh:
        source = fh.read()
    sha = hashlib.sha256(source).hexdigest()
    if gen == "bowl":
        params = _bowl_params(entry, key, source)
    else:
        known = ("shape", "dims", "size", "surface")
        for k in entry:
            if k not in known:
                raise SpecError(
                    f"{key}: unknown key {k!r} for the plate generator (known: "
                    f"{', '.join(known)}, {', '.join(ANALYSIS_KEYS)})"
                )
        shape = entry.get("shape", "rect")
        if shape not in ("rect", "disk"):
            raise SpecError(f"{key}.shape: expected 'rect' or 'disk', got {shape!r}")
        dims = entry.get("dims")
        want = 2 if shape == "rect" else 1
        if not (isinstance(dims, list) and len(dims) == want):
            what = "[width, height]" if shape == "rect" else "[radius]"
            raise SpecError(f"{key}.dims: a {shape} needs dims = {what} in m, got {dims!r}")
        if "size" not in entry:
            raise SpecError(f"{key}.size: required (element edge length, m)")
        surface = entry.get("surface", "plate")
        if not isinstance(surface, str) or not surface:
            raise SpecError(f"{key}.surface: expected a region name, got {surface!r}")
        params = {
            "shape": shape,
            "dims": [_number(v, f"{key}.dims[{i}]") for i, v in enumerate(dims)],
            "size": _number(entry["size"], f"{key}.size"),
            "surface": surface,
        }
    params["script_sha256"] = sha
    return MeshSource(str(name), gen, params, source, script), analysis


# ------------------------------------------------------------------ building (worker side)
def build_mesh(src: MeshSource):
    """Make the Mesh of a MeshSource (on the worker that makes its model)."""
    from physsynth.mesh import bar_mesh, load_mesh

    if src.error:
        raise MeshError(src.error)
    p = src.params
    if src.kind == "bar":
        return bar_mesh(p["length"], p["width"], p["height"], tuple(p["n"]))
    with tempfile.TemporaryDirectory(prefix="physsynth-mesh-") as tmp:
        if src.kind == "file":
            path = os.path.join(tmp, p["file"])
            with open(path, "wb") as fh:
                fh.write(src.payload)
            return replace(load_mesh(path, units=p["units"]), source=src.path)
        path = os.path.join(tmp, f"{src.kind}.msh")
        # the scripts print what they wrote: keep it out of the worker's (or the CLI's) stdout
        with _gmsh_off_main_thread(), contextlib.redirect_stdout(io.StringIO()):
            mod = load_script(src.payload, src.kind)
            if src.kind == "bowl":
                argv = []
                for k, v in p.items():
                    if k != "script_sha256":
                        argv += [f"--{k.replace('_', '-')}", repr(v)]
                mod.build(mod.parse_args(argv + ["-o", path]))
            else:
                mod.make(path, p["shape"], tuple(p["dims"]), p["size"], p["surface"])
        desc = ", ".join(f"{k}={v}" for k, v in p.items() if k != "script_sha256")
        return replace(load_mesh(path), source=f"{_SCRIPTS[src.kind]}({desc})")
