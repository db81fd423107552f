"""Modal analysis of plates and membranes on flat triangle meshes (see fem/sheet.py)."""

from __future__ import annotations

import numpy as np

from physsynth._progress import step
from physsynth.errors import PhyssynthError
from physsynth.fem.sheet import assemble_membrane, assemble_plate, select_nodes
from physsynth.materials import Material
from physsynth.mesh import Mesh
from physsynth.modal.analysis import _solve, elastic_modes, finish_model, provenance_base
from physsynth.damping import LossFactor
from physsynth.modal.model import ModalModel

#: Default damping of a membrane when no material gives one: a loss factor of 0.02, the
#: order of magnitude of polyester drum-head film with its air loading (an assumption, not
#: a measurement: give a damping law for real work).
MEMBRANE_LOSS = 0.02


def sheet_modal_analysis(
    mesh: Mesh,
    material,
    *,
    n_modes,
    fmax,
    clamp,
    support,
    thickness,
    tension,
    areal_density,
    solver,
    f_shift,
    max_modes,
) -> ModalModel:
    """Modes of a plate (``thickness``) or membrane (``tension``, ``areal_density``)."""
    if thickness is not None and (tension is not None or areal_density is not None):
        raise PhyssynthError("give a thickness (plate) or a tension and areal density (membrane), not both")
    if thickness is not None:
        if material is None:
            raise PhyssynthError("a plate needs a material (E, nu, rho)")
        kind = "plate"
        with step(f"assembling a Kirchhoff plate (Morley) on {mesh.n_cells} triangles") as s_asm:
            disc = assemble_plate(mesh, material, thickness)
            s_asm["result"] = f"{disc.n_dofs} DOF"
    elif tension is not None and areal_density is not None:
        kind = "membrane"
        damping = material.damping if material is not None else LossFactor(MEMBRANE_LOSS)
        # The membrane's "material" records its tension (N/m) in E and its areal density
        # (kg/m^2) in rho, so that saved models keep them with the damping law.
        material = Material(
            "membrane",
            float(tension),
            0.0,
            float(areal_density),
            damping,
            source="tension and areal density given by the user",
            description="membrane: E holds the tension in N/m, rho the areal density in kg/m^2",
        )
        with step(f"assembling a membrane (P2) on {mesh.n_cells} triangles") as s_asm:
            disc = assemble_membrane(mesh, tension, areal_density)
            s_asm["result"] = f"{disc.n_dofs} DOF"
    else:
        raise PhyssynthError(
            "a flat triangle mesh is a plate or a membrane: give --thickness (plate, with a "
            "material) or --tension and --areal-density (membrane)"
        )

    fixed = [np.zeros(0, dtype=np.int64)]
    for sel in clamp:
        mask = select_nodes(disc, sel)
        fixed += [disc.value_dofs(mask), disc.slope_dofs(mask)]
    for sel in support:
        fixed.append(disc.value_dofs(select_nodes(disc, sel)))
    fixed = np.unique(np.concatenate(fixed))
    free = np.setdiff1d(np.arange(disc.n_dofs), fixed)
    if len(free) == 0:
        raise PhyssynthError("the boundary conditions fix every DOF; nothing is left to vibrate")
    K = disc.K[free][:, free].tocsc()
    M = disc.M[free][:, free].tocsc()
    # Free plate: rigid translation and two rotations; free membrane: a translation.
    n_rigid_max = 0 if len(fixed) else (3 if kind == "plate" else 1)
    sigma = -((2 * np.pi * f_shift) ** 2)
    with step(f"eigen-solve ({len(free)} DOF, shift-invert)") as s_eig:
        vals, vecs, backend = _solve(K, M, sigma, n_modes, fmax, n_rigid_max, None, solver, max_modes, len(free))
        s_eig["result"] = f"{len(vals)} eigenpairs, {backend}"
    rigid = np.abs(vals) < 1e-4 * abs(sigma)
    freqs, vecs, n_rigid = elastic_modes(vals, vecs, M, rigid, sigma, fmax, n_modes)
    full = np.zeros((disc.n_dofs, vecs.shape[1]))
    full[free] = vecs
    w = (disc.to_nodes @ full).T  # (n_modes, n_nodes): transverse displacement
    shapes = np.zeros((len(freqs), mesh.n_nodes, 3))
    shapes[:, :, 2] = w
    decay = np.asarray(material.damping.decay_rate(2 * np.pi * freqs), dtype=float)
    provenance = provenance_base(
        mesh, solver=backend, f_shift=f_shift, n_modes=n_modes, fmax=fmax, assembly=s_asm, eigensolve=s_eig
    ) | {
        "model": kind,
        "element": "Morley" if kind == "plate" else "P2",
        "thickness_m": thickness,
        "tension_n_per_m": tension,
        "areal_density_kg_m2": areal_density,
        "clamp": list(clamp),
        "support": list(support),
        "fixed_dofs": int(len(fixed)),
    }
    return finish_model(freqs, shapes, decay, mesh, material, n_rigid, len(free), provenance)
