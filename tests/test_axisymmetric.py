"""Bodies of revolution: the per-order axisymmetric FEM against closed forms, the doublets,
the ModalModel on the revolved mesh, profile I/O and the refusals.

References are computed here from the frequency equations (never from physsynth's output):
the free sphere (Lamb 1882; the spheroidal and torsional frequency equations as in Eringen and
Suhubi, *Elastodynamics* vol. 2, sec. 8.13, from the potentials phi = j_l(h r) Y, psi = j_l(k r) Y),
the thin ring (Love; tests/reference_values "Rings") and the torsion of a circular cylinder
(f = k c_T / 2L, exact in 3D elasticity: u_theta = r cos(k pi z / L)).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import run_cli
from scipy.optimize import brentq
from scipy.special import spherical_jn

from physsynth.errors import MeshError, PhyssynthError
from physsynth.materials import Material
from physsynth.modal import axisym_analysis as aa
from physsynth.profiles import _finish, bowl_profile, mesh_section, read_profile, revolve, write_profile

E, NU, RHO = 200e9, 0.3, 7850.0
STEEL = Material("steel", E, NU, RHO)
LAM = E * NU / ((1 + NU) * (1 - 2 * NU))
MU = E / (2 * (1 + NU))
CL, CT = np.sqrt((LAM + 2 * MU) / RHO), np.sqrt(MU / RHO)


# ------------------------------------------------------------------ the free sphere (Lamb)
def _jl(l, x, r):
    """j_l(x r) and its first two r-derivatives (the second from Bessel's equation)."""
    j = spherical_jn(l, x * r)
    jp = x * spherical_jn(l, x * r, derivative=True)
    jpp = -2 * jp / r - (x**2 - l * (l + 1) / r**2) * j
    return j, jp, jpp


def _spheroidal(w, l, a):
    """Traction-free determinant (sigma_rr, sigma_r_theta at r = a) of the spheroidal modes of degree l."""
    h, k = w / CL, w / CT
    f, fp, fpp = _jl(l, h, a)
    g, gp, gpp = _jl(l, k, a)
    a11 = -LAM * h**2 * f + 2 * MU * fpp
    if l == 0:
        return a11 / (MU * h**2)
    a12 = 2 * MU * l * (l + 1) * (gp / a - g / a**2)
    a21 = 2 * (fp / a - f / a**2)
    a22 = gpp + (l * (l + 1) - 2) * g / a**2
    return (a11 * a22 - a12 * a21) / (MU * k**4)


def _torsional(w, l, a):
    k = w / CT
    return (l - 1) * spherical_jn(l, k * a) - k * a * spherical_jn(l + 1, k * a)


def _roots(fun, wmax, n=3000):
    w = np.linspace(1e-3 * wmax, wmax, n)
    v = fun(w)
    idx = np.flatnonzero(np.sign(v[:-1]) != np.sign(v[1:]))
    return [brentq(fun, w[i], w[i + 1]) for i in idx]


def lamb_frequencies(n: int, a: float, fmax: float) -> np.ndarray:
    """Frequencies (Hz) below fmax of the free sphere's modes that have a component of order n:
    spheroidal degree l >= n (l = 0 the breathing mode), torsional l >= max(n, 1) (l = 1 is rotation)."""
    wmax = 2 * np.pi * fmax
    out = []
    for l in range(max(n, 0), 12):
        out += _roots(lambda w, l=l: _spheroidal(w, l, a), wmax)
    for l in range(max(n, 2), 12):
        out += _roots(lambda w, l=l: _torsional(w, l, a), wmax)
    if n <= 1:
        out += _roots(lambda w: _torsional(w, 1, a), wmax)
    return np.sort(np.array(out)) / (2 * np.pi)


@pytest.fixture(scope="module")
def sphere():
    a = 0.05
    th = np.linspace(-np.pi / 2, np.pi / 2, 97)
    loop = np.column_stack([a * np.cos(th), a * np.sin(th)])
    prof = _finish(loop, ["surface"] * 96 + ["axis"], "half-disc")
    return a, aa.prepare(prof, STEEL, size=0.12 * a)


def test_sphere_against_lamb(sphere):
    """Orders 0..3 of a half-disc section: every mode below 52 kHz within 0.1 % of Lamb's frequencies
    (the 96-sided polygon alone is 0.01 % short of the circle's area)."""
    a, prep = sphere
    fmax = 52000.0
    for n in range(4):
        om = aa.solve_order(prep.disc, n, fmax=fmax)
        ref = lamb_frequencies(n, a, fmax)
        assert om.n_rigid == (2 if n <= 1 else 0)
        assert len(om.freqs) == len(ref), (n, om.freqs, ref)
        np.testing.assert_allclose(om.freqs, ref, rtol=1e-3)


# ------------------------------------------------------------------ thin ring, cylinder torsion
def test_thin_ring_in_plane_flexure_and_breathing():
    """A ring of mean radius R, radial thickness h, axial width 3 h: in-plane flexure of order n
    (omega = sqrt(EI / rho A R^4) n (n^2 - 1) / sqrt(n^2 + 1)) within 0.3 % (the thin-ring theory
    neglects shear and rotary inertia, of order (h/R)^2 n^2); the extensional ring modes
    omega^2 = E (1 + n^2) / (rho R^2), n = 0 (breathing) and 1, within 0.1 %."""
    R, h, b = 0.1, 0.002, 0.006
    prof = _finish(np.array([[R - h / 2, 0], [R + h / 2, 0], [R + h / 2, b], [R - h / 2, b]]), ["s"] * 4, "ring")
    prep = aa.prepare(prof, STEEL, size=h / 2)
    A, I = h * b, b * h**3 / 12
    for n in range(2, 6):
        f = aa.solve_order(prep.disc, n, n_modes=1).freqs[0]
        ref = np.sqrt(E * I / (RHO * A * R**4)) * n * (n * n - 1) / np.sqrt(n * n + 1) / (2 * np.pi)
        np.testing.assert_allclose(f, ref, rtol=3e-3)
    for n in (0, 1):
        f = aa.solve_order(prep.disc, n, n_modes=4).freqs
        ref = np.sqrt(E * (1 + n * n) / (RHO * R**2)) / (2 * np.pi)
        assert np.min(np.abs(f / ref - 1)) < 1e-3, (n, f, ref)


def test_cylinder_torsion_exact():
    """n = 0 torsional modes of a free solid cylinder: f_k = k c_T / (2 L), k = 1, 2, 3 within 0.01 %."""
    a, L = 0.01, 0.1
    prof = _finish(np.array([[0, 0], [a, 0], [a, L], [0, L]]), ["bottom", "side", "top", "axis"], "cylinder")
    prep = aa.prepare(prof, STEEL, size=L / 40)
    f = aa.solve_order(prep.disc, 0, n_modes=12).freqs
    for k in (1, 2, 3):
        ref = k * CT / (2 * L)
        assert np.min(np.abs(f / ref - 1)) < 1e-4, (k, f, ref)


# ------------------------------------------------------------------ the bowl, doublets, the 3D model
@pytest.fixture(scope="module")
def bowl_model():
    from physsynth.materials import get_material

    return aa.modal_analysis_axisymmetric(bowl_profile(), get_material("bell_bronze"), fmax=3000.0)


def test_bowl_profile_is_make_bowl_geometry():
    """The bundled bowl's section has make_bowl.py's volume, 134.8 cm^3 (meshes/README.md)."""
    np.testing.assert_allclose(bowl_profile().volume() * 1e6, 134.8, atol=0.05)


def test_doublets_exact_and_orders(bowl_model):
    """Each n >= 1 mode is in the model twice at the same frequency (cos and sin), n = 0 once;
    the wine-glass (n, 0) modes of the bowl are its measured partials (221, 614, 1145, 1804 Hz,
    tests/reference_values: the 180 mm bowl) within 1 %."""
    m = bowl_model
    tags = m.provenance["axisymmetric"]
    byn = {}
    for f, (n, k, fam) in zip(m.frequencies, tags):
        byn.setdefault((n, k), []).append((f, fam))
    for (n, _k), v in byn.items():
        if n == 0:
            assert len(v) == 1
        else:
            assert sorted(fam for _, fam in v) == ["cos", "sin"]
            assert v[0][0] == v[1][0]
    wine = [byn[(n, 0)][0][0] for n in (2, 3, 4, 5) if (n, 0) in byn]
    np.testing.assert_allclose(wine[:3], [221, 614, 1145], rtol=1e-2)
    assert m.rigid_body_modes == 6


def test_revolved_shapes_are_rotated_twins_and_mass_normalised(bowl_model):
    """The sin member of a doublet is the cos member turned by pi / (2 n); the shapes have unit
    modal mass on the revolved mesh within 3 % (P1 mass of the coarse 3D mesh)."""
    from physsynth.fem import solid

    m = bowl_model
    tags = m.provenance["axisymmetric"]
    i = next(k for k, t in enumerate(tags) if t[0] == 2 and t[2] == "cos")
    j = next(k for k, t in enumerate(tags) if t[0] == 2 and t[2] == "sin")
    disc = solid.assemble_solid(m.mesh, m.material, order=1)
    Mn = disc.M  # DOF 3 i + c of node i (P1: DOFs are the nodes)
    for k in (i, j):
        x = m.shapes[k].reshape(-1)
        np.testing.assert_allclose(x @ (Mn @ x), 1.0, rtol=3e-2)
    xi, xj = m.shapes[i].reshape(-1), m.shapes[j].reshape(-1)
    assert abs(xi @ (Mn @ xj)) < 1e-2  # the two members are M-orthogonal
    # radial displacement at the rim round the circle: cos(2 theta) and sin(2 theta)
    p = m.mesh.points
    rim = np.flatnonzero(np.isclose(p[:, 2], p[:, 2].max()))
    th = np.arctan2(p[rim, 1], p[rim, 0])
    ur_c = m.shapes[i][rim, 0] * np.cos(th) + m.shapes[i][rim, 1] * np.sin(th)
    ur_s = m.shapes[j][rim, 0] * np.cos(th) + m.shapes[j][rim, 1] * np.sin(th)
    # on the uniform sectors cos^2 and sin^2 sum alike (n_theta > 2 n): equal norms
    np.testing.assert_allclose(np.linalg.norm(ur_s), np.linalg.norm(ur_c), rtol=1e-9)
    corr = np.corrcoef(ur_c, np.cos(2 * th))[0, 1]
    assert abs(corr) > 0.999


def test_strike_on_axisymmetric_model(bowl_model):
    """Downstream unchanged: a strike at the rim renders, and its spectral peak is a model mode."""
    from physsynth.excitation.strike import strike
    from physsynth.measure import peak_frequency
    from physsynth.simulate.linear import render

    m = bowl_model
    hit = strike(m, [0.09, 0.0, 0.095], sr=48000)
    audio = render(m, hit, None, duration=1.0)
    assert np.all(np.isfinite(audio)) and np.max(np.abs(audio)) > 0
    f = peak_frequency(audio[0], sr=48000)
    assert np.min(np.abs(m.frequencies / f - 1)) < 5e-3


@pytest.mark.parametrize("n_theta", [24, 48])
def test_revolve_conforming_volume(n_theta):
    """The revolved tetrahedra fill the body without gap or overlap: their volume is the section's
    Pappus volume times the inscribed polygon's share of the circle, N sin(2 pi / N) / (2 pi)."""
    sec = mesh_section(bowl_profile(), size=0.008, through_wall=0)
    rev = revolve(sec, n_theta)
    polygon = n_theta * np.sin(2 * np.pi / n_theta) / (2 * np.pi)
    np.testing.assert_allclose(rev.mesh.volume(), sec.mass(1.0) * polygon, rtol=1e-12)


def test_revolve_regions_are_the_oriented_boundary_faces():
    """The labelled surfaces revolve builds from the section's edges are, together, exactly the
    outward boundary triangles of the tetrahedra (each once, same orientation)."""
    rev = revolve(mesh_section(bowl_profile(), through_wall=2), 32)

    def canon(tri):  # a triangle up to a cyclic shift (which keeps its orientation)
        tri = np.asarray(tri)
        i = np.argmin(tri, axis=1)
        return {tuple(np.roll(t, -k)) for t, k in zip(tri, i)}

    faces = np.vstack([r.triangles for r in rev.mesh.regions.values()])
    assert len(faces) == len(rev.mesh.boundary_triangles())
    assert canon(faces) == canon(rev.mesh.boundary_triangles())
    assert sorted(rev.mesh.regions) == ["inner", "outer", "rim"]


# ------------------------------------------------------------------ the mapped wall mesh
def test_mapped_tube_torsion_exact():
    """A thick tube (outer and inner curves: the mapped wall mesh): its n = 0 torsional modes are
    k c_T / 2L (u_theta = r cos(k pi z / L) solves 3D elasticity for any annulus), within
    1e-4 (0.2 cent: P2 along z; r is exact)."""
    from physsynth.profiles import _polygon

    L = 0.2
    prof = _polygon([[0.03, 0.0], [0.03, L]], [[0.024, 0.0], [0.024, L]], "tube")
    sec = mesh_section(prof, mapped=True)
    assert sec.edges.keys() == {"outer", "inner", "rim", "base"}
    om = aa.solve_order(aa.prepare(sec, STEEL).disc, 0, n_modes=12)
    for k in (1, 2, 3):
        assert np.min(np.abs(om.freqs / (k * CT / (2 * L)) - 1)) < 1e-4


def test_mapped_wall_mesh_converges_to_the_fine_gmsh_mesh():
    """The default section of the bundled bowl (two mapped layers, elements up to 4 walls long)
    against a fine isotropic gmsh mesh of the same profile (3 elements through the wall, 0.02 %
    from 4 through, docs/axisymmetric.md): every mode below 2.2 kHz within 0.1 % (a third of the
    issue's 0.3 % budget against 3D), with under a third of the DOF of gmsh at 2 through the
    wall. The order-by-order search with inertia counts gives the same modes as the search
    without (superlu: mode doubling) to 1e-9."""
    from physsynth.materials import get_material

    bronze = get_material("bell_bronze")
    prof = bowl_profile()
    fine = aa.prepare(mesh_section(prof, through_wall=3, mapped=False), bronze)
    coarse = aa.prepare(prof, bronze)
    assert coarse.disc.n_dofs < aa.prepare(mesh_section(prof, mapped=False), bronze).disc.n_dofs / 3
    ref = aa.mode_table(aa.solve_orders(fine, fmax=2400.0), fmax=2200.0)
    res = aa.solve_orders(coarse, fmax=2400.0)
    got = {(n, m): f for f, n, m, fam, _ in aa.mode_table(res, fmax=2400.0) if fam == "cos"}
    assert len(ref) >= 10
    for f, n, m, _fam, _ in ref:
        np.testing.assert_allclose(got[(n, m)], f, rtol=1e-3, err_msg=f"mode ({n},{m})")
    plain = aa.solve_orders(coarse, fmax=2400.0, solver="superlu")
    for a, b in zip(res, plain):
        np.testing.assert_allclose(a.freqs, b.freqs, rtol=1e-9)


def test_3d_p2_of_the_revolved_tube_converges_to_the_axisymmetric_modes():
    """A thick steel tube (radii 30 and 22 mm, 30 mm long): 3D isoparametric P2 solves of the
    same revolved body (revolve(..., quadratic=True): mid-edge nodes on the round body), every
    mode below 20 kHz, against the axisymmetric solve. The 3D modes have the same orders n and
    ranks m in the same number, exact doublets, and their error falls as the 3D mesh refines
    (24 -> 48 sectors, 4 -> 3 mm): the finest within 0.3 % for every mode (the issue's bound
    against 3D; benchmarks/bench_axisym_3d.py makes the same check on the bundled bowl)."""
    import physsynth as ps
    from physsynth.profiles import _polygon

    prof = _polygon([[0.03, 0.0], [0.03, 0.03]], [[0.022, 0.0], [0.022, 0.03]], "tube")
    fmax = 20000.0
    ax = aa.modal_analysis_axisymmetric(prof, STEEL, fmax=1.1 * fmax)
    tags = ax.provenance["axisymmetric"]
    ref = {(n, m): f for f, (n, m, fam) in zip(ax.frequencies, tags) if fam == "cos"}
    n_ref = int(np.sum(ax.frequencies < fmax))
    worst = []
    for size, n_theta in ((0.004, 24), (0.003, 48)):
        mesh = revolve(mesh_section(prof, size=size), n_theta, quadratic=True).mesh
        assert mesh.order == 2
        m3 = ps.modal_analysis(mesh, STEEL, fmax=fmax)
        rows = aa.label_3d_modes(m3)
        assert m3.n_modes == n_ref
        assert all(split < 1e-6 for _, _, split in rows)
        worst.append(max(abs(f / ref[nm] - 1) for nm, f, _ in rows))
    assert worst[1] < worst[0] / 3
    assert worst[1] < 3e-3, worst


# ------------------------------------------------------------------ files and refusals
def test_profile_csv_json_roundtrip(tmp_path):
    prof = bowl_profile(n_points=41)
    for name in ("p.csv", "p.json"):
        path = write_profile(prof, tmp_path / name)
        back = read_profile(path)
        np.testing.assert_allclose(back.volume(), prof.volume(), rtol=1e-6)
    # a closed polyline in mm
    (tmp_path / "ring.csv").write_text("r,z\n99,0\n101,0\n101,6\n99,6\n")
    ring = read_profile(tmp_path / "ring.csv", units="mm")
    np.testing.assert_allclose(ring.area(), 12e-6, rtol=1e-9)


@pytest.mark.parametrize(
    "text, match",
    [
        ("r,z\n-1,0\n1,0\n1,1\n", "r < 0"),
        ("r,z\n0,0\n2,0\n2,2\n1,-1\n0,2\n", "crosses itself"),
        ("x,y\n0,0\n", "header"),
        ("r,z\n0,0\n1,a\n1,1\n", "numbers"),
    ],
)
def test_profile_refusals(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(MeshError, match=match):
        read_profile(p)


def test_api_refusals():
    prof = bowl_profile(n_points=41)
    with pytest.raises(PhyssynthError, match="material"):
        aa.modal_analysis_axisymmetric(prof, None)
    with pytest.raises(PhyssynthError, match="not both"):
        aa.modal_analysis_axisymmetric(prof, STEEL, n_modes=4, fmax=1000)
    with pytest.raises(PhyssynthError, match="neither a part"):
        aa.modal_analysis_axisymmetric(prof, STEEL, clamp=["handle"])


def test_cli_modes_profile_and_refusals(tmp_path):
    rc, out, err = run_cli("modes", "tibetan_bowl_180", "--material", "bell_bronze", "--n-modes", "6", "--json")
    assert rc == 0, err
    data = json.loads(out)
    f = np.array(data["frequencies_hz"])
    assert len(f) == 6 and f[0] == f[1]  # the (2, 0) doublet first
    np.testing.assert_allclose(f[0], 221, rtol=1e-2)
    rc, out, err = run_cli("modes", tmp_path / "none.csv")
    assert rc == 2 and err.count("\n") == 1 and "not found" in err
    (tmp_path / "bad.csv").write_text("r,z\n-1,0\n1,0\n1,1\n")
    rc, out, err = run_cli("modes", tmp_path / "bad.csv")
    assert rc == 2 and "r < 0" in err and err.count("\n") == 1


@pytest.mark.slow
def test_bowl_profile_against_3d_bowl():
    """The bundled bowl's profile against the 3D P2 FEM of meshes/tibetan_bowl_180.msh, every
    mode below 5 kHz: the same orders (each 3D doublet's circumferential order and its rank in
    that order), the wine-glass (n, 0) modes within 1 % and all within 7 %.

    Why not the issue's 0.3 %: the shipped 3D mesh has one quadratic tetrahedron through the
    1.55 mm wall and 7 mm edges; the axisymmetric result is converged (0.05 % between two and four
    elements through the wall, docs/axisymmetric.md), so the difference is the 3D mesh's own
    discretisation error, stiff by 0.4 % (n = 2) to 0.8 % (n = 8) on the (n, 0) modes and 3-5 % on those with nodal
    circles (5.7 % on (3, 1)). This test guards the orders and the size of that gap."""
    import physsynth as ps
    from physsynth.modal.axisymmetric import circumferential_order

    bronze = ps.get_material("bell_bronze")
    m3 = ps.modal_analysis(ps.load_mesh("meshes/tibetan_bowl_180.msh"), bronze, fmax=5000.0)
    order3, purity = circumferential_order(m3)
    ax = aa.modal_analysis_axisymmetric(bowl_profile(), bronze, fmax=5300.0)
    ref = {}
    for f, (n, k, fam) in zip(ax.frequencies, ax.provenance["axisymmetric"]):
        if fam == "cos":
            ref[(n, k)] = f
    seen: dict[int, int] = {}
    i = 0
    while i < m3.n_modes:
        n = int(order3[i])
        pair = 1 if n == 0 else 2
        k = seen.get(n, 0)
        seen[n] = k + 1
        f3 = float(np.mean(m3.frequencies[i : i + pair]))
        assert (n, k) in ref, (n, k, f3)
        tol = 1e-2 if k == 0 and n >= 2 else 7e-2
        np.testing.assert_allclose(f3, ref[(n, k)], rtol=tol, err_msg=f"mode ({n},{k})")
        i += pair


def test_clamped_rod_cantilever():
    """A slender round rod (L / d = 30) clamped at its base: the n = 1 bending fundamental of a
    cantilever, (1.875104)^2 / (2 pi L^2) sqrt(E I / rho A) (Euler-Bernoulli, beta_1 L from
    tests/reference_values), within 1 % (shear and rotary inertia lower it by ~0.1 % here)."""
    a, L = 0.005, 0.3
    prof = _finish(np.array([[0, 0], [a, 0], [a, L], [0, L]]), ["bottom", "side", "top", "axis"], "rod")
    m = aa.modal_analysis_axisymmetric(prof, STEEL, n_modes=2, clamp=["bottom"], size=L / 60)
    ref = 1.875104**2 / (2 * np.pi * L**2) * np.sqrt(E * a**2 / (4 * RHO))
    assert m.rigid_body_modes == 0 and m.provenance["clamp"] == ["bottom"]
    np.testing.assert_allclose(m.frequencies, [ref, ref], rtol=1e-2)


def test_rub_on_axisymmetric_bowl(bowl_model):
    """The profile labels are surface regions of the revolved mesh, so rubbing round the outer
    wall works as on the 3D bowl: the rubbed bowl sings at its (2, 0) doublet (221 Hz measured,
    within 1 %)."""
    from physsynth.simulate.friction import rub

    m = bowl_model
    outer = m.mesh.regions["outer"]
    assert outer.dim == 2 and len(outer.triangles) > 0
    out = rub(m.below(1500.0), force=5.0, speed=0.15, duration=1.5, sr=16000)
    x = np.asarray(out.audio)[0] if np.asarray(out.audio).ndim == 2 else np.asarray(out.audio)
    f = np.fft.rfftfreq(len(x), 1 / 16000)
    X = np.abs(np.fft.rfft(x * np.hanning(len(x)))) * (f > 100)
    np.testing.assert_allclose(f[np.argmax(X)], 221.0, rtol=1e-2)


def test_rub_uses_the_exact_angular_form_and_beats_at_2n_f_rot(bowl_model):
    """Rubbing an axisymmetric model reads each mode's shape round the ring as its exact
    a cos n theta + b sin n theta (the order n of provenance["axisymmetric"], nothing else: the
    tables' other harmonics are at rounding level), and the singing (2, 0) pattern turns with
    the puja: a fixed pickup hears its band pulse at 2 n V / (2 pi R) = 1.060 Hz for n = 2,
    V = 0.15 m/s, R = 90.1 mm (docs/friction-theory.md, "Beats"), here within 1 % (eight
    beats in the 8 s window, located by the interpolated spectral peak), pulsing deeply."""
    from physsynth.excitation.friction import rim_path
    from physsynth.measure import band_envelope, spectral_peaks
    from physsynth.simulate.friction import rub

    m = bowl_model.below(1500.0)
    path = rim_path(m)
    assert "exact angular form" in path.description
    spec = np.abs(np.fft.rfft(path.tangential[:-1], axis=0)) + np.abs(np.fft.rfft(path.normal[:-1], axis=0))
    tags = bowl_model.provenance["axisymmetric"][: m.n_modes]
    for k, (n, _m, _fam) in enumerate(tags):
        others = np.delete(spec[:, k], n)
        assert others.max() < 1e-9 * spec[n, k], (k, n)
    sr, V = 16000, 0.15
    out = rub(m, force=20.0, speed=V, duration=10.0, sr=sr)
    x = np.asarray(out.audio)
    x = x[0] if x.ndim == 2 else x
    f20 = m.frequencies[0]
    env = band_envelope(x, sr=sr, f=f20, half_width=0.15 * f20, order=4)[::48][-8 * sr // 48 :]
    expected = 2 * 2 * V / (2 * np.pi * path.radius)
    beat = spectral_peaks(env - env.mean(), expected, sr=sr / 48, rel_window=0.5, pad=64)[0]
    np.testing.assert_allclose(beat, expected, rtol=1e-2)
    assert (env.max() - env.min()) / (env.max() + env.min()) > 0.8


def test_asymmetry_splits_doublets_as_the_3d_mass_says():
    """A heavier spot (density +5 % with a 10 degree Gaussian width at theta = 0) splits each
    doublet; the split agrees within 10 % with a Rayleigh-Ritz estimate made independently in
    3D: the extra mass integrated over the revolved tetrahedra (scikit-fem, P1, quadrature in
    x, y, z) between the unperturbed doublet's two shapes (10 %: the shapes are interpolated
    linearly on the coarse revolved mesh). The member with its radial antinode on the spot
    sounds lower."""
    from scipy.linalg import eigh
    from skfem import Basis, BilinearForm, ElementTetP1, MeshTet, asm

    from physsynth.materials import get_material

    bronze = get_material("bell_bronze")
    a, w0 = 0.05, aa.SPOT_WIDTH
    kw = dict(fmax=700.0, n_theta=64, through_wall=1)
    m0 = aa.modal_analysis_axisymmetric(bowl_profile(), bronze, **kw)
    m1 = aa.modal_analysis_axisymmetric(bowl_profile(), bronze, asymmetry=a, **kw)
    basis = Basis(MeshTet(m0.mesh.points.T.copy(), m0.mesh.cells.T.copy()), ElementTetP1(), intorder=3)

    def form(weight):
        @BilinearForm
        def mass(u, v, w):
            return bronze.rho * weight(w.x) * u * v

        return mass

    # scalar P1 mass matrices; a vector field's mass is the sum over its three components
    M3 = asm(form(lambda x: 1.0 + 0.0 * x[0]), basis)
    dM = asm(form(lambda x: a * np.exp(-(np.arctan2(x[1], x[0]) ** 2) / (2 * w0**2))), basis)

    def gram(M, P):
        return sum(P[:, c, :].T @ (M @ P[:, c, :]) for c in range(3))

    tags0, tags1 = m0.provenance["axisymmetric"], m1.provenance["axisymmetric"]
    for n in (2, 3):
        i, j = (tags0.index([n, 0, fam]) for fam in ("cos", "sin"))
        P = np.stack([m0.shapes[i], m0.shapes[j]], axis=-1)  # (nodes, 3, 2)
        mu = eigh(gram(dM, P), gram(M3, P), eigvals_only=True)
        f0 = m0.frequencies[i]
        predicted = f0 / np.sqrt(1 + mu[0]) - f0 / np.sqrt(1 + mu[1])  # the beat frequency, Hz
        fc, fs = (m1.frequencies[tags1.index([n, 0, fam])] for fam in ("cos", "sin"))
        assert fc < fs
        np.testing.assert_allclose(fs - fc, predicted, rtol=0.1)


def test_modal_analysis_option_dispatches_to_the_axisymmetric_solver():
    """``modal_analysis`` takes a profile (or ``axisymmetric=...``) and gives exactly what
    ``modal_analysis_axisymmetric`` gives; a 3D mesh with ``axisymmetric=True``, plate options
    and unknown options are refused before any work."""
    import physsynth as ps

    prof = bowl_profile(n_points=41)
    ref = aa.modal_analysis_axisymmetric(prof, STEEL, n_modes=4, through_wall=1)
    got = ps.modal_analysis(prof, STEEL, n_modes=4, axisymmetric={"through_wall": 1})
    np.testing.assert_array_equal(got.frequencies, ref.frequencies)
    assert ps.modal_analysis(prof, STEEL, n_modes=2).provenance["model"] == "axisymmetric"
    mesh = revolve(mesh_section(prof, through_wall=0), 16).mesh
    with pytest.raises(PhyssynthError, match="meridian section"):
        ps.modal_analysis(mesh, STEEL, axisymmetric=True)
    with pytest.raises(PhyssynthError, match="plates and membranes"):
        ps.modal_analysis(prof, STEEL, thickness=0.01)
    with pytest.raises(PhyssynthError, match="unknown"):
        ps.modal_analysis(prof, STEEL, axisymmetric={"sizes": 0.01})
