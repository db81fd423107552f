"""Tests of the sparse SPD factorisations and the shift-invert eigen-solver."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg  # noqa: F401  (sp.linalg.norm)

from physsynth.errors import SolverError
from physsynth.modal.linsolve import available_backends, eigsh_shift_invert, factorize, mode_limit

BACKENDS = ["cholmod", "pardiso", "superlu"]


def _random_spd(n=400, seed=1):
    """A sparse, diagonally dominant SPD matrix with a random symmetric pattern."""
    rng = np.random.default_rng(seed)
    R = sp.random(n, n, density=8.0 / n, random_state=rng, format="csr")
    S = R + R.T
    d = np.asarray(abs(S).sum(axis=1)).ravel() + 1.0
    return (S + sp.diags(d)).tocsr()


def _laplacian_1d(n, h=1.0):
    """Free-free 1D P1 stiffness (singular: one zero mode) and consistent mass."""
    main = np.full(n, 2.0)
    main[[0, -1]] = 1.0
    K = sp.diags([main, -np.ones(n - 1), -np.ones(n - 1)], [0, -1, 1]) / h
    mm = np.full(n, 4.0)
    mm[[0, -1]] = 2.0
    M = sp.diags([mm, np.ones(n - 1), np.ones(n - 1)], [0, -1, 1]) * h / 6.0
    return K.tocsr(), M.tocsr()


def _elastic_box():
    """Free-free 3D P1 linear elasticity of a small steel-like brick (six zero modes)."""
    nx, ny, nz = 7, 4, 3
    L = (0.07, 0.04, 0.03)
    xs = [np.linspace(0.0, L[i], n + 1) for i, n in enumerate((nx, ny, nz))]
    X, Y, Z = np.meshgrid(*xs, indexing="ij")
    p = np.c_[X.ravel(), Y.ravel(), Z.ravel()]
    idx = np.arange(p.shape[0]).reshape(nx + 1, ny + 1, nz + 1)
    # Six tetrahedra per cube around the main diagonal: conforming on a tensor grid.
    cubes = []
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                c = [idx[i + a, j + b, k + d] for a in (0, 1) for b in (0, 1) for d in (0, 1)]
                cubes.append(c)
    cubes = np.array(cubes)  # corner (a,b,d) -> 4a+2b+d
    paths = [(1, 3), (1, 5), (2, 3), (2, 6), (4, 5), (4, 6)]
    tets = np.vstack([np.c_[cubes[:, 0], cubes[:, a], cubes[:, b], cubes[:, 7]] for a, b in paths])
    E, nu, rho = 2.0e11, 0.3, 7800.0
    lam, mu = E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))
    D = np.zeros((6, 6))
    D[:3, :3] = lam
    D[np.arange(3), np.arange(3)] += 2 * mu
    D[np.arange(3, 6), np.arange(3, 6)] = mu
    n = 3 * p.shape[0]
    rows, cols, kv, mv = [], [], [], []
    Mref = (np.ones((4, 4)) + np.eye(4)) / 20.0
    for t in tets:
        P = np.c_[np.ones(4), p[t]]
        vol = abs(np.linalg.det(P)) / 6.0
        grads = np.linalg.inv(P)[1:].T  # (4, 3) gradients of the barycentric functions
        B = np.zeros((6, 12))
        for a in range(4):
            gx, gy, gz = grads[a]
            B[:, 3 * a : 3 * a + 3] = [[gx, 0, 0], [0, gy, 0], [0, 0, gz], [gy, gx, 0], [0, gz, gy], [gz, 0, gx]]
        Ke = vol * B.T @ D @ B
        Me = rho * vol * np.kron(Mref, np.eye(3))
        dofs = (3 * t[:, None] + np.arange(3)).ravel()
        rows.append(np.repeat(dofs, 12))
        cols.append(np.tile(dofs, 12))
        kv.append(Ke.ravel())
        mv.append(Me.ravel())
    K = sp.csr_matrix((np.concatenate(kv), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    M = sp.csr_matrix((np.concatenate(mv), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    return K, M


def test_superlu_always_available():
    assert "superlu" in available_backends()
    assert available_backends()[-1] == "superlu"


def _need(backend):
    """Skip unless the backend's library imports and works here."""
    from physsynth.modal.linsolve import _importable

    if not _importable(backend):
        pytest.skip(f"{backend} is not installed here")


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_solves_spd_system(backend):
    _need(backend)
    A = _random_spd()
    f = factorize(A, backend=backend)
    assert f.backend == backend
    rng = np.random.default_rng(0)
    b = rng.standard_normal(A.shape[0])
    x = f.solve(b)
    assert x.shape == b.shape
    assert np.linalg.norm(A @ x - b) <= 1e-10 * np.linalg.norm(b)
    B = rng.standard_normal((A.shape[0], 5))
    X = f.solve(B)
    assert X.shape == B.shape
    assert np.linalg.norm(A @ X - B) <= 1e-10 * np.linalg.norm(B)
    # Column slices as the Lanczos basis hands them over (Fortran order: contiguous; C order: strided).
    for Bs in (np.asfortranarray(B)[:, 1:4], B[:, 1:4]):
        Xs = f.solve(Bs)
        assert Xs.shape == Bs.shape
        assert np.linalg.norm(A @ Xs - Bs) <= 1e-10 * np.linalg.norm(Bs)
    if f.nnz_factor is not None:
        assert f.nnz_factor >= A.shape[0]


def test_auto_backend_is_first_available():
    f = factorize(_random_spd(50), backend="auto")
    assert f.backend == available_backends()[0]


def test_unknown_backend_raises():
    with pytest.raises(SolverError, match="unknown"):
        factorize(_random_spd(20), backend="umfpack-xyz")
    K, M = _laplacian_1d(30)
    with pytest.raises(SolverError):
        eigsh_shift_invert(K, M, 3, -1.0, backend="nope")


@pytest.mark.parametrize("backend", ["cholmod", "pardiso"])
def test_missing_backend_names_install(backend, monkeypatch):
    import physsynth.modal.linsolve as ls

    monkeypatch.setattr(ls, "_importable", lambda name: name == "superlu")
    with pytest.raises(SolverError, match="install"):
        factorize(_random_spd(20), backend=backend)
    assert ls.available_backends() == ["superlu"]


def test_not_positive_definite_raises():
    A = sp.diags([1.0, -1.0, 2.0, 3.0]).tocsr()
    with pytest.raises(SolverError):
        factorize(A, backend="auto")


def _check_against_dense(K, M, k, sigma, vals, vecs, rtol=1e-9):
    ref = sla.eigh(K.toarray(), M.toarray(), eigvals_only=True)
    ref = ref[ref > sigma][:k]
    # Zero modes are only zero to rounding: compare them on the scale of the spectrum.
    scale = max(abs(ref).max(), abs(sigma))
    assert vals.shape == (k,) and vecs.shape == (K.shape[0], k)
    assert np.all(np.diff(vals) >= -1e-12 * scale)
    np.testing.assert_allclose(vals, ref, rtol=rtol, atol=1e-11 * scale)
    np.testing.assert_allclose(vecs.T @ (M @ vecs), np.eye(k), atol=1e-9)
    # Backward error: the residual against the size of the pencil (a residual
    # relative to ||K x|| is meaningless for the zero modes).
    res = np.linalg.norm(K @ vecs - (M @ vecs) * vals, axis=0)
    nK, nM = sp.linalg.norm(K, 1), sp.linalg.norm(M, 1)
    assert np.all(res <= 1e-7 * (nK + np.abs(vals) * nM) * np.linalg.norm(vecs, axis=0))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method", ["block", "arpack"])
def test_eigsh_shift_invert_1d(backend, method):
    _need(backend)
    K, M = _laplacian_1d(300, h=0.01)
    sigma = -0.5
    vals, vecs = eigsh_shift_invert(K, M, 12, sigma, backend=backend, method=method)
    _check_against_dense(K, M, 12, sigma, vals, vecs)
    assert abs(vals[0]) < 1e-9 * vals[-1]  # the rigid-body mode


@pytest.mark.parametrize("backend", BACKENDS)
def test_eigsh_shift_invert_3d_elastic_free_free(backend):
    _need(backend)
    K, M = _elastic_box()
    sigma = -((2 * np.pi * 10.0) ** 2)
    k = 20
    vals, vecs = eigsh_shift_invert(K, M, k, sigma, backend=backend)
    _check_against_dense(K, M, k, sigma, vals, vecs)
    assert np.all(np.abs(vals[:6]) < 1e-8 * vals[6])  # six rigid-body modes
    assert vals[6] > 1e6


def test_eigsh_shift_invert_deterministic_and_v0():
    K, M = _elastic_box()
    sigma = -((2 * np.pi * 10.0) ** 2)
    v1, x1 = eigsh_shift_invert(K, M, 10, sigma, backend="superlu")
    v2, x2 = eigsh_shift_invert(K, M, 10, sigma, backend="superlu")
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_array_equal(x1, x2)
    v0 = np.ones(K.shape[0])
    v3, _ = eigsh_shift_invert(K, M, 10, sigma, backend="superlu", v0=v0, block_size=4, ncv=30)
    np.testing.assert_allclose(v3[6:], v1[6:], rtol=1e-10)


def test_eigsh_shift_invert_small_problem_uses_dense_path():
    K, M = _laplacian_1d(20)
    vals, vecs = eigsh_shift_invert(K, M, 5, -0.1)
    _check_against_dense(K, M, 5, -0.1, vals, vecs)


def test_eigsh_shift_invert_bad_arguments():
    K, M = _laplacian_1d(30)
    with pytest.raises(SolverError):
        eigsh_shift_invert(K, M, 0, -1.0)
    with pytest.raises(SolverError):
        eigsh_shift_invert(K, M, 30, -1.0)
    with pytest.raises(SolverError):
        eigsh_shift_invert(K, M, 3, -1.0, method="lobpcg")


def test_too_many_eigenpairs_for_a_krylov_solve_are_refused_at_once():
    """k above a quarter of n on a 4000-DOF problem would fall back to a dense solve (minutes):
    refused before any factorisation, with the most it can give."""
    K, M = _laplacian_1d(4000)
    t0 = time.perf_counter()
    with pytest.raises(SolverError, match=f"at most {mode_limit(4000)}"):
        eigsh_shift_invert(K, M, 3000, -1.0)
    assert time.perf_counter() - t0 < 0.5


@pytest.mark.parametrize("k,sigma", [("many", -1.0), (2.5, -1.0), (4, float("nan")), (4, "low")])
def test_bad_counts_and_shifts_are_solver_errors(k, sigma):
    K, M = _laplacian_1d(200)
    with pytest.raises(SolverError):
        eigsh_shift_invert(K, M, k, sigma)


def test_dense_arrays_are_refused():
    K, M = _laplacian_1d(50)
    with pytest.raises(SolverError):
        eigsh_shift_invert(K.toarray(), M, 4, -1.0)
