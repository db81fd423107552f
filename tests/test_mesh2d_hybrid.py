"""2-D waveguide mesh and the string-on-modal-body hybrid: kernels vs plain loops, mode
frequencies (mesh dispersion and continuous theory), energy, streaming == one-shot, coupling.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest
from conftest import cents, peak_freq  # shared test helpers (tests/conftest.py)

from physsynth.models import ModelParameterError, waveguide_pluck
from physsynth.models.hybrid import (
    StringOnBody,
    bilinear_modes,
    coupled_frequencies,
    string_on_body,
    string_on_modes,
)
from physsynth.models.mesh2d import (
    WaveguideMesh,
    membrane_mode_frequencies,
    mesh_mode_frequencies,
    mesh_size,
    strike_pulse,
    waveguide_mesh_strike,
)


# ----------------------------------------------------------------- mesh: reference
def wave_mesh_reference(Mx, My, g, sgn, gb, pb, e, src, pk, n):
    """Van Duyne & Smith's mesh in wave variables, plain numpy, one time step at a time.

    Every junction (i, j) has incoming waves from its four sides; an interior junction's
    velocity is half their sum plus the source, each outgoing wave is velocity minus incoming,
    and each unit delay multiplies by g. Boundary junctions are one-ports that reflect through
    sgn gb (1 - p) / (1 - p z^-1); corners are not connected.
    """
    shp = (Mx + 1, My + 1)
    fl, fr, fd, fu = (np.zeros(shp) for _ in range(4))  # incoming from left/right/down/up
    bo = np.zeros(shp)  # boundary outgoing wave, previous sample
    inner = np.zeros(shp, bool)
    inner[1:-1, 1:-1] = True
    edge = np.zeros(shp, bool)
    edge[0, 1:-1] = edge[-1, 1:-1] = edge[1:-1, 0] = edge[1:-1, -1] = True
    out = np.zeros(n)
    si, sj, sw = src
    pi, pj, pw = pk
    for t in range(n):
        v = np.where(inner, 0.5 * (fl + fr + fd + fu), 0.0)
        if t < e.size:
            for i, j, w in zip(si, sj, sw):
                v[i, j] += w * e[t]
        win = fl + fr + fd + fu  # a boundary junction has exactly one port
        wout = np.where(edge, sgn * gb * (1 - pb) * win + pb * bo, 0.0)
        bo = wout
        v = np.where(edge, win + wout, v)
        out[t] = np.sum(pw * v[pi, pj])
        # outgoing waves: v - incoming (interior), the reflection (boundary)
        ol = np.where(edge, wout, v - fl)  # sent back to the left neighbour
        orr = np.where(edge, wout, v - fr)
        od = np.where(edge, wout, v - fd)
        ou = np.where(edge, wout, v - fu)
        nfl, nfr, nfd, nfu = (np.zeros(shp) for _ in range(4))
        # a wave sent rightwards by (i-1, j) arrives at (i, j) from its left, and so on
        nfl[1:, :] = g * orr[:-1, :]
        nfr[:-1, :] = g * ol[1:, :]
        nfd[:, 1:] = g * ou[:, :-1]
        nfu[:, :-1] = g * od[:, 1:]
        conn = inner | edge
        # only waveguides that exist: both ends connected, and no edge-to-edge links
        for arr, sh in ((nfl, (1, 0)), (nfr, (-1, 0)), (nfd, (0, 1)), (nfu, (0, -1))):
            other = np.roll(conn, sh, axis=(0, 1)) & np.roll(~edge, sh, axis=(0, 1))
            arr *= (conn & other) | (inner & np.roll(edge, sh, axis=(0, 1)))
        fl, fr, fd, fu = nfl, nfr, nfd, nfu
    return out


@pytest.mark.parametrize(
    "bc, t60, bf", [("fixed", None, None), ("free", 0.3, None), ("fixed", 0.2, (0.9, 0.4)), ("free", None, (0.95, 0.2))]
)
def test_mesh_kernel_matches_wave_variable_mesh(bc, t60, bf):
    sr, c = 8000.0, 200.0
    m = WaveguideMesh((0.3, 0.25), c=c, sr=sr, pickup=(0.21, 0.08), t60=t60, bc=bc, boundary_filter=bf)
    m.strike((0.1, 0.15), width=1e-3)
    y = m.process(400)
    e = strike_pulse(sr=sr, width=1e-3)
    ref = wave_mesh_reference(m.Mx, m.My, m.g, m.sgn, m.gb, m.pb, e, m._si, m._pk, 400)
    assert np.max(np.abs(ref)) > 1e-3
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-12 * np.max(np.abs(ref)))


# ----------------------------------------------------------------- mesh: modes
MODES = [(1, 1), (2, 1), (1, 2), (3, 1), (2, 2), (3, 2), (1, 3), (4, 1)]


def axial_dispersion(f, *, sr):
    """Largest relative flattening of the mesh at continuous frequency f (a wave on an axis):
    cos(w T) = (1 + cos(k h)) / 2 with k h = sqrt(2) 2 pi f / sr."""
    kh = np.sqrt(2.0) * 2 * np.pi * np.asarray(f) / sr
    return 1.0 - np.arccos(0.5 * (1 + np.cos(kh))) * sr / (2 * np.pi) / np.asarray(f)


def test_fixed_membrane_modes_follow_the_mesh_dispersion_relation():
    size, c, sr = (0.5, 0.37), 200.0, 16000.0
    y = waveguide_mesh_strike(size, c=c, sr=sr, duration=2.0, at=(0.071, 0.052), pickup=(0.133, 0.094), t60=4.0)
    f_mesh = mesh_mode_frequencies(size, MODES, c=c, sr=sr)
    got = np.array([peak_freq(y, sr, f, search_cents=15.0) for f in f_mesh])
    # against the mesh's own dispersion relation: 0.5 % (measured: ~1e-6 %)
    np.testing.assert_allclose(got, f_mesh, rtol=0.005)
    # against the continuous membrane of the realised size: never sharp by more than 0.5 %,
    # flat by at most the axial dispersion at that frequency plus 0.5 %
    f_cont = membrane_mode_frequencies(mesh_size(size, c=c, sr=sr), MODES, c=c)
    err = got / f_cont - 1.0
    assert np.all(err < 0.005), err
    assert np.all(err > -(axial_dispersion(f_cont, sr=sr) + 0.005)), err
    # and the dispersion is real: the (4, 1) mode (near the x axis) is flat by > 0.2 %
    assert err[-1] < -0.002


def test_mesh_dispersion_is_direction_dependent():
    sr, c = 16000.0, 200.0
    size = (2.0, 2.0)  # a large square, so modes sample the directions finely
    a = mesh_size(size, c=c, sr=sr)
    axis = mesh_mode_frequencies(size, [(40, 1)], c=c, sr=sr)[0]
    diag = mesh_mode_frequencies(size, [(28, 28)], c=c, sr=sr)[0]
    ea = axis / membrane_mode_frequencies(a, [(40, 1)], c=c)[0] - 1
    ed = diag / membrane_mode_frequencies(a, [(28, 28)], c=c)[0] - 1
    assert ea < -0.01 and abs(ed) < 0.1 * abs(ea), (ea, ed)  # axes flat, diagonal near exact


# ----------------------------------------------------------------- mesh: energy, streaming
@pytest.mark.parametrize("bc", ["fixed", "free"])
def test_mesh_energy_is_conserved_without_loss_and_decays_with_it(bc):
    for t60 in (None, 0.3):
        m = WaveguideMesh((0.3, 0.2), c=150.0, sr=8000.0, pickup=(0.1, 0.1), t60=t60, bc=bc)
        m.strike((0.07, 0.12), width=1e-3)
        m.process(20)  # the strike has ended
        e = []
        for _ in range(50):
            m.process(37)
            e.append(m.energy())
        e = np.array(e)
        assert e[0] > 0
        if t60 is None:
            np.testing.assert_allclose(e, e[0], rtol=1e-11)
        else:
            np.testing.assert_allclose(e[1:] / e[:-1], m.g**74, rtol=1e-9)
            assert np.all(np.diff(e) < 0)


def test_mesh_bounded_with_boundary_loss():
    y = waveguide_mesh_strike(
        (0.3, 0.2),
        c=150.0,
        sr=8000.0,
        duration=3.0,
        at=(0.07, 0.12),
        pickup=(0.2, 0.05),
        bc="free",
        boundary_filter=(0.98, 0.5),
    )
    assert np.all(np.isfinite(y))
    n = y.size // 6
    assert np.max(np.abs(y[-n:])) < 0.1 * np.max(np.abs(y[:n]))


def test_mesh_streaming_equals_one_shot():
    kw = dict(c=180.0, sr=11025.0, pickup=(0.2, 0.11), t60=0.7, bc="fixed", boundary_filter=(0.97, 0.3))
    ref = waveguide_mesh_strike((0.31, 0.23), duration=0.3, at=(0.05, 0.07), **kw)
    m = WaveguideMesh((0.31, 0.23), **kw)
    m.strike((0.05, 0.07))
    blocks, n = [], 0
    for b in [1, 2, 3, 64, 7, 500, 10000]:
        b = min(b, ref.size - n)
        blocks.append(m.process(b))
        n += b
    np.testing.assert_array_equal(np.concatenate(blocks), ref)


def test_mesh_parameter_errors():
    with pytest.raises(ModelParameterError):
        waveguide_mesh_strike((0.01, 0.3), c=200.0, sr=8000.0, duration=0.1, at=(0, 0), pickup=(0, 0))
    with pytest.raises(ModelParameterError):
        WaveguideMesh((0.3, 0.3), c=200.0, sr=8000.0, pickup=(0.1, 0.1), bc="clamped")


# ----------------------------------------------------------------- hybrid: reference loop
def string_body_reference(vr, vl, eta, g, p, Z, f, sg, d, e, sr, xp, n):
    """The string-on-body loop written plainly: spatial rails shifted one sample a step
    (np.roll), the loop solved each sample from the modes' difference equations."""
    b0, A1, A2 = bilinear_modes(f, sg, sr=sr)
    K = f.size
    q1, q2, u1, u2 = (np.zeros(K) for _ in range(4))  # qd[n-1], qd[n-2], u[n-1], u[n-2]
    right, left = vr.copy(), vl.copy()  # right[x], left[x]: spatial samples, x = 0 at the nut
    x1 = sa_in = sl = 0.0
    vs, vb_out = np.zeros(n), np.zeros(n)
    for t in range(n):
        arriving = right[-1]  # reaches the bridge
        at_nut = left[0]
        sl = g * (1 - p) * arriving + p * sl
        vin = eta * sl + x1 - eta * sa_in  # allpass: y = eta x + x[n-1] - eta y[n-1]
        x1, sa_in = sl, vin
        hist = -A1 * q1 - A2 * q2 - b0 * u2  # qd = b0 u + hist
        Y0 = np.sum(d * d * b0)
        F = Z * (2 * vin - np.sum(d * hist)) / (1 + Z * Y0)
        u = d * F
        q = b0 * u + hist
        vb = np.sum(d * q)
        q2, q1, u2, u1 = q1, q, u1, u
        right = np.roll(right, 1)
        left = np.roll(left, -1)
        right[0] = -at_nut
        left[-1] = vb - vin
        vs[t] = right[xp] + left[xp]
        vb_out[t] = np.sum(e * q)
    return vs, vb_out


def _body(n_modes=6, seed=1):
    rng = np.random.default_rng(seed)
    f = np.sort(rng.uniform(80.0, 3000.0, n_modes))
    return f, rng.uniform(2.0, 30.0, n_modes), rng.normal(0, 4.0, n_modes), rng.normal(0, 4.0, n_modes)


def test_string_body_kernel_matches_plain_loop():
    sr, f0 = 8000.0, 210.0
    f, sg, d, e = _body()
    s = StringOnBody(f, sg, d, e, sr=sr, string_impedance=0.7)
    s.note_on(f0, t60=1.5, t60_high=0.5, position=0.23, pickup=0.71)
    dsg, L = s.design, s.design.n_delay // 2
    # the initial rails in spatial order, read back from the circular buffers
    x = np.arange(L)
    vr, vl = s._br[(-x) % L].copy(), s._bl[(-(L - 1 - x)) % L].copy()
    vs, vb = s.process(600)
    rs, rb = string_body_reference(vr, vl, dsg.eta, dsg.g, dsg.p, 0.7, f, sg, d, e, sr, s._xp, 600)
    np.testing.assert_allclose(vs, rs, rtol=0, atol=1e-12 * np.max(np.abs(rs)))
    np.testing.assert_allclose(vb, rb, rtol=0, atol=1e-12 * np.max(np.abs(rb)))
    assert np.max(np.abs(rb)) > 1e-3 * np.max(np.abs(rs))


def test_string_body_streaming_equals_one_shot():
    f, sg, d, e = _body(seed=3)
    kw = dict(sr=11025.0, t60=1.0, position=0.3, pickup=0.6, string_impedance=0.4)
    ref = string_on_modes(180.0, f, sg, d, e, duration=0.4, output="both", **kw)
    s = StringOnBody(f, sg, d, e, sr=11025.0, string_impedance=0.4)
    s.note_on(180.0, t60=1.0, position=0.3, pickup=0.6)
    got, n = [], 0
    for b in [1, 5, 64, 333, 10000]:
        b = min(b, ref.shape[0] - n)
        got.append(np.stack(s.process(b), axis=1))
        n += b
    np.testing.assert_array_equal(np.concatenate(got), ref)


# ----------------------------------------------------------------- hybrid: physics
def test_stiff_body_gives_the_rigidly_terminated_pitch(bar_model):
    sr, f0 = 44100, 220.0
    stiff = dataclasses.replace(bar_model, shapes=bar_model.shapes * 1e-6)
    bridge = bar_model.mesh.points[np.argmax(bar_model.mesh.points[:, 0])]
    y = string_on_body(f0, stiff, bridge=bridge, sr=sr, duration=1.0, output="string", t60=2.0)
    assert abs(cents(peak_freq(y, sr, f0), f0)) < 1.0  # 1 cent
    # and it is the plain waveguide string's note (up to displacement vs velocity waves)
    w = waveguide_pluck(f0, sr=sr, duration=1.0, t60=2.0)
    assert abs(cents(peak_freq(y, sr, f0), peak_freq(w, sr, f0))) < 0.01


@pytest.mark.parametrize("f_body", [185.0, 195.0, 205.0, 215.0])
def test_body_mode_pulls_the_string_partial(f_body):
    # one body mode near the fundamental: the string partial is pushed away from it (down when
    # the mode is above, up when below) by the two-oscillator amount (w-ws)(w-wb) = Z d^2 f0
    sr, f0, Z, d2 = 44100, 200.0, 0.5, 20.0
    y = string_on_modes(
        f0, [f_body], [3.0], [np.sqrt(d2)], sr=sr, duration=2.0, string_impedance=Z, output="string", t60=3.0
    )
    pred = coupled_frequencies(f0, f_body, d2, f0=f0, string_impedance=Z)[0]
    got = peak_freq(y, sr, pred, search_cents=20.0)
    shift, shift_pred = cents(got, f0), cents(pred, f0)
    assert np.sign(shift) == np.sign(f0 - f_body)
    np.testing.assert_allclose(shift, shift_pred, rtol=0.1)  # within 10 % of the predicted shift


def test_discrete_admittance_is_passive():
    f, sg, d, _ = _body(n_modes=40, seed=7)
    f = np.concatenate([f, [0.45 * 8000.0 * 0.99]])
    sg, d = np.concatenate([sg, [1.0]]), np.concatenate([d, [3.0]])
    f, sg, d = f[f < 0.49 * 8000], sg[f < 0.49 * 8000], d[f < 0.49 * 8000]
    b0, A1, A2 = bilinear_modes(f, sg, sr=8000.0)
    z = np.exp(-1j * np.linspace(1e-4, np.pi - 1e-4, 20000))
    Y = np.sum(d[:, None] ** 2 * b0[:, None] * (1 - z**2) / (1 + A1[:, None] * z + A2[:, None] * z**2), axis=0)
    assert np.min(Y.real) >= -1e-12 * np.max(np.abs(Y))


def test_string_on_body_stays_bounded_over_long_runs():
    sr = 8000.0
    f, sg, d, e = _body(n_modes=30, seed=11)
    d *= 5.0  # a light, strongly coupled body
    y = string_on_modes(150.0, f, sg, d * 1.0, e, sr=sr, duration=30.0, output="both", string_impedance=2.0, t60=20.0)
    assert np.all(np.isfinite(y))
    n = int(sr)
    first, last = np.max(np.abs(y[:n]), axis=0), np.max(np.abs(y[-n:]), axis=0)
    assert np.all(last < first), (first, last)


# ----------------------------------------------------------------- CLI
def _run(*args):
    return subprocess.run([sys.executable, "-m", "physsynth", *args], capture_output=True, text=True, timeout=300)


def test_cli_hybrid_and_mesh_drum(bar_model, tmp_path):
    from physsynth import read_wav

    body = bar_model.save(str(tmp_path / "bar.npz"))
    p = _run(
        "hybrid",
        "--f0",
        "196",
        "--body",
        body,
        "--bridge",
        "0.3,0.006,0.003",
        "--duration",
        "0.3",
        "--sr",
        "16000",
        "-o",
        str(tmp_path / "h.wav"),
    )
    assert p.returncode == 0, p.stderr
    p = _run(
        "mesh-drum",
        "--size",
        "0.3,0.2",
        "--c",
        "100",
        "--at",
        "0.07,0.05",
        "--pickup",
        "0.2,0.13",
        "--duration",
        "0.3",
        "--sr",
        "8000",
        "-o",
        str(tmp_path / "d.wav"),
    )
    assert p.returncode == 0, p.stderr
    for name in ("h.wav", "d.wav"):
        y, _ = read_wav(str(tmp_path / name))
        assert np.max(np.abs(y)) > 0.1
    p = _run("hybrid", "--f0", "196", "--body", body, "--bridge", "0.3,0.006", "-o", str(tmp_path / "x.wav"))
    assert p.returncode == 2 and "--bridge must be 3 numbers" in p.stderr
