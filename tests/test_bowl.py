"""The bundled Tibetan bowl against a measured 180 mm bowl (221, 614, 1145, 1804 Hz: the Csound
manual's modal-ratio table, tests/reference_values.py), and the demo command."""

import os

import numpy as np
import pytest
from conftest import MESHES, run_cli
from reference_values import TIBETAN_BOWL_180MM

import physsynth as ps
from physsynth.measure import peak_frequency
from physsynth.modal.axisymmetric import wine_glass_modes

MEASURED = np.array(TIBETAN_BOWL_180MM[:4])  # n = 2..5
BOWL = os.path.join(MESHES, "tibetan_bowl_180.msh")


@pytest.fixture(scope="module")
def bowl():
    mesh = ps.load_mesh(BOWL)
    return ps.modal_analysis(mesh, ps.get_material("bell_bronze"), fmax=2500.0)


def test_bowl_geometry():
    mesh = ps.load_mesh(BOWL)
    lo, hi = mesh.bounding_box
    assert lo[2] == pytest.approx(0.0, abs=1e-9)  # stands on z = 0
    assert hi[0] - lo[0] == pytest.approx(0.180, rel=0.01)  # 180 mm across the rim
    assert abs(lo[0] + hi[0]) < 1e-3 and abs(lo[1] + hi[1]) < 1e-3  # axis on z
    mass = mesh.volume() * ps.get_material("bell_bronze").rho
    assert 0.5 < mass < 2.0  # kg, a hand-held bowl
    assert os.path.getsize(BOWL) < 5e6


@pytest.mark.slow
def test_wine_glass_partials_match_measured_bowl(bowl):
    wg = wine_glass_modes(bowl, orders=range(2, 6))
    assert sorted(wg) == [2, 3, 4, 5]
    f = np.array([bowl.frequencies[wg[n][0]] for n in (2, 3, 4, 5)])
    # fundamental within 10 %, ratios 1 : 2.778 : 5.181 : 8.163 within 5 %
    np.testing.assert_allclose(f[0], MEASURED[0], rtol=0.10)
    np.testing.assert_allclose(f / f[0], MEASURED / MEASURED[0], rtol=0.05)
    # Each partial is a doublet: the two orientations of the same order n. The bundled bowl is
    # axisymmetric, so they are degenerate up to the mesh's own asymmetry, which splits them by
    # 0.014-0.028 % (measured, n = 2..5); 0.1 % bounds that (wine_glass_modes pairs modes up to
    # 2 % apart, so this is a check of its own). A real bowl's doublets split further, by its
    # asymmetries: the bundled one beats only when rubbed (tests/test_friction.py).
    for n in (2, 3, 4, 5):
        assert len(wg[n]) == 2, n
        fa, fb = bowl.frequencies[wg[n]]
        assert 0.0 <= fb / fa - 1 < 1e-3, (n, fa, fb)
    assert bowl.rigid_body_modes == 6


@pytest.mark.slow
def test_demo_writes_a_real_render(tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    out = tmp_path / "bowl.wav"
    rc, _, err = run_cli("demo", "-o", out, "--duration", "3", "--fmax", "3000", env=env, timeout=900)
    assert rc == 0, err
    y, sr = ps.read_wav(out)
    assert sr == 48000 and y.shape == (2, 3 * 48000)
    peak_db = 20 * np.log10(np.abs(y).max())
    assert -1.1 < peak_db < -0.9  # normalised with 1 dB headroom, never clipped
    # the loudest partial sits at the bowl's fundamental doublet (~221 Hz), within 10 %
    low = peak_frequency(y[0], sr=sr, f_guess=250.0, rel_window=0.6)  # the strongest in 100..400 Hz
    assert abs(low / MEASURED[0] - 1) < 0.10
    # the second run uses the cached modes
    rc, _, err = run_cli("demo", "-o", out, "--duration", "1", "--fmax", "3000", env=env, timeout=900)
    assert rc == 0 and "cached" in err, err
