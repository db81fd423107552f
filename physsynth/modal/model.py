"""The ModalModel: an object's modes, ready to render, saved to and loaded from one file."""

from __future__ import annotations

import html
import json
import math
import os
from dataclasses import dataclass, field, replace

import numpy as np

from physsynth import validate
from physsynth._io import atomic_path
from physsynth.damping import DampingLaw, t60_from_decay_rate
from physsynth.errors import MaterialError, ModelFileError, PhyssynthError
from physsynth.materials import Material
from physsynth.mesh import Mesh, Region
from physsynth.radiation._base import RadiationData

FORMAT = "physsynth-modal-model"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ModalModel:
    """Vibration modes of an object.

    Attributes
    ----------
    frequencies : ndarray, shape (n_modes,), Hz
        Undamped natural frequencies, ascending, rigid-body modes excluded.
    shapes : ndarray, shape (n_modes, n_nodes, 3), 1/sqrt(kg)
        Mode shapes at the mesh nodes, mass-normalised (phi^T M phi = 1), so that a point
        force F(t) in direction d drives modal coordinate q_k by q_k'' + 2 sigma_k q_k' +
        omega_k^2 q_k = (phi_k . d) F(t).
    decay_rates : ndarray, shape (n_modes,), 1/s
        Modal decay rates sigma_k; amplitude decays as exp(-sigma_k t).
    mesh : Mesh
    material : Material
    rigid_body_modes : int
        Number of rigid-body (zero-frequency) modes found and excluded.
    dofs : int
        Number of degrees of freedom of the discretisation (after clamping).
    provenance : dict
        How the model was made: mesh source and hash, element order, clamps, solver, timings.
    """

    frequencies: np.ndarray
    shapes: np.ndarray
    decay_rates: np.ndarray
    mesh: Mesh
    material: Material
    rigid_body_modes: int = 0
    dofs: int = 0
    provenance: dict = field(default_factory=dict)
    # radiation (issue 15): the modes' sound in air, or None; see physsynth.radiation.
    radiation: object = None

    def __post_init__(self):
        # The cheap checks (one value per mode); the shapes' values are checked where they
        # come in (the solver, load), not at every select or with_damping.
        f = np.asarray(self.frequencies)
        if f.ndim != 1 or not np.issubdtype(f.dtype, np.number):
            raise PhyssynthError(f"frequencies must be one number per mode, got shape {f.shape}")
        n = len(f)
        if not np.all(np.isfinite(f)) or np.any(f <= 0):
            raise PhyssynthError("frequencies must be finite and > 0 Hz (rigid-body modes are not modes of a model)")
        if n > 1 and np.any(np.diff(f) < 0):
            raise PhyssynthError("frequencies must be in ascending order")
        if self.shapes.shape != (n, self.mesh.n_nodes, 3):
            raise PhyssynthError(f"shapes must have shape ({n}, {self.mesh.n_nodes}, 3), got {self.shapes.shape}")
        d = np.asarray(self.decay_rates)
        if d.shape != (n,):
            raise PhyssynthError("decay_rates must have one value per mode")
        if not np.all(np.isfinite(d)) or np.any(d < 0):
            raise PhyssynthError("decay rates must be finite and >= 0 1/s (a negative one would grow without bound)")

    @property
    def n_modes(self) -> int:
        return len(self.frequencies)

    @property
    def omegas(self) -> np.ndarray:
        """Angular frequencies (rad/s)."""
        return 2 * np.pi * self.frequencies

    @property
    def t60(self) -> np.ndarray:
        """60 dB decay time of each mode (s)."""
        return t60_from_decay_rate(self.decay_rates)

    def with_damping(self, law: DampingLaw) -> ModalModel:
        """The same modes with decay rates from another damping law."""
        if not isinstance(law, DampingLaw):
            raise MaterialError(f"with_damping takes a damping law (LossFactor, Rayleigh, TwoT60), got {law!r}")
        return replace(
            self, decay_rates=np.asarray(law.decay_rate(self.omegas), float), material=self.material.with_damping(law)
        )

    def select(self, modes) -> ModalModel:
        """A model with a subset of the modes (index array or boolean mask).

        Raises
        ------
        PhyssynthError
            Indices out of range, a mask of the wrong length, or a selection of no mode.
        """
        try:
            idx = np.arange(self.n_modes)[modes]
        except (IndexError, TypeError, ValueError) as exc:
            raise PhyssynthError(f"cannot select modes {modes!r} of a {self.n_modes}-mode model: {exc}") from None
        idx = np.atleast_1d(idx)
        if idx.size == 0:
            raise PhyssynthError("the selection holds no mode; a model needs one mode at least")
        return replace(
            self,
            frequencies=self.frequencies[idx],
            shapes=self.shapes[idx],
            decay_rates=self.decay_rates[idx],
            radiation=_radiation_select(self.radiation, idx),
        )

    def below(self, fmax: float) -> ModalModel:
        """The modes below fmax (Hz); refused when there is none."""
        fmax = validate.positive(fmax, "fmax", "Hz")
        if not np.any(self.frequencies < fmax):
            raise PhyssynthError(
                f"no mode lies below {fmax:g} Hz (the lowest is at {self.frequencies[0]:.4g} Hz); raise fmax"
            )
        return self.select(self.frequencies < fmax)

    def nearest_surface_node(self, point) -> int:
        """Index of the surface node nearest to ``point`` (m)."""
        p = validate.point(point, "point")
        nodes = self._surface()[0]
        # One query over the surface nodes: a plain scan (O(n), a millisecond at 10^5 nodes)
        # keeps scipy.spatial out of the import of every command that reads a model.
        d2 = np.einsum("ij,ij->i", self.mesh.points[nodes] - p, self.mesh.points[nodes] - p)
        return int(nodes[int(np.argmin(d2))])

    def surface_normal(self, node: int) -> np.ndarray:
        """Outward unit normal at a surface node."""
        nodes, normals = self._surface()
        k = np.searchsorted(nodes, node)
        if k >= len(nodes) or nodes[k] != node:
            raise PhyssynthError(f"node {node} is not on the surface")
        return normals[k]

    def _surface(self):
        cache = self.__dict__.get("_surface_cache")
        if cache is None:
            cache = self.mesh.vertex_normals()
            object.__setattr__(self, "_surface_cache", cache)
        return cache

    def summary(self) -> str:
        f = self.frequencies
        return (
            f"{self.n_modes} modes, {f[0]:.2f}..{f[-1]:.1f} Hz, material {self.material.name}, "
            f"{self.dofs} DOF, {self.rigid_body_modes} rigid-body modes excluded"
        )

    def _repr_html_(self) -> str:
        """Summary table in Jupyter (see :func:`model_html`)."""
        return model_html(self)

    # ---------------------------------------------------------------- files
    def save(self, path) -> str:
        """Write the model to one ``.npz`` file (atomically). Returns the path written."""
        path = os.fspath(path)
        if not path.endswith(".npz"):
            path += ".npz"
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "material": self.material.to_dict(),
            "rigid_body_modes": self.rigid_body_modes,
            "dofs": self.dofs,
            "provenance": self.provenance,
            "mesh_source": self.mesh.source,
            "regions": {n: {"dim": r.dim} for n, r in self.mesh.regions.items()},
        }
        arrays = {
            "frequencies": self.frequencies,
            "shapes": self.shapes,
            "decay_rates": self.decay_rates,
            "points": self.mesh.points,
            "cells": self.mesh.cells,
            "meta": np.array(json.dumps(meta)),
        }
        for n, r in self.mesh.regions.items():
            arrays[f"region/{n}/nodes"] = r.nodes
            if r.triangles is not None:
                arrays[f"region/{n}/triangles"] = r.triangles
            if r.cells is not None:
                arrays[f"region/{n}/cells"] = r.cells
        _radiation_save(self.radiation, meta, arrays)
        with atomic_path(path, ModelFileError, suffix=".npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)
        return path

    @staticmethod
    def load(path) -> ModalModel:
        """Read a model written by :meth:`save`.

        Every array is checked before it is used: a file that is corrupt, inconsistent or
        hand-edited (NaN or unsorted frequencies, negative decay rates, shapes that do not fit
        the mesh, cell indices that are not whole numbers or point past the nodes, a missing
        entry) is refused with a :class:`ModelFileError` naming the field.
        """
        path = os.fspath(path)
        if not os.path.exists(path):
            raise ModelFileError(f"model file not found: {path}")
        try:
            z = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise ModelFileError(f"cannot read model {path}: {exc}") from None
        try:
            with z:
                return _read(z, path)
        except ModelFileError:
            raise
        except Exception as exc:  # zip/zlib/json errors of a damaged file
            raise ModelFileError(f"cannot read model {path}: {exc}") from None


def _bad(path: str, name: str, problem: str) -> ModelFileError:
    return ModelFileError(f"model {path}: {name} {problem}; the file is damaged or not written by physsynth")


def _array(z, path: str, name: str) -> np.ndarray:
    if name not in z.files:
        raise _bad(path, name, "is missing")
    return z[name]


def _floats(z, path: str, name: str, ndim: int) -> np.ndarray:
    a = _array(z, path, name)
    if a.ndim != ndim or a.dtype.kind not in "fiu":
        raise _bad(path, name, f"must be a {ndim}-D array of numbers, got {a.dtype} of shape {a.shape}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise _bad(path, name, "holds NaN or infinite values")
    return a


def _indices(a: np.ndarray, path: str, name: str, n: int) -> np.ndarray:
    if a.dtype.kind not in "iu":
        if a.dtype.kind != "f" or not np.all(np.isfinite(a)) or np.any(a != np.round(a)):
            raise _bad(path, name, "must hold whole-number node indices")
    a = a.astype(np.int64)
    if a.size and (a.min() < 0 or a.max() >= n):
        raise _bad(path, name, f"holds node indices outside 0..{n - 1}")
    return a


def _count(meta: dict, path: str, name: str) -> int:
    v = meta.get(name, 0)
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise _bad(path, name, f"must be a whole number >= 0, got {v!r}")
    return v


def _check_sizes(z, path: str) -> None:
    """Refuse a file whose arrays would not fit in memory, from their headers alone.

    A compressed .npz can declare arrays far larger than the file (a "zip bomb"); the headers
    give each array's shape and type before anything is decompressed.
    """
    total = 0
    for name in z.files:
        with z.zip.open(name + ".npy") as fh:
            version = np.lib.format.read_magic(fh)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(fh)
        total += math.prod(shape) * dtype.itemsize
    # the arrays, then their float64 copies
    validate.check_memory(
        2 * total, f"reading model {path}", "this file is not a model physsynth wrote", error=ModelFileError
    )


def _read(z, path: str) -> ModalModel:
    _check_sizes(z, path)
    try:
        meta = json.loads(str(_array(z, path, "meta")))
    except ValueError:
        raise _bad(path, "meta", "is not JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a physsynth modal model")
    version = meta.get("version", 0)
    if not isinstance(version, int):
        raise _bad(path, "version", f"must be a whole number, got {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path} was written by a newer physsynth; upgrade")
    points = _floats(z, path, "points", 2)
    if points.shape[1:] != (3,) or len(points) == 0:
        raise _bad(path, "points", f"must have shape (n_nodes, 3), got {points.shape}")
    n_nodes = len(points)
    cells = _array(z, path, "cells")
    if cells.ndim != 2 or cells.shape[1] not in (3, 4, 6, 10) or len(cells) == 0:
        raise _bad(path, "cells", f"must have shape (n_cells, 3|4|6|10), got {cells.shape}")
    cells = _indices(cells, path, "cells", n_nodes)
    freqs = _floats(z, path, "frequencies", 1)
    n = len(freqs)
    if n == 0:
        raise _bad(path, "frequencies", "is empty (a model needs one mode at least)")
    if np.any(freqs <= 0):
        raise _bad(path, "frequencies", "must be > 0 Hz")
    if n > 1 and np.any(np.diff(freqs) < 0):
        raise _bad(path, "frequencies", "must be in ascending order")
    decay = _floats(z, path, "decay_rates", 1)
    if decay.shape != (n,):
        raise _bad(path, "decay_rates", f"must have one value per mode ({n}), got {decay.shape}")
    if np.any(decay < 0):
        raise _bad(path, "decay_rates", "holds negative values (a mode would grow without bound)")
    shapes = _floats(z, path, "shapes", 3)
    if shapes.shape != (n, n_nodes, 3):
        raise _bad(path, "shapes", f"must have shape ({n}, {n_nodes}, 3) for this mesh, got {shapes.shape}")
    regions = {}
    reg_meta = meta.get("regions", {})
    if not isinstance(reg_meta, dict):
        raise _bad(path, "regions", "must be a table of regions")
    for name, info in reg_meta.items():
        dim = info.get("dim") if isinstance(info, dict) else None
        if dim not in (0, 1, 2, 3):
            raise _bad(path, f"region {name!r}", f"has no valid dim, got {dim!r}")
        nodes = _indices(_array(z, path, f"region/{name}/nodes"), path, f"region/{name}/nodes", n_nodes)
        tri = z[f"region/{name}/triangles"] if f"region/{name}/triangles" in z.files else None
        if tri is not None:
            tri = _indices(tri, path, f"region/{name}/triangles", n_nodes)
        rc = z[f"region/{name}/cells"] if f"region/{name}/cells" in z.files else None
        if rc is not None:
            rc = _indices(rc, path, f"region/{name}/cells", len(cells))
        regions[name] = Region(name, dim, nodes, tri, rc)
    source = meta.get("mesh_source", "")
    mesh = Mesh(points, cells, regions, source if isinstance(source, str) else "")
    if "material" not in meta:
        raise _bad(path, "material", "is missing")
    try:
        material = Material.from_dict(meta["material"])
    except PhyssynthError as exc:
        raise _bad(path, "material", f"is not valid ({exc})") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _bad(path, "material", f"is incomplete ({type(exc).__name__}: {exc})") from None
    provenance = meta.get("provenance", {})
    return ModalModel(
        frequencies=freqs,
        shapes=shapes,
        decay_rates=decay,
        mesh=mesh,
        material=material,
        rigid_body_modes=_count(meta, path, "rigid_body_modes"),
        dofs=_count(meta, path, "dofs"),
        provenance=provenance if isinstance(provenance, dict) else {},
        radiation=_radiation_load(z, meta, path, n),
    )


# ---------------------------------------------------------------- radiation (issue 15)
# Stored as "radiation/<name>" arrays and meta["radiation"]; files without them (all files
# before issue 15) load with radiation None, and older readers ignore the extra entries.
def _radiation_select(rad, idx):
    if rad is None:
        return None
    # Frequencies ascend, so the selected modes that have data come first, as the data assumes.
    keep = idx[idx < rad.n_modes]
    return rad.select(keep) if keep.size else None


def _radiation_save(rad, meta: dict, arrays: dict) -> None:
    if rad is None:
        return
    rmeta, rarr = rad.to_arrays()
    meta["radiation"] = rmeta
    arrays["meta"] = np.array(json.dumps(meta))
    for name, a in rarr.items():
        arrays[f"radiation/{name}"] = a


def _radiation_load(z, meta: dict, path: str, n_modes: int):
    rmeta = meta.get("radiation")
    if rmeta is None:
        return None
    arrays = {name[len("radiation/") :]: z[name] for name in z.files if name.startswith("radiation/")}
    try:
        rad = RadiationData.from_arrays(rmeta if isinstance(rmeta, dict) else {}, arrays)
    except PhyssynthError as exc:
        raise _bad(path, "radiation", f"is not valid ({exc})") from None
    if rad.n_modes > n_modes:
        raise _bad(path, "radiation", f"has {rad.n_modes} modes, more than the model's {n_modes}")
    return rad


#: Rows of the mode table shown before "... and N more".
MAX_ROWS = 24


def _esc(x) -> str:
    return html.escape(str(x))


def model_html(model: ModalModel, *, max_rows: int = MAX_ROWS) -> str:
    """HTML summary of a ModalModel: what it is made of, and a table of its modes
    (frequency, ratio to the first, T60). Used by ``ModalModel._repr_html_``."""
    mesh, mat = model.mesh, model.material
    kind = model.provenance.get("model", "solid" if mesh.dim == 3 else "sheet")
    lo, hi = mesh.bounding_box
    size = " x ".join(f"{1e3 * v:.1f}" for v in (hi - lo)[: mesh.dim])
    if mat.name == "membrane":
        material = f"membrane: tension {mat.E:g} N/m, areal density {mat.rho:g} kg/m<sup>2</sup>"
    else:
        material = f"{_esc(mat.name)}: E {mat.E / 1e9:.4g} GPa, &nu; {mat.nu:.3g}, &rho; {mat.rho:.5g} kg/m<sup>3</sup>"
    damping = ", ".join(f"{_esc(k)}={_esc(v)}" for k, v in mat.damping.to_dict().items())
    extra = []
    if model.provenance.get("thickness_m"):
        extra.append(f"thickness {1e3 * model.provenance['thickness_m']:.4g} mm")
    for key in ("clamp", "support"):
        if model.provenance.get(key):
            extra.append(f"{key}: {_esc(', '.join(map(str, model.provenance[key])))}")
    info = [
        (
            "model",
            f"{_esc(kind)}, {model.n_modes} modes, {model.dofs} DOF, "
            f"{model.rigid_body_modes} rigid-body modes excluded",
        ),
        (
            "mesh",
            f"{_esc(mesh.source) or '(arrays)'}: {mesh.n_nodes} nodes, {mesh.n_cells} cells, "
            f"{size} mm" + (f"; {'; '.join(extra)}" if extra else ""),
        ),
        ("material", material),
        ("damping", damping),
    ]
    head = "".join(
        f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>{v}</td></tr>" for k, v in info
    )
    f = model.frequencies
    rows = []
    for i in range(min(model.n_modes, max_rows)):
        rows.append(
            f"<tr><td>{i + 1}</td><td>{f[i]:.2f}</td><td>{f[i] / f[0]:.4f}</td><td>{model.t60[i]:.3g}</td></tr>"
        )
    if model.n_modes > max_rows:
        rows.append(f"<tr><td colspan='4'>... and {model.n_modes - max_rows} more, up to {f[-1]:.1f} Hz</td></tr>")
    return (
        "<div class='physsynth-model'><b>ModalModel</b>"
        f"<table>{head}</table>"
        "<table><thead><tr><th>mode</th><th>frequency (Hz)</th><th>ratio</th><th>T60 (s)</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def is_model_file(path) -> bool:
    """True if ``path`` looks like a saved ModalModel (an .npz with our metadata)."""
    path = os.fspath(path)
    if not path.endswith(".npz") or not os.path.exists(path):
        return False
    try:
        with np.load(path, allow_pickle=False) as z:
            return "meta" in z.files
    except Exception:
        return False
