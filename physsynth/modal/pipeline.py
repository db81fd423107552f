"""The one eigen pipeline of the modal analysis, shared by every front end.

A front end (:mod:`physsynth.modal.solid_analysis` for tetrahedral solids,
:mod:`physsynth.modal.sheet_analysis` for plates and membranes) assembles the stiffness K and
mass M, lists the DOFs its boundary conditions fix and says how to tell a rigid-body mode.
This module does the rest, the same way for all of them:

1. :func:`check_request`, :func:`check_budget`: the request against what the mesh can give
   and what the machine holds, before anything is assembled;
2. :func:`eigen_solve`: restrict K and M to the free DOFs and solve K x = omega^2 M x for the
   lowest modes by shift-invert Lanczos about sigma = -(2 pi f_shift)^2
   (:mod:`physsynth.modal.linsolve`); with ``fmax``, the modes below it are counted by
   Sylvester's law of inertia (:func:`physsynth.modal.linsolve.count_below`, in a thread while
   the Lanczos iterates) and the search grows on the same factorisation until it has found
   every one (the count and its method go into the provenance, ``mode_count``);
3. :func:`elastic_modes`: drop rigid-body modes, check signs, mass-normalise;
4. :func:`finish_model`: refuse an empty result, wrap the rest in a :class:`ModalModel`.

See docs/theory.md, "Eigenproblem".
"""

from __future__ import annotations

import concurrent.futures
import datetime
import hashlib
import math
import platform
import threading
from dataclasses import dataclass

import numpy as np

from physsynth import validate
from physsynth._progress import log, step
from physsynth._version import __version__
from physsynth.errors import PhyssynthError, SolverError
from physsynth.mesh import Mesh
from physsynth.modal import linsolve
from physsynth.modal.model import ModalModel

#: The most eigenpairs a problem gives (the solver's room); see linsolve.mode_limit.
mode_limit = linsolve.mode_limit


def check_request(n_modes, fmax, max_modes, f_shift):
    """Checked (n_modes, fmax, max_modes, f_shift); with neither count, 20 modes."""
    if n_modes is not None and fmax is not None:
        raise PhyssynthError("give n_modes (--n-modes) or fmax (--fmax), not both")
    max_modes = validate.integer(max_modes, "max_modes", lo=1)
    if n_modes is not None:
        n_modes = validate.integer(n_modes, "the number of modes (n_modes, --n-modes)", lo=1)
    if fmax is not None:
        fmax = validate.positive(fmax, "fmax (--fmax)", "Hz", hi=validate.MAX_FREQUENCY)
    if n_modes is None and fmax is None:
        n_modes = 20
    if f_shift is not None:
        f_shift = validate.positive(f_shift, "f_shift", "Hz")
    return n_modes, fmax, max_modes, f_shift


def check_mode_count(n_modes, n_rigid: int, n_dofs: int, what: str, max_modes: int | None = None) -> None:
    """Refuse ``n_modes`` elastic modes (+ ``n_rigid`` rigid ones) beyond :func:`mode_limit` or ``max_modes``."""
    if n_modes is None:
        return
    limit = mode_limit(n_dofs) - n_rigid
    if n_modes > limit:
        if limit < 1:
            raise PhyssynthError(f"{what} has only {n_dofs} degrees of freedom, too few for any mode; refine the mesh")
        raise PhyssynthError(
            f"n_modes {n_modes} is more than {what} can give: at most {limit} modes for its {n_dofs} degrees of "
            "freedom (the Lanczos solver needs about 4 vectors of DOF length per mode); ask for fewer, or use a "
            "finer mesh for more"
        )
    if max_modes is not None and n_modes > max_modes:
        raise PhyssynthError(
            f"n_modes {n_modes} is above the limit of {max_modes} modes per analysis (max_modes): "
            "ask for fewer, or raise max_modes"
        )


#: Frequency scales (Hz) beyond which a request is refused: above, the object is smaller than
#: a few micrometres of metal (numerically meaningless); between SCALE_WARN and it, every mode
#: lies far above hearing (a mesh in mm read as m is the usual cause).
SCALE_MAX = 1e9
SCALE_WARN = 1e6


def check_scale(f_scale: float, f_shift: float, size: float, what: str, constants: str) -> None:
    """Refuse an object whose modes cannot lie in the solver's range; warn far above hearing.

    ``f_scale`` (Hz) is an upper estimate of the lowest elastic mode from the size alone
    (a solid's longitudinal fundamental c / 2L, which bending modes undercut); ``constants``
    names the physical constants that set it, with their units, for the message.
    """
    hint = f"is the mesh in metres (--units mm|cm|in converts it), {constants}?"
    if not (f_scale >= f_shift):
        raise PhyssynthError(
            f"{what} is {size:.3g} m across: its lowest modes lie below {f_scale:.3g} Hz, under the eigen-solver's "
            f"shift of {f_shift:g} Hz, where they cannot be told from rigid-body motion; {hint} (or lower f_shift)"
        )
    if f_scale > SCALE_MAX:
        raise PhyssynthError(
            f"{what} is {size:.3g} m across: its modes would start above {f_scale:.3g} Hz, far beyond any sound; {hint}"
        )
    if f_scale > SCALE_WARN:
        log.warning("%s is %.3g m across: its modes lie far above hearing; %s", what, size, hint)


@dataclass(frozen=True)
class Estimate:
    """Up-front cost of a modal analysis, from the sizes alone.

    Attributes
    ----------
    n_dofs : int
        Degrees of freedom of the discretisation (before boundary conditions).
    assembly_bytes, factor_bytes, vector_bytes : float
        Peak memory of the assembly, of the sparse operators with the Cholesky factor of
        K - sigma M, and of the Lanczos basis and the mode shapes.
    factor_seconds : float
        Rough time of the factorisation on one core of a 2020s machine.
    """

    n_dofs: int
    assembly_bytes: float
    factor_bytes: float
    vector_bytes: float
    factor_seconds: float

    @property
    def peak_bytes(self) -> float:
        return max(self.assembly_bytes, self.factor_bytes + self.vector_bytes)


def estimate(
    n_dofs: int, *, n_cells: int, cell_bytes: float, nnz_per_dof: float, solid: bool, k: int, n_nodes: int
) -> Estimate:
    """Memory and time of the assembly, factorisation and vectors (measured constants).

    Measured with CHOLMOD on P2 tetrahedral bars (10^4..2 10^5 DOF) and cubes (3 10^4..7 10^4
    DOF), 2 shared cores: the assembly peaks at 39 KB per tetrahedron; K has about 80 entries
    per DOF; the factor of a 3D problem has 14 (bars) to 19 (cubes) n^(4/3) entries (nested
    dissection; 20 is used) and takes up to 2e-9 n^2 s (a cube of 7 10^4 DOF: 10 s); a 2D
    problem's factor has about 8 n log2(n) entries (George's bound) and its time grows as
    n^1.5. The Lanczos basis and its M-image hold about 4 k vectors each (the space reached
    3.4 k to 3.8 k vectors on the 64k-DOF bowl, k = 56..106), the Ritz vectors and their
    images 3 k more: 11 k vectors of n doubles; the shapes 3 k per node.
    """
    n = max(int(n_dofs), 1)
    nnz_k = nnz_per_dof * n
    if solid:
        nnz_l = 20.0 * n ** (4 / 3)
        seconds = 2e-9 * n**2
    else:
        nnz_l = 8.0 * n * math.log2(max(n, 2))
        seconds = 2.0 * (n / 2.0e5) ** 1.5
    # K and M, their free-DOF copies and K - sigma M: five matrices of 12 bytes per entry;
    # the supernodal factor stores dense blocks (1.5 x its entries, 8 bytes each).
    factor_bytes = 5 * 12 * nnz_k + 1.5 * 8 * nnz_l
    vector_bytes = 8.0 * max(int(k), 1) * (11 * n + 3 * n_nodes)
    return Estimate(int(n), float(cell_bytes) * n_cells, factor_bytes, vector_bytes, seconds)


def check_budget(est: Estimate, what: str, fix: str) -> None:
    """Refuse (before assembling) an analysis whose estimated memory exceeds the budget; log the estimate."""
    validate.check_memory(est.peak_bytes, what, fix)
    log.info(
        "estimate: %d DOF, about %.2g GiB at the peak, factorisation about %.2g s%s",
        est.n_dofs,
        est.peak_bytes / 2**30,
        est.factor_seconds,
        " (Ctrl-C stops it)" if est.factor_seconds > 60 else "",
    )


@dataclass(frozen=True)
class Eigenpairs:
    """Output of :func:`eigen_solve`: the lowest eigenpairs on the free DOFs."""

    vals: np.ndarray
    vecs: np.ndarray
    free: np.ndarray
    M: object
    sigma: float
    backend: str
    info: dict


def eigen_solve(
    K,
    M,
    fixed,
    *,
    f_shift: float,
    n_modes,
    fmax,
    n_rigid: int,
    solver: str,
    max_modes: int,
    nodes: int,
    what: str,
) -> Eigenpairs:
    """The lowest eigenpairs of K x = lam M x on the DOFs not in ``fixed``.

    Parameters
    ----------
    K, M : scipy.sparse matrix, shape (n, n)
        Stiffness (N/m) and mass (kg) of the whole discretisation.
    fixed : ndarray of int
        DOFs held at zero by the boundary conditions.
    f_shift : float, Hz
        Shift sigma = -(2 pi f_shift)^2, below every elastic mode.
    n_modes, fmax
        Elastic modes wanted: a count, or all below fmax (Hz).
    n_rigid : int
        Rigid-body modes expected (0 when anything is fixed); computed on top of ``n_modes``.
    solver : str
        Factorisation backend (:func:`physsynth.modal.linsolve.factorize`).
    max_modes : int
        Most modes computed when growing towards ``fmax``.
    nodes : int
        Mesh nodes (for the memory of the shapes).
    what : str
        The problem in words, for messages ("this mesh", "the clamped plate").
    """
    n_total = K.shape[0]
    free = np.setdiff1d(np.arange(n_total), np.asarray(fixed, dtype=np.int64))
    if len(free) == 0:
        raise PhyssynthError("the boundary conditions fix every degree of freedom; nothing is left to vibrate")
    n = len(free)
    check_mode_count(n_modes, n_rigid, n, what, max_modes)
    if n == n_total:  # nothing fixed: no copy
        Kf, Mf = K, M
    else:
        Kf, Mf = K[free][:, free], M[free][:, free]
    sigma = -((2 * np.pi * f_shift) ** 2)
    with step(f"eigen-solve ({n} DOF, shift-invert)") as info:
        vals, vecs, backend = _solve(Kf, Mf, sigma, n_modes, fmax, n_rigid, solver, max_modes, n, nodes, info)
        info["result"] = f"{len(vals)} eigenpairs, {backend}"
    return Eigenpairs(vals, vecs, free, Mf, sigma, backend, info)


def _vectors_fit(k: int, n: int, nodes: int, fmax) -> None:
    validate.check_memory(
        8.0 * k * (11 * n + 3 * nodes),
        f"{k} modes of {n} degrees of freedom",
        f"lower fmax {fmax:g} Hz or use a coarser mesh" if fmax is not None else "ask for fewer modes",
    )


def _solve(K, M, sigma, n_modes, fmax, n_rigid, solver, max_modes, n, nodes, info=None):
    limit = mode_limit(n)
    if n_modes is not None:
        k = min(n_modes + n_rigid, limit)
        _vectors_fit(k, n, nodes, None)
        vals, vecs = linsolve.eigsh_shift_invert(K, M, k, sigma, backend=solver)
        return vals, vecs, linsolve.last_stats.get("backend", solver)
    # fmax: the modes below it are counted by Sylvester's law of inertia (an LDL^T of
    # K - (2 pi fmax)^2 M) while the Lanczos iterates: the iteration runs on one core (one BLAS
    # thread, see linsolve._iteration_threads), the count's factorisation on the other, and the
    # iteration takes the count when it is ready, growing the same Krylov space until every
    # mode below fmax is found. The factorisation of K - sigma M comes first, alone, with every
    # core. Measured on the bundled bowl (fmax 8 kHz, 2 idle cores): the count took 1.4 s
    # before the 5 s iteration, and is hidden in it now.
    lam_max = (2 * np.pi * fmax) ** 2
    counting = _inertia_backend(solver)
    counted = {}

    def count():
        inertia = linsolve.count_below(K, M, lam_max, backend=counting)
        total = inertia.below  # rigid-body modes (at zero) included
        elastic = max(total - n_rigid, 0)
        log.info("  %d modes below %g Hz (%s)", total, fmax, inertia.method)
        if elastic > max_modes:
            raise SolverError(
                f"{elastic} modes lie below fmax={fmax:g} Hz, more than max_modes={max_modes}; "
                "lower fmax, or ask for a number of modes (--n-modes)"
            )
        if total > limit:
            raise SolverError(
                f"{elastic} modes lie below fmax={fmax:g} Hz; this mesh gives at most {limit - n_rigid}: "
                "lower fmax, or use a finer mesh"
            )
        _vectors_fit(max(total, n_rigid + 1, 1), n, nodes, fmax)
        counted["inertia"] = inertia
        return total

    factor = linsolve.factorize(K - sigma * M, backend=solver)
    # The count's thread starts inside the iteration's BLAS limit (one thread where several BLAS
    # runtimes are loaded, MKL's included): it then factorises on one core beside the iteration.
    with linsolve._iteration_threads():
        pending = _in_thread(count)
        vals, vecs = linsolve.eigsh_shift_invert(
            K, M, max(n_rigid + 1, 1), sigma, backend=solver, factor=factor, below=lam_max, count=pending
        )
    total = counted["inertia"].below
    found = int(np.count_nonzero(vals < lam_max))
    if found != total:
        raise SolverError(
            f"the eigen-solve found {found} modes below fmax={fmax:g} Hz where the inertia count is {total}; "
            "this is a solver defect: please report it (with the mesh); --n-modes avoids the count"
        )
    if info is not None:
        info["mode_count"] = counted["inertia"].to_dict() | {
            "fmax_hz": float(fmax),
            "found_below": found,
            "rigid_expected": int(n_rigid),
            "certified": True,
        }
    return vals, vecs, factor.backend


def _in_thread(fn) -> concurrent.futures.Future:
    """Run ``fn()`` in a daemon thread; its Future.

    A daemon thread rather than an executor's: Ctrl-C or an error in the main thread then ends
    the process without waiting for a factorisation that may take minutes on a big mesh.
    """
    fut: concurrent.futures.Future = concurrent.futures.Future()

    def run():
        if not fut.set_running_or_notify_cancel():
            return
        try:
            fut.set_result(fn())
        except BaseException as exc:  # handed to the caller, which raises it
            fut.set_exception(exc)

    threading.Thread(target=run, name="physsynth-mode-count", daemon=True).start()
    return fut


def _inertia_backend(solver: str) -> str:
    """The backend counting modes: the operator's own where it gives inertia fast, else the fastest."""
    avail = linsolve.inertia_backends()
    return solver if solver in ("pardiso", "superlu") and solver in avail else avail[0]


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


def mesh_hash(mesh: Mesh) -> str:
    """First 16 hex digits of the SHA-256 of the mesh's points and cells."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(mesh.points).tobytes())
    h.update(np.ascontiguousarray(mesh.cells).tobytes())
    return h.hexdigest()[:16]


def provenance_base(mesh: Mesh, *, solver, f_shift, n_modes, fmax, assembly, eigensolve) -> dict:
    """The provenance entries every model has (``assembly``/``eigensolve``: the step infos)."""
    return {
        "physsynth": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mesh_source": mesh.source,
        "mesh_sha256": mesh_hash(mesh),
        "mesh_order": mesh.order,
        "python": platform.python_version(),
        "solver": solver,
        "shift_hz": f_shift,
        "n_modes_requested": n_modes,
        "fmax": fmax,
        "assembly_s": round(assembly["seconds"], 3),
        "eigensolve_s": round(eigensolve["seconds"], 3),
    } | ({"mode_count": eigensolve["mode_count"]} if "mode_count" in eigensolve else {})


def finish_model(
    freqs, shapes, decay, mesh, material, n_rigid, dofs, provenance, *, n_rigid_max: int, fmax=None
) -> ModalModel:
    """Log the result and wrap it in a ModalModel; an empty or non-finite result is an error."""
    if n_rigid > n_rigid_max:
        # More zero-frequency modes than a free body has: the object falls apart (separate
        # pieces, unconnected cells) or its size is off by orders of magnitude (units).
        raise SolverError(
            f"{n_rigid} zero-frequency modes where a {'free' if n_rigid_max else 'fixed'} body has {n_rigid_max}: "
            "the mesh is not one connected body or its units are wrong; check the mesh and --units"
        )
    if len(freqs) == 0:
        where = f" below fmax={fmax:g} Hz" if fmax is not None else ""
        raise SolverError(f"no elastic mode found{where}; raise fmax or check the mesh units")
    decay = np.asarray(decay, dtype=float)
    if not (np.all(np.isfinite(freqs)) and np.all(np.isfinite(shapes)) and np.all(np.isfinite(decay))):
        raise SolverError("the eigen-solve gave non-finite modes; check the mesh (degenerate cells) and material")
    log.info(
        "%d modes %.2f..%.1f Hz; %d rigid-body modes excluded",
        len(freqs),
        freqs[0],
        freqs[-1],
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
