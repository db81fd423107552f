"""The --fmax count computed while the Lanczos iterates: the same modes as with the count known.

The pipeline factorises K - (2 pi fmax)^2 M for the inertia count in a thread while the block
Lanczos runs (physsynth.modal.pipeline._solve); the iteration takes the count when it is ready,
or waits for it once the pairs wanted so far have converged, and grows its space to hold it.
References are independent: ``scipy.linalg.eigh`` on the dense matrices. Frequencies to 1e-8
relative (1.7e-5 cents), the issue's "same frequencies"; counts exact.
"""

from __future__ import annotations

import concurrent.futures
import threading

import numpy as np
import pytest
import scipy.linalg as sla

import physsynth as ps
from physsynth.errors import SolverError
from physsynth.fem.solid import assemble_solid
from physsynth.modal import linsolve

STEEL = ps.get_material("steel")
SIGMA = -((2 * np.pi * 10.0) ** 2)


@pytest.fixture(scope="module")
def bar():
    # 120 x 20 x 20 mm steel bar, P2, 1275 DOF: near-doublets in bending (a clustered spectrum).
    mesh = ps.bar_mesh(0.12, 0.02, 0.02, (8, 2, 2))
    disc = assemble_solid(mesh, STEEL, order=2)
    K, M = disc.K.tocsr(), disc.M.tocsr()
    return mesh, K, M, sla.eigh(K.toarray(), M.toarray(), eigvals_only=True)


@pytest.fixture
def overlap(monkeypatch):
    """The overlap path on a small problem: no size threshold, a space sized for 8 modes at first."""
    monkeypatch.setattr(linsolve, "_OVERLAP_DOFS", 0)
    monkeypatch.setattr(linsolve, "_PENDING_K", 8)


def _later(value, delay):
    """A Future whose result (or exception) is set by another thread after ``delay`` seconds."""
    fut = concurrent.futures.Future()
    fut.set_running_or_notify_cancel()

    def done():
        if isinstance(value, BaseException):
            fut.set_exception(value)
        else:
            fut.set_result(value)

    threading.Timer(delay, done).start()
    return fut


class _Asked:
    """A count that is never ready until asked for: the iteration must wait for it at convergence."""

    def __init__(self, value):
        self.value, self.asked = value, 0

    def done(self):
        return False

    def result(self):
        self.asked += 1
        return self.value


@pytest.mark.parametrize("when", ["ready", "asked"])
def test_a_count_that_comes_later_gives_every_mode_below(bar, overlap, when):
    """Ready at the start, or only when the first pairs have converged (the iteration waits)."""
    _, K, M, lam = bar
    below = 0.5 * (lam[39] + lam[40])  # 40 eigenvalues below, the six rigid-body ones included
    count = _later(40, 0.0) if when == "ready" else _Asked(40)
    if when == "ready":
        count.result(timeout=10)
    vals, vecs = linsolve.eigsh_shift_invert(K, M, 7, SIGMA, below=below, count=count)
    st = linsolve.last_stats
    # The space was sized for 8 modes; it grew to hold the count, without a restart.
    assert st["found_below"] == 40 and st["k_final"] >= 40 and st["ncv"] > 5 * 8 + 4 * st["block_size"]
    assert st["restarts"] == 0
    if when == "asked":
        assert count.asked == 1  # taken once, when the first 7 pairs had converged
    inside = vals < below
    np.testing.assert_allclose(vals[inside][6:], lam[6:40], rtol=1e-8)
    np.testing.assert_allclose(vecs.T @ (M @ vecs), np.eye(len(vals)), atol=1e-9)


def test_a_failed_count_is_raised_by_the_solve(bar, overlap):
    _, K, M, lam = bar
    fut = _later(SolverError("the count failed"), 0.05)
    with pytest.raises(SolverError, match="the count failed"):
        linsolve.eigsh_shift_invert(K, M, 7, SIGMA, below=lam[30], count=fut)


def test_fmax_with_the_count_in_a_thread_matches_dense(bar, overlap):
    """The whole pipeline on that path: modal_analysis(fmax=...) against LAPACK, and its refusal."""
    mesh, _, _, lam = bar
    f_ref = np.sqrt(np.abs(lam[6:])) / (2 * np.pi)
    fmax = 0.5 * (f_ref[29] + f_ref[30])  # 30 elastic modes below
    model = ps.modal_analysis(mesh, STEEL, fmax=fmax)
    np.testing.assert_allclose(model.frequencies, f_ref[:30], rtol=1e-8)
    cert = model.provenance["mode_count"]
    assert cert["below"] == 36 and cert["found_below"] == 36 and cert["certified"]
    with pytest.raises(SolverError, match="more than max_modes=20"):
        ps.modal_analysis(mesh, STEEL, fmax=fmax, max_modes=20)
