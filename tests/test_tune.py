"""Profile tuning (physsynth.tune, ``physsynth tune``): a bell to Simpson's partials, the bundled
bowl to a measured bowl's ratios, and what a failure says.

Targets are literature values (tests/reference_values.py): Simpson's hum : prime : tierce :
quint : nominal = 0.5 : 1 : 1.2 : 1.5 : 2, and the measured partials of a 152 mm bowl. The
achieved partials are checked on a fresh, finer analysis of the tuned profile, not on the
tuner's own numbers.
"""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from conftest import run_cli
from reference_values import SIMPSON_BELL, TIBETAN_BOWL_152MM

from physsynth.errors import PhyssynthError
from physsynth.materials import get_material
from physsynth.measure import cents
from physsynth.modal import axisym_analysis as aa
from physsynth.profiles import bowl_profile, read_profile
from physsynth.tune import parse_modes, tune_profile

BRONZE = get_material("bell_bronze")
#: hum (2,0), prime (2,1), tierce (3,0), quint (3,1), nominal (4,0): order n, index m in the order
BELL_MODES = [(2, 0), (2, 1), (3, 0), (3, 1), (4, 0)]


def _partials(profile, modes):
    """The (n, m) frequencies of a profile from a fresh analysis on a different mesh from the
    tuner's (elements of at most 1/60 of the body instead of 1/40)."""
    prep = aa.prepare(profile, BRONZE, through_wall=1, size=profile.extent / 60)
    out = []
    for n, m in modes:
        out.append(aa.solve_order(prep.disc, n, n_modes=m + 1).freqs[m])
    return np.array(out)


def test_cli_tunes_church_bell_to_simpson(tmp_path):
    """`physsynth tune church_bell --ratios 0.5,1,1.2,1.5,2`: every partial within 10 cents of
    Simpson's ratios (to the hum), checked on a finer fresh analysis of profile.json; the
    outputs (profile, 3D mesh, modes, WAV, table) are written."""
    out = tmp_path / "bell"
    rc, stdout, err = run_cli(
        "tune", "church_bell", "--ratios", ",".join(map(str, SIMPSON_BELL)),
        "--modes", "(2,0),(2,1),(3,0),(3,1),(4,0)", "--vary", "profile", "--tolerance", "8", "--duration", "0.2",
        "--fmax", "1400", "-o", out,
    )  # fmt: skip
    assert rc == 0, err
    for name in ("profile.json", "body.msh", "modes.npz", "strike.wav", "partials.csv"):
        assert os.path.getsize(out / name) > 0
    rows = list(csv.DictReader(open(out / "partials.csv")))
    assert len(rows) == 5 and all(abs(float(r["cents"])) <= 8 for r in rows)
    f = _partials(read_profile(out / "profile.json"), BELL_MODES)
    err_cents = cents(f / f[0], np.array(SIMPSON_BELL) / SIMPSON_BELL[0])
    assert np.max(np.abs(err_cents)) < 10, err_cents
    assert "target_hz" in stdout and "reached every target" in stdout


def test_bowl_tuned_to_152mm_ratios():
    """The bundled 180 mm bowl's wall thickness tuned to the 152 mm bowl's measured ratios
    (n, 0), n = 2..8: each within 1 % (17.2 cents) on a fresh analysis."""
    f_ref = np.array(TIBETAN_BOWL_152MM)
    modes = [(n, 0) for n in range(2, 9)]
    res = tune_profile(bowl_profile(), BRONZE, ratios=f_ref / f_ref[0], modes=modes, through_wall=1, tolerance=16.0)
    assert res.converged, res.message
    f = _partials(res.profile, modes)
    np.testing.assert_allclose(f / f[0], f_ref / f_ref[0], rtol=1e-2)
    assert "(8,0)" in res.table()


def test_failure_names_binding_constraint():
    """Ratios the wall cannot reach within a tight maximum wall: not converged, the message says
    how far it got and that the maximum wall binds."""
    prof = bowl_profile()
    t = prof.thickness()
    res = tune_profile(
        prof, BRONZE, ratios=[1.0, 1.5], modes=[(2, 0), (3, 0)], through_wall=1,
        min_wall=0.95 * t.min(), max_wall=1.05 * t.max(), max_evaluations=3,
    )  # fmt: skip
    assert not res.converged
    assert "worst error" in res.message and "wall" in res.message, res.message


def test_refusals():
    prof = bowl_profile(n_points=41)
    with pytest.raises(PhyssynthError, match="one of them"):
        tune_profile(prof, BRONZE)
    with pytest.raises(PhyssynthError, match="one \\(n,m\\) per target"):
        tune_profile(prof, BRONZE, ratios=[1, 2], modes=[(2, 0)])
    with pytest.raises(PhyssynthError, match="thickness or profile"):
        tune_profile(prof, BRONZE, ratios=[1, 2], modes=[(2, 0), (3, 0)], vary="mass")
    with pytest.raises(PhyssynthError, match="pairs"):
        parse_modes("2,0,3")
    assert parse_modes("(2,0),(3,1)") == [(2, 0), (3, 1)]


def test_cli_tune_refusals(tmp_path):
    rc, _, err = run_cli("tune", "church_bell", "--ratios", "1,2", "--target", "100,200", "-o", tmp_path / "x")
    assert rc == 2 and "one of them" in err and err.count("\n") == 1
    rc, _, err = run_cli("tune", "church_bell", "--ratios", "1,-2", "-o", tmp_path / "x")
    assert rc == 2 and err.count("\n") == 1
    (tmp_path / "f").write_text("")
    rc, _, err = run_cli("tune", "church_bell", "--ratios", "1,2", "-o", tmp_path / "f")
    assert rc == 2 and "is a file" in err
    assert not (tmp_path / "x").exists()
