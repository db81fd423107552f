"""Numba kernels against plain-numpy references, and the discretisation against scipy."""

import numpy as np
import pytest
import scipy.signal as ss

import physsynth as ps
from physsynth.kernels.resonators import resonator_bank


def numpy_resonator_bank(a1, a2, b0, b1, b2, w, u, n):
    """Reference: each mode filtered by scipy's lfilter, then weighted and summed."""
    uu = np.zeros(n)
    m = min(len(u), n)
    uu[:m] = u[:m]
    out = np.zeros((w.shape[0], n))
    for k in range(len(a1)):
        y = ss.lfilter([b0[k], b1[k], b2[k]], [1.0, -a1[k], -a2[k]], uu)
        out += w[:, k : k + 1] * y
    return out


@pytest.mark.parametrize(
    "n_out,n,n_u", [(1, 1003, 17), (2, 998, 5), (3, 257, 40), (1, 11, 30), (2, 3, 0), (5, 1003, 17), (4, 602, 3)]
)
def test_resonator_bank_matches_numpy(n_out, n, n_u):
    rng = np.random.default_rng(n + n_out)
    nm = 37
    f = rng.uniform(20, 20000, nm)
    sigma = rng.uniform(0.5, 50, nm)
    a1, a2, b0, b1, b2 = ps.resonator_coefficients(2 * np.pi * f, sigma, sr=48000.0, quantity="velocity")
    w = rng.normal(size=(n_out, nm))
    u = rng.normal(size=n_u)
    out = np.empty((n_out, n))
    resonator_bank(a1, a2, b0, b1, b2, w, u, np.zeros(nm), np.zeros(nm), out)
    ref = numpy_resonator_bank(a1, a2, b0, b1, b2, w, u, n)
    # round-off only: the kernel sums the modes in another order
    np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())


def test_resonator_bank_blocks_chain():
    """Rendering in two blocks with carried state equals one block."""
    rng = np.random.default_rng(3)
    nm = 20
    c = ps.resonator_coefficients(2 * np.pi * rng.uniform(50, 5000, nm), np.full(nm, 3.0), sr=44100.0)
    w = rng.normal(size=(1, nm))
    u = rng.normal(size=50)
    full = np.empty((1, 1000))
    resonator_bank(*c, w, u, np.zeros(nm), np.zeros(nm), full)
    s1, s2 = np.zeros(nm), np.zeros(nm)
    a = np.empty((1, 600))
    b = np.empty((1, 400))
    resonator_bank(*c, w, u, s1, s2, a)
    resonator_bank(*c, w, np.zeros(0), s1, s2, b)
    np.testing.assert_allclose(np.hstack([a, b]), full, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "quantity,num", [("displacement", [1.0]), ("velocity", [1.0, 0.0]), ("acceleration", [1.0, 0.0, 0.0])]
)
@pytest.mark.parametrize("f,sigma,sr", [(440.0, 5.0, 8000.0), (30.0, 0.2, 48000.0), (9000.0, 300.0, 44100.0)])
def test_discretisation_is_exact_for_piecewise_linear_force(quantity, num, f, sigma, sr):
    """The recursion reproduces the continuous response to a linearly interpolated input,
    computed independently by scipy.signal.lsim (matrix exponential)."""
    w0 = 2 * np.pi * f
    a1, a2, b0, b1, b2 = ps.resonator_coefficients(np.array([w0]), np.array([sigma]), sr=sr, quantity=quantity)
    u = np.random.default_rng(1).normal(size=600)
    u[0] = 0.0  # lsim starts from rest with the input at u[0]
    y = ss.lfilter([b0[0], b1[0], b2[0]], [1.0, -a1[0], -a2[0]], u)
    t = np.arange(len(u)) / sr
    _, yr, _ = ss.lsim(ss.lti(num, [1.0, 2 * sigma, w0**2]), u, t, interp=True)
    np.testing.assert_allclose(y, yr, rtol=0, atol=1e-9 * np.abs(yr).max())


def test_overdamped_mode_is_refused():
    with pytest.raises(ps.RenderError, match="overdamped"):
        ps.resonator_coefficients(np.array([10.0]), np.array([20.0]), sr=48000.0)


# ---- contact and modal-step kernels (issue 5): the kernel-vs-numpy tests of tests/test_mallet.py,
# collected here too so that CI runs them with NUMBA_BOUNDSCHECK=1
from test_mallet import (  # noqa: E402, F401
    test_contact_force_is_the_unique_root_of_the_law,
    test_contact_kernel_matches_numpy_reference,
    test_modal_step_kernels_match_numpy,
    test_two_mallets_at_once_are_solved_together,
)


# ------------------------------------------------------------------ friction (rubbing, bowing)
@pytest.mark.parametrize("rows", [1, 9])
def test_friction_block_stays_in_bounds(rows):
    """The friction kernel on a ring whose contact crosses the table's last row (and on a fixed
    point); its numpy reference comparison is in tests/test_friction.py."""
    from physsynth.kernels.friction import friction_block
    from physsynth.simulate.modal import hold_coefficients

    K, n = 3, 64
    coef = [
        np.ascontiguousarray(c)
        for c in hold_coefficients(2 * np.pi * np.array([200.0, 450.0, 900.0]), np.array([1.0, 2.0, 3.0]), h=1 / 8000)
    ]
    tab = np.ones((rows, K))
    st = np.array([2 * np.pi - 1e-9, 0.0, 0.0, 0.0])
    out, rel, frc = np.empty((2, n)), np.empty(n), np.empty(n)
    friction_block(
        *coef,
        tab,
        0.5 * tab,
        np.ones((2, K)),
        np.zeros(K),
        np.zeros(K),
        np.zeros(K),
        np.zeros(K),
        np.zeros(K),
        st,
        1 / 16000,
        1.0,
        1.0,
        0.1,
        0.1,
        50.0,
        50.0,
        2 * np.pi / max(rows - 1, 1),
        5.0,
        0,
        0.4,
        0.2,
        0.1,
        2,
        1,
        out,
        rel,
        frc,
    )
    assert np.isfinite(out).all() and 0 <= st[0] < 2 * np.pi


@pytest.mark.parametrize(
    "n_r,n_q,n,n_u",
    [
        (1, 1, 1003, 17),
        (0, 1, 998, 5),
        (1, 3, 257, 40),
        (1, 1, 6, 30),
        (2, 3, 1003, 17),
        (0, 2, 701, 9),
        (3, 0, 503, 4),
    ],
)
def test_resonator_bank_iq_matches_numpy(n_r, n_q, n, n_u):
    """Real rows read y_k[n]; pair rows y_k[n] and the second state s2_k = b2 u[n-1] + a2 y_k[n-1]
    (numpy reference from scipy's lfilter per mode)."""
    from physsynth.kernels.resonators import resonator_bank_iq

    rng = np.random.default_rng(7 * n + n_q)
    nm = 29
    f = rng.uniform(20, 20000, nm)
    sigma = rng.uniform(0.5, 50, nm)
    a1, a2, b0, b1, b2 = ps.resonator_coefficients(2 * np.pi * f, sigma, sr=48000.0, quantity="velocity")
    w = rng.normal(size=(n_r, nm))
    wy = rng.normal(size=(n_q, nm))
    wz = rng.normal(size=(n_q, nm))
    u = rng.normal(size=n_u)
    out = np.empty((n_r + n_q, n))
    resonator_bank_iq(a1, a2, b0, b1, b2, w, wy, wz, u, np.zeros(nm), np.zeros(nm), out)
    uu = np.zeros(n)
    uu[: min(n, n_u)] = u[: min(n, n_u)]
    ref = np.zeros((n_r + n_q, n))
    for k in range(nm):
        y = ss.lfilter([b0[k], b1[k], b2[k]], [1.0, -a1[k], -a2[k]], uu)
        z = np.zeros(n)
        z[1:] = b2[k] * uu[:-1] + a2[k] * y[:-1]
        ref[:n_r] += w[:, k : k + 1] * y
        ref[n_r:] += wy[:, k : k + 1] * y + wz[:, k : k + 1] * z
    np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize("quantity", ["displacement", "velocity"])
@pytest.mark.parametrize("n_out", [3, 4])
def test_contact_kernel_reads_four_rows_in_blocks(quantity, n_out):
    """Three and four pickup rows (a stereo pair of listeners is four) take the four-sample free
    block too: against the plain-numpy reference of tests/test_mallet.py, with a mallet, a
    force and a long free ring-out."""
    from test_mallet import SR, reference_simulation

    from physsynth.excitation.mallet import ContactLaw
    from physsynth.simulate.contact import ForceSource, MalletSource, run_sources

    rng = np.random.default_rng(5 + n_out)
    nm = 6
    omega = 2 * np.pi * np.array([150.0, 700.0, 1900.0, 4100.0, 8800.0, 15000.0])
    sigma = np.array([0.0, 2.0, 5.0, 20.0, 60.0, 150.0])
    g = rng.normal(size=nm) * 3
    w = rng.normal(size=(n_out, nm))
    forces = [ForceSource(40, rng.normal(size=nm), rng.normal(size=30) * 0.3)]
    mallet = MalletSource(12, g, ContactLaw(K=3e8), 0.02, 0.8)
    n, n_sub = 600, 6
    sim = run_sources(
        omega, sigma, w, sr=SR, n_samples=n, quantity=quantity, forces=forces, mallets=[mallet], n_sub=n_sub
    )
    out, _, _ = reference_simulation(omega, sigma, w, n, n_sub, quantity, forces, [], mallet)
    np.testing.assert_allclose(sim.audio, out, rtol=0, atol=1e-8 * np.abs(out).max())


@pytest.mark.parametrize("quantity", ["displacement", "velocity"])
@pytest.mark.parametrize("n_out", [5, 6, 9])
def test_contact_kernel_reads_more_rows_in_passes(quantity, n_out):
    """Five, six (three listeners) and nine pickup rows take the four-sample free block as
    passes of at most four rows from the same state: the same comparison with numpy."""
    test_contact_kernel_reads_four_rows_in_blocks(quantity, n_out)
