"""Modal analysis: from a mesh and a material to a ModalModel.

Solves K x = omega^2 M x for the lowest modes by shift-invert Lanczos about a small negative
shift sigma = -(2 pi f_shift)^2, so that K - sigma M is positive definite even when the object
is free (six rigid-body zero modes). See docs/theory.md, "Eigenproblem".
"""

from __future__ import annotations

import datetime
import hashlib
import math
import platform

import numpy as np
import scipy.sparse as sp

from physsynth._progress import log, step
from physsynth.errors import PhyssynthError, SolverError
from physsynth.fem.solid import SolidDiscretisation, assemble_solid
from physsynth.materials import Material
from physsynth.mesh import Mesh
from physsynth.modal.model import ModalModel

#: Default shift frequency (Hz): below any elastic mode of a hand-held object, far enough from
#: zero that K - sigma M is well conditioned.
F_SHIFT = 10.0
#: A mode whose M-weighted energy lies this much in the rigid-body subspace is a rigid mode.
RIGID_FRACTION = 0.9


def modal_analysis(
    mesh: Mesh,
    material: Material,
    *,
    n_modes: int | None = None,
    fmax: float | None = None,
    order: int = 2,
    clamp=(),
    support=(),
    thickness: float | None = None,
    tension: float | None = None,
    areal_density: float | None = None,
    solver: str = "auto",
    f_shift: float | None = None,
    max_modes: int = 2000,
) -> ModalModel:
    """Compute the vibration modes of an elastic object.

    A tetrahedral mesh is a 3D solid. A flat triangle mesh is a Kirchhoff plate when given a
    ``thickness`` (with the material), or a membrane when given ``tension`` and
    ``areal_density`` (the material then only supplies the damping law; None for a loss
    factor of 0.02).

    Parameters
    ----------
    mesh : Mesh
        Tetrahedral volume mesh, metres.
    material : Material
    n_modes : int, optional
        Number of elastic modes wanted (rigid-body modes are excluded and not counted).
    fmax : float, optional, Hz
        Compute every mode below this frequency instead (e.g. 20000 for the audible band).
        With neither n_modes nor fmax, 20 modes.
    order : {2, 1}
        Element order (P2 default; P1 is much too stiff in bending).
    clamp : sequence of str
        Region names or coordinate predicates (``"z<=0.001"``) whose nodes are held fixed
        (for plates: displacement and slope; ``"boundary"`` selects the whole boundary of a
        flat mesh).
    support : sequence of str
        Plates and membranes: simply supported parts (displacement fixed, slope free).
    thickness : float, optional, m
        Plate thickness (flat meshes).
    tension : float, optional, N/m
        Membrane tension (flat meshes).
    areal_density : float, optional, kg/m^2
        Membrane mass per area.
    solver : str
        Sparse factorisation backend: ``"auto"``, ``"cholmod"``, ``"pardiso"``, ``"superlu"``.
    f_shift : float, Hz
        The eigen-solver's shift is -(2 pi f_shift)^2 (default 10 Hz for solids, 1 Hz for
        plates and membranes, which can be very low).
    max_modes : int
        Safety limit on the number of modes computed with ``fmax``.

    Returns
    -------
    ModalModel
    """
    if isinstance(clamp, str):
        clamp = [clamp]
    if isinstance(support, str):
        support = [support]
    clamp, support = list(clamp), list(support)
    _check_counts(n_modes, fmax)
    if n_modes is None and fmax is None:
        n_modes = 20
    if mesh.dim == 2:
        from physsynth.modal.sheet_analysis import sheet_modal_analysis

        return sheet_modal_analysis(
            mesh,
            material,
            n_modes=n_modes,
            fmax=fmax,
            clamp=clamp,
            support=support,
            thickness=thickness,
            tension=tension,
            areal_density=areal_density,
            solver=solver,
            f_shift=1.0 if f_shift is None else f_shift,
            max_modes=max_modes,
        )
    if thickness is not None or tension is not None or areal_density is not None:
        raise PhyssynthError(
            "thickness, tension and areal density are for flat triangle "
            "meshes (plates, membranes); this mesh is a tetrahedral solid"
        )
    if support:
        raise PhyssynthError("--support is for plates and membranes; clamp a solid instead")
    if f_shift is None:
        f_shift = F_SHIFT
    if material is None:
        raise PhyssynthError("a solid needs a material")

    with step(f"assembling P{order} elasticity on {mesh.n_cells} tetrahedra") as s_asm:
        disc = assemble_solid(mesh, material, order=order)
        s_asm["result"] = f"{disc.n_dofs} DOF"
    fixed = disc.select_dofs(clamp) if clamp else np.zeros(0, dtype=np.int64)
    free = np.setdiff1d(np.arange(disc.n_dofs), fixed)
    if len(free) == 0:
        raise PhyssynthError("the clamp selects every node; nothing is left to vibrate")
    K = disc.K[free][:, free].tocsc()
    M = disc.M[free][:, free].tocsc()
    n_rigid_max = 0 if len(fixed) else 6
    sigma = -((2 * np.pi * f_shift) ** 2)

    R = _rigid_basis(disc, free, M) if n_rigid_max else None
    with step(f"eigen-solve ({len(free)} DOF, shift-invert)") as s_eig:
        vals, vecs, backend = _solve(K, M, sigma, n_modes, fmax, n_rigid_max, R, solver, max_modes, len(free))
        s_eig["result"] = f"{len(vals)} eigenpairs, {backend}"

    freqs, vecs, n_rigid = elastic_modes(vals, vecs, M, _rigid_mask(vals, vecs, M, R, sigma), sigma, fmax, n_modes)
    full = np.zeros((disc.n_dofs, vecs.shape[1]))
    full[free] = vecs
    shapes = (disc.to_nodes @ full).T.reshape(vecs.shape[1], mesh.n_nodes, 3)
    decay = np.asarray(material.damping.decay_rate(2 * np.pi * freqs), dtype=float)

    provenance = provenance_base(
        mesh, solver=backend, f_shift=f_shift, n_modes=n_modes, fmax=fmax, assembly=s_asm, eigensolve=s_eig
    ) | {
        "model": "solid",
        "element_order": order,
        "isoparametric": disc.curved,
        "clamp": clamp,
        "clamped_dofs": int(len(fixed)),
    }
    return finish_model(freqs, shapes, decay, mesh, material, n_rigid, len(free), provenance)


def elastic_modes(vals, vecs, M, rigid, sigma, fmax, n_modes):
    """Drop rigid-body modes, check signs, keep those wanted, mass-normalise.

    Returns (frequencies in Hz, M-normalised vectors, number of rigid-body modes)."""
    n_rigid = int(rigid.sum())
    vals, vecs = vals[~rigid], vecs[:, ~rigid]
    if np.any(vals < 0):
        # Only round-off can make an elastic eigenvalue negative; a real negative one means
        # the operators are broken (inverted elements, wrong units).
        bad = vals[vals < 0]
        if np.any(bad < sigma * 1e-3):
            raise SolverError(
                f"negative eigenvalues {bad[:3]}: the stiffness is not positive "
                "semi-definite; check the mesh for inverted or degenerate cells"
            )
        vals = np.abs(vals)
    freqs = np.sqrt(vals) / (2 * np.pi)
    if fmax is not None:
        keep = freqs < fmax
        freqs, vecs = freqs[keep], vecs[:, keep]
    elif len(freqs) > n_modes:
        freqs, vecs = freqs[:n_modes], vecs[:, :n_modes]
    # Mass-normalise explicitly (the solver's normalisation is checked, not trusted).
    norms = np.sqrt(np.einsum("ij,ij->j", vecs, M @ vecs))
    return freqs, vecs / norms, n_rigid


def provenance_base(mesh: Mesh, *, solver, f_shift, n_modes, fmax, assembly, eigensolve) -> dict:
    """The provenance entries every model has (``assembly``/``eigensolve``: the step infos)."""
    from physsynth import __version__

    return {
        "physsynth": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mesh_source": mesh.source,
        "mesh_sha256": _mesh_hash(mesh),
        "mesh_order": mesh.order,
        "python": platform.python_version(),
        "solver": solver,
        "shift_hz": f_shift,
        "n_modes_requested": n_modes,
        "fmax": fmax,
        "assembly_s": round(assembly["seconds"], 3),
        "eigensolve_s": round(eigensolve["seconds"], 3),
    }


def finish_model(freqs, shapes, decay, mesh, material, n_rigid, dofs, provenance) -> ModalModel:
    """Log the result and wrap it in a ModalModel."""
    log.info(
        "%d modes %.2f..%.1f Hz; %d rigid-body modes excluded",
        len(freqs),
        freqs[0] if len(freqs) else 0,
        freqs[-1] if len(freqs) else 0,
        n_rigid,
    )
    return ModalModel(
        freqs,
        np.ascontiguousarray(shapes),
        decay,
        mesh,
        material,
        rigid_body_modes=n_rigid,
        dofs=int(dofs),
        provenance=provenance,
    )


def _check_counts(n_modes, fmax):
    if n_modes is not None and fmax is not None:
        raise PhyssynthError("give n_modes or fmax, not both")
    if n_modes is not None and (int(n_modes) != n_modes or n_modes < 1):
        raise PhyssynthError(f"n_modes must be a positive integer, got {n_modes}")
    if fmax is not None and not (math.isfinite(fmax) and fmax > 0):
        raise PhyssynthError(f"fmax must be a positive frequency in Hz, got {fmax}")


def _mesh_hash(mesh: Mesh) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(mesh.points).tobytes())
    h.update(np.ascontiguousarray(mesh.cells).tobytes())
    return h.hexdigest()[:16]


def _rigid_basis(disc: SolidDiscretisation, free, M) -> np.ndarray:
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


def _solve(K, M, sigma, n_modes, fmax, n_rigid, R, solver, max_modes, n):
    from physsynth.modal import linsolve

    if n_modes is not None:
        k = min(n_modes + n_rigid, n - 1)
        vals, vecs = linsolve.eigsh_shift_invert(K, M, k, sigma, backend=solver)
        return vals, vecs, linsolve.last_stats.get("backend", solver)
    # fmax: grow the number of modes until the highest one computed is above fmax.
    lam_max = (2 * np.pi * fmax) ** 2
    k = min(max(24, n_rigid + 16), n - 1)
    factor = None
    while True:
        vals, vecs = linsolve.eigsh_shift_invert(K, M, k, sigma, backend=solver, factor=factor)
        factor = linsolve.last_stats.get("factor")  # factorise once, however many tries
        if vals[-1] >= lam_max or k >= n - 1:
            return vals, vecs, linsolve.last_stats.get("backend", solver)
        if k >= max_modes:
            raise SolverError(f"more than {max_modes} modes lie below fmax={fmax:g} Hz; lower --fmax or use --n-modes")
        # Mode counts grow about linearly with frequency for shells and plates (faster for
        # bulky solids): extrapolate linearly with a 15 % margin, growing by at least 25 %.
        f_hi = math.sqrt(max(vals[-1], 1.0)) / (2 * np.pi)
        k = min(int(math.ceil(k * max(1.25, 1.15 * fmax / f_hi))) + 8, max_modes, n - 1)
        log.info("  %d modes reach %.0f Hz < fmax %.0f Hz; trying %d", len(vals), f_hi, fmax, k)


def stiffness_and_mass(mesh: Mesh, material: Material, order: int = 2):
    """Assembled (K, M) as CSR matrices; for benchmarks and custom solvers."""
    d = assemble_solid(mesh, material, order=order)
    return sp.csr_matrix(d.K), sp.csr_matrix(d.M)
