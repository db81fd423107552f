"""The ModalModel: an object's modes, ready to render, saved to and loaded from one file."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace

import numpy as np

from physsynth._io import atomic_path
from physsynth.damping import DampingLaw, t60_from_decay_rate
from physsynth.errors import ModelFileError, PhyssynthError
from physsynth.materials import Material
from physsynth.mesh import Mesh, Region

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

    def __post_init__(self):
        n = len(self.frequencies)
        if self.shapes.shape != (n, self.mesh.n_nodes, 3):
            raise PhyssynthError(f"shapes must have shape ({n}, {self.mesh.n_nodes}, 3), got {self.shapes.shape}")
        if self.decay_rates.shape != (n,):
            raise PhyssynthError("decay_rates must have one value per mode")

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
        return replace(
            self, decay_rates=np.asarray(law.decay_rate(self.omegas), float), material=self.material.with_damping(law)
        )

    def select(self, modes) -> ModalModel:
        """A model with a subset of the modes (index array or boolean mask)."""
        idx = np.arange(self.n_modes)[modes]
        return replace(
            self, frequencies=self.frequencies[idx], shapes=self.shapes[idx], decay_rates=self.decay_rates[idx]
        )

    def below(self, fmax: float) -> ModalModel:
        """The modes below fmax (Hz)."""
        return self.select(self.frequencies < fmax)

    def nearest_surface_node(self, point) -> int:
        """Index of the surface node nearest to ``point`` (m)."""
        from scipy.spatial import cKDTree

        p = np.asarray(point, dtype=float).reshape(3)
        nodes = self._surface()[0]
        d, i = cKDTree(self.mesh.points[nodes]).query(p)
        return int(nodes[i])

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
        """Summary table in Jupyter (see :func:`physsynth.viz.model_html`)."""
        from physsynth.viz.notebook import model_html

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
        with atomic_path(path, ModelFileError, suffix=".npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)
        return path

    @staticmethod
    def load(path) -> ModalModel:
        """Read a model written by :meth:`save`."""
        path = os.fspath(path)
        if not os.path.exists(path):
            raise ModelFileError(f"model file not found: {path}")
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                if meta.get("format") != FORMAT:
                    raise ModelFileError(f"{path} is not a physsynth modal model")
                if meta.get("version", 0) > FORMAT_VERSION:
                    raise ModelFileError(f"{path} was written by a newer physsynth; upgrade")
                regions = {}
                for n, info in meta.get("regions", {}).items():
                    g = z.get
                    regions[n] = Region(
                        n, info["dim"], z[f"region/{n}/nodes"], g(f"region/{n}/triangles"), g(f"region/{n}/cells")
                    )
                mesh = Mesh(z["points"], z["cells"], regions, meta.get("mesh_source", ""))
                return ModalModel(
                    frequencies=z["frequencies"],
                    shapes=z["shapes"],
                    decay_rates=z["decay_rates"],
                    mesh=mesh,
                    material=Material.from_dict(meta["material"]),
                    rigid_body_modes=int(meta["rigid_body_modes"]),
                    dofs=int(meta["dofs"]),
                    provenance=meta.get("provenance", {}),
                )
        except ModelFileError:
            raise
        except Exception as exc:
            raise ModelFileError(f"cannot read model {path}: {exc}") from None


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
