"""Acoustic radiation (issue 15) against closed forms computed here.

- baffled circular piston (Rayleigh integral): on axis p = rho c U (e^{ikz} - e^{ik sqrt(z^2+a^2)})
  and in the far field p = -i omega rho U a^2 e^{ikr} / (2r) 2 J1(ka sin t) / (ka sin t)
  (Kinsler, Frey, Coppens & Sanders, Fundamentals of Acoustics, 4th ed., eqs. 7.4.4, 7.4.13);
  power W = rho c pi a^2 U^2 / 2 (1 - J1(2ka) / ka) (same, eq. 7.5.13 with R1);
- simply supported baffled plate: Wallace (1972), "Radiation resistance of a rectangular
  panel", J. Acoust. Soc. Am. 51(3B), 946-952, eq. (6): the exact double integral over
  directions, evaluated here by quadrature, and its low-frequency limit 32 k^2 a b / (pi^5 m^2 n^2);
- BEM (bempp-cl): a pulsating sphere (exact monopole, p = i rho c U h0(kr) / h0'(ka)) and a
  rigidly oscillating sphere (exact dipole, p = i rho c U cos t h1(kr) / h1'(ka)), Pierce 1989,
  Acoustics, sections 4.3 and 4.6 (e^{-i omega t}); convergence at the rate of P1 on flat
  triangles (second order in h); the fitted multipole expansion against the BEM at points it
  was not fitted on.

Tolerances: 0.5 dB and 2 degrees for the closed forms (the issue's), 1 dB for the fast path.
"""

from __future__ import annotations

import os
import types

import numpy as np
import pytest
from scipy.special import j1, spherical_jn, spherical_yn

import physsynth as ps
from physsynth.errors import PhyssynthError
from physsynth.radiation._base import AIR, Expansion, RadiationData, fit_expansion, surface_from_arrays
from physsynth.radiation.rayleigh import rayleigh_power, rayleigh_pressure

HERE = os.path.dirname(os.path.abspath(__file__))
MESHES = os.path.join(os.path.dirname(HERE), "meshes")
DB, DEG = 0.5, 2.0  # the tolerances


def db(x):
    return 20 * np.log10(np.abs(x))


def deg(x):
    return np.degrees(np.angle(x))


def disc(a, nr):
    """A disc of radius a in z = 0: concentric rings of 6 i nodes, triangulated between them."""
    pts, rings = [[0.0, 0.0, 0.0]], [[0]]
    for i in range(1, nr + 1):
        n = 6 * i
        ph = np.arange(n) * 2 * np.pi / n
        rings.append(list(range(len(pts), len(pts) + n)))
        pts += [[a * i / nr * np.cos(p), a * i / nr * np.sin(p), 0.0] for p in ph]
    tris = []
    for i in range(1, nr + 1):
        inner, outer = rings[i - 1], rings[i]
        ni, no = len(inner), len(outer)
        if ni == 1:
            tris += [[inner[0], outer[k], outer[(k + 1) % no]] for k in range(no)]
            continue
        ii = oo = 0
        while ii < ni or oo < no:
            if oo < no and (ii >= ni or (oo + 1) / no <= (ii + 1) / ni + 1e-12):
                tris.append([inner[ii % ni], outer[oo % no], outer[(oo + 1) % no]])
                oo += 1
            else:
                tris.append([inner[ii % ni], outer[oo % no], inner[(ii + 1) % ni]])
                ii += 1
    return surface_from_arrays(np.array(pts), np.array(tris), closed=False)


def rect(a, b, nx, ny):
    x, y = np.meshgrid(np.linspace(0, a, nx + 1), np.linspace(0, b, ny + 1), indexing="ij")
    pts = np.column_stack([x.ravel(), y.ravel(), np.zeros(x.size)])
    idx = np.arange(x.size).reshape(nx + 1, ny + 1)
    q = np.column_stack([idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()])
    tris = np.vstack([q[:, [0, 1, 2]], q[:, [0, 2, 3]]])
    return surface_from_arrays(pts, tris, closed=False)


# ---------------------------------------------------------------- Rayleigh: the baffled piston
@pytest.fixture(scope="module")
def piston():
    return disc(0.1, 30)


@pytest.mark.parametrize("ka", [0.1, 1.0, 3.0, 10.0])
def test_piston_on_axis(piston, ka):
    a = 0.1
    k = ka / a
    z = np.array([1.0, 2.0, 5.0]) * a
    exact = AIR.impedance * (np.exp(1j * k * z) - np.exp(1j * k * np.sqrt(z**2 + a**2)))
    p = rayleigh_pressure(piston, np.ones((1, len(piston.points))), k, np.column_stack([0 * z, 0 * z, z]))[0]
    np.testing.assert_allclose(db(p / exact), 0, atol=DB)
    np.testing.assert_allclose(deg(p / exact), 0, atol=DEG)


@pytest.mark.parametrize("ka", [0.1, 1.0, 3.0, 10.0])
def test_piston_far_field_and_power(piston, ka):
    a = 0.1
    k = ka / a
    r = 3000 * a  # Fraunhofer: k a^2 / (2 r) = 0.1 degree at ka = 10
    # angles away from the directivity's nulls (2 J1(x)/x = 0 at x = 3.83, 7.02)
    th = np.radians([0, 10, 20] if ka > 3 else [0, 30, 60, 85])
    pts = np.column_stack([r * np.sin(th), 0 * th, r * np.cos(th)])
    x = ka * np.sin(th)
    D = np.where(x > 0, 2 * j1(x) / np.where(x > 0, x, 1), 1.0)
    exact = -1j * k * AIR.c * AIR.rho * a * a * np.exp(1j * k * r) / (2 * r) * D
    vn = np.ones((1, len(piston.points)))
    p = rayleigh_pressure(piston, vn, k, pts)[0]
    np.testing.assert_allclose(db(p / exact), 0, atol=DB)
    np.testing.assert_allclose(deg(p / exact), 0, atol=DEG)
    back = rayleigh_pressure(piston, vn, k, pts * [1, 1, -1])[0]
    np.testing.assert_allclose(back, -p, rtol=1e-12)


def test_piston_power():
    """Kinsler et al. 7.5.13, within 0.5 dB over ka 0.1..10 (a coarser disc: 16 rings)."""
    a = 0.1
    small = disc(a, 16)
    ka = np.array([0.1, 1.0, 3.0, 10.0])
    w = rayleigh_power(small, np.ones((4, len(small.points))), ka / a)
    w_exact = 0.5 * AIR.impedance * np.pi * a * a * (1 - j1(2 * ka) / ka)
    np.testing.assert_allclose(10 * np.log10(w / w_exact), 0, atol=DB)


# ---------------------------------------------------------------- Wallace 1972
def wallace(m, n, ka, a, b):
    """Wallace (1972) eq. (6): sigma_mn of a baffled simply supported a x b panel (quadrature)."""
    from scipy.integrate import dblquad

    k = ka / a

    def f(phi, theta):
        al = k * a * np.sin(theta) * np.cos(phi)
        be = k * b * np.sin(theta) * np.sin(phi)
        ca = np.cos(al / 2) if m % 2 else np.sin(al / 2)
        cb = np.cos(be / 2) if n % 2 else np.sin(be / 2)
        da = (al / (m * np.pi)) ** 2 - 1
        dbb = (be / (n * np.pi)) ** 2 - 1
        if abs(da) < 1e-9 or abs(dbb) < 1e-9:  # removable: nudge off the point
            return f(phi + 1e-7, theta + 1e-7)
        return (ca * cb / (da * dbb)) ** 2 * np.sin(theta)

    val, _ = dblquad(f, 0, np.pi / 2, 0, np.pi / 2, epsabs=1e-12, epsrel=1e-8)
    return 64 * k**2 * a * b / (np.pi**6 * m**2 * n**2) * val


@pytest.mark.parametrize("m,n", [(1, 1), (2, 1), (3, 2)])
def test_wallace_radiation_efficiency(m, n):
    a, b = 0.3, 0.2
    plate = rect(a, b, 30, 20)
    x, y = plate.points[:, 0], plate.points[:, 1]
    vn = (np.sin(m * np.pi * x / a) * np.sin(n * np.pi * y / b))[None, :]
    from physsynth.radiation._base import efficiency

    for ka in (0.3, 1.0, 3.0, 6.0):
        k = ka / a
        w = rayleigh_power(plate, vn, k)
        sigma = efficiency(w, vn, plate, AIR)[0]
        ref = wallace(m, n, ka, a, b)
        assert abs(10 * np.log10(sigma / ref)) < DB, (m, n, ka, sigma, ref)
    # and Wallace's low-frequency limit for odd-odd modes, 32 k^2 a b / (pi^5 m^2 n^2)
    if m % 2 and n % 2:
        k = 0.05 / a
        sigma = efficiency(rayleigh_power(plate, vn, k), vn, plate, AIR)[0]
        assert abs(10 * np.log10(sigma / (32 * k**2 * a * b / (np.pi**5 * m**2 * n**2)))) < DB


# ---------------------------------------------------------------- a plate model, end to end
@pytest.fixture(scope="module")
def plate_model():
    mesh = ps.load_mesh(os.path.join(MESHES, "plate_rect_300x200.msh"))
    model = ps.modal_analysis(mesh, ps.get_material("steel"), n_modes=6, thickness=0.002, support=["edge"])
    from physsynth.radiation import radiate

    return model, radiate(model, "rayleigh")


def test_plate_radiation_damping_and_file(plate_model, tmp_path):
    from physsynth.radiation.damping import t60_share

    model, rad = plate_model
    data = rad.radiation
    # sigma_rad = W per unit modal velocity squared, added to the structural rates
    np.testing.assert_allclose(rad.decay_rates - model.decay_rates, data.power, rtol=1e-12)
    share = np.asarray(rad.provenance["radiation_t60_share"])
    np.testing.assert_allclose(share, t60_share(model.decay_rates, data.power), rtol=1e-12)
    assert np.all((share > 0) & (share < 1))
    # efficiency of the (1,1) mode against Wallace at its frequency (0.5 dB, the mesh's own shape)
    ka = 2 * np.pi * model.frequencies[0] / AIR.c * 0.3
    assert abs(10 * np.log10(data.efficiency[0] / wallace(1, 1, ka, 0.3, 0.2))) < DB
    # the file keeps it; a file without radiation data (written before issue 15) loads with None
    p = rad.save(tmp_path / "plate.npz")
    back = ps.ModalModel.load(p)
    np.testing.assert_allclose(back.radiation.expansion.coeffs, data.expansion.coeffs)
    assert back.radiation.method == "rayleigh"
    assert ps.ModalModel.load(model.save(tmp_path / "old.npz")).radiation is None
    assert back.select([0, 2]).radiation.n_modes == 2


def test_listener_render_in_pascal(plate_model):
    from physsynth.pickups import listener, pickup, stereo_pair

    model, rad = plate_model
    hit = ps.strike(rad, at=(0.1, 0.07, 0.0), sr=48000)
    lis = listener((0.15, 0.1, 1.0))
    out = ps.render(rad, hit, [pickup(rad, (0.05, 0.05, 0)), lis, *stereo_pair(rad)], duration=0.5)
    assert out.shape == (4, 24000) and np.isfinite(out).all()
    # the listener channel equals sum_k Re(conj(H_k) v_k): check against a velocity render of each mode
    H = rad.radiation.pressure(lis.point[None, :])[:, 0]
    assert np.max(np.abs(out[1])) > 0
    with pytest.raises(PhyssynthError, match="radiation"):
        ps.render(model, hit, [lis], duration=0.1)  # no radiation data
    assert np.all(np.isfinite(H))


def _reference_render(model, hit, pickups, duration):
    """The render of round one: every channel's complex gain as two taps A y[n] + B y[n-1] on
    plain pickup rows of the resonator bank (kernels.resonators.resonator_bank), then delayed."""
    from physsynth.kernels.resonators import resonator_bank
    from physsynth.pickups import channel_gains, complex_taps, shift_channels
    from physsynth.simulate.modal import modes_below, resonator_coefficients

    sr = hit.sr
    n = int(round(duration * sr))
    omega, sigma, shapes = modes_below(model, sr=sr)
    g = shapes[:, hit.node, :] @ np.asarray(hit.direction)
    G, delays = channel_gains(model, shapes, pickups, omega=omega, sigma=sigma, sr=sr, quantity=1)
    A, B = complex_taps(G, omega, sigma, sr=sr)
    a1, a2, b0, b1, b2 = resonator_coefficients(omega, sigma, sr=sr, quantity="velocity")
    out = np.empty((2 * len(G), n))
    w = np.ascontiguousarray(np.vstack([A, B]))
    resonator_bank(a1, a2, b0 * g, b1 * g, b2 * g, w, hit.force, np.zeros(len(g)), np.zeros(len(g)), out)
    res = out[: len(G)].copy()
    res[:, 1:] += out[len(G) :, :-1]
    return shift_channels(res, delays)


def test_folded_listener_render_equals_the_taps(plate_model):
    """The fold (one channel's complex gain in the numerators, the others' on the state and the
    delayed state, kernels.resonators.resonator_bank_iq) renders the same samples as the taps,
    to 1e-9 of the channel's peak (-180 dB): it is exact algebra, not an approximation."""
    from physsynth.pickups import listener, pickup, stereo_pair

    _, rad = plate_model
    hit = ps.strike(rad, at=(0.1, 0.07, 0.0), sr=48000)
    sets = {
        "mono": [listener((0.15, 0.1, 1.0))],
        "stereo": stereo_pair(rad),
        "mixed": [pickup(rad, (0.05, 0.05, 0)), listener((0.15, 0.1, 1.0)), *stereo_pair(rad)],
    }
    for name, pks in sets.items():
        got = ps.render(rad, hit, pks, duration=0.3)
        want = _reference_render(rad, hit, pks, 0.3)
        assert got.shape == want.shape, name
        for c in range(len(got)):
            peak = np.abs(want[c]).max()
            assert peak > 0
            np.testing.assert_allclose(got[c], want[c], rtol=0, atol=1e-9 * peak, err_msg=f"{name} channel {c}")


def test_listener_taps_are_exact_for_a_free_mode():
    """A y[n-d] + B y[n-d-1] of a damped mode's samples is Re(conj(H) p Q z^n), its pressure,
    with d the whole samples of flight taken out as a delay (exact for the free decay)."""
    from physsynth.pickups import complex_taps, listener_transfer

    f0, sigma, sr = 440.0, 3.0, 48000
    omega = 2 * np.pi * f0
    H = 0.3 - 0.7j
    pt = np.array([[0.0, 0.0, 1.0]])
    from physsynth.radiation._base import multipole_basis

    # a monopole expansion whose pressure at the listener is H exactly: scale by 1 / (h0 Y00)
    k = np.array([omega / AIR.c])
    e = Expansion(np.zeros(3), 0.1, k, np.array([[H / multipole_basis(pt, np.zeros(3), k[0], 0)[0, 0]]]))
    rad = RadiationData("fast", AIR, np.array([f0]), np.zeros(1), np.zeros(1), e)
    model = types.SimpleNamespace(radiation=rad)
    wd = np.sqrt(omega**2 - sigma**2)
    p = -sigma + 1j * wd
    Q = 0.2 + 0.5j
    n = np.arange(400)
    zn = np.exp(p * n / sr)
    for m in (0, 1):
        G, d = listener_transfer(model, pt, np.array([omega]), np.array([sigma]), sr=sr, quantity=m)
        assert d[0] == int(0.9 / AIR.c * sr)  # flight from the expansion's sphere, whole samples
        A, B = complex_taps(G, np.array([omega]), np.array([sigma]), sr=sr)
        d = int(d[0])
        y = np.real(p**m * Q * zn)
        got = A[0, 0] * y[1 : len(n) - d] + B[0, 0] * y[: len(n) - d - 1]
        want = np.real(np.conj(H) * p * Q * zn[d + 1 :])
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * np.abs(want).max())


def test_expansion_fits_a_known_field():
    """The multipole fit reproduces a dipole + quadrupole field at points it was not fitted on."""
    k = np.array([20.0])
    c = np.array([0.01, -0.02, 0.0])

    def field(pts):
        from physsynth.radiation._base import multipole_basis

        B = multipole_basis(pts, c, k[0], 2)
        coef = np.zeros(9, complex)
        coef[2], coef[6] = 1.0, 0.5j
        return (B @ coef)[None, :]

    e = fit_expansion(field, k, c, 0.1)
    rng = np.random.default_rng(1)
    pts = rng.normal(size=(20, 3))
    pts = c + pts / np.linalg.norm(pts, axis=1)[:, None] * rng.uniform(0.2, 2.0, (20, 1))
    np.testing.assert_allclose(e.pressure(pts), field(pts), rtol=1e-6)
    with pytest.raises(PhyssynthError, match="inside the sphere"):
        e.pressure(c[None, :] + 0.01)


def test_monopole_over_a_rigid_floor_interference_is_exact():
    """A point monopole at height hs over a rigid floor: p = G(|x - s|) + G(|x - s'|), s' the
    image (Pierce 1989, Acoustics, section 5.1), over elevations through its nulls and peaks."""
    k = np.array([2 * np.pi * 1000.0 / AIR.c])
    s = np.array([0.0, 0.0, 0.5])
    z0 = 0.2
    unit = multipole_basis_at(s, k[0])  # h0 Y00 coefficient scale: c00 h0(kr) Y00 = e^{ikr} / (4 pi r)
    e = Expansion(s, 0.05, k, np.array([[unit]]))
    rad = RadiationData("fast", AIR, np.array([1000.0]), np.zeros(1), np.zeros(1), e, floor=z0)
    el = np.radians(np.linspace(1, 89, 60))
    pts = s + 3.0 * np.column_stack([np.cos(el), np.zeros_like(el), np.sin(el)])
    img = s.copy()
    img[2] = 2 * z0 - s[2]

    def G(r):
        return np.exp(1j * k[0] * r) / (4 * np.pi * r)

    want = G(np.linalg.norm(pts - s, axis=1)) + G(np.linalg.norm(pts - img, axis=1))
    got = rad.pressure(pts)[0]
    np.testing.assert_allclose(got, want, rtol=1e-9)
    # the pattern has nulls (|p| < 0.1 of the direct wave) and near-doubling (> 1.8): the interference
    direct = np.abs(G(3.0))
    assert np.abs(got).min() < 0.1 * direct and np.abs(got).max() > 1.8 * direct
    back = RadiationData.from_arrays(*rad.to_arrays())
    assert back.floor == z0
    with pytest.raises(PhyssynthError, match="below the rigid floor"):
        rad.pressure([[0.0, 0.0, 0.1]])


def multipole_basis_at(center, k):
    """c00 with c00 h0(kr) Y00 = e^{ikr} / (4 pi r): h0 = -i e^{ix} / x, Y00 = 1 / sqrt(4 pi)."""
    return 1j * k * np.sqrt(4 * np.pi) / (4 * np.pi)


# ---------------------------------------------------------------- BEM (bempp-cl)
def h(ell, x, d=False):
    return spherical_jn(ell, x, d) + 1j * spherical_yn(ell, x, d)


def sphere(level, a):
    import bempp_cl.api as bempp

    g = bempp.shapes.regular_sphere(level)
    return surface_from_arrays(g.vertices.T * a, g.elements.T, closed=True)


@pytest.fixture(scope="module")
def bem_spheres():
    pytest.importorskip("bempp_cl")
    from physsynth.radiation.bem import radiate_bem

    a = 0.1
    out = {}
    for level, kas in ((2, [1.0]), (3, [0.1, 1.0, 3.0])):
        s = sphere(level, a)
        x, y, z = (s.points / a).T
        # three modes a frequency (one assembly each): pulsating, oscillating, and an irregular
        # pattern for the fast path
        vn, f = [], []
        for ka in kas:
            vn += [np.ones_like(z), z, 0.3 + x * y + z**2 - 0.5 * x]
            f += [ka / a * AIR.c / 2 / np.pi] * 3
        out[level] = (s, radiate_bem(s, np.array(vn), np.array(f), AIR, cache=False, progress=False), kas)
    # the pulsating sphere of level 2 at ka = 0.3, free and 3a above a rigid floor
    # (test_bem_pulsating_sphere_over_a_rigid_floor)
    s = sphere(2, a)
    f = np.array([0.3 / a * AIR.c / 2 / np.pi])
    vn = np.ones((1, len(s.points)))
    out["floor"] = tuple(radiate_bem(s, vn, f, AIR, cache=False, progress=False, floor=z) for z in (None, -3 * a)) + (
        s,
    )
    return a, out


def _sphere_errors(a, data, kas, pts):
    r = np.linalg.norm(pts, axis=1)
    ct = pts[:, 2] / r
    p = data.expansion.pressure(pts)
    errs = []
    for i, ka in enumerate(kas):
        k = ka / a
        for ell in (0, 1):
            exact = 1j * AIR.impedance * h(ell, k * r) / h(ell, ka, True) * (ct if ell else 1)
            errs.append((ka, ell, p[3 * i + ell] / exact))
    return errs


PTS = np.array([[0.0, 0.0, 0.3], [0.2, 0.1, 0.25], [-0.5, 0.4, 0.8]])


def test_bem_pulsating_and_oscillating_sphere(bem_spheres):
    a, out = bem_spheres
    s, data, kas = out[3]
    for ka, ell, ratio in _sphere_errors(a, data, kas, PTS):
        assert np.all(np.abs(db(ratio)) < DB), (ka, ell, db(ratio))
        assert np.all(np.abs(deg(ratio)) < DEG), (ka, ell, deg(ratio))
    # power of the pulsating sphere, 1/2 Re(p conj U) 4 pi a^2, within 0.5 dB
    for i, ka in enumerate(kas):
        ps_ = 1j * AIR.impedance * h(0, ka) / h(0, ka, True)
        w = 0.5 * np.real(ps_) * 4 * np.pi * a**2
        assert abs(10 * np.log10(data.power[3 * i] / w)) < DB


def test_bem_converges_at_second_order(bem_spheres):
    """P1 on flat triangles: the error falls as h^2 (the slope of log error against log h)."""
    a, out = bem_spheres
    errs = {}
    for level in (2, 3):
        s, data, kas = out[level]
        i = kas.index(1.0)
        e = _sphere_errors(a, data.select(np.arange(3 * i, 3 * i + 3)), [1.0], PTS)
        errs[level] = (np.max(np.abs(e[0][2] - 1)), s.max_edge)
    slope = np.log(errs[2][0] / errs[3][0]) / np.log(errs[2][1] / errs[3][1])
    assert abs(slope - 2) < 0.3, slope


def test_fast_path_within_1db_of_bem(bem_spheres):
    from physsynth.radiation.bem import field_from_surface

    a, out = bem_spheres
    s, data, kas = out[3]
    rng = np.random.default_rng(7)
    d = rng.normal(size=(30, 3))
    pts = d / np.linalg.norm(d, axis=1)[:, None] * rng.uniform(0.17, 0.6, (30, 1))  # not the fit sphere
    k = 2 * np.pi * data.frequencies / AIR.c
    vn = np.real(data.surface_pressure * 0)  # placeholder shape
    x, y, z = (s.points / a).T
    vn = np.array([[np.ones_like(z), z, 0.3 + x * y + z**2 - 0.5 * x][i % 3] for i in range(len(k))])
    g = 1j * (2 * np.pi * data.frequencies * AIR.rho)[:, None] * vn
    ref = field_from_surface(s, data.surface_pressure, g, k, pts)
    fast = data.expansion.pressure(pts)
    assert np.all(np.abs(db(fast / ref)) < 1.0)


def test_bem_pulsating_sphere_over_a_rigid_floor(bem_spheres):
    """The BEM over a rigid floor (object and image solved together) against the closed-form
    interference of a monopole and its image: p_floor / p_free = 1 + G(x - s') / G(x - s)
    (Pierce 1989, Acoustics, section 5.1) within 0.5 dB and 2 degrees, and the power ratio
    W_floor / W_free = 1 + sin(2kh) / (2kh). Pulsating sphere, ka = 0.3, centre h = 3a above the
    floor: the image's field scattered back by the sphere is of order (ka)^2 / 3 x a / (2h),
    0.5 % (0.04 dB). The sphere's own discretisation error (the coarse mesh's area) divides out
    of both ratios."""
    from physsynth.radiation.bem import radiate_bem

    a, out = bem_spheres
    free, data, s = out["floor"]
    ka = 0.3
    k = ka / a
    z0 = -3 * a
    el = np.radians(np.linspace(5, 85, 9))
    pts = 0.8 * np.column_stack([np.cos(el), np.zeros_like(el), np.sin(el)])
    ri = np.linalg.norm(pts - np.array([0.0, 0.0, 2 * z0]), axis=1)
    rd = np.linalg.norm(pts, axis=1)
    want = 1 + np.exp(1j * k * (ri - rd)) * rd / ri
    ratio = data.pressure(pts)[0] / free.pressure(pts)[0] / want
    assert np.all(np.abs(db(ratio)) < DB), db(ratio)
    assert np.all(np.abs(deg(ratio)) < DEG), deg(ratio)
    kh = k * (0 - z0)
    w = data.power[0] / (free.power[0] * (1 + np.sin(2 * kh) / (2 * kh)))
    assert abs(10 * np.log10(w)) < DB, w
    assert data.floor == z0
    with pytest.raises(PhyssynthError, match="not below the object"):
        radiate_bem(s, np.ones((1, len(s.points))), free.frequencies, AIR, cache=False, progress=False, floor=0.0)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("PHYSSYNTH_BEM_KA10"), reason="5 min on 2 cores; set PHYSSYNTH_BEM_KA10=1")
def test_bem_spheres_at_ka_10():
    """ka = 10 on 2048 triangles (regular_sphere(4), 8 triangles a wavelength): measured
    max 0.10 dB and 1.4 degrees."""
    pytest.importorskip("bempp_cl")
    from physsynth.radiation.bem import radiate_bem

    a = 0.1
    s = sphere(4, a)
    z = s.points[:, 2] / a
    f = 10.0 / a * AIR.c / 2 / np.pi
    data = radiate_bem(s, np.array([np.ones_like(z), z, z]), np.full(3, f), AIR, cache=False, progress=False)
    for _, ell, ratio in _sphere_errors(a, data, [10.0], PTS):
        assert np.all(np.abs(db(ratio)) < DB) and np.all(np.abs(deg(ratio)) < DEG), (ell, ratio)


def test_cli_strike_listeners(tmp_path):
    """--listener stereo plus one point: three channels; --radiation none with --listener: exit 2."""
    import wave

    from conftest import run_cli

    mesh = os.path.join(MESHES, "plate_rect_300x200.msh")
    base = [mesh, "--material", "steel", "--thickness", "0.002", "--support", "edge", "--fmax", "800"]
    out = tmp_path / "l.wav"
    rc, _, err = run_cli(
        "strike", *base, "--at", "0.1,0.07,0", "--listener", "stereo", "--listener", "0.15,0.1,1", "-o", out
    )
    assert rc == 0, err
    with wave.open(str(out)) as w:
        assert w.getnchannels() == 3
    rc, _, err = run_cli("strike", *base, "--at", "0.1,0.07,0", "--radiation", "none", "--listener", "0,0,1", "-o", out)
    assert rc == 2 and err.startswith("physsynth: error: --listener needs radiation")


def test_cli_rub_and_play_listeners(tmp_path):
    """The one listener option group on rub and play: a saved plate model with its radiation
    played from a score and heard at a listener (one channel); rub takes the same options
    (refused with --radiation none before any work: a flat plate's transverse modes cannot be
    bowed in its plane, and a solid's radiation needs the BEM's minute of compilation);
    --floor with the Rayleigh plate is refused before any output."""
    import wave

    from conftest import run_cli

    mesh = os.path.join(MESHES, "plate_rect_300x200.msh")
    model = tmp_path / "plate.npz"
    base = [mesh, "--material", "steel", "--thickness", "0.002", "--support", "edge", "--fmax", "600"]
    rc, _, err = run_cli(
        "strike", *base, "--at", "0.1,0.07,0", "--listener", "stereo", "--save-model", model, "-o", tmp_path / "s.wav"
    )
    assert rc == 0, err
    score = tmp_path / "s.csv"
    score.write_text('time,kind,at\n0.0,strike,"0.1 0.07 0"\n')
    out = tmp_path / "p.wav"
    rc, _, err = run_cli("play", model, score, "--duration", "0.2", "--listener", "0.15,0.1,1", "-o", out)
    assert rc == 0, err
    with wave.open(str(out)) as w:
        assert w.getnchannels() == 1
    bad = tmp_path / "bad.wav"
    rc, _, err = run_cli(
        "play", model, score, "--duration", "0.2", "--listener", "0.15,0.1,1", "--floor", "-0.1", "-o", bad
    )
    assert rc == 2 and "floor" in err and not bad.exists(), err
    rc, _, err = run_cli(
        "rub",
        model,
        "--at",
        "0.1,0.07,0",
        "--direction",
        "1,0,0",
        "--force",
        "1",
        "--speed",
        "0.1",
        "--duration",
        "0.2",
        "--listener",
        "stereo",
        "--radiation",
        "none",
        "-o",
        bad,
    )
    assert rc == 2 and err.startswith("physsynth: error: --listener needs radiation") and not bad.exists(), err


def test_listener_pressures_are_kept_between_renders(plate_model):
    """The second render at the same listeners takes their pressures from the cache (the
    same array), a render with other radiation data evaluates its own."""
    from dataclasses import replace

    from physsynth.pickups import _PRESSURE_CACHE, listener, listener_pressure

    _, rad = plate_model
    pts = np.array([[0.15, 0.1, 1.0], [0.3, 0.2, 0.5]])
    _PRESSURE_CACHE.clear()
    h1 = listener_pressure(rad, rad.radiation, pts, rad.radiation.n_modes)
    h2 = listener_pressure(rad, rad.radiation, pts.copy(), rad.radiation.n_modes)
    assert h2 is h1 and not h1.flags.writeable
    np.testing.assert_array_equal(h1, rad.radiation.pressure(pts).T)
    e = rad.radiation.expansion
    louder = replace(rad.radiation, expansion=replace(e, coeffs=2 * e.coeffs))
    h3 = listener_pressure(rad, louder, pts, rad.radiation.n_modes)
    np.testing.assert_allclose(h3, 2 * h1, rtol=1e-12)
    hit = ps.strike(rad, at=(0.1, 0.07, 0.0), sr=48000)
    a = ps.render(rad, hit, [listener(pts[0])], duration=0.2)
    b = ps.render(rad, hit, [listener(pts[0])], duration=0.2)
    np.testing.assert_array_equal(a, b)
