"""Plates and membranes by FEM against closed forms and published values
(tests/reference_values.py, with sources), on the shipped meshes; convergence rates; CLI."""

import json
import os

import numpy as np
import pytest
from conftest import MESHES
from conftest import run_cli as run
from reference_values import BESSEL_J_ZEROS, FREE_SQUARE_PLATE_LAMBDA
from scipy.optimize import brentq
from scipy.special import iv, ivp, jv, jvp

import physsynth as ps

H = 0.002  # plate thickness, m


def bending_stiffness(mat, h=H):
    return mat.E * h**3 / (12 * (1 - mat.nu**2))


def ss_plate_closed_form(a, b, mat, k, h=H):
    """f_mn = (pi/2) [(m/a)^2 + (n/b)^2] sqrt(D / (rho h)), the k lowest."""
    D = bending_stiffness(mat, h)
    f = [
        np.pi / 2 * ((m / a) ** 2 + (n / b) ** 2) * np.sqrt(D / (mat.rho * h))
        for m in range(1, 12)
        for n in range(1, 12)
    ]
    return np.sort(f)[:k]


def test_simply_supported_rectangular_plate():
    mat = ps.get_material("steel")
    mesh = ps.load_mesh(os.path.join(MESHES, "plate_rect_300x200.msh"))
    model = ps.modal_analysis(mesh, mat, n_modes=8, thickness=H, support=["edge"])
    assert model.rigid_body_modes == 0
    np.testing.assert_allclose(model.frequencies, ss_plate_closed_form(0.3, 0.2, mat, 8), rtol=0.01)  # within 1 %


def test_free_square_plate_leissa():
    """lambda = omega a^2 sqrt(rho h / D), nu = 0.3; converged values of the reference."""
    mat = ps.custom_material(200e9, 0.3, 7850)
    mesh = ps.load_mesh(os.path.join(MESHES, "plate_square_300.msh"))
    model = ps.modal_analysis(mesh, mat, n_modes=8, thickness=H)
    assert model.rigid_body_modes == 3  # one translation, two rotations
    lam = model.omegas * 0.3**2 * np.sqrt(mat.rho * H / bending_stiffness(mat))
    ref = FREE_SQUARE_PLATE_LAMBDA[:8]  # 13.468, ..., 63.686
    np.testing.assert_allclose(lam, ref, rtol=0.01)


def test_circular_membrane_bessel_zeros():
    T, sigma_a, R = 3000.0, 0.26, 0.165  # N/m, kg/m^2 (a drum head), m
    mesh = ps.load_mesh(os.path.join(MESHES, "drum_head_r165.msh"))
    model = ps.modal_analysis(mesh, None, n_modes=8, tension=T, areal_density=sigma_a, clamp=["edge"])
    c = np.sqrt(T / sigma_a)
    z = BESSEL_J_ZEROS  # j01, j11 and j21 twice (doublets), j02, j31 twice
    j = np.array([z[0, 1], z[1, 1], z[1, 1], z[2, 1], z[2, 1], z[0, 2], z[3, 1], z[3, 1]])
    np.testing.assert_allclose(model.frequencies, j * c / (2 * np.pi * R), rtol=0.01)


def clamped_circular_plate_roots(k):
    """Roots x of J_n(x) I_n'(x) - I_n(x) J_n'(x) = 0 (clamped circular plate), each n > 0
    twice (a doublet); f = x^2 / (2 pi a^2) sqrt(D / (rho h))."""
    out = []
    for n in range(6):

        def f(x, n=n):
            return jv(n, x) * ivp(n, x) - iv(n, x) * jvp(n, x)

        xs = np.linspace(0.5, 20.0, 4000)
        v = f(xs)
        roots = [brentq(f, xs[i], xs[i + 1]) for i in range(len(xs) - 1) if v[i] * v[i + 1] < 0]
        out += [r for r in roots for _ in range(1 if n == 0 else 2)]
    return np.sort(out)[:k]


def test_clamped_circular_plate():
    mat = ps.get_material("steel")
    a = 0.1
    x = clamped_circular_plate_roots(8)
    # the roots reproduce Leissa's tabulated lambda^2 = 10.2158, 21.26, 34.88, 39.77
    np.testing.assert_allclose(x[[0, 1, 3, 5]] ** 2, [10.2158, 21.260, 34.877, 39.771], rtol=1e-4)
    mesh = ps.load_mesh(os.path.join(MESHES, "plate_circle_r100.msh"))
    model = ps.modal_analysis(mesh, mat, n_modes=8, thickness=H, clamp=["edge"])
    f = x**2 / (2 * np.pi * a**2) * np.sqrt(bending_stiffness(mat) / (mat.rho * H))
    np.testing.assert_allclose(model.frequencies, f, rtol=0.01)


def _square(n, L=1.0):
    from skfem import MeshTri

    m = MeshTri.init_tensor(np.linspace(0, L, n + 1), np.linspace(0, L, n + 1))
    return ps.from_arrays(m.p.T, m.t.T)


@pytest.mark.parametrize("kind,order", [("plate", 2.0), ("membrane", 4.0)])
def test_convergence_rate(kind, order):
    """Log-log slope of the first eigenvalue's relative error against h, against the exact
    square's: Morley plates converge as h^2, P2 membranes as h^4; slope within 0.2."""
    mat = ps.custom_material(1.0e9, 0.3, 1000.0)
    errs, hs = [], []
    for n in (8, 16, 32):
        mesh = _square(n)
        if kind == "plate":
            m = ps.modal_analysis(mesh, mat, n_modes=1, thickness=0.01, support=["boundary"])
            D = bending_stiffness(mat, 0.01)
            exact = (2 * np.pi**2) ** 2 * D / (mat.rho * 0.01)  # omega^2 of mode (1, 1)
        else:
            m = ps.modal_analysis(mesh, None, n_modes=1, tension=100.0, areal_density=0.1, clamp=["boundary"])
            exact = 2 * np.pi**2 * 100.0 / 0.1
        errs.append(abs(m.omegas[0] ** 2 / exact - 1))
        hs.append(1.0 / n)
    slope = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert abs(slope - order) < 0.2, slope


def test_plate_model_strikes_and_saves(tmp_path):
    mat = ps.get_material("aluminium")
    model = ps.modal_analysis(_square(12, 0.2), mat, n_modes=6, thickness=0.003, clamp=["x<=0"])
    back = ps.ModalModel.load(model.save(tmp_path / "plate"))
    np.testing.assert_array_equal(back.frequencies, model.frequencies)
    hit = ps.strike(back, (0.15, 0.1, 0.0), mallet="hard", sr=48000)
    np.testing.assert_allclose(hit.direction, [0, 0, -1])  # into the plate
    y = ps.render(back, hit, duration=0.2)
    assert np.isfinite(y).all() and np.abs(y).max() > 0


def test_flat_mesh_needs_thickness_or_tension():
    with pytest.raises(ps.PhyssynthError, match="thickness"):
        ps.modal_analysis(_square(4), ps.get_material("steel"), n_modes=2)
    with pytest.raises(ps.PhyssynthError, match="flat"):
        ps.modal_analysis(ps.bar_mesh(0.1, 0.01, 0.01, (4, 1, 1)), ps.get_material("steel"), n_modes=2, thickness=0.001)


def test_cli_plate_and_membrane():
    code, out, err = run(
        "modes",
        os.path.join(MESHES, "plate_rect_300x200.msh"),
        "--thickness",
        "0.002",
        "--material",
        "steel",
        "--support",
        "boundary",
        "--n-modes",
        "3",
        "--json",
    )
    assert code == 0, err
    f = json.loads(out)["frequencies_hz"]
    np.testing.assert_allclose(f, ss_plate_closed_form(0.3, 0.2, ps.get_material("steel"), 3), rtol=0.01)
    code, out, err = run(
        "modes",
        os.path.join(MESHES, "drum_head_r165.msh"),
        "--tension",
        "2000",
        "--areal-density",
        "0.26",
        "--clamp",
        "boundary",
        "--n-modes",
        "2",
        "--json",
    )
    assert code == 0, err
    c = np.sqrt(2000 / 0.26)
    assert json.loads(out)["frequencies_hz"][0] == pytest.approx(2.40483 * c / (2 * np.pi * 0.165), rel=0.01)
    code, out, err = run("modes", os.path.join(MESHES, "plate_rect_300x200.msh"), "--material", "steel")
    assert code == 2 and err.count("physsynth: error") == 1 and "Traceback" not in err


@pytest.mark.parametrize("bc", ["supported", "clamped"])
def test_fd_and_fem_of_the_same_plate_agree(bc):
    """The finite-difference plate's spectral peaks against the FEM plate's modes (the same
    300 x 200 x 2 mm steel plate; clamped has no closed form, so this is the cross-check):
    well-separated modes within 1 %."""
    from physsynth.fd import plate, render_plate
    from physsynth.measure import spectral_peaks

    mat = ps.get_material("steel")
    mesh = ps.load_mesh(os.path.join(MESHES, "plate_rect_300x200.msh"))
    kw = {"support": ["edge"]} if bc == "supported" else {"clamp": ["edge"]}
    fem = ps.modal_analysis(mesh, mat, n_modes=10, thickness=H, **kw).frequencies
    sep = [f for i, f in enumerate(fem) if np.all(np.abs(np.delete(fem, i) / f - 1) > 0.03)][:6]
    sr = 44100
    # 8x oversampling: the stability limit then allows a 51 x 34 grid; the FD clamped edge
    # converges more slowly than the supported one (measured -0.7 % at 8x, -0.3 % at 12x)
    sch = plate((0.3, 0.2), H, mat, bc=bc, sr=sr, oversample=8)
    x = render_plate(sch, duration=1.5)[0]
    fd = spectral_peaks(x, sep, sr=sr, rel_window=0.02)
    np.testing.assert_allclose(fd, sep, rtol=0.01)
