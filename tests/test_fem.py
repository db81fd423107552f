"""FEM modal analysis against analytic references (tests/reference_values.py, with sources)."""

import numpy as np
import pytest
from conftest import bending_modes, euler_bernoulli, gmsh_box, gmsh_cylinder
from reference_values import BEAM_CLAMPED_FREE_BETA_L, BEAM_FREE_FREE_BETA_L

import physsynth as ps
from physsynth.fem.solid import assemble_solid
from physsynth.measure import spectral_peaks

FREE_FREE = BEAM_FREE_FREE_BETA_L[:3]
CLAMPED_FREE = BEAM_CLAMPED_FREE_BETA_L[:3]


def test_free_free_bar_euler_bernoulli(bar_model):
    """First three bending modes (in the thin direction) within 1.5 % of Euler-Bernoulli at
    L/h = 50 (at L/h = 30 shear and rotary inertia already lower mode 3 by about 2 %)."""
    L, b, h = 0.3, 0.012, 0.006
    mat = bar_model.material
    idx = bending_modes(bar_model, axis=2)[:3]
    f_ref = euler_bernoulli(FREE_FREE, L, mat.E, mat.rho, b * h**3 / 12, b * h)
    np.testing.assert_allclose(bar_model.frequencies[idx], f_ref, rtol=0.015)
    assert bar_model.rigid_body_modes == 6


def test_rigid_modes_and_mass_normalisation(tmp_path):
    """On a tetra10 mesh every P2 DOF sits at a node, so the stored shapes are the whole
    eigenvectors: phi^T M phi = 1 and phi^T K phi = omega^2 (mass-normalised)."""
    mesh = ps.load_mesh(gmsh_box(tmp_path / "q.msh", h=0.01, order=2))
    mat = ps.get_material("steel")
    model = ps.modal_analysis(mesh, mat, n_modes=5)
    assert model.rigid_body_modes == 6
    assert model.frequencies.min() > 100.0  # no rigid mode left among the elastic ones
    disc = assemble_solid(mesh, mat, order=2)
    x = disc.to_nodes.T @ model.shapes.reshape(model.n_modes, -1).T  # (n_dofs, n_modes)
    np.testing.assert_allclose(np.einsum("im,im->m", x, disc.M @ x), 1.0, rtol=1e-8)
    np.testing.assert_allclose(np.einsum("im,im->m", x, disc.K @ x), model.omegas**2, rtol=1e-7)


def test_cantilever_clamped_by_predicate_and_by_region(tmp_path):
    L, b, h = 0.25, 0.01, 0.005
    mat = ps.get_material("steel")
    f_ref = euler_bernoulli(CLAMPED_FREE, L, mat.E, mat.rho, b * h**3 / 12, b * h)
    mesh = ps.bar_mesh(L, b, h, (50, 2, 1))
    model = ps.modal_analysis(mesh, mat, n_modes=8, clamp=["x<=0"])
    assert model.rigid_body_modes == 0
    idx = bending_modes(model, axis=2)[:3]
    np.testing.assert_allclose(model.frequencies[idx], f_ref, rtol=0.015)

    path = gmsh_box(tmp_path / "c.msh", size=(L, b, h), h=0.004)
    mesh2 = ps.load_mesh(path)
    by_region = ps.modal_analysis(mesh2, mat, n_modes=4, clamp=["end"])
    by_pred = ps.modal_analysis(mesh2, mat, n_modes=4, clamp=["x<=1e-9"])
    np.testing.assert_allclose(by_region.frequencies, by_pred.frequencies, rtol=1e-10)
    assert by_region.frequencies[0] == pytest.approx(f_ref[0], rel=0.03)


@pytest.mark.parametrize("order,ms,tol", [(2, (2, 3, 4), 0.6), (1, (4, 6, 8), 0.3)])
def test_convergence_of_first_mode(order, ms, tol):
    """Under uniform refinement the first frequency decreases (a conforming Galerkin
    eigenvalue is an upper bound) and its error falls as h^(2p) for elements of order p.
    The observed rate is solved exactly from three meshes (f_h = f + C h^rate); on these
    coarse meshes it is still pre-asymptotic: 3.5 for P2 and 1.8 for P1 were measured, so the
    tolerance on 2p is 0.6 (P2) and 0.3 (P1)."""
    from scipy.optimize import brentq

    mat = ps.get_material("aluminium")
    f = []
    for m in ms:
        mesh = ps.bar_mesh(0.1, 0.02, 0.02, (5 * m, m, m))
        f.append(ps.modal_analysis(mesh, mat, n_modes=1, order=order).frequencies[0])
    assert f[0] > f[1] > f[2]
    h = 1.0 / np.array(ms, float)

    def mismatch(p):
        return (f[0] - f[1]) / (f[1] - f[2]) - (h[0] ** p - h[1] ** p) / (h[1] ** p - h[2] ** p)

    rate = brentq(mismatch, 0.5, 10.0)
    assert abs(rate - 2 * order) < tol, rate


def test_quadratic_input_gives_the_same_modes_as_linear(tmp_path):
    """A straight-sided tetra10 mesh is the same geometry as its corners: the same modes.
    Curved tetra10 (a cylinder) uses its curved geometry: within 1 % of the faceted linear
    mesh of the same nodes, and rounder, i.e. its bending doublets split less."""
    mat = ps.get_material("brass")
    lin = ps.load_mesh(gmsh_box(tmp_path / "l.msh", h=0.01))
    quad = ps.load_mesh(gmsh_box(tmp_path / "q.msh", h=0.01, order=2, version="2.2"))
    f_lin = ps.modal_analysis(lin, mat, n_modes=6).frequencies
    f_quad = ps.modal_analysis(quad, mat, n_modes=6).frequencies
    np.testing.assert_allclose(f_quad, f_lin, rtol=1e-6)  # 0.002 cent: round-off of the solve

    cl = ps.load_mesh(gmsh_cylinder(tmp_path / "cl.msh"))
    cq = ps.load_mesh(gmsh_cylinder(tmp_path / "cq.msh", order=2))
    mq = ps.modal_analysis(cq, mat, n_modes=6)
    ml = ps.modal_analysis(cl, mat, n_modes=6)
    assert mq.provenance["isoparametric"] is True
    np.testing.assert_allclose(mq.frequencies, ml.frequencies, rtol=0.01)
    split_q = np.diff(mq.frequencies)[[1, 4]] / mq.frequencies[[1, 4]]
    split_l = np.diff(ml.frequencies)[[1, 4]] / ml.frequencies[[1, 4]]
    assert np.all(split_q < split_l)


def test_fmax_returns_every_mode_below(bar_model):
    mesh = ps.bar_mesh(0.3, 0.012, 0.006, (50, 2, 1))
    m = ps.modal_analysis(mesh, bar_model.material, fmax=5000.0)
    below = bar_model.frequencies[bar_model.frequencies < 5000.0]
    assert m.frequencies.max() < 5000.0
    np.testing.assert_allclose(m.frequencies[: len(below)], below, rtol=1e-8)
    assert len(m.frequencies) >= len(below)


def test_save_and_load_round_trip(bar_model, tmp_path):
    path = bar_model.save(tmp_path / "bar")
    assert path.endswith(".npz")
    back = ps.ModalModel.load(path)
    np.testing.assert_array_equal(back.frequencies, bar_model.frequencies)
    np.testing.assert_array_equal(back.shapes, bar_model.shapes)
    np.testing.assert_array_equal(back.decay_rates, bar_model.decay_rates)
    assert back.material == bar_model.material
    assert back.provenance["mesh_sha256"] == bar_model.provenance["mesh_sha256"]
    with pytest.raises(ps.ModelFileError):
        ps.ModalModel.load(tmp_path / "missing.npz")


def test_strike_on_fem_model_rings_at_its_frequencies(bar_model):
    """Render a strike on the FE bar; the spectral peaks of the excited modes sit at the
    model's frequencies within 0.5 %."""
    sr = 48000
    end = (0.3, 0.006, 0.006)
    hit = ps.strike(bar_model, end, direction=(0, 0, 1), mallet="hard", sr=sr)
    y = ps.render(
        bar_model, hit, ps.pickup(bar_model, (0.0, 0.006, 0.006), (0, 0, 1)), duration=2.0, quantity="velocity"
    )[0]
    f = bar_model.frequencies[bending_modes(bar_model, axis=2)[:3]]
    np.testing.assert_allclose(spectral_peaks(y, f, sr=sr, rel_window=0.02, pad=8), f, rtol=0.005)


@pytest.mark.parametrize("order,curved", [(1, False), (2, False), (2, True)])
def test_fast_stiffness_matches_scikit_fem_assembly(tmp_path, order, curved):
    """The batched stiffness assembly against scikit-fem's own linear_elasticity form on
    ElementVector (the plain reference), to round-off."""
    from skfem import Basis, ElementVector, asm
    from skfem.models.elasticity import linear_elasticity

    mat = ps.get_material("glass")
    if curved:
        mesh = ps.load_mesh(gmsh_cylinder(tmp_path / "c.msh", order=2))
    else:
        mesh = ps.bar_mesh(0.05, 0.02, 0.01, (5, 2, 1))
    disc = assemble_solid(mesh, mat, order=order)
    assert disc.curved is curved
    intorder = 4 if curved else (2 if order == 2 else 1)  # as assemble_solid uses
    vb = Basis(disc.basis.mesh, ElementVector(type(disc.basis.elem)()), intorder=intorder)
    K_ref = asm(linear_elasticity(*mat.lame), vb)
    assert abs(disc.K - K_ref).max() <= 1e-12 * abs(K_ref).max()
