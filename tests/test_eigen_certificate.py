"""Every mode below fmax, certified: Sylvester inertia counts and the eigen-solve against a dense solve.

References are independent solves of the same matrices: ``scipy.linalg.eigh`` on the dense
K and M (LAPACK), which gives every eigenvalue; nothing is compared with physsynth's own
earlier output. Frequencies are compared to 1e-8 relative (1.7e-5 cents), the issue's
criterion for "the same frequencies"; a count is exact (a mode missed is a defect).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp

import physsynth as ps
from physsynth.errors import SolverError
from physsynth.fem.solid import assemble_solid
from physsynth.modal import linsolve

STEEL = ps.get_material("steel")
# A square-section bar, 120 x 20 x 20 mm, on a structured P2 mesh (1275 DOF): its bending
# modes come in near-doublets (6613/6621 Hz, 16146/16207 Hz, ...; the tetrahedra's diagonals
# break the square symmetry slightly), the clustered spectrum where a partner is easily lost.
BAR = dict(length=0.12, width=0.02, height=0.02, divisions=(8, 2, 2))


@pytest.fixture(scope="module")
def bar():
    mesh = ps.bar_mesh(BAR["length"], BAR["width"], BAR["height"], BAR["divisions"])
    disc = assemble_solid(mesh, STEEL, order=2)
    return mesh, disc


_DENSE: dict = {}


def _dense_freqs(K, M):
    """Every eigenvalue of the pencil (rad^2/s^2), by LAPACK on the dense matrices (cached)."""
    key = (K.shape[0], float(abs(K).sum()))
    if key not in _DENSE:
        _DENSE[key] = sla.eigh(K.toarray(), M.toarray(), eigvals_only=True)
    return _DENSE[key]


@pytest.mark.parametrize("backend", ["pardiso", "cholmod", "superlu"])
@pytest.mark.parametrize("clamped", [False, True])
def test_inertia_count_matches_dense_count(bar, backend, clamped):
    if backend not in linsolve.inertia_backends():
        pytest.skip(f"{backend} is not installed here")
    mesh, disc = bar
    K, M = disc.K.tocsr(), disc.M.tocsr()
    if clamped:
        free = np.setdiff1d(np.arange(disc.n_dofs), disc.select_dofs(["x<=1e-9"]))
        K, M = K[free][:, free], M[free][:, free]
    lam = _dense_freqs(K, M)
    # Shifts half-way between neighbouring eigenvalues (a count is decided there); for the
    # free bar above the rigid-body cluster (its six eigenvalues are zero only to rounding).
    for i in (3 if clamped else 7, 17, 55):
        shift = 0.5 * (lam[i - 1] + lam[i])
        got = linsolve.count_below(K, M, shift, backend=backend)
        assert got.below == i, (backend, clamped, i)
        assert got.backend == backend and "negative" in got.method
    if not clamped:
        # The six rigid-body modes (at zero to rounding) lie below any positive shift.
        assert linsolve.count_below(K, M, 0.5 * lam[6], backend=backend).below == 6


@pytest.mark.parametrize("clamp", [(), ("x<=1e-9",)])
def test_fmax_returns_every_mode_below_it(bar, clamp):
    mesh, disc = bar
    K, M = disc.K.tocsr(), disc.M.tocsr()
    if clamp:
        free = np.setdiff1d(np.arange(disc.n_dofs), disc.select_dofs(list(clamp)))
        K, M = K[free][:, free], M[free][:, free]
    lam = _dense_freqs(K, M)
    f_ref = np.sqrt(np.abs(lam)) / (2 * np.pi)
    n_rigid = 0 if clamp else 6
    f_ref = f_ref[n_rigid:]
    fmax = 0.5 * (f_ref[24] + f_ref[25])  # 25 elastic modes below, several doublets among them
    model = ps.modal_analysis(mesh, STEEL, fmax=fmax, clamp=clamp)
    assert len(model.frequencies) == 25
    np.testing.assert_allclose(model.frequencies, f_ref[:25], rtol=1e-8)
    cert = model.provenance["mode_count"]
    assert cert["below"] == 25 + n_rigid and cert["found_below"] == 25 + n_rigid and cert["certified"]
    assert cert["fmax_hz"] == fmax and "LDL" in cert["method"]


def test_no_doublet_partner_is_lost(bar):
    """Asking for a count that ends between the partners of a doublet, and an fmax between them."""
    mesh, disc = bar
    lam = _dense_freqs(disc.K, disc.M)
    f_ref = np.sqrt(np.abs(lam[6:])) / (2 * np.pi)
    split = np.flatnonzero(np.diff(f_ref[:40]) / f_ref[:39] < 5e-3)  # near-doublets: < 8.6 cents apart
    assert len(split) >= 4  # the premise: this bar has doublets (6613/6621 Hz, ...)
    for i in split[1:3]:
        model = ps.modal_analysis(mesh, STEEL, n_modes=int(i) + 2)  # the count ends with the partner
        np.testing.assert_allclose(model.frequencies, f_ref[: i + 2], rtol=1e-8)
    i = split[2]
    fmax = 0.5 * (f_ref[i] + f_ref[i + 1])  # between the partners: exactly i + 1 below
    model = ps.modal_analysis(mesh, STEEL, fmax=fmax)
    np.testing.assert_allclose(model.frequencies, f_ref[: i + 1], rtol=1e-8)


def test_the_search_grows_on_the_same_space_until_the_count_is_met(bar):
    """k smaller than the count: the block Lanczos wants more, without restarting or refactorising."""
    _, disc = bar
    K, M = disc.K.tocsr(), disc.M.tocsr()
    lam = _dense_freqs(K, M)
    sigma = -((2 * np.pi * 10.0) ** 2)
    below = 0.5 * (lam[39] + lam[40])
    vals, vecs = linsolve.eigsh_shift_invert(K, M, 12, sigma, below=below, count=40)
    # The space is sized for the count, so it grows without a restart.
    assert linsolve.last_stats["found_below"] == 40 and linsolve.last_stats["restarts"] == 0
    inside = vals < below
    np.testing.assert_allclose(vals[inside][6:], lam[6:40], rtol=1e-8)
    np.testing.assert_allclose(vecs.T @ (M @ vecs), np.eye(len(vals)), atol=1e-9)


def test_count_arguments_and_backends_are_checked():
    K = sp.diags([1.0, 2.0, 3.0]).tocsr()
    M = sp.identity(3, format="csr")
    with pytest.raises(SolverError, match="unknown inertia backend"):
        linsolve.count_below(K, M, 1.5, backend="lapack")
    with pytest.raises(SolverError):
        linsolve.count_below(K, M, float("nan"))
    with pytest.raises(SolverError, match="both"):
        linsolve.eigsh_shift_invert(K, M, 1, -1.0, below=2.0)
    assert linsolve.count_below(K, M, 1.5, backend="superlu").below == 1
    assert linsolve.inertia_backends()[-1] == "superlu"


def test_modes_json_carries_the_certificate(bar):
    from physsynth.cli.modal import modes_json

    mesh, _ = bar
    out = modes_json(ps.modal_analysis(mesh, STEEL, fmax=20000.0))
    assert out["provenance"]["mode_count"]["certified"] is True
    assert out["provenance"]["mode_count"]["below"] == len(out["frequencies_hz"]) + 6
