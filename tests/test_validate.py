"""physsynth.validate: the one set of argument checks every entry point uses."""

import math

import numpy as np
import pytest

from physsynth import validate
from physsynth.errors import PhyssynthError, RenderError


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, 0.0, "abc", None, True, [1.0]])
def test_positive_refuses(bad):
    with pytest.raises(PhyssynthError, match="--duration"):
        validate.positive(bad, "--duration", "s")


def test_positive_and_bounds():
    assert validate.positive("2.5", "x") == 2.5
    assert validate.nonnegative(0, "x") == 0.0
    with pytest.raises(PhyssynthError, match="<= 60"):
        validate.nonnegative(400, "--headroom", "dB", hi=60)
    with pytest.raises(PhyssynthError, match="> 0"):
        validate.finite(0.0, "x", lo=0.0, lo_open=True)


def test_error_class_is_chosen_by_the_caller():
    with pytest.raises(RenderError):
        validate.positive(-1, "force", "N", error=RenderError)


@pytest.mark.parametrize("bad", [0.5, "1.5", float("nan"), True, "x"])
def test_integer_refuses_fractions(bad):
    with pytest.raises(PhyssynthError):
        validate.integer(bad, "--n-modes")


def test_integer_accepts_whole_floats_and_bounds():
    assert validate.integer(3.0, "n") == 3
    assert validate.integer(np.int64(7), "n", lo=1, hi=7) == 7
    with pytest.raises(PhyssynthError, match=">= 1"):
        validate.integer(0, "n", lo=1)
    with pytest.raises(PhyssynthError, match="<= 10"):
        validate.integer(100000000, "n", hi=10)


@pytest.mark.parametrize("bad", [0, -48000, 2**40, 999, 10**9, 44100.5, "fast"])
def test_sample_rate_range(bad):
    with pytest.raises(PhyssynthError, match="Hz"):
        validate.sample_rate(bad)


@pytest.mark.parametrize("good", [8000, 44100, 48000, 96000, 192000])
def test_sample_rate_accepts_audio_rates(good):
    assert validate.sample_rate(good) == good


@pytest.mark.parametrize("bad", ["1,2", "1,2,3,4", "1e400,0,0", "a,b,c", [1, 2], [[1, 2, 3]], [1, "x", 3], None])
def test_point_refuses(bad):
    with pytest.raises(PhyssynthError, match="strike point"):
        validate.point(bad, "strike point")


def test_point_parses_strings_and_arrays():
    np.testing.assert_array_equal(validate.point("-0.09, 0 0.08"), [-0.09, 0.0, 0.08])
    np.testing.assert_array_equal(validate.point((1, 2), dim=2), [1.0, 2.0])


def test_direction_is_unit_and_refuses_zero():
    d = validate.direction([3.0, 0.0, 4.0])
    np.testing.assert_allclose(d, [0.6, 0.0, 0.8], rtol=1e-15)
    with pytest.raises(PhyssynthError, match="non-zero"):
        validate.direction([0, 0, 0])


def test_memory_budget_from_environment(monkeypatch):
    monkeypatch.setenv("PHYSSYNTH_MEMORY_GB", "2")
    assert validate.memory_budget() == 2 * 2**30
    validate.check_memory(2**30, "a job", "make it smaller")
    with pytest.raises(PhyssynthError, match=r"needs about 4 GiB.*2 GiB budget.*make it smaller"):
        validate.check_memory(4 * 2**30, "a job", "make it smaller")
    with pytest.raises(PhyssynthError):
        validate.check_memory(float("nan"), "a job", "make it smaller")
    monkeypatch.setenv("PHYSSYNTH_MEMORY_GB", "nonsense")  # ignored: half the RAM
    assert validate.memory_budget() == validate._physical_memory() // 2


def test_check_samples(monkeypatch):
    monkeypatch.setenv("PHYSSYNTH_MEMORY_GB", "4")
    assert validate.check_samples(1.0, 48000, 2) == 48000
    # 40000 s of stereo at 48 kHz in float64, three buffers: 86 GiB, refused before allocating
    with pytest.raises(PhyssynthError, match="40000 s render"):
        validate.check_samples(40000, 48000, 2)
    with pytest.raises(PhyssynthError, match="shorter than one sample"):
        validate.check_samples(1e-6, 48000)
    assert math.isclose(validate.check_samples(0.5, 44100), 22050)


def test_time_budget_from_environment(monkeypatch):
    monkeypatch.delenv("PHYSSYNTH_TIME_BUDGET_S", raising=False)
    assert validate.time_budget() == validate.TIME_BUDGET_S == 600.0
    monkeypatch.setenv("PHYSSYNTH_TIME_BUDGET_S", "30")
    assert validate.time_budget() == 30.0
    for bad in ("-5", "inf", "nan", "soon"):  # ignored, the stated default stands
        monkeypatch.setenv("PHYSSYNTH_TIME_BUDGET_S", bad)
        assert validate.time_budget() == 600.0
