"""Sparse SPD factorisations and the shift-invert eigen-solver of the modal analysis.

The modal analysis solves the generalised symmetric eigenproblem

    K x = lam M x

(``K`` stiffness in N/m, symmetric positive semi-definite, six rigid-body zero
modes when free-free; ``M`` mass in kg, symmetric positive definite; ``lam`` in
rad^2/s^2, so the modal frequency is ``sqrt(lam) / (2 pi)`` Hz).  The solve uses
shift-invert with a small negative shift ``sigma`` so that ``A = K - sigma M``
is symmetric positive definite and can be Cholesky-factorised.

Backends, fastest first as measured on P2 elasticity, 2 idle cores, 100 modes (the whole
eigen-solve): the 64k-DOF bowl PARDISO 5.9 s, CHOLMOD 6.8 s; a 28.7k-DOF box 4.0 / 4.4 s; an
87k-DOF box 15.7 / 16.7 s (factorisations 0.6 / 1.05 s on the bowl; solves ~5.5 ms per vector
in blocks of 16 for both); SuperLU several times slower:

``"pardiso"``
    Intel MKL PARDISO through pypardiso (x86-64 only, ~315 MB of MKL wheels;
    ``pip install pypardiso``): the fast backend that pip alone installs, for any user.
``"cholmod"``
    SuiteSparse CHOLMOD through scikit-sparse (supernodal Cholesky, BLAS-3,
    METIS/AMD ordering).  Needs ``apt-get install libsuitesparse-dev
    libopenblas0-pthread`` and ``pip install 'scikit-sparse==0.4.16'``.
``"superlu"``
    scipy's SuperLU; always available, slowest.  Used with the symmetric
    options (minimum-degree ordering on A + A^T, diagonal pivoting
    preference) that roughly halve its fill against scipy's default COLAMD.

The eigen-solver is a block Lanczos (block Krylov) method with full
M-reorthogonalisation and thick restarts: it applies ``A^{-1} M`` to blocks of
vectors, because a supernodal solve with ``b`` right-hand sides costs far less
than ``b`` single solves (CHOLMOD: ~37 ms for one vector, ~6 ms per vector in
a block of 56 at 60k DOF).  ARPACK, which scipy's ``eigsh`` wraps, can only
apply the operator to one vector at a time.

Mode counts are certified by Sylvester's law of inertia (:func:`count_below`): the number
of negative pivots of an LDL^T factorisation of ``K - lam M`` is the number of eigenvalues
below ``lam``.  Inertia backends, measured on the 64,302-DOF bundled bowl at 8 kHz (2 cores):
PARDISO's Bunch-Kaufman LDL^T (iparm(23)) 1.7 s, CHOLMOD's simplicial LDL^T 6.9 s, SuperLU
with diagonal pivots on a symmetric ordering 7.7 s.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from importlib import metadata

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, LinearOperator, eigsh, splu
from threadpoolctl import threadpool_info, threadpool_limits

from physsynth import validate
from physsynth.errors import SolverError

__all__ = [
    "Factor",
    "factorize",
    "available_backends",
    "check_backend",
    "eigsh_shift_invert",
    "Inertia",
    "count_below",
]

# Diagnostics of the last eigsh_shift_invert call (seconds, counts), for benchmarks.
last_stats: dict = {}

# Order tried by backend="auto": fastest first (measured, see module docstring).
_AUTO_ORDER = ("pardiso", "cholmod", "superlu")

_INSTALL_HINT = {
    "cholmod": (
        "install it with `apt-get install -y libsuitesparse-dev libopenblas0-pthread` "
        "then `pip install 'scikit-sparse==0.4.16'` (or `pip install 'physsynth[fast]'`)"
    ),
    "pardiso": "install it with `pip install pypardiso` (x86-64 only; pulls Intel MKL)",
    "superlu": "it ships with scipy",
}


# --------------------------------------------------------------------------- factors


class Factor:
    """A factorisation of a sparse SPD matrix ``A`` (n x n) that solves ``A X = B``.

    Attributes
    ----------
    backend : str
        Name of the backend that made the factorisation.
    n : int
        Order of ``A``.
    """

    backend = "?"

    def __init__(self, n: int):
        self.n = int(n)

    def solve(self, b: np.ndarray) -> np.ndarray:
        """Solve ``A x = b``.

        Parameters
        ----------
        b : ndarray, shape (n,) or (n, k), float64
            Right-hand side(s), in the units of ``A x``.

        Returns
        -------
        x : ndarray, same shape as ``b``, float64
        """
        b = np.asarray(b, dtype=np.float64)
        if b.shape[0] != self.n or b.ndim not in (1, 2):
            raise SolverError(f"right-hand side of shape {b.shape} does not fit a matrix of order {self.n}")
        if b.ndim == 2 and b.shape[1] == 0:
            return np.empty_like(b)
        return self._solve(b)

    @property
    def nnz_factor(self) -> int | None:
        """Number of stored entries of the factor(s) (L, or L + U), or None if unknown."""
        return None

    def _solve(self, b):  # pragma: no cover - abstract
        raise NotImplementedError


class _CholmodFactor(Factor):
    backend = "cholmod"

    def __init__(self, A):
        super().__init__(A.shape[0])
        from sksparse.cholmod import CholmodError, cholesky

        try:
            # Supernodal LL^T, forced: in "auto" mode CHOLMOD picks a simplicial
            # LDL^T for very sparse matrices, which silently accepts indefinite ones.
            # The default ordering tries AMD and METIS and keeps the one with less
            # fill (METIS/NESDIS wins on 3D solids).
            self._f = cholesky(A, mode="supernodal")
        except CholmodError as exc:
            raise SolverError(f"CHOLMOD could not factorise the matrix (not positive definite?): {exc}") from exc
        self._nnz = None

    def _solve(self, b):
        # One call for the whole block: CHOLMOD's supernodal solve works on all
        # columns at once with BLAS-3.
        return np.asarray(self._f(b), dtype=np.float64).reshape(b.shape)

    @property
    def nnz_factor(self):
        if self._nnz is None:
            # L() makes a simplicial copy of the factor: computed only when asked.
            self._nnz = int(self._f.L().nnz)
        return self._nnz


class _PardisoFactor(Factor):
    backend = "pardiso"

    def __init__(self, A):
        super().__init__(A.shape[0])
        pypardiso = _import_pypardiso()

        # mtype=2 (real SPD): PARDISO then does a Cholesky on the upper triangle;
        # pypardiso's default mtype=11 (unsymmetric LU) is twice as slow.
        # size_limit_storage: keep a copy of U rather than re-hashing 10^7 entries
        # at every solve, which is how pypardiso recognises an already factorised matrix.
        self._U = sp.triu(A, format="csr")
        self._U.sort_indices()
        self._s = pypardiso.PyPardisoSolver(mtype=2, size_limit_storage=np.inf)
        try:
            self._s.factorize(self._U)
        except Exception as exc:  # PyPardisoError carries the PARDISO error code
            raise SolverError(f"PARDISO could not factorise the matrix (not positive definite?): {exc}") from exc
        # iparm(18) holds the number of non-zeros of the factor after phase 12.
        nnz = int(self._s.get_iparm(18))
        self._nnz = nnz if nnz > 0 else None
        # No iterative refinement in the solves. PARDISO's defaults (iparm(1) = 0, filled in by
        # phase 12) allow two steps, and it takes both on these matrices (iparm(7) = 2 after each
        # solve) without lowering the residual: 2.5e-8 against 1.8e-8 relative, the backward
        # error of a Cholesky solve of K - sigma M, whose condition number is ~lam_max / |sigma|
        # (CHOLMOD, which never refines, gives the same). Measured on the 64k-DOF bowl, one
        # thread: 54 ms against 151 ms for one vector, 170 ms against 733 ms for a block of 16.
        self._s.set_iparm(8, 0)
        # The solves call PARDISO's phase 33 directly. pypardiso's `solve` compares the whole
        # matrix with its stored copy (three array_equal over 10^7 entries) and converts the
        # index arrays to 1-based int32 at every call, then copies the solution to C order:
        # ~4 ms of every block solve on the 64k-DOF bowl (0.1 s of a 50-mode solve), for
        # nothing the factor does not already know. The 1-based int32 indices are made once.
        self._ia = (self._U.indptr + 1).astype(np.int32)
        self._ja = (self._U.indices + 1).astype(np.int32)
        self._direct = all(hasattr(self._s, a) for a in ("_mkl_pardiso", "pt", "_pt_type", "iparm", "perm"))

    def _solve(self, b):
        if not self._direct:  # a pypardiso without the attributes relied on below
            return np.asarray(self._s.solve(self._U, b), dtype=np.float64).reshape(b.shape)
        B = np.asfortranarray(b.reshape(self.n, -1))
        X = np.empty_like(B, order="F")
        err = ctypes.c_int32(0)
        s, i32 = self._s, ctypes.POINTER(ctypes.c_int32)
        s.set_iparm(12, 0)  # A x = b (CSR of the upper triangle; the factor is symmetric)
        s._mkl_pardiso(
            s.pt.ctypes.data_as(ctypes.POINTER(s._pt_type[0])),
            ctypes.byref(ctypes.c_int32(1)),  # maxfct
            ctypes.byref(ctypes.c_int32(1)),  # mnum
            ctypes.byref(ctypes.c_int32(2)),  # mtype: real SPD, as factorised
            ctypes.byref(ctypes.c_int32(33)),  # phase: solve with iterative refinement (0 steps)
            ctypes.byref(ctypes.c_int32(self.n)),
            self._U.data.ctypes.data_as(ctypes.c_void_p),
            self._ia.ctypes.data_as(i32),
            self._ja.ctypes.data_as(i32),
            s.perm.ctypes.data_as(i32),
            ctypes.byref(ctypes.c_int32(B.shape[1])),
            s.iparm.ctypes.data_as(i32),
            ctypes.byref(ctypes.c_int32(0)),  # msglvl
            B.ctypes.data_as(ctypes.c_void_p),
            X.ctypes.data_as(ctypes.c_void_p),
            ctypes.byref(err),
        )
        if err.value != 0:
            raise SolverError(f"PARDISO's solve failed with error {err.value}")
        return X.reshape(b.shape)

    @property
    def nnz_factor(self):
        return self._nnz

    def __del__(self):
        # Free PARDISO's internal memory (it lives outside Python's heap).
        try:
            self._s.free_memory(everything=True)
        except Exception:
            pass


class _SuperLUFactor(Factor):
    backend = "superlu"

    def __init__(self, A):
        super().__init__(A.shape[0])
        try:
            # A is SPD: a minimum-degree ordering on the structure of A + A^T with
            # SymmetricMode (prefer diagonal pivots, keep the symmetric ordering)
            # gives ~40% less fill and ~2x faster factorisation than the default COLAMD.
            self._lu = splu(A, permc_spec="MMD_AT_PLUS_A", options=dict(SymmetricMode=True))
        except RuntimeError as exc:
            raise SolverError(f"SuperLU could not factorise the matrix (singular?): {exc}") from exc

    def _solve(self, b):
        return self._lu.solve(b)

    @property
    def nnz_factor(self):
        return int(self._lu.L.nnz + self._lu.U.nnz)


_FACTORS = {"cholmod": _CholmodFactor, "pardiso": _PardisoFactor, "superlu": _SuperLUFactor}


def _symmetric(A, fmt: str):
    """A symmetric sparse matrix in CSR or CSC (``fmt``), float64, without copying when it can.

    The CSC arrays of a matrix are the CSR arrays of its transpose, which for a symmetric
    matrix is itself: the format changes for free (scipy's ``tocsr``/``tocsc`` copy 10^7
    entries, 50 ms each on the 64k-DOF bowl, and the pipeline made eleven such copies).
    """
    if A.dtype != np.float64:
        A = A.astype(np.float64)
    if A.format == fmt:
        return A
    if A.format in ("csr", "csc"):
        return A.T
    return A.asformat(fmt)


def _mkl_rt_path() -> str | None:
    """The path of MKL's ``libmkl_rt`` from the ``mkl`` wheel's file list, or None.

    Why: pypardiso looks for the library with ``ctypes.util.find_library`` and, failing that
    (a pip install puts it where the loader does not look), a recursive glob of ``sys.prefix``
    in every ``PyPardisoSolver()``, one of which runs at import: 0.6-0.8 s each on this
    machine's site-packages, three times in a ``--fmax`` run. Its own ``PYPARDISO_MKL_RT``
    variable skips the search; the wheel's RECORD names the file in ~20 ms.
    """
    try:
        dist = metadata.distribution("mkl")
        for f in dist.files or ():
            if os.path.basename(str(f)).startswith("libmkl_rt.so"):
                path = os.path.realpath(str(dist.locate_file(f)))
                if os.path.isfile(path):
                    return path
    except Exception:  # no mkl wheel (a system MKL, conda): pypardiso searches itself
        return None
    return None


def _import_pypardiso():
    """``import pypardiso``, with ``PYPARDISO_MKL_RT`` set to the wheel's MKL when unset."""
    if "pypardiso" not in sys.modules and not os.environ.get("PYPARDISO_MKL_RT"):
        path = _mkl_rt_path()
        if path:
            os.environ["PYPARDISO_MKL_RT"] = path
    import pypardiso

    return pypardiso


def _importable(backend: str) -> bool:
    try:
        if backend == "cholmod":
            import sksparse.cholmod  # noqa: F401
        elif backend == "pardiso":
            _import_pypardiso()
    except Exception:  # ImportError, or a broken binary (OSError for a missing libmkl_rt)
        return False
    return True


def available_backends() -> list[str]:
    """Names of the backends that can be used here, fastest first.

    Returns
    -------
    list of str
        A sub-list of ``["pardiso", "cholmod", "superlu"]``; ``"superlu"`` is always present.
    """
    return [b for b in _AUTO_ORDER if _importable(b)]


def check_backend(backend: str) -> str:
    """The backend that ``backend`` names here (``"auto"``: the fastest installed).

    Raises
    ------
    SolverError
        Unknown or not installed (the message says how to install it).
    """
    if backend == "auto":
        # The first importable one, without importing the slower ones.
        return next(b for b in _AUTO_ORDER if _importable(b))
    if backend not in _FACTORS:
        raise SolverError(
            f"unknown linear-solver backend {backend!r}; choose one of 'auto', " + ", ".join(repr(b) for b in _FACTORS)
        )
    if not _importable(backend):
        raise SolverError(f"linear-solver backend {backend!r} is not installed: {_INSTALL_HINT[backend]}")
    return backend


@contextlib.contextmanager
def _interruptible():
    """Let Ctrl-C end the process during one long native call that holds the GIL.

    CHOLMOD's factorisation (measured: scikit-sparse 0.4 keeps the GIL for all 20 s of a
    2 10^5-DOF factorisation) runs no Python code, so Python's SIGINT handler, which only sets
    a flag, would raise KeyboardInterrupt only when it returns: minutes later for a big mesh.
    For that call SIGINT gets its default action, so Ctrl-C ends the process at once, with
    the status of a process killed by SIGINT (130 in a shell); no file has been written
    then (outputs are written atomically at the end). Only in a script or the command line:
    in the main thread, with Python's own handler installed, and not in an interactive
    session (IPython and Jupyter keep their interrupt).
    """
    plain = (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        and not hasattr(sys, "ps1")
        and "IPython" not in sys.modules
    )
    if not plain:
        yield
        return
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def factorize(A, *, backend: str = "auto") -> Factor:
    """Factorise a sparse symmetric positive definite matrix.

    Parameters
    ----------
    A : scipy.sparse matrix or array, shape (n, n), float64
        Symmetric positive definite (both triangles stored), e.g. ``K - sigma M``.
    backend : {"auto", "cholmod", "pardiso", "superlu"}
        ``"auto"`` takes the first of :func:`available_backends`.

    Returns
    -------
    Factor
        With ``.solve(b)`` for ``b`` of shape (n,) or (n, k), ``.backend`` and
        ``.nnz_factor``.

    Raises
    ------
    SolverError
        Unknown or uninstalled backend, a non-square matrix, or a failed
        factorisation (matrix not positive definite).
    """
    backend = check_backend(backend)
    if not sp.issparse(A):
        raise SolverError("factorize expects a scipy.sparse matrix")
    if A.shape[0] != A.shape[1]:
        raise SolverError(f"factorize expects a square matrix, got shape {A.shape}")
    A = sp.csc_matrix(_symmetric(A, "csc"))  # CHOLMOD and SuperLU want CSC; A is symmetric
    A.sum_duplicates()
    A.sort_indices()
    with _interruptible():
        return _FACTORS[backend](A)


# --------------------------------------------------------------------------- inertia

#: Order tried for the inertia count (measured, see the module docstring): fastest first.
_INERTIA_ORDER = ("pardiso", "cholmod", "superlu")


@dataclass(frozen=True)
class Inertia:
    """How many eigenvalues of ``K x = lam M x`` lie below a shift, and how that is known.

    Attributes
    ----------
    below : int
        Eigenvalues below ``shift`` (rigid-body modes, at zero, included): the negative pivots
        of an LDL^T factorisation of ``K - shift M`` (Sylvester's law of inertia).
    shift : float
        The shift, rad^2/s^2.
    backend : str
        The factorisation that gave the count.
    method : str
        The certificate in words, for provenance.
    seconds : float
        Time of the factorisation.
    """

    below: int
    shift: float
    backend: str
    method: str
    seconds: float

    def to_dict(self) -> dict:
        return {
            "below": int(self.below),
            "shift_rad2_s2": float(self.shift),
            "backend": self.backend,
            "method": self.method,
            "seconds": round(float(self.seconds), 3),
        }


def _inertia_pardiso(A):
    pypardiso = _import_pypardiso()

    U = sp.triu(A, format="csr")
    U.sort_indices()
    # mtype=-2: real symmetric indefinite, Bunch-Kaufman pivoting (iparm(21) = 1, the
    # default) within supernodes; iparm(22)/(23) hold the positive/negative pivots.
    s = pypardiso.PyPardisoSolver(mtype=-2)
    try:
        s.set_phase(12)
        s._check_A(U)
        s._call_pardiso(U, np.zeros(U.shape[0]))
        neg, pos, perturbed = int(s.get_iparm(23)), int(s.get_iparm(22)), int(s.get_iparm(14))
    except Exception as exc:
        raise SolverError(f"PARDISO could not factorise K - lam M for the mode count: {exc}") from exc
    finally:
        with contextlib.suppress(Exception):
            s.free_memory(everything=True)
    if perturbed or neg + pos != A.shape[0]:
        # A pivot PARDISO had to perturb (an eigenvalue within ~1e-8 of the shift) makes the
        # count uncertain by those pivots: the caller moves the shift.
        return None
    return neg, "negative pivots of PARDISO's Bunch-Kaufman LDL^T of K - (2 pi fmax)^2 M (iparm(23))"


def _inertia_cholmod(A):
    from sksparse.cholmod import CholmodError, cholesky

    try:
        # Simplicial LDL^T without pivoting (the supernodal mode is LL^T only, for SPD matrices).
        d = cholesky(A, mode="simplicial").D()
    except CholmodError as exc:
        raise SolverError(f"CHOLMOD could not factorise K - lam M for the mode count: {exc}") from exc
    if not np.all(np.isfinite(d)) or np.any(d == 0):
        return None
    return int(np.count_nonzero(d < 0)), "negative entries of D in CHOLMOD's simplicial LDL^T of K - (2 pi fmax)^2 M"


def _inertia_superlu(A):
    # diag_pivot_thresh=0 with SymmetricMode: every pivot is the diagonal entry of the
    # symmetrically permuted matrix, so P A P^T = L U with U = D L^T and the signs of U's
    # diagonal are D's.  Checked: row and column permutations equal (no off-diagonal pivot).
    try:
        lu = splu(A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options=dict(SymmetricMode=True))
    except RuntimeError as exc:
        raise SolverError(f"SuperLU could not factorise K - lam M for the mode count: {exc}") from exc
    d = lu.U.diagonal()
    if not np.array_equal(lu.perm_r, lu.perm_c) or not np.all(np.isfinite(d)) or np.any(d == 0):
        return None
    return int(np.count_nonzero(d < 0)), "negative pivots of SuperLU's LDL^T-ordered LU of K - (2 pi fmax)^2 M"


_INERTIA = {"pardiso": _inertia_pardiso, "cholmod": _inertia_cholmod, "superlu": _inertia_superlu}


def inertia_backends() -> list[str]:
    """Backends that can count eigenvalues by inertia here, fastest first (``"superlu"`` always)."""
    return [b for b in _INERTIA_ORDER if _importable(b)]


def count_below(K, M, lam: float, *, backend: str = "auto") -> Inertia:
    """Count the eigenvalues of ``K x = lam' M x`` below ``lam`` by Sylvester's law of inertia.

    Parameters
    ----------
    K, M : scipy.sparse matrix, shape (n, n)
        Stiffness (N/m, symmetric positive semi-definite) and mass (kg, SPD).
    lam : float, rad^2/s^2
        The shift, e.g. ``(2 pi fmax)^2``.
    backend : {"auto", "pardiso", "cholmod", "superlu"}
        ``"auto"``: the first of :func:`inertia_backends`.

    Returns
    -------
    Inertia
        With ``below``, the number of eigenvalues below ``lam`` (zero modes included).

    Raises
    ------
    SolverError
        An unknown or missing backend, or no factorisation that gives a trustworthy count
        (pivots perturbed at three shifts 1e-9 apart).

    >>> import scipy.sparse as sp
    >>> count_below(sp.diags([1.0, 2.0, 3.0]), sp.identity(3), 2.5, backend="superlu").below
    2
    """
    lam = validate.finite(lam, "the shift lam", "rad^2/s^2", error=SolverError)
    if backend == "auto":
        backend = inertia_backends()[0]
    elif backend not in _INERTIA:
        raise SolverError(f"unknown inertia backend {backend!r}; choose 'auto', " + ", ".join(map(repr, _INERTIA)))
    elif not _importable(backend):
        raise SolverError(f"backend {backend!r} is not installed: {_INSTALL_HINT[backend]}")
    K, M = _symmetric(K, "csr"), _symmetric(M, "csr")
    t0 = time.perf_counter()
    for nudge in (0.0, 1e-9, -1e-9):
        # A pivot at (numerically) zero means an eigenvalue at the shift itself: move the shift
        # by a relative 1e-9 (a 5e-8 cent change of fmax) so the count is decided.
        shift = lam * (1.0 + nudge)
        A = _symmetric(K - shift * M, "csc")
        A.sum_duplicates()
        A.sort_indices()
        with _interruptible():
            got = _INERTIA[backend](A)
        if got is not None:
            method = got[1] + (f", shift moved by {nudge:+.0e} (a pivot at zero)" if nudge else "")
            return Inertia(int(got[0]), float(shift), backend, method, time.perf_counter() - t0)
    raise SolverError(
        f"the {backend} factorisation of K - lam M had zero or perturbed pivots at three shifts near {lam:.6g}: "
        "the mode count is uncertain; move fmax slightly"
    )


# --------------------------------------------------------------------------- eigen-solver

#: Problems up to this many DOFs may ask for every eigenpair: the dense solver takes them in
#: seconds (an n x n generalised eigh costs about 10 n^3 flops: 3e10 at 1500).
DENSE_DOFS = 1500
_BLOCK_MAX = 24


def _block(k: int) -> int:
    """Default block size of the block Lanczos for k eigenpairs."""
    return min(_BLOCK_MAX, max(2, k // 2))


def mode_limit(n_dofs: int) -> int:
    """The most eigenpairs :func:`eigsh_shift_invert` computes on ``n_dofs`` DOFs.

    The Krylov solver keeps a basis of about 2 k + b vectors of DOF length and needs room
    to restart within the space: ``n_dofs >= 4 (k + 2 b)`` with blocks of b (24 for k >= 48)
    vectors, so about a quarter of the DOFs; above that the solve would turn dense (O(n^3),
    minutes at 10^4 DOF), which only small problems (:data:`DENSE_DOFS`) are allowed. The
    highest modes of a discretisation are its least accurate anyway: a finer mesh gives more.

    >>> mode_limit(1000)  # small: every mode, by the dense solver
    999
    >>> mode_limit(8841)  # a quarter, less two blocks of 24
    2162
    """
    n = int(n_dofs)
    if n <= DENSE_DOFS:
        return max(n - 1, 0)
    k = n // 4 - 2 * _BLOCK_MAX
    if k >= 2 * _BLOCK_MAX:
        return k
    for k in range(2 * _BLOCK_MAX - 1, 0, -1):
        if n >= 4 * (k + 2 * _block(k)):
            return k
    return 0


def eigsh_shift_invert(
    K,
    M,
    k,
    sigma,
    *,
    backend="auto",
    tol=0.0,
    ncv=None,
    v0=None,
    method="block",
    block_size=None,
    factor=None,
    below=None,
    count=None,
):
    """The ``k`` eigenpairs of ``K x = lam M x`` nearest above the shift ``sigma``.

    Shift-invert: factorises ``A = K - sigma M`` once and finds the largest
    eigenvalues ``theta = 1 / (lam - sigma)`` of ``T = A^{-1} M``, which is
    self-adjoint in the M-inner product.

    Parameters
    ----------
    K : scipy.sparse matrix, shape (n, n)
        Stiffness, symmetric positive semi-definite (N/m).
    M : scipy.sparse matrix, shape (n, n)
        Mass, symmetric positive definite (kg).
    k : int
        Number of eigenpairs, ``1 <= k < n``.
    sigma : float
        Shift in rad^2/s^2, below the wanted eigenvalues and such that
        ``K - sigma M`` is positive definite; e.g. ``-(2 pi 10 Hz)^2`` for a
        free-free body.
    backend : str
        Linear-solver backend for :func:`factorize`.
    tol : float
        Relative accuracy: method "block" accepts a Ritz pair when
        ``||T x - theta x||_M <= max(tol * theta, 16 eps theta_max)`` (the
        second term is the rounding floor when rigid-body modes make
        ``theta_max`` >> ``theta``); ``0`` means 1e-10, which gives
        eigenvalues to ~1e-12 relative.  Method "arpack": ARPACK's ``tol``
        (0 = machine precision).
    ncv : int, optional
        Largest search-space dimension before a thick restart ("block") or
        ARPACK's number of Lanczos vectors ("arpack").  Default: room for about
        5 k + 4 b vectors ("block"), so that a restart is rare; ``max(2 k + 1, 20)``
        ("arpack").
    v0 : ndarray, shape (n,), optional
        Starting vector.  Default: a fixed-seed random vector, so results are
        reproducible.
    method : {"block", "arpack"}
        "block": block Lanczos with full reorthogonalisation and thick restart
        (fastest: it solves with many right-hand sides at once).  "arpack":
        scipy's ``eigsh`` with the factorisation as ``OPinv``.
    block_size : int, optional
        Block size of method "block"; default ``k / 4`` within 8..16 (measured fastest).
    factor : Factor, optional
        A factorisation of ``K - sigma M`` from an earlier call (see ``last_stats["factor"]``),
        to compute more modes of the same problem without factorising again.
    below, count : float (rad^2/s^2) and int, optional
        Method "block": there are exactly ``count`` eigenvalues below ``below`` (from
        :func:`count_below`); the search grows in the same Krylov space, on the same
        factorisation, until that many converged eigenvalues lie below ``below``, and may
        return more than ``k`` pairs.  ``last_stats["found_below"]`` has the count found.

    Returns
    -------
    vals : ndarray, shape (k,) (at least k with ``count``)
        Eigenvalues ``lam`` in ascending order (rad^2/s^2).
    vecs : ndarray, shape (n, k)
        Eigenvectors, column ``i`` for ``vals[i]``, normalised so that
        ``vecs.T @ M @ vecs`` is the identity.

    Raises
    ------
    SolverError
        Bad arguments, failed factorisation, or no convergence.
    """
    if not (sp.issparse(K) and sp.issparse(M)):
        raise SolverError("K and M must be scipy.sparse matrices")
    n = K.shape[0]
    if K.shape != (n, n) or M.shape != (n, n):
        raise SolverError(f"K {K.shape} and M {M.shape} must be square and of the same order")
    k = validate.integer(k, "the number of eigenpairs k", error=SolverError)
    sigma = validate.finite(sigma, "the shift sigma", "rad^2/s^2", error=SolverError)
    if not 1 <= k < n:
        raise SolverError(f"the number of modes k={k} must be between 1 and n-1={n - 1}")
    if method == "block" and block_size is None and k > mode_limit(n):
        raise SolverError(
            f"k={k} eigenpairs of a problem of order {n} would need a dense solve (minutes to hours); "
            f"at most {mode_limit(n)} here: ask for fewer, or refine the mesh"
        )
    if method not in ("block", "arpack"):
        raise SolverError(f"unknown eigen-solver method {method!r}; choose 'block' or 'arpack'")
    if (below is None) != (count is None):
        raise SolverError("give both `below` and `count` (the inertia count below it), or neither")
    K, M = _symmetric(K, "csr"), _symmetric(M, "csr")
    t0 = time.perf_counter()
    if factor is None:
        factor = factorize(K - sigma * M, backend=backend)
    elif factor.n != n:
        raise SolverError(f"the factor given is of order {factor.n}, the problem of order {n}")
    t1 = time.perf_counter()
    last_stats.clear()
    last_stats.update(backend=factor.backend, method=method, factor_s=t1 - t0, n=n, k=k, factor=factor)
    rng = np.random.default_rng(20240611)  # fixed seed: the same modes (and signs) every run
    if v0 is None:
        v0 = rng.standard_normal(n)
    v0 = np.asarray(v0, dtype=np.float64).reshape(n)

    pending = count if hasattr(count, "result") else None
    if pending is not None and (method == "arpack" or ncv is not None or n < _OVERLAP_DOFS):
        # A small problem, or a fixed space: the count first (the overlap would gain little).
        count, pending = _count_result(pending, n), None
        k = min(max(k, count), n - 1)
    if method == "arpack":
        vals, vecs = _arpack(K, M, k, sigma, factor, tol, ncv, v0)
    else:
        b = block_size or _default_block(max(k, _PENDING_K) if pending is not None else k)
        if n < 4 * (k + 2 * b):
            # Too small for a Krylov space with room to restart: the dense problem is cheap.
            vals, vecs = _dense(K, M, k, sigma, below)
        else:
            known = count if pending is None else _PENDING_K
            m_max = ncv or _space(max(k, known or 0), b, n)  # the count known: room for all of it
            if m_max < k + 2 * b:
                raise SolverError(f"ncv={ncv} is too small for k={k} with blocks of {b}; use at least {k + 2 * b}")
            with _iteration_threads():
                vals, vecs = _block_lanczos(K, M, k, factor, b, m_max, tol or 1e-10, v0, rng, sigma, below, count)
    if below is not None:
        last_stats["found_below"] = int(np.count_nonzero(vals < below))
    last_stats["iterate_s"] = time.perf_counter() - t1
    order = np.argsort(vals)
    return vals[order], vecs[:, order]


#: With a count still being computed (a Future), problems of at least this many DOFs start the
#: iteration at once, sized for _PENDING_K modes, and take the count when it comes (below).
_OVERLAP_DOFS = 20_000
_PENDING_K = 48


def _count_result(pending, n: int) -> int:
    """The mode count of a Future from :func:`count_below`'s caller, checked."""
    count = validate.integer(pending.result(), "the mode count", lo=0, error=SolverError)
    if count >= n:
        raise SolverError(f"the count of {count} modes is not below the order {n} of the problem")
    return count


def _space(k: int, b: int, n: int) -> int:
    """Columns of the Lanczos basis for k pairs with blocks of b: room for about 5 k + 4 b."""
    m = 5 * k + 4 * b
    return min(b * int(np.ceil(m / b)), b * ((n - 2 * b) // b))


def _default_block(k: int) -> int:
    """Block size of the Lanczos iteration for k eigenpairs (measured, see below).

    A block of b vectors costs one pass over the factor (memory-bound: ~22 ms on the 64k-DOF
    bowl with CHOLMOD) plus ~4 ms per vector, and each step one pass of the orthogonalisation
    over the whole basis (memory-bound too), while the Krylov space a block method needs grows
    with b (k = 56: 216 vectors with b = 6, 264 with 11, 320 with 16). Measured on the bowl,
    k = 56, in one run (2 loaded cores): 16.8 s with b = 6, 12.6 s with 11, 8.6 s with 16.
    """
    return min(16, max(8, int(round(k / 4))))


@contextlib.contextmanager
def _iteration_threads():
    """One BLAS thread for the Lanczos iteration when several BLAS runtimes are loaded.

    numpy's OpenBLAS and CHOLMOD's (Debian's libopenblas) or MKL each start a thread per
    core, and each library's threads spin-wait after a call while the other's run: on the
    64k-DOF bowl (2 busy cores) the iteration took 19.8 s with the default threads, 15.4 s
    with numpy's BLAS alone at one thread, 4.5 s with every library at one thread (the
    factorisation keeps its threads: 1.3 s against 1.8 s on one). ``PHYSSYNTH_EIGEN_THREADS``
    sets the count instead (``0``: leave the libraries alone).
    """
    env = os.environ.get("PHYSSYNTH_EIGEN_THREADS", "").strip()
    if env:
        limit = validate.integer(env, "PHYSSYNTH_EIGEN_THREADS", lo=0, error=SolverError)
    else:
        blas = [d for d in threadpool_info() if d.get("user_api") == "blas"]
        limit = 1 if len(blas) > 1 else 0
    if limit == 0:
        yield
        return
    with threadpool_limits(limit):
        yield


def _dense(K, M, k, sigma, below=None):
    hi = np.inf
    vals, vecs = sla.eigh(K.toarray(), M.toarray(), subset_by_value=(sigma, hi))
    if vals.size < k:
        raise SolverError(f"only {vals.size} eigenvalues lie above sigma={sigma}")
    if below is not None:
        k = max(k, int(np.count_nonzero(vals < below)))
    return vals[:k], vecs[:, :k]


def _arpack(K, M, k, sigma, factor, tol, ncv, v0):
    n = K.shape[0]
    opinv = LinearOperator((n, n), matvec=factor.solve, matmat=factor.solve, dtype=np.float64)
    try:
        vals, vecs = eigsh(K, k, M=M, sigma=sigma, OPinv=opinv, tol=tol, ncv=ncv, v0=v0, which="LM")
    except (ArpackError, ArpackNoConvergence) as exc:
        raise SolverError(f"ARPACK failed: {exc}") from exc
    # ARPACK returns lam = sigma + 1/theta; vectors are already M-orthonormal.
    return vals, vecs


#: Cholesky-QR of a block in one pass when cond(W^T M W) is below 1 / _ONE_PASS.
_ONE_PASS = 1e-4


def _m_orthonormalize(W, MW, M, rng, V=None, MV=None, scale=None, drop=1e-13):
    """M-orthonormalise the columns of ``W`` (n x b), already M-orthogonal to ``V``.

    Cholesky-QR twice when the block is well conditioned, else modified
    Gram-Schmidt, column by column, each column twice: the columns of a
    shift-inverted block can differ in M-norm by 10^7 (rigid-body against
    elastic content), which ruins a Gram-matrix approach.  ``MW`` is ``M @ W``
    and is updated alongside W with dense operations.

    Returns ``Q, MQ, R`` with ``W = Q R`` (R is b x b).  A column
    whose M-norm after orthogonalisation is below ``drop * scale[j]``
    (``scale``: its M-norm before it was orthogonalised against V) is
    numerically in the span already found: the Krylov space has become
    invariant, which happens on small problems.  It is replaced by a random
    vector M-orthogonal to V and Q, with a zero diagonal entry in R, so the
    block size stays fixed.
    """
    n, b = W.shape
    # Usual case, well-conditioned block: Cholesky-QR twice (via the Gram
    # matrix's eigen-decomposition), all BLAS-3.  cond(G) < 1e8 keeps the first
    # pass's loss of orthogonality (~eps cond(G)) within what the second repairs.
    G = W.T @ MW
    s, U = np.linalg.eigh(0.5 * (G + G.T))
    if s[0] > 1e-8 * s[-1] and (scale is None or np.sqrt(s[0]) > drop * np.max(scale)):
        R = np.eye(b)
        for second in (False, True):
            f = U / np.sqrt(s)
            W, MW = W @ f, MW @ f
            R = (np.sqrt(s)[:, None] * U.T) @ R
            # One pass leaves an M-orthogonality error of about eps cond(G): a second pass
            # only where that exceeds ~2e-12 (each pass reads the block three times).
            if second or s[0] > _ONE_PASS * s[-1]:
                break
            G = W.T @ MW
            s, U = np.linalg.eigh(0.5 * (G + G.T))
        return W, MW, R
    # Ill-conditioned block (the first blocks mix rigid-body and elastic content
    # at ratios up to 1e7, or the Krylov space became invariant): column-wise MGS.
    # Fortran order: the column operations below then run on contiguous memory.
    Q, MQ = np.array(W, order="F"), np.array(MW, order="F")
    R = np.zeros((b, b))
    for j in range(b):
        w, mw = Q[:, j], MQ[:, j]  # views: updated in place
        for _ in range(2):
            if j:
                cj = MQ[:, :j].T @ w
                w -= Q[:, :j] @ cj
                mw -= MQ[:, :j] @ cj
                R[:j, j] += cj
        nrm = np.sqrt(max(float(w @ mw), 0.0))
        ref = nrm if scale is None else max(scale[j], nrm)
        if nrm > drop * ref and nrm > 0.0:
            R[j, j] = nrm
            w /= nrm
            mw /= nrm
            continue
        z = rng.standard_normal(n)
        for _ in range(2):
            for B, MB in ((V, MV), (Q[:, :j], MQ[:, :j])):
                if B is not None and B.shape[1]:
                    z -= B @ (MB.T @ z)
        mz = M @ z
        nz = np.sqrt(float(z @ mz))
        Q[:, j], MQ[:, j] = z / nz, mz / nz
    return Q, MQ, R


_PREFILTER = 2
_FLOOR = 16  # x eps x theta_max: the rounding floor of a T residual (1 was reached on a stiff brick, 0 is not)


def _basis(n: int, cols: int) -> np.ndarray:
    """An uninitialised (n, cols) float64 array in Fortran order, in plain anonymous pages.

    Why not np.empty: numpy asks for transparent huge pages on large arrays
    (madvise(MADV_HUGEPAGE)), and with the common kernel setting ``defrag = madvise`` each
    first touch of such pages compacts memory synchronously. Filling the Lanczos basis block
    by block took 0.65 s against 0.18 s in plain pages for 400 columns of 64k (0.9 s of a 6.6 s
    solve for the basis and its M-image, 100 modes of the bowl); the products over the basis
    run 5 % slower in small pages.
    """
    buf = mmap.mmap(-1, max(8 * n * cols, 1))
    return np.frombuffer(buf, dtype=np.float64, count=n * cols).reshape(cols, n).T


def _block_lanczos(K, M, k, factor, b, m_max, tol, v0, rng, sigma=0.0, below=None, count=None):
    """Block Lanczos for the largest eigenvalues of T = A^{-1} M in the M-inner product.

    Keeps ``T V = V H + Q R E^T`` with ``V`` (n x c+b) M-orthonormal, ``H``
    symmetric, ``Q`` (n x b) the next block and ``E`` selecting V's last
    block.  Full reorthogonalisation (classical Gram-Schmidt, BLAS-3; a second
    pass where the first one cancelled, Daniel-Gragg-Kaufman-Stewart) keeps the
    Ritz values free of ghosts.  When the basis reaches ``m_max`` columns it is
    restarted from the best Ritz vectors (thick restart), which keeps that
    relation.  With ``below`` and ``count`` the wanted number grows (the space
    grows on, nothing is restarted) until ``count`` converged eigenvalues
    ``lam = sigma + 1 / theta`` lie below ``below``.
    """
    n = K.shape[0]
    t_start = time.perf_counter()
    # Fortran order: V[:, :j] and each block are contiguous, for BLAS and the solver.
    V, MV = _basis(n, m_max + b), _basis(n, m_max + b)
    H = np.zeros((m_max + b, m_max + b))
    start = rng.standard_normal((n, b))
    start[:, 0] = v0
    Q, MQ, _ = _m_orthonormalize(start, M @ start, M, rng)
    # Warm start by block inverse iteration.  Why: T applied to a vector with
    # O(1) content along modes of very large theta (rigid-body modes when
    # |sigma| << lam_1) has a rounding error ~eps cond(A) theta_max that lands in
    # the wanted directions and, in the Krylov relation, perturbs their Ritz
    # values to first order (seen: 5e-6 relative on a stiff brick).  After
    # inverse iteration each column is either dominated by those modes or
    # nearly free of them, and the error is second order.
    for _ in range(_PREFILTER):
        W = factor.solve(MQ)
        Q, MQ, _ = _m_orthonormalize(W, M @ W, M, rng)
    V[:, :b], MV[:, :b] = Q, MQ
    c = 0  # V[:, c:c+b] is the block whose T-image is computed next
    t_start = time.perf_counter() - t_start

    def keep_for(k):  # Ritz vectors kept at a restart
        return min(m_max - b, k + max(b, (m_max - k) // 2))

    def safety_stop(k):  # generous: a safety stop, not a tuning knob
        return 200 * (k + b) + 50 * n // max(b, 1)

    keep = keep_for(k)
    max_solves = safety_stop(k)
    solves, restarts, second = _PREFILTER * b, 0, 0
    t_solve = t_orth = t_rr = t_wait = 0.0
    eps = np.finfo(float).eps
    # The count may still be on its way (a Future: the caller factorises K - lam M for it in
    # another thread while this iterates on one core); it is taken when ready, or when the
    # pairs wanted so far have converged, and the space grows to hold it.
    pending = count if hasattr(count, "result") else None
    if pending is not None:
        count = None

    def take_count():
        nonlocal count, pending, k, keep, max_solves, m_max, V, MV, H, t_wait
        t = time.perf_counter()
        count, pending = _count_result(pending, n), None
        t_wait += time.perf_counter() - t
        k = max(k, count)
        want = _space(k, b, n)
        if want < k + 2 * b:
            raise SolverError(f"the Lanczos space ({want} vectors) is too small for the {count} modes counted")
        if want > m_max:  # more room, the basis and H copied over
            used = c + b
            V2, MV2 = _basis(n, want + b), _basis(n, want + b)
            V2[:, :used], MV2[:, :used] = V[:, :used], MV[:, :used]
            H2 = np.zeros((want + b, want + b))
            H2[: used + b, : used + b] = H[: used + b, : used + b]
            V, MV, H, m_max = V2, MV2, H2, want
        keep, max_solves = keep_for(k), safety_stop(k)

    while True:
        if pending is not None and pending.done():
            take_count()
        t0 = time.perf_counter()
        W = factor.solve(MV[:, c : c + b])  # T V_c, one multi-RHS solve
        t1 = time.perf_counter()
        t_solve += t1 - t0
        solves += b
        Vb, MVb = V[:, : c + b], MV[:, : c + b]
        # Classical Gram-Schmidt: first against the last two blocks (the three-term block
        # recurrence, where all the cancellation is: W = T V_c is, in exact arithmetic,
        # M-orthogonal to the older blocks), then one pass against the whole basis, which
        # removes what rounding left along the older vectors; a second whole pass only where
        # that one still removed more than half a column (DGKS criterion, "twice is enough").
        # One pass over the basis instead of two: the orthogonalisation is memory-bound.
        lo = max(0, c - b)
        Ctot = np.zeros((c + b, b))
        C = MV[:, lo : c + b].T @ W
        W -= V[:, lo : c + b] @ C
        Ctot[lo:] = C
        for _ in range(2):
            C = MVb.T @ W
            W -= Vb @ C
            Ctot += C
            # M applied after the orthogonalisation, not updated through it: the
            # cancellation can be 1e-7, which an updated M W would not survive.
            MW = M @ W
            after = np.abs(np.einsum("ij,ij->j", W, MW))
            if np.all(np.einsum("ij,ij->j", C, C) <= 0.25 * after):
                break
            second += 1
        H[: c + b, c : c + b] = Ctot
        # M-norm of each column before the Gram-Schmidt (Pythagoras, V is M-orthonormal).
        scale = np.sqrt(np.einsum("ij,ij->j", Ctot, Ctot) + np.abs(np.einsum("ij,ij->j", W, MW)))
        Q, MQ, R = _m_orthonormalize(W, MW, M, rng, Vb, MVb, scale=scale)
        t2 = time.perf_counter()
        t_orth += t2 - t1
        converged = False
        if c + b >= k:
            # Rayleigh-Ritz on the upper triangle of H (the computed Gram-Schmidt coefficients);
            # only once the space can hold the k wanted pairs.
            Hc = np.triu(H[: c + b, : c + b])
            Hc = Hc + np.triu(Hc, 1).T
            theta, Y = np.linalg.eigh(Hc)
            theta, Y = theta[::-1], Y[:, ::-1]  # largest theta = lam nearest above sigma
            # ||T x - theta x||_M = ||R Y_last||: the Ritz pair's residual, for free.
            res = np.linalg.norm(R @ Y[c : c + b, :k], axis=0)
            # Relative to theta_i, but not below the rounding floor ~eps ||T|| that a
            # residual of T can reach: the theta of rigid-body modes can be 10^7 times
            # those of the wanted elastic modes.
            bound = np.maximum(tol * np.abs(theta[:k]), _FLOOR * eps * abs(theta[0]))
            converged = bool(np.all(res <= bound))
            if converged and pending is not None:
                k_tested = k
                take_count()  # waits for it
                converged = k <= k_tested
            if converged and count is not None:
                lam = sigma + 1.0 / theta[:k]
                found = int(np.count_nonzero(lam < below))
                if found < count and k < c + b - 1:
                    # A mode below `below` not yet found (a partner of a doublet, or the
                    # count was above k): want more, in the same space.
                    k = min(k + (count - found) + max(1, b // 2), m_max - b)
                    keep = keep_for(k)
                    converged = False
        t_rr += time.perf_counter() - t2
        if converged:
            break
        if solves > max_solves:
            worst = np.max(res / bound) if c + b >= k else np.inf
            raise SolverError(
                f"block Lanczos did not converge after {solves} solves "
                f"(worst residual {worst:.1e} times the tolerance); try a larger ncv"
            )
        if c + 2 * b <= m_max:
            V[:, c + b : c + 2 * b], MV[:, c + b : c + 2 * b] = Q, MQ
            H[c + b : c + 2 * b, : c + 2 * b] = 0.0
            H[c + b : c + 2 * b, c : c + b] = R
            c += b
        else:  # thick restart with the `keep` best Ritz vectors
            if c + b < k:  # pragma: no cover - m_max >= k + 2 b is checked by the caller
                raise SolverError("the Lanczos space is too small for the modes wanted")
            p = keep
            Yp = Y[:, :p]
            V[:, :p] = Vb @ Yp
            MV[:, :p] = MVb @ Yp
            H[:] = 0.0
            H[np.arange(p), np.arange(p)] = theta[:p]
            H[p : p + b, :p] = R @ Y[c : c + b, :p]
            H[:p, p : p + b] = H[p : p + b, :p].T
            V[:, p : p + b], MV[:, p : p + b] = Q, MQ
            c = p
            restarts += 1
    t3 = time.perf_counter()
    X = Vb @ Y[:, :k]
    # Rayleigh quotients on the original pencil: error quadratic in the vector error.
    KX = K @ X
    xmx = np.einsum("ij,ij->j", X, M @ X)
    vals = np.einsum("ij,ij->j", X, KX) / xmx
    X /= np.sqrt(xmx)
    last_stats.update(
        solves=solves,
        restarts=restarts,
        block_size=b,
        ncv=m_max,
        dimension=c + b,
        second_passes=second,
        solve_s=t_solve,
        orthogonalise_s=t_orth,
        rayleigh_ritz_s=t_rr,
        vectors_s=time.perf_counter() - t3,
        count_wait_s=t_wait,
        start_s=t_start,
        k_final=k,
    )
    return vals, X
