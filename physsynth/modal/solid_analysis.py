"""Front end of the eigen pipeline for tetrahedral solids (3D linear elasticity, fem/solid.py)."""

from __future__ import annotations

import numpy as np

from physsynth import validate
from physsynth._progress import step
from physsynth.errors import MeshError, PhyssynthError
from physsynth.fem import solid
from physsynth.fem.selectors import check_selectors
from physsynth.materials import Material
from physsynth.mesh import Mesh
from physsynth.modal import pipeline
from physsynth.modal.model import ModalModel

#: Default shift frequency (Hz): below any elastic mode of a hand-held object, far enough from
#: zero that K - sigma M is well conditioned.
F_SHIFT = 10.0
#: A mode whose M-weighted energy lies this much in the rigid-body subspace is a rigid mode.
RIGID_FRACTION = 0.9
#: Rigid-body modes of a free solid: three translations, three rotations.
N_RIGID = 6


def check_solid(
    mesh: Mesh, material, *, n_modes, order, clamp, max_modes=None, f_shift=F_SHIFT
) -> tuple[int, pipeline.Estimate]:
    """Every check that needs no assembly; returns the element order and the cost estimate."""
    if not isinstance(material, Material):
        raise PhyssynthError("a solid needs a material (a Material, e.g. get_material('steel'))")
    order = validate.integer(order, "element order (--order)", error=MeshError)
    if order not in (1, 2):
        raise MeshError(f"element order must be 1 or 2, got {order}")
    check_selectors(mesh, clamp, keywords=("all", "boundary"), option="--clamp", midpoints=order == 2)
    if any(c.strip() == "all" for c in clamp):
        raise PhyssynthError("--clamp 'all' holds every node fixed: nothing is left to vibrate; clamp a part")
    lo, hi = mesh.bounding_box
    size = float(np.max(hi - lo))
    pipeline.check_scale(material.bar_speed / (2 * size), f_shift, size, "the solid", "E in Pa and rho in kg/m^3")
    n = solid.count_dofs(mesh, order)
    n_rigid = 0 if clamp else N_RIGID
    pipeline.check_mode_count(n_modes, n_rigid, n, "this mesh", max_modes)
    k = (n_modes + n_rigid) if n_modes is not None else 24 + n_rigid
    est = pipeline.estimate(
        n,
        n_cells=mesh.n_cells,
        cell_bytes=solid.ASSEMBLY_BYTES[order],
        nnz_per_dof=solid.NNZ_PER_DOF[order],
        solid=True,
        k=min(k, pipeline.mode_limit(n)),
        n_nodes=mesh.n_nodes,
    )
    fix = "use a coarser mesh" + (", --order 1" if order == 2 else "") + " or fewer modes"
    pipeline.check_budget(est, f"a P{order} modal analysis of {mesh.n_cells} tetrahedra ({n} DOF)", fix)
    return order, est


def solid_modal_analysis(
    mesh: Mesh, material: Material, *, n_modes, fmax, order, clamp, solver, f_shift, max_modes
) -> ModalModel:
    """Modes of a free or clamped elastic solid (arguments as :func:`physsynth.modal_analysis`)."""
    if f_shift is None:
        f_shift = F_SHIFT
    order, _ = check_solid(
        mesh, material, n_modes=n_modes, order=order, clamp=clamp, max_modes=max_modes, f_shift=f_shift
    )
    with step(f"assembling P{order} elasticity on {mesh.n_cells} tetrahedra") as s_asm:
        disc = solid.assemble_solid(mesh, material, order=order)
        s_asm["result"] = f"{disc.n_dofs} DOF"
    fixed = disc.select_dofs(clamp) if clamp else np.zeros(0, dtype=np.int64)
    n_rigid_max = 0 if len(fixed) else N_RIGID
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
        what="the clamped mesh" if len(fixed) else "this mesh",
    )
    R = _rigid_basis(disc, eig.free, eig.M) if n_rigid_max else None
    rigid = _rigid_mask(eig.vals, eig.vecs, eig.M, R, eig.sigma)
    freqs, vecs, n_rigid = pipeline.elastic_modes(eig.vals, eig.vecs, eig.M, rigid, eig.sigma, fmax, n_modes)
    full = np.zeros((disc.n_dofs, vecs.shape[1]))
    full[eig.free] = vecs
    shapes = (disc.to_nodes @ full).T.reshape(vecs.shape[1], mesh.n_nodes, 3)
    decay = np.asarray(material.damping.decay_rate(2 * np.pi * freqs), dtype=float)
    provenance = pipeline.provenance_base(
        mesh, solver=eig.backend, f_shift=f_shift, n_modes=n_modes, fmax=fmax, assembly=s_asm, eigensolve=eig.info
    ) | {
        "model": "solid",
        "element_order": order,
        "isoparametric": disc.curved,
        "clamp": list(clamp),
        "clamped_dofs": int(len(fixed)),
    }
    return pipeline.finish_model(
        freqs, shapes, decay, mesh, material, n_rigid, len(eig.free), provenance, n_rigid_max=n_rigid_max, fmax=fmax
    )


def _rigid_basis(disc: solid.SolidDiscretisation, free, M) -> np.ndarray:
    """M-orthonormal basis of the rigid-body motions restricted to the free DOFs."""
    R = disc.rigid_body_vectors()[free]
    G = R.T @ (M @ R)
    L = np.linalg.cholesky(G)
    return np.linalg.solve(L, R.T).T  # R L^-T: columns M-orthonormal


def _rigid_mask(vals, vecs, M, R, sigma) -> np.ndarray:
    tiny = np.abs(vals) < 1e-4 * abs(sigma)
    if R is None:
        return tiny
    proj = R.T @ (M @ vecs)  # coefficients in the M-orthonormal rigid basis
    frac = np.sum(proj**2, axis=0)  # vecs are M-normalised
    return tiny | (frac > RIGID_FRACTION)


def stiffness_and_mass(mesh: Mesh, material: Material, order: int = 2):
    """Assembled (K, M) as CSR matrices; for benchmarks and custom solvers."""
    d = solid.assemble_solid(mesh, material, order=order)
    return d.K.tocsr(), d.M.tocsr()
