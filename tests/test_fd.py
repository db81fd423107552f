"""Finite-difference string, membrane and plate: references, energy, stability, kernels, CLI."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import MESHES
from reference_values import FREE_SQUARE_PLATE_LAMBDA, STEINWAY_B_A3_PARTIALS
from scipy.linalg import eigh

import physsynth as ps
from physsynth.errors import PhyssynthError, StabilityError
from physsynth.fd import (
    membrane,
    membrane_energy,
    plate,
    plate_energy,
    render_membrane,
    render_plate,
    render_string,
    stiff_string,
    string_energy,
)
from physsynth.fd.membrane import membrane_step_numpy, run_membrane
from physsynth.fd.plate import plate_step_numpy, run_plate
from physsynth.fd.string import initial_state, pluck_shape, run_string
from physsynth.materials import custom_material, get_material
from physsynth.measure import cents, spectral_peaks, t60

SR = 44100
STEEL = get_material("steel")
# Measured Steinway B A3 partials (tests/reference_values.py, with the source)
STEINWAY_A3 = np.array(STEINWAY_B_A3_PARTIALS)


def separated(freqs, n, tol=0.03):
    """The first n frequencies with no other within +-tol (a peak is then unambiguous)."""
    keep = [f for i, f in enumerate(freqs) if np.all(np.abs(np.delete(freqs, i) / f - 1) > tol)]
    assert len(keep) >= n
    return np.array(keep[:n])


# ------------------------------------------------------------------ string
@pytest.mark.parametrize("f0, B", [(220.0, 2.15e-4), (110.0, 0.0), (55.0, 5e-3), (440.0, 1e-2)])
def test_string_partials_follow_stiff_string_formula(f0, B):
    sch = stiff_string(f0, inharmonicity=B, t60=6.0, t60_high=2.0, sr=SR)
    x = render_string(sch, duration=2.0, pluck=0.137, pickup=0.83)
    n = np.arange(1, 9)
    target = n * f0 * np.sqrt(1 + B * n * n)
    measured = spectral_peaks(x, target, sr=SR)
    # 0.5 % (8.6 cents), the tolerance, for each of the first 8 partials
    np.testing.assert_allclose(measured, target, rtol=5e-3)


def test_string_matches_measured_steinway_a3():
    # B and f0 fitted to the measured partials (B ~ 2.15e-4); the scheme must reproduce the
    # measurement within 0.5 % (8.6 cents), which includes the fit's own residual.
    sch = stiff_string(219.79 / np.sqrt(1 + 2.15e-4), inharmonicity=2.15e-4, sr=SR, t60=8.0)
    x = render_string(sch, duration=2.0)
    np.testing.assert_allclose(spectral_peaks(x, STEINWAY_A3, sr=SR), STEINWAY_A3, rtol=5e-3)


def test_string_t60_from_two_decay_times():
    # the envelope of partial 1 must fall 60 dB in t60 (within 10 %: the decay rate maps to
    # the continuous mode's, the scheme's own is within a fraction of a percent of it)
    sch = stiff_string(220.0, inharmonicity=1e-4, t60=1.0, t60_high=0.3, sr=SR)
    x = render_string(sch, duration=1.0, quantity="displacement")
    np.testing.assert_allclose(t60(x, sr=SR, freqs=220.0, half_width=20.0), 1.0, rtol=0.1)


def test_string_kernel_matches_numpy():
    sch = stiff_string(220.0, inharmonicity=1e-3, t60=2.0, t60_high=0.5, sr=SR)
    rng = np.random.default_rng(0)
    N = sch.N
    u0, u1, _ = initial_state(sch, np.r_[0, rng.standard_normal(N - 1), 0])
    u1 = u0.copy()
    u1[2 : N + 1] += 0.1 * rng.standard_normal(N - 1)
    u1[0], u1[-1] = -u1[2], -u1[N]
    a, b = sch.coefficients()
    # plain numpy: the same update by slicing (grid l at index l + 1, ghosts mirrored)
    ref = np.zeros_like(u1)
    I = slice(2, N + 1)
    ref[I] = (
        a[0] * u1[I]
        + a[1] * (u1[1:N] + u1[3 : N + 2])
        + a[2] * (u1[0 : N - 1] + u1[4 : N + 3])
        + b[0] * u0[I]
        + b[1] * (u0[1:N] + u0[3 : N + 2])
    )
    _, (_, cur, _) = run_string(sch, u0.copy(), u1.copy(), np.zeros_like(u1), 1)
    np.testing.assert_allclose(cur[I], ref[I], rtol=0, atol=1e-12 * np.max(np.abs(ref)))
    assert cur[0] == -cur[2] and cur[N + 2] == -cur[N]


def test_string_energy_conserved_without_loss():
    sch = stiff_string(220.0, inharmonicity=1e-3, t60=np.inf, sr=SR)
    st = initial_state(sch, pluck_shape(sch.N, 0.3, 0.1))
    E0 = string_energy(sch, st[0], st[1])
    E = []
    for _ in range(10):
        _, st = run_string(sch, *st, 10_000)
        E.append(string_energy(sch, st[0], st[1]))
    # 1e5 steps: relative drift below 1e-10 (round-off only)
    assert np.max(np.abs(np.array(E) / E0 - 1)) < 1e-10


def test_string_energy_never_increases_with_loss():
    sch = stiff_string(220.0, inharmonicity=1e-3, t60=1.0, t60_high=0.2, sr=SR)
    st = initial_state(sch, pluck_shape(sch.N, 0.3, 0.1))
    E = [string_energy(sch, st[0], st[1])]
    for _ in range(2000):
        _, st = run_string(sch, *st, 1)
        E.append(string_energy(sch, st[0], st[1]))
    E = np.array(E)
    assert np.all(np.diff(E) <= 1e-13 * E[0])
    assert E[-1] < 0.95 * E[0]  # and the loss does remove energy


def test_string_refuses_unstable_grid():
    sch = stiff_string(220.0, inharmonicity=2.15e-4, sr=SR, oversample=1)
    with pytest.raises(StabilityError, match="stability limit"):
        stiff_string(220.0, inharmonicity=2.15e-4, sr=SR, oversample=1, n_intervals=sch.N + 2)
    with pytest.raises(PhyssynthError, match="must not exceed"):
        stiff_string(220.0, t60=1.0, t60_high=3.0, sr=SR)


# ------------------------------------------------------------------ plate
def random_state(shape, sign, nx, ny, rng, ghost=2):
    u = np.zeros(shape)
    u[ghost : nx + 3 - ghost, ghost : ny + 3 - ghost] = rng.standard_normal((nx - 1, ny - 1))
    u[:, 0], u[:, -1] = sign * u[:, 2], sign * u[:, -3]
    u[0], u[-1] = sign * u[2], sign * u[-3]
    return u


@pytest.mark.parametrize(
    "bc, block, depth",
    [
        ("supported", None, None),
        ("clamped", None, None),
        ("supported", 1, None),
        ("clamped", 3, None),
        ("supported", 4, None),
        ("supported", None, 1),
        ("clamped", None, 2),
        ("supported", None, 3),
        ("clamped", None, 8),
    ],
)
def test_plate_kernel_matches_numpy(bc, block, depth):
    # block: rows per block of the in-cache kernel (default: the whole grid here); 3 leaves a
    # short last block. depth: time steps per sweep of the wavefront kernel.
    p = plate((0.3, 0.2), 0.002, STEEL, bc=bc, sr=SR, loss=(1.0, 1e-3))
    rng = np.random.default_rng(1)
    s = p.coefficients()[0][6]
    u0, u1 = (random_state(p.shape, s, p.nx, p.ny, rng) for _ in range(2))
    ref = plate_step_numpy(p, u0, u1)
    _, (_, cur) = run_plate(p, u0.copy(), u1.copy(), 1, block=block, depth=depth)
    np.testing.assert_allclose(cur, ref, rtol=0, atol=1e-12 * np.max(np.abs(ref)))
    # and two more steps (ghosts and edges restored by the kernel itself)
    ref = plate_step_numpy(p, u1, ref)
    ref = plate_step_numpy(p, plate_step_numpy(p, u0, u1), ref)
    _, (_, cur) = run_plate(p, u0.copy(), u1.copy(), 3, block=block, depth=depth)
    np.testing.assert_allclose(cur, ref, rtol=0, atol=1e-11 * np.max(np.abs(ref)))


@pytest.mark.parametrize("bc", ["supported", "clamped"])
@pytest.mark.parametrize("size", [(0.3, 0.2), (0.31, 0.21)])
@pytest.mark.parametrize("depth", [1, 2, 3, 8, 16])
@pytest.mark.parametrize("aligned", [True, False])
def test_plate_simd_kernel_matches_numpy(bc, size, depth, aligned):
    # the explicit-SIMD kernel (LLVM vectors, masked row ends, row pairs) against the numpy
    # step: 11 steps (full and partial sweeps), odd and even nx, ny + 3 not a multiple of 8,
    # arrays on a cache line and at numpy's usual 16-byte offset, a force and two velocity
    # pickups; to 1e-11 of the state (round-off of ~100 operations)
    from physsynth.fd._common import aligned_zeros

    p = plate(size, 5e-4, STEEL, bc=bc, sr=SR, loss=(1.0, 1e-3))
    assert p.ny >= 21
    rng = np.random.default_rng(7)
    s = p.coefficients()[0][6]
    u0, u1 = (random_state(p.shape, s, p.nx, p.ny, rng) for _ in range(2))
    f = np.hanning(9)
    pk = [(0.31 * size[0], 0.43 * size[1]), (0.77 * size[0], 0.61 * size[1])]
    ref_out, ref = run_plate(
        p, u0.copy(), u1.copy(), 11, pickups=pk, force=f, force_at=(0.2 * size[0], 0.3 * size[1]), depth=1
    )  # wavefront

    def copy(a):
        b = aligned_zeros(a.shape) if aligned else np.zeros(a.shape)
        b[...] = a
        return b

    a, b = u0, u1
    for _ in range(11):
        a, b = b, plate_step_numpy(p, a, b)
    out, (prev, cur) = run_plate(
        p,
        copy(u0),
        copy(u1),
        11,
        pickups=pk,
        force=f,
        force_at=(0.2 * size[0], 0.3 * size[1]),
        kernel="simd",
        depth=depth,
    )
    np.testing.assert_allclose(cur, ref[1], rtol=0, atol=1e-11 * np.max(np.abs(ref[1])))
    np.testing.assert_allclose(prev, ref[0], rtol=0, atol=1e-11 * np.max(np.abs(ref[0])))
    np.testing.assert_allclose(out, ref_out, rtol=0, atol=1e-10 * np.max(np.abs(ref_out)))
    if depth == 1:  # the force-free numpy reference (the force enters at one point only)
        _, (_, cur) = run_plate(p, copy(u0), copy(u1), 11, kernel="simd", depth=depth)
        np.testing.assert_allclose(cur, b, rtol=0, atol=1e-11 * np.max(np.abs(b)))


def test_plate_simd_energy_and_refusals():
    # lossless: 1e5 steps, relative energy drift below 1e-10 (as the other kernels)
    p = plate((0.3, 0.2), 4e-4, STEEL, bc="clamped", sr=SR, loss=(0.0, 0.0))
    assert p.ny >= 21
    rng = np.random.default_rng(8)
    u = random_state(p.shape, 1.0, p.nx, p.ny, rng)
    st = (u, u.copy())
    E0 = plate_energy(p, *st)
    _, st = run_plate(p, *st, 100_000, kernel="simd")
    assert abs(plate_energy(p, *st) / E0 - 1) < 1e-10
    small = plate((0.1, 0.08), 0.002, STEEL, sr=SR)
    with pytest.raises(PhyssynthError, match="ny >= 21"):
        run_plate(small, np.zeros(small.shape), np.zeros(small.shape), 1, kernel="simd")
    with pytest.raises(PhyssynthError, match="unknown plate kernel"):
        run_plate(small, np.zeros(small.shape), np.zeros(small.shape), 1, kernel="fast")


@pytest.mark.parametrize("size", [(0.3, 0.2), (0.31, 0.2)])
@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_plate_wavefront_matches_numpy_over_sweeps(size, depth):
    # 7 steps: full sweeps of `depth` steps and a shorter last one; odd and even nx (the
    # kernel takes the rows in pairs)
    p = plate(size, 0.002, STEEL, bc="supported", sr=SR, loss=(1.0, 1e-3))
    rng = np.random.default_rng(5)
    s = p.coefficients()[0][6]
    u0, u1 = (random_state(p.shape, s, p.nx, p.ny, rng) for _ in range(2))
    a, b = u0, u1
    for _ in range(7):
        a, b = b, plate_step_numpy(p, a, b)
    _, (prev, cur) = run_plate(p, u0.copy(), u1.copy(), 7, depth=depth)
    np.testing.assert_allclose(prev, a, rtol=0, atol=1e-11 * np.max(np.abs(a)))
    np.testing.assert_allclose(cur, b, rtol=0, atol=1e-11 * np.max(np.abs(b)))


@pytest.mark.parametrize("bc", ["supported", "clamped"])
def test_plate_energy(bc):
    rng = np.random.default_rng(2)
    p = plate((0.3, 0.2), 0.002, STEEL, bc=bc, sr=SR, loss=(0.0, 0.0))
    s = p.coefficients()[0][6]
    u = random_state(p.shape, s, p.nx, p.ny, rng)
    st = (u, u.copy())
    E0 = plate_energy(p, st[0], st[1])
    _, st = run_plate(p, *st, 100_000)
    # lossless: 1e5 steps, relative drift below 1e-10
    assert abs(plate_energy(p, st[0], st[1]) / E0 - 1) < 1e-10
    p = plate((0.3, 0.2), 0.002, STEEL, bc=bc, sr=SR, loss=(2.0, 5e-3))
    u = random_state(p.shape, s, p.nx, p.ny, rng)
    st = (u, u.copy())
    E = [plate_energy(p, st[0], st[1])]
    for _ in range(500):
        _, st = run_plate(p, *st, 1)
        E.append(plate_energy(p, st[0], st[1]))
    assert np.all(np.diff(E) <= 1e-13 * E[0]) and E[-1] < E[0]


def test_supported_plate_peaks_vs_closed_form():
    p = plate((0.5, 0.4), 0.001, STEEL, bc="supported", sr=SR, oversample=2)
    x = render_plate(p, duration=1.5)[0]
    target = separated(p.closed_form(12), 6)
    # 1 % for the first 6 well-separated peaks (grid dispersion at the stability limit with
    # 2x oversampling: about -0.3 %)
    np.testing.assert_allclose(spectral_peaks(x, target, sr=SR, rel_window=0.02), target, rtol=1e-2)


@pytest.mark.parametrize("block, depth", [(None, None), (3, None), (None, 1), (None, 3)])
def test_plate_single_precision_kernels_match_numpy(block, depth):
    # float32 states: both kernels against the float64 numpy step; the difference is float32
    # round-off of a stencil whose coefficients sum to ~2 + 64 mu^2 (mu^2 <= 1/16 here), so
    # 1e-5 of the state's size after 3 steps (float32 epsilon 6e-8, ~30 operations per step)
    p = plate((0.3, 0.2), 0.002, STEEL, bc="clamped", sr=SR, loss=(1.0, 1e-3))
    rng = np.random.default_rng(3)
    s = p.coefficients()[0][6]
    u0, u1 = (random_state(p.shape, s, p.nx, p.ny, rng) for _ in range(2))
    a, b = u0, u1
    for _ in range(3):
        a, b = b, plate_step_numpy(p, a, b)
    _, (_, cur) = run_plate(p, u0.astype(np.float32), u1.astype(np.float32), 3, block=block, depth=depth)
    assert cur.dtype == np.float32
    np.testing.assert_allclose(cur, b, rtol=0, atol=1e-5 * np.max(np.abs(b)))


def test_plate_single_precision_render_keeps_partials():
    # single precision (the plate-reverb option): the partials agree with double precision's
    # within 0.1 cent (measured ~0.02) and the difference signal stays 60 dB below the
    # render's total energy in every octave band from 125 Hz to 24 kHz over 1.5 s (measured
    # -64 to -81 dB: phase drift at low frequencies, a white round-off floor at high ones)
    p = plate((0.5, 0.4), 0.001, STEEL, bc="supported", sr=SR)
    x64 = render_plate(p, duration=1.5)[0]
    x32 = render_plate(p, duration=1.5, precision="single")[0]
    target = separated(p.closed_form(12), 6)
    f64 = spectral_peaks(x64, target, sr=SR, rel_window=0.02)
    f32 = spectral_peaks(x32, target, sr=SR, rel_window=0.02)
    assert np.all(np.abs(cents(f32, f64)) < 0.1)
    win = np.hanning(len(x64))
    f = np.fft.rfftfreq(len(x64), 1 / SR)
    total = np.sum(np.abs(np.fft.rfft(x64 * win)) ** 2)
    err = np.abs(np.fft.rfft((x32 - x64) * win)) ** 2
    for lo in 125 * 2.0 ** np.arange(8):
        band = (f >= lo) & (f < 2 * lo)
        assert 10 * np.log10(np.sum(err[band]) / total) < -60, lo
    with pytest.raises(PhyssynthError, match="precision"):
        render_plate(p, duration=0.01, precision="half")
    with pytest.raises(PhyssynthError, match="double precision only"):
        render_plate(plate((0.5, 0.4), 0.001, STEEL, bc="free", sr=SR), duration=0.01, precision="single")


def test_plate_refuses_unstable_grid():
    with pytest.raises(StabilityError, match="coarser grid.*scheme rate"):
        plate((0.5, 0.4), 0.001, STEEL, sr=SR, grid=0.005)
    with pytest.raises(StabilityError, match="coarser grid.*scheme rate"):
        plate((0.5, 0.4), 0.001, STEEL, bc="free", sr=SR, grid=0.005)
    with pytest.raises(PhyssynthError, match="unknown boundary"):
        plate((0.5, 0.4), 0.001, STEEL, bc="glued", sr=SR)
    p = plate((0.5, 0.4), 0.001, STEEL, sr=SR)  # the automatic grid sits at the limit
    assert p.hx >= 2 * np.sqrt(p.k * (p.sigma1 + np.hypot(p.sigma1, p.kappa))) > 0.95 * p.hx


# ------------------------------------------------------------------ membrane
def test_membrane_kernel_matches_numpy():
    m = membrane((0.5, 0.4), tension=1000.0, areal_density=0.2, t60=1.0, sr=SR)
    rng = np.random.default_rng(3)
    u0, u1 = np.zeros(m.shape), np.zeros(m.shape)
    u0[1:-1, 1:-1] = rng.standard_normal((m.nx - 1, m.ny - 1))
    u1[1:-1, 1:-1] = rng.standard_normal((m.nx - 1, m.ny - 1))
    ref = membrane_step_numpy(m, u0, u1)
    _, (_, cur) = run_membrane(m, u0.copy(), u1.copy(), 1)
    np.testing.assert_allclose(cur, ref, rtol=0, atol=1e-12 * np.max(np.abs(ref)))
    # temporal blocking: 7 steps in sweeps of `depth` steps (and a shorter last one)
    a, b = u0, u1
    for _ in range(7):
        a, b = b, membrane_step_numpy(m, a, b)
    for depth in (1, 2, 3, 5, 16):
        _, (prev, cur) = run_membrane(m, u0.copy(), u1.copy(), 7, depth=depth)
        np.testing.assert_allclose(prev, a, rtol=0, atol=1e-12 * np.max(np.abs(a)))
        np.testing.assert_allclose(cur, b, rtol=0, atol=1e-12 * np.max(np.abs(b)))


def test_membrane_energy():
    rng = np.random.default_rng(4)
    m = membrane((0.2, 0.15), wave_speed=20.0, t60=np.inf, sr=SR)
    u = np.zeros(m.shape)
    u[1:-1, 1:-1] = rng.standard_normal((m.nx - 1, m.ny - 1))
    E0 = membrane_energy(m, u, u)
    _, (a, b) = run_membrane(m, u.copy(), u.copy(), 100_000)
    assert abs(membrane_energy(m, a, b) / E0 - 1) < 1e-10
    m = membrane((0.2, 0.15), wave_speed=20.0, t60=0.05, sr=SR)
    st = (u.copy(), u.copy())
    E = [membrane_energy(m, *st)]
    for _ in range(500):
        _, st = run_membrane(m, *st, 1)
        E.append(membrane_energy(m, *st))
    assert np.all(np.diff(E) <= 1e-13 * E[0]) and E[-1] < E[0]


def test_membrane_peaks_vs_closed_form():
    m = membrane((0.5, 0.37), tension=500.0, areal_density=0.2, t60=3.0, sr=SR)
    x = render_membrane(m, duration=1.5)[0]
    target = separated(m.closed_form(12), 6)
    # 1 % for the first 6 well-separated peaks
    np.testing.assert_allclose(spectral_peaks(x, target, sr=SR, rel_window=0.02), target, rtol=1e-2)


def test_membrane_refuses_unstable_grid():
    with pytest.raises(StabilityError, match="stability limit"):
        membrane((0.5, 0.4), tension=1000.0, areal_density=0.2, sr=SR, grid=0.001)
    with pytest.raises(PhyssynthError, match="unknown membrane edge"):
        membrane((0.5, 0.4), tension=1000.0, areal_density=0.2, sr=SR, bc="free,glued,free,free")
    with pytest.raises(PhyssynthError, match="one value or four"):
        membrane((0.5, 0.4), tension=1000.0, areal_density=0.2, sr=SR, bc="free,fixed")


# ------------------------------------------------------------------ free edges
# Free square plate, nu = 0.3: lambda = omega a^2 sqrt(rho h / D), the distinct values
# (tests/reference_values.py, converged Ritz values)
FREE_PLATE_LAMBDA = np.unique(FREE_SQUARE_PLATE_LAMBDA)
STEEL_NU03 = custom_material(200e9, 0.3, 7850)


def free_plate(n, loss=(0.0, 0.0), size=(0.3, 0.3)):
    # 0.4 mm steel: a grid of n intervals over 0.3 m is stable at 44.1 kHz for n <= 40
    return plate(size, 4e-4, STEEL_NU03, bc="free", sr=SR, grid=size[0] / n, loss=loss)


def test_free_plate_operator_null_space_and_bound():
    from physsynth.fd.plate import free_operator

    p = free_plate(12, size=(0.3, 0.26))
    op, _ = free_operator(p)
    K = op.K.toarray()
    np.testing.assert_allclose(K, K.T, rtol=0, atol=1e-12 * np.abs(K).max())
    ev = eigh(K, np.diag(op.m), eigvals_only=True)
    # exactly three rigid modes (translation, two rotations), then a clear gap
    assert np.sum(np.abs(ev) < 1e-9 * ev[-1]) == 3 and ev[3] > 1e-4 * ev[-1]
    assert np.allclose(op.K @ op.rigid.T, 0, atol=1e-9 * np.abs(K).max())
    # Gershgorin's bound is the supported plate's (4/hx^2 + 4/hy^2)^2 kappa^2: same limit
    pp = 4 / p.hx**2 + 4 / p.hy**2
    assert ev[-1] < op.bound()[0] <= (1 + 1e-12) * p.kappa**2 * pp**2


@pytest.mark.parametrize("edges, n_rigid", [("free", 1), ("free,fixed,free,free", 0), ("fixed,free,free,fixed", 0)])
def test_free_membrane_null_space(edges, n_rigid):
    from physsynth.fd.membrane import free_operator

    m = membrane((0.2, 0.15), wave_speed=20.0, t60=np.inf, sr=SR, bc=edges, grid=0.02)
    op, _ = free_operator(m)
    a = op.active
    ev = eigh(op.K.toarray()[np.ix_(a, a)], np.diag(op.m[a]), eigvals_only=True)
    assert np.sum(np.abs(ev) < 1e-9 * ev[-1]) == n_rigid == len(op.rigid)
    assert ev[-1] <= (m.c * 2 / m.k) ** 2 * (1 - 1e-9)  # strictly inside the limit


@pytest.mark.parametrize("model", ["plate", "membrane"])
def test_free_kernel_matches_numpy(model):
    from physsynth.fd.free import step_numpy

    rng = np.random.default_rng(5)
    if model == "plate":
        sch = free_plate(10, loss=(1.0, 1e-3), size=(0.3, 0.24))
        op = plate_free_op(sch)
        s0, s1 = sch.sigma0, sch.sigma1
        run = run_plate
    else:
        sch = membrane((0.2, 0.15), wave_speed=20.0, t60=0.5, sr=SR, bc="free,fixed,free,free", grid=0.02)
        op = membrane_free_op(sch)
        s0, s1 = sch.sigma0, 0.0
        run = run_membrane
    u0, u1 = (np.where(op.active, rng.standard_normal(op.n), 0.0) for _ in range(2))
    ref = step_numpy(op, sch.k, s0, s1, u0, u1)
    _, (_, cur) = run(sch, u0.copy(), u1.copy(), 1)
    np.testing.assert_allclose(cur, ref, rtol=0, atol=1e-12 * np.max(np.abs(ref)))


@pytest.mark.parametrize("model", ["plate", "plate-mixed", "membrane", "membrane-mixed"])
def test_free_energy(model):
    rng = np.random.default_rng(6)
    if model == "plate":
        make = lambda loss: free_plate(10, loss=(loss, 5e-3 * bool(loss)), size=(0.3, 0.24))  # noqa: E731
        run, energy = run_plate, plate_energy
    elif model == "plate-mixed":  # a clamped, a supported and two free edges
        make = lambda loss: plate(  # noqa: E731
            (0.3, 0.24),
            4e-4,
            STEEL_NU03,
            bc="clamped,free,supported,free",
            sr=SR,
            grid=0.03,
            loss=(loss, 5e-3 * bool(loss)),
        )
        run, energy = run_plate, plate_energy
    else:
        bc = "free" if model == "membrane" else "free,fixed,free,free"
        make = lambda loss: membrane(  # noqa: E731
            (0.2, 0.15),
            wave_speed=20.0,
            sr=SR,
            bc=bc,
            grid=0.02,
            t60=0.05 if loss else np.inf,
        )
        run, energy = run_membrane, membrane_energy
    sch = make(0.0)
    op = (plate_free_op if model.startswith("plate") else membrane_free_op)(sch)
    u = np.where(op.active, rng.standard_normal(op.n), 0.0)
    v = np.where(op.active, rng.standard_normal(op.n), 0.0)
    st = (u, u + 1e-3 * v)
    E0 = energy(sch, *st)
    _, st = run(sch, *st, 100_000)
    # lossless: 1e5 steps, relative drift below 1e-10 (round-off only)
    assert abs(energy(sch, *st) / E0 - 1) < 1e-10
    sch = make(2.0)
    st = (u.copy(), u.copy())
    E = [energy(sch, *st)]
    for _ in range(500):
        _, st = run(sch, *st, 1)
        E.append(energy(sch, *st))
    assert np.all(np.diff(E) <= 1e-13 * E[0]) and E[-1] < E[0]


def plate_free_op(sch):
    from physsynth.fd.plate import free_operator

    return free_operator(sch)[0]


def membrane_free_op(sch):
    from physsynth.fd.membrane import free_operator

    return free_operator(sch)[0]


def _dirichlet_d2(n, h):
    return (np.diag(-2.0 * np.ones(n - 1)) + np.diag(np.ones(n - 2), 1) + np.diag(np.ones(n - 2), -1)) / h**2


@pytest.mark.parametrize("bc", ["supported", "clamped"])
def test_plate_operator_with_fixed_edges_is_the_stencil(bc):
    # The energy-built operator with all four edges supported (points removed, moments free)
    # or clamped (plus the edge curvature energy) is exactly the 13-point stencil with odd or
    # even ghosts: Lap_h^2 with the ghost's 1/h^4 on the diagonal next to each edge (built
    # here from 1D Dirichlet second differences). Eigenvalues equal to round-off (1e-10).
    from physsynth.fd.plate import free_operator

    p = plate((0.3, 0.24), 4e-4, STEEL_NU03, bc=bc, sr=SR, grid=0.025, loss=(0.0, 0.0))
    op, _ = free_operator(p)
    a = op.active
    ev = eigh(op.K.toarray()[np.ix_(a, a)], np.diag(op.m[a]), eigvals_only=True)
    s = 1.0 if bc == "clamped" else -1.0
    Dx, Dy = _dirichlet_d2(p.nx, p.hx), _dirichlet_d2(p.ny, p.hy)
    Cx, Cy = np.zeros_like(Dx), np.zeros_like(Dy)
    Cx[0, 0] = Cx[-1, -1] = (1 + s) / p.hx**4
    Cy[0, 0] = Cy[-1, -1] = (1 + s) / p.hy**4
    A = np.kron(Dx @ Dx + Cx, np.eye(p.ny - 1)) + 2 * np.kron(Dx, Dy) + np.kron(np.eye(p.nx - 1), Dy @ Dy + Cy)
    np.testing.assert_allclose(ev, np.linalg.eigvalsh(A) * p.kappa**2, rtol=1e-10)
    assert len(op.rigid) == 0


@pytest.mark.parametrize(
    "bc, n_rigid",
    [("free", 3), ("supported,free,free,free", 1), ("clamped,free,free,free", 0), ("supported,free,supported,free", 0)],
)
def test_mixed_plate_rigid_modes(bc, n_rigid):
    # a hinged plate (one supported edge) keeps the rotation about it; a clamped edge or two
    # supported ones leave none
    from physsynth.fd.plate import free_operator

    p = plate((0.3, 0.24), 4e-4, STEEL_NU03, bc=bc, sr=SR, grid=0.03, loss=(0.0, 0.0))
    op, _ = free_operator(p)
    a = op.active
    ev = eigh(op.K.toarray()[np.ix_(a, a)], np.diag(op.m[a]), eigvals_only=True)
    assert np.sum(np.abs(ev) < 1e-9 * ev[-1]) == n_rigid == len(op.rigid)
    assert np.allclose(op.K @ op.rigid.T, 0, atol=1e-9 * abs(op.K).max())


@pytest.mark.parametrize(
    "bc, fem_bc",
    [
        ("clamped,free,free,free", dict(clamp=["left"])),  # cantilever
        ("supported,supported,free,free", dict(support=["left", "right"])),  # Levy plate
        ("clamped,supported,free,supported", dict(clamp=["left"], support=["right", "top"])),
    ],
)
def test_mixed_plate_fd_agrees_with_fem(bc, fem_bc):
    # Two independent discretisations of the same Kirchhoff plate with mixed edges: the FD
    # operator (60 x 40 intervals) and the Morley FEM on the shipped 300 x 200 mm mesh. First
    # 8 modes within 0.5 % (measured <= 0.21 %; at 30 x 20 intervals <= 1.26 %: the FD error
    # falls as h^2)
    import scipy.sparse as sps
    from scipy.sparse.linalg import eigsh

    from physsynth.fd.plate import free_operator

    fem = ps.modal_analysis(
        ps.load_mesh(os.path.join(MESHES, "plate_rect_300x200.msh")), STEEL, n_modes=8, thickness=0.002, **fem_bc
    ).frequencies[:8]
    p = plate((0.3, 0.2), 0.002, STEEL, bc=bc, sr=SR, grid=0.005, oversample=32, loss=(0, 0))
    op, _ = free_operator(p)
    a = op.active
    ev = eigsh(op.K[a][:, a].tocsc(), k=8, M=sps.diags(op.m[a]).tocsc(), sigma=-1.0, return_eigenvectors=False)
    fd = np.sort(np.sqrt(ev)) / (2 * np.pi)
    np.testing.assert_allclose(fd, fem, rtol=5e-3)


def test_free_plate_output_has_no_rigid_motion():
    # struck off-centre a free plate translates and rotates; the pickup reads u - P u
    p = free_plate(10, size=(0.3, 0.24))
    op = plate_free_op(p)
    f = np.r_[np.hanning(40), np.zeros(10)]
    pk = (0.18, 0.15)  # grid point (6, 5), h = 3 cm
    out, (_, cur) = run_plate(
        p, np.zeros(p.shape), np.zeros(p.shape), 3000, pickups=[pk], velocity=False, force=f, force_at=(0.07, 0.05)
    )
    q = op.rigid @ (op.m * cur)
    assert np.all(np.abs(q) > 1e-3 * np.linalg.norm(np.sqrt(op.m) * cur))  # it does drift
    elastic = cur - q @ op.rigid
    i, j = int(round(pk[0] / p.hx)), int(round(pk[1] / p.hy))  # the pickup sits on a grid point
    np.testing.assert_allclose(out[0, -1], elastic[i * (p.ny + 1) + j], rtol=1e-9)


def test_free_square_plate_vs_reference():
    # 40 x 40 intervals: the first seven distinct lambdas within 1 % (measured -0.11 %
    # (13.468) .. -0.62 % (69.265)); the error is second order: -0.44 % .. -2.3 % at 20 x 20
    # (checked with the operator's eigenvalues, test_free_plate_converges_second_order)
    p = free_plate(40)
    x = render_plate(p, duration=1.5)[0]
    to_hz = p.kappa / (2 * np.pi * p.lx**2)
    lam = spectral_peaks(x, FREE_PLATE_LAMBDA * to_hz, sr=SR, rel_window=0.02) / to_hz
    np.testing.assert_allclose(lam, FREE_PLATE_LAMBDA, rtol=1e-2)


def test_free_plate_converges_second_order():
    # eigenvalues of M^{-1} K on 12 and 24 intervals: the error in lambda falls by about 4
    from physsynth.fd.free import mass, plate_stiffness

    err = []
    for n in (12, 24):
        h = 1.0 / n
        ev = eigh(plate_stiffness(n, n, h, h, 0.3).toarray(), np.diag(mass(n, n, h, h)), eigvals_only=True)
        lam = np.sqrt(ev[[3, 4, 5, 6]])  # D = rho h = a = 1
        err.append(np.abs(lam / FREE_PLATE_LAMBDA[:4] - 1))
    ratio = err[0] / err[1]
    assert np.all((ratio > 3.5) & (ratio < 4.5)), ratio


@pytest.mark.parametrize("bc", ["free", "free,fixed,free,free"])
def test_free_membrane_peaks_vs_closed_form(bc):
    m = membrane((0.5, 0.37), tension=500.0, areal_density=0.2, t60=3.0, sr=SR, bc=bc, grid=0.01)
    x = render_membrane(m, duration=1.5)[0]
    target = separated(m.closed_form(12), 6)
    # 1 % for the first 6 well-separated peaks (h = 1 cm: dispersion below 0.3 %)
    np.testing.assert_allclose(spectral_peaks(x, target, sr=SR, rel_window=0.02), target, rtol=1e-2)


# ------------------------------------------------------------------ CLI
def fd(*args):
    return subprocess.run([sys.executable, "-m", "physsynth", "fd", *args], capture_output=True, text=True, timeout=300)


def test_cli_renders_each_model(tmp_path):
    from physsynth.audio import read_wav

    runs = {
        "s.wav": [
            "string",
            "--f0",
            "220",
            "--inharmonicity",
            "2.15e-4",
            "--t60",
            "4",
            "--t60-high",
            "1",
            "--duration",
            "0.3",
            "--sr",
            "22050",
        ],
        "p.wav": [
            "plate",
            "--size",
            "0.3x0.2x0.002",
            "--material",
            "steel",
            "--bc",
            "clamped",
            "--strike",
            "0.1,0.07",
            "--pickup",
            "0.2,0.13",
            "--duration",
            "0.3",
            "--sr",
            "22050",
        ],
        "m.wav": [
            "membrane",
            "--size",
            "0.3x0.2",
            "--tension",
            "500",
            "--areal-density",
            "0.2",
            "--duration",
            "0.3",
            "--sr",
            "22050",
        ],
        "pf.wav": [
            "plate",
            "--size",
            "0.3x0.2x0.002",
            "--material",
            "steel",
            "--bc",
            "free",
            "--duration",
            "0.3",
            "--sr",
            "22050",
        ],
        "mf.wav": [
            "membrane",
            "--size",
            "0.3x0.2",
            "--tension",
            "500",
            "--areal-density",
            "0.2",
            "--bc",
            "free",
            "--grid",
            "0.01",
            "--duration",
            "0.3",
            "--sr",
            "22050",
        ],
        "mm.wav": [
            "membrane",
            "--size",
            "0.3x0.2",
            "--tension",
            "500",
            "--areal-density",
            "0.2",
            "--bc",
            "free,fixed,free,free",
            "--grid",
            "0.01",
            "--duration",
            "0.3",
            "--sr",
            "22050",
        ],
        "pc.wav": [
            "plate",
            "--size",
            "0.3x0.2x0.002",
            "--material",
            "steel",
            "--bc",
            "clamped,free,free,free",
            "--duration",
            "0.3",
            "--sr",
            "22050",
        ],
    }
    for name, args in runs.items():
        p = fd(*args, "-o", str(tmp_path / name))
        assert p.returncode == 0, p.stderr
        x, sr = read_wav(tmp_path / name)
        assert sr == 22050 and x.shape[1] == round(0.3 * 22050) and np.max(np.abs(x)) > 0.5


@pytest.mark.parametrize(
    "args, message",
    [
        (["plate", "--size", "0.5x0.4x0.001", "--grid", "0.005"], "stability limit"),
        (
            ["membrane", "--size", "0.5x0.4", "--tension", "1000", "--areal-density", "0.2", "--bc", "free,fixed"],
            "one value or four",
        ),
        (["plate", "--size", "0.5x0.4"], "--size takes"),
        (["plate", "--size", "0.5x0.4x0.001", "--bc", "clamped,free"], "one value or four"),
        (["plate", "--size", "0.5x0.4x0.001", "--bc", "clamped,free,glued,free"], "unknown boundary"),
        (
            ["membrane", "--size", "0.5x0.4", "--tension", "1000", "--areal-density", "0.2", "--grid", "0.001"],
            "stability limit",
        ),
        (["string", "--f0", "220", "--pluck", "1.5"], "outside"),
    ],
)
def test_cli_errors_are_one_line(tmp_path, args, message):
    p = fd(*args, "--duration", "0.1", "-o", str(tmp_path / "x.wav"))
    assert p.returncode == 2
    err = [line for line in p.stderr.splitlines() if "error" in line]
    assert len(err) == 1 and message in err[0], p.stderr
    assert not (tmp_path / "x.wav").exists()
