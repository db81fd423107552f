"""The reference values of tests/reference_values.py: those a closed form gives are recomputed
here, the measured ones checked for internal consistency, so a mistyped digit fails."""

import os

import numpy as np
import pytest
import reference_values
from reference_values import (
    BEAM_CLAMPED_FREE_BETA_L,
    BEAM_FREE_FREE_BETA_L,
    BESSEL_J_ZEROS,
    FREE_SQUARE_PLATE_LAMBDA,
    FREE_SQUARE_PLATE_LAMBDA_LEISSA,
    STEINWAY_B_A3_INHARMONICITY,
    STEINWAY_B_A3_PARTIALS,
    STK_PLUCKED_440_AT_44K1,
    TIBETAN_BOWL_180MM,
    TIBETAN_BOWL_180MM_RATIOS,
)
from scipy.optimize import brentq
from scipy.special import jn_zeros


def cents(f, ref):
    return 1200.0 * np.log2(np.asarray(f, dtype=float) / ref)


@pytest.mark.parametrize("values, sign", [(BEAM_FREE_FREE_BETA_L, 1.0), (BEAM_CLAMPED_FREE_BETA_L, -1.0)])
def test_beam_roots(values, sign):
    # cos(x) cosh(x) = 1 (free-free) or -1 (clamped-free); the n-th root lies near (n -/+ 1/2) pi
    for n, x in enumerate(values, start=1):
        guess = (n + 0.5) * np.pi if sign > 0 else (n - 0.5) * np.pi
        root = brentq(lambda z: np.cos(z) * np.cosh(z) - sign, guess - 0.4, guess + 0.4, xtol=1e-12)
        assert abs(root - x) < 1e-6, (n, root)  # quoted to 6 decimals


def test_bessel_zeros():
    for (m, k), j in BESSEL_J_ZEROS.items():
        assert abs(jn_zeros(m, k)[-1] - j) < 1e-5  # quoted to 5 decimals


def test_free_plate_values_are_ordered_and_below_leissa():
    lam = np.array(FREE_SQUARE_PLATE_LAMBDA)
    assert np.all(np.diff(lam) >= 0)
    # Ritz values converge from above: the converged ones sit below Leissa's, within 1 %
    distinct = np.unique(lam)[: len(FREE_SQUARE_PLATE_LAMBDA_LEISSA)]
    rel = distinct / np.array(FREE_SQUARE_PLATE_LAMBDA_LEISSA) - 1
    assert np.all((rel < 0) & (rel > -0.01)), rel


def test_steinway_partials_follow_fletcher():
    f = np.array(STEINWAY_B_A3_PARTIALS)
    n = np.arange(1, f.size + 1)
    # least squares on (f_n / n)^2 = f0^2 + f0^2 B n^2
    c = np.linalg.lstsq(np.vstack([np.ones(n.size), n**2]).T, (f / n) ** 2, rcond=None)[0]
    f0, B = np.sqrt(c[0]), c[1] / c[0]
    np.testing.assert_allclose(B, STEINWAY_B_A3_INHARMONICITY, rtol=0.02)  # 2 % of B
    resid = cents(f, n * f0 * np.sqrt(1 + B * n * n))
    assert np.max(np.abs(resid)) < 0.3  # cents: a measurement, not a made-up series


def test_bowl_hz_and_ratios_agree():
    f = np.array(TIBETAN_BOWL_180MM)
    # the table's ratios are printed to 5 decimals (the last to 2): 0.05 % covers the rounding
    np.testing.assert_allclose(f / f[0], TIBETAN_BOWL_180MM_RATIOS, rtol=5e-4)


def test_stk_plucked_pitch_closed_form():
    sr, f = 44100.0, 440.0
    # loop: (sr/f - 0.5) delay + 0.5 (the averaging filter's group delay) + 1 (the feedback tap)
    assert abs(sr / (sr / f - 0.5 + 0.5 + 1.0) - STK_PLUCKED_440_AT_44K1) < 0.005  # Hz, quoted to 0.01


def test_every_value_is_quoted_in_the_docs():
    page = open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "docs", "references.md")).read()
    for name in dir(reference_values):
        if name.isupper():
            v = getattr(reference_values, name)
            for x in v.values() if isinstance(v, dict) else v if isinstance(v, tuple) else (v,):
                assert f"{x}" in page or f"{x:.2e}".replace("e-04", "e-4") in page, (name, x)
