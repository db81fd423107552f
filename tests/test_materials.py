import math

import numpy as np
import pytest

import physsynth as ps
from physsynth.damping import LN1000

REQUIRED = ["steel", "aluminium", "brass", "bell_bronze", "copper", "glass", "spruce"]


def test_library_has_required_materials_with_sources():
    for name in REQUIRED:
        m = ps.get_material(name)
        assert m.E > 0 and 0 < m.nu < 0.5 and m.rho > 0
        assert len(m.source) > 20, f"{name} has no source"
    assert ps.get_material("Aluminum").name == "aluminium"  # alias, case-insensitive
    assert ps.get_material("wood").name == "spruce"


@pytest.mark.parametrize(
    "E,nu,rho,word",
    [
        (200e9, 0.5, 7800, "Poisson"),
        (200e9, 0.7, 7800, "Poisson"),
        (200e9, -1.0, 7800, "Poisson"),
        (0.0, 0.3, 7800, "Young"),
        (-1e9, 0.3, 7800, "Young"),
        (200e9, 0.3, 0.0, "density"),
        (float("nan"), 0.3, 7800, "finite"),
    ],
)
def test_non_physical_materials_are_refused(E, nu, rho, word):
    with pytest.raises(ps.MaterialError, match=word):
        ps.custom_material(E, nu, rho)


def test_unknown_material_lists_known_ones():
    with pytest.raises(ps.MaterialError, match="bell_bronze"):
        ps.get_material("unobtainium")


def test_loss_factor_t60():
    # constant loss factor: sigma = eta omega / 2, so T60 = 2 ln(1000) / (eta omega)
    law = ps.LossFactor(1e-3)
    f = np.array([100.0, 1000.0])
    expected = 2 * LN1000 / (1e-3 * 2 * np.pi * f)
    np.testing.assert_allclose(law.t60(f), expected, rtol=1e-12)


def test_two_t60_passes_through_its_points():
    law = ps.TwoT60(f1=200.0, t60_1=8.0, f2=4000.0, t60_2=0.5)
    np.testing.assert_allclose(law.t60([200.0, 4000.0]), [8.0, 0.5], rtol=1e-12)
    with pytest.raises(ps.MaterialError):
        ps.TwoT60(f1=200.0, t60_1=1.0, f2=4000.0, t60_2=5.0)


def test_rayleigh_damping_ratio():
    law = ps.Rayleigh(alpha=2.0, beta=1e-6)
    w = 2 * np.pi * 500
    zeta = law.decay_rate(w) / w
    assert math.isclose(zeta, 2.0 / (2 * w) + 1e-6 * w / 2, rel_tol=1e-12)


@pytest.mark.parametrize("bad", [True, "stiff", None, [1.0], float("inf"), float("-inf")])
def test_material_constants_must_be_finite_numbers(bad):
    for args in ((bad, 0.3, 7800), (200e9, bad, 7800), (200e9, 0.3, bad)):
        with pytest.raises(ps.MaterialError):
            ps.custom_material(*args)
        with pytest.raises(ps.MaterialError):
            ps.Material("m", *args)


def test_material_constants_are_stored_as_floats():
    m = ps.Material("m", np.float32(2e11), np.int64(0), 7800)
    assert type(m.E) is float and type(m.nu) is float and type(m.rho) is float


@pytest.mark.parametrize(
    "law",
    [
        lambda: ps.LossFactor("x"),
        lambda: ps.LossFactor(float("nan")),
        lambda: ps.LossFactor(1e-3, exponent=float("inf")),
        lambda: ps.Rayleigh(-1.0, 0.0),
        lambda: ps.Rayleigh(0.0, None),
        lambda: ps.TwoT60(100.0, 2.0, 50.0, 1.0),
        lambda: ps.TwoT60(100.0, 1.0, 200.0, 2.0),
    ],
)
def test_non_physical_damping_is_refused(law):
    with pytest.raises(ps.MaterialError):
        law()


@pytest.mark.parametrize(
    "d",
    [
        {"kind": "rayleigh", "alpha": 1.0, "gamma": 2.0},
        {"kind": "viscous"},
        {"eta": 1e-3},
        "loss_factor",
        {"kind": "loss_factor", "eta": "much"},
    ],
)
def test_damping_from_a_bad_table_is_a_material_error(d):
    from physsynth.damping import DampingLaw

    with pytest.raises(ps.MaterialError):
        DampingLaw.from_dict(d)


@pytest.mark.parametrize(
    "d",
    [
        {"name": "x", "E": 1e9, "nu": 0.3, "rho": 1000},
        {"name": "x", "E": "hard", "nu": 0.3, "rho": 1000, "damping": {"kind": "loss_factor", "eta": 1e-3}},
        {"name": 7, "E": 1e9, "nu": 0.3, "rho": 1000, "damping": {"kind": "loss_factor", "eta": 1e-3}},
        ["steel"],
    ],
)
def test_material_from_a_bad_table_is_a_material_error(d):
    with pytest.raises(ps.MaterialError):
        ps.Material.from_dict(d)


def test_material_round_trips_through_its_table():
    m = ps.get_material("brass")
    assert ps.Material.from_dict(m.to_dict()) == m


@pytest.mark.parametrize("name", [None, 7, ["steel"], ""])
def test_material_names_are_text_in_the_library(name):
    with pytest.raises(ps.MaterialError):
        ps.get_material(name)
