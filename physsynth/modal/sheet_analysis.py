"""Front end of the eigen pipeline for plates and membranes on flat triangle meshes (fem/sheet.py)."""

from __future__ import annotations

import numpy as np

from physsynth import validate
from physsynth._progress import step
from physsynth.damping import LossFactor
from physsynth.errors import MaterialError, PhyssynthError
from physsynth.fem import sheet
from physsynth.fem.selectors import check_selectors
from physsynth.materials import Material
from physsynth.mesh import Mesh
from physsynth.modal import pipeline
from physsynth.modal.model import ModalModel

#: Default damping of a membrane when no material gives one: a loss factor of 0.02, the
#: order of magnitude of polyester drum-head film with its air loading (an assumption, not
#: a measurement: give a damping law for real work).
MEMBRANE_LOSS = 0.02
#: Default shift frequency (Hz): plates and membranes can have very low modes.
F_SHIFT = 1.0
#: Rigid-body modes when nothing is fixed: a plate translates and tilts about two axes, a
#: membrane translates.
N_RIGID = {"plate": 3, "membrane": 1}


def check_sheet(
    mesh: Mesh, material, *, n_modes, clamp, support, thickness, tension, areal_density, max_modes=None, f_shift=F_SHIFT
):
    """Every check that needs no assembly; returns (kind, thickness, tension, areal_density)."""
    if thickness is not None and (tension is not None or areal_density is not None):
        raise PhyssynthError("give a thickness (plate) or a tension and areal density (membrane), not both")
    if thickness is not None:
        kind = "plate"
        if not isinstance(material, Material):
            raise PhyssynthError("a plate needs a material (E, nu, rho)")
        thickness = sheet.check_thickness(mesh, thickness)
    elif tension is not None and areal_density is not None:
        kind = "membrane"
        if material is not None and not isinstance(material, Material):
            raise PhyssynthError("a membrane's material must be a Material (for its damping law) or None")
        tension = validate.positive(tension, "membrane tension (--tension)", "N/m", error=MaterialError)
        areal_density = validate.positive(
            areal_density, "membrane areal density (--areal-density)", "kg/m^2", error=MaterialError
        )
    else:
        raise PhyssynthError(
            "a flat triangle mesh is a plate or a membrane: give --thickness (plate, with a "
            "material) or --tension and --areal-density (membrane)"
        )
    lo, hi = mesh.bounding_box
    size = float(np.max((hi - lo)[:2]))
    if kind == "plate":
        # bending: f ~ c h / L^2 (a free square plate's first mode is about 0.65 of it)
        f_scale = material.bar_speed * thickness / size**2
        constants = "E in Pa, rho in kg/m^3 and the thickness in m"
    else:
        f_scale = float(np.sqrt(tension / areal_density)) / (2 * size)
        constants = "the tension in N/m and the areal density in kg/m^2"
    pipeline.check_scale(f_scale, f_shift, size, f"the {kind}", constants)
    points = sheet.selector_points(mesh)
    check_selectors(mesh, clamp, keywords=("boundary",), option="--clamp", points=points)
    check_selectors(mesh, support, keywords=("boundary",), option="--support", points=points)
    fixed_any = bool(clamp or support)
    n = sheet.count_dofs(mesh)
    n_rigid = 0 if fixed_any else N_RIGID[kind]
    pipeline.check_mode_count(n_modes, n_rigid, n, "this mesh", max_modes)
    k = (n_modes + n_rigid) if n_modes is not None else 24 + n_rigid
    est = pipeline.estimate(
        n,
        n_cells=mesh.n_cells,
        cell_bytes=sheet.ASSEMBLY_BYTES,
        nnz_per_dof=sheet.NNZ_PER_DOF,
        solid=False,
        k=min(k, pipeline.mode_limit(n)),
        n_nodes=mesh.n_nodes,
    )
    pipeline.check_budget(est, f"a {kind} modal analysis of {mesh.n_cells} triangles ({n} DOF)", "use a coarser mesh")
    return kind, thickness, tension, areal_density


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
    kind, thickness, tension, areal_density = check_sheet(
        mesh,
        material,
        n_modes=n_modes,
        clamp=clamp,
        support=support,
        thickness=thickness,
        tension=tension,
        areal_density=areal_density,
        max_modes=max_modes,
        f_shift=F_SHIFT if f_shift is None else f_shift,
    )
    if f_shift is None:
        f_shift = F_SHIFT
    if kind == "plate":
        with step(f"assembling a Kirchhoff plate (Morley) on {mesh.n_cells} triangles") as s_asm:
            disc = sheet.assemble_plate(mesh, material, thickness)
            s_asm["result"] = f"{disc.n_dofs} DOF"
    else:
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
            disc = sheet.assemble_membrane(mesh, tension, areal_density)
            s_asm["result"] = f"{disc.n_dofs} DOF"

    fixed = [np.zeros(0, dtype=np.int64)]
    for sel in clamp:
        mask = sheet.select_nodes(disc, sel)
        fixed += [disc.value_dofs(mask), disc.slope_dofs(mask)]
    for sel in support:
        fixed.append(disc.value_dofs(sheet.select_nodes(disc, sel)))
    fixed = np.unique(np.concatenate(fixed))
    n_rigid_max = 0 if len(fixed) else N_RIGID[kind]
    eig = pipeline.eigen_solve(
        disc.K,
        disc.M,
        fixed,
        f_shift=f_shift,
        n_modes=n_modes,
        fmax=fmax,
        n_rigid=n_rigid_max,
        solver=solver,
        max_modes=max_modes,
        nodes=mesh.n_nodes,
        what=f"the fixed {kind}" if len(fixed) else "this mesh",
    )
    rigid = np.abs(eig.vals) < 1e-4 * abs(eig.sigma)
    freqs, vecs, n_rigid = pipeline.elastic_modes(eig.vals, eig.vecs, eig.M, rigid, eig.sigma, fmax, n_modes)
    full = np.zeros((disc.n_dofs, vecs.shape[1]))
    full[eig.free] = vecs
    w = (disc.to_nodes @ full).T  # (n_modes, n_nodes): transverse displacement
    shapes = np.zeros((len(freqs), mesh.n_nodes, 3))
    shapes[:, :, 2] = w
    decay = np.asarray(material.damping.decay_rate(2 * np.pi * freqs), dtype=float)
    provenance = pipeline.provenance_base(
        mesh, solver=eig.backend, f_shift=f_shift, n_modes=n_modes, fmax=fmax, assembly=s_asm, eigensolve=eig.info
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
    return pipeline.finish_model(
        freqs, shapes, decay, mesh, material, n_rigid, len(eig.free), provenance, n_rigid_max=n_rigid_max, fmax=fmax
    )
