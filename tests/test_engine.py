"""The streaming voice engine: blocks of a live performance against the offline render.

The reference is :func:`physsynth.render_score` of the same score: the engine runs the same
kernel block by block, so the two agree to round-off (the only difference is where the
kernel's four-sample free stretches fall, which changes the order of a few floating-point
operations: 1e-12 of the peak is a thousand times the double-precision round-off of a sum of
a dozen modes, and a billion times below anything audible).
"""

from __future__ import annotations

import numpy as np
import pytest

import physsynth as ps
from physsynth.excitation.score import Event, resolve_position
from physsynth.excitation.strike import contact_pulse
from physsynth.export import model_json
from physsynth.measure import decay_rates
from physsynth.pickups import Pickup
from physsynth.simulate.engine import VoiceEngine

SR = 48000
#: Agreement with the offline render, as a fraction of the peak (see the module docstring).
ROUND_OFF = 1e-12


@pytest.fixture(scope="module")
def model(bar_model):
    return bar_model.with_damping(ps.LossFactor(eta=0.003))


def _pickup(model, at):
    node, d = resolve_position(model, at)
    return Pickup(node, d, model.mesh.points[node])


# overlapping strikes: a rubber mallet, a hard pulse and a metal mallet within 0.1 ms of each
# other on the ringing bar, then a felt mallet on the first point while it still rings
SCORE = [
    Event(0.001, "mallet", (0.15, 0.006, 0.006), params={"mallet": "rubber", "velocity": 1.0}),
    Event(0.0123, "strike", (0.07, 0.012, 0.006), params={"mallet": "hard", "impulse": 0.02}),
    Event(0.0124, "mallet", (0.2, 0.0, 0.006), params={"mallet": "metal", "velocity": 2.0}),
    Event(0.05, "mallet", (0.15, 0.006, 0.006), params={"mallet": "felt", "velocity": 0.5}),
]


def _play(eng, score, n, block):
    """Feed the score's events to the engine as they fall due, in blocks; the samples."""
    starts = [int(round(e.time * SR)) for e in score]
    out = []
    t = 0
    sizes = block if isinstance(block, list) else [block]
    i = 0
    while t < n:
        b = min(sizes[i % len(sizes)], n - t)
        i += 1
        for e, s in zip(score, starts):
            if t <= s < t + b:
                p = e.params
                if e.kind == "strike":
                    eng.note_on(e.at, p["mallet"], impulse=p["impulse"], delay=s - t)
                else:
                    eng.note_on(e.at, p["mallet"], p["velocity"], delay=s - t)
        out.append(eng.process(b))
        t += b
    return np.hstack(out)


@pytest.mark.parametrize("block", [128, [1, 7, 64, 333]])
def test_engine_equals_the_offline_render(model, block):
    pk = [_pickup(model, (0.3, 0.012, 0.006)), _pickup(model, (0.0, 0.0, 0.0))]
    eng = VoiceEngine(model, pk, sr=SR)
    n = int(0.25 * SR)
    ref = ps.render_score(model, SCORE, pk, sr=SR, duration=n / SR, n_sub=eng.n_sub)
    y = _play(eng, SCORE, n, block)
    assert y.shape == ref.audio.shape
    peak = np.max(np.abs(ref.audio))
    assert peak > 0
    np.testing.assert_allclose(y, ref.audio, rtol=0, atol=ROUND_OFF * peak)
    # the modal state goes on as the offline render's does
    np.testing.assert_allclose(eng.state.v, ref.state.v, rtol=0, atol=ROUND_OFF * np.max(np.abs(ref.state.v)))
    assert eng.voices == 0  # every mallet released, every pulse over


def test_gain_and_pickup_changes_glide_without_clicks(model):
    a, b = _pickup(model, (0.3, 0.012, 0.006)), _pickup(model, (0.07, 0.012, 0.003))

    def ringing(pk, ramp):
        eng = VoiceEngine(model, pk, sr=SR, ramp=ramp)
        eng.note_on((0.3, 0.012, 0.006), "hard")
        eng.process(2400)
        return eng

    n = 4800
    ya = ringing(a, 0.01).process(n)[0]
    yb = ringing(b, 0.01).process(n)[0]
    eng = ringing(a, 0.01)
    eng.set_pickups(b)
    y = eng.process(n)[0]
    r = np.clip(np.arange(1, n + 1) / 480, 0, 1)
    # the glide is the crossfade of the two pickups' signals over 10 ms
    np.testing.assert_allclose(y, (1 - r) * ya + r * yb, rtol=0, atol=1e-12 * np.max(np.abs(ya)))
    # no sample step larger than the larger of the two signals' own largest steps
    steps = max(np.max(np.abs(np.diff(ya))), np.max(np.abs(np.diff(yb))))
    assert np.max(np.abs(np.diff(y))) <= steps * 1.01
    # ... which an abrupt switch (no glide) fails: the check can fail
    eng = ringing(a, 0.0)
    before = eng.process(1)[0, 0]
    eng.set_pickups(b)
    jump = abs(eng.process(1)[0, 0] - before)
    assert jump > 2 * steps
    # a gain change: a linear ramp of the gain over 10 ms, then the new gain
    eng = ringing(a, 0.01)
    eng.set_gain(0.25)
    g = eng.process(n)[0]
    ramp = 1.0 + (0.25 - 1.0) * r
    np.testing.assert_allclose(g, ramp * ya, rtol=0, atol=1e-12 * np.max(np.abs(ya)))


def test_damping_change_keeps_the_state_and_changes_the_decay(model):
    eng = VoiceEngine(model, _pickup(model, (0.3, 0.012, 0.006)), sr=SR)
    eng.note_on((0.3, 0.012, 0.006), "hard")
    eng.process(4800)
    before = eng.state
    eng.set_damping(4.0)
    after = eng.state
    np.testing.assert_array_equal(after.q, before.q)  # the modes carry over: no click
    y = eng.process(SR)[0]
    f1 = model.frequencies[0]
    sigma = decay_rates(y, sr=SR, freqs=f1)
    np.testing.assert_allclose(sigma, 4.0 * model.decay_rates[0], rtol=0.02)  # 2 % of the decay rate


def test_midi_note_on_is_a_strike(model):
    mido = pytest.importorskip("mido", reason="mido (the midi extra) makes the MIDI messages")
    pk = _pickup(model, (0.3, 0.012, 0.006))
    a = VoiceEngine(model, pk, sr=SR)
    a.midi(mido.Message("note_on", note=60, velocity=90))
    a.midi(mido.Message("note_off", note=60))
    b = VoiceEngine(model, pk, sr=SR)
    b.note_on("note:60", "rubber", 90 / 127 * 2.0)
    np.testing.assert_array_equal(a.process(2000), b.process(2000))
    a.midi(mido.Message("control_change", control=7, value=0))
    a.process(480)  # the gain glides to zero over 10 ms
    assert np.max(np.abs(a.process(100))) == 0.0


def test_engine_plays_a_portable_model(model):
    pm = model_json.from_model(model, [(0.3, 0.012, 0.006), (0.15, 0.006, 0.006)])
    eng = VoiceEngine(pm, [0], sr=SR)
    eng.note_on(0, "medium", 1.0)
    y = eng.process(SR // 4)[0]
    # the state-space kernel and the resonator bank: two forms of the same exact discretisation,
    # whose round-off (1e-16 a step) accumulates differently over 12000 steps of lightly damped
    # modes: 1e-10 of the peak (-200 dB)
    ref = pm.render(contact_pulse(1e-3, sr=SR, impulse=1e-2), point=0, sr=SR, duration=0.25)[0]
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-10 * np.max(np.abs(ref)))


def test_engine_refusals(model):
    eng = VoiceEngine(model, sr=SR)
    with pytest.raises(ps.PhyssynthError):
        eng.note_on((0.3, 0.012, 0.006), "rubber", impulse=0.1)  # impulse is for pulses
    with pytest.raises(ps.PhyssynthError):
        eng.note_on((0.3, 0.012, 0.006), "rubber", velocity=-1.0)
    with pytest.raises(ps.PhyssynthError):
        eng.note_on((0.3, 0.012, 0.006), "tuba")
    with pytest.raises(ps.PhyssynthError):
        eng.process(0)
    with pytest.raises(ps.PhyssynthError):
        eng.set_pickups([0, 1])  # one output, two pickups


@pytest.fixture(scope="module")
def plate():
    """A simply supported steel plate (8 modes, loss factor 0.01) with its baffled radiation."""
    import os

    from physsynth.radiation import radiate

    here = os.path.dirname(os.path.abspath(__file__))
    mesh = ps.load_mesh(os.path.join(here, "..", "meshes", "plate_rect_300x200.msh"))
    model = ps.modal_analysis(mesh, ps.get_material("steel"), n_modes=8, thickness=0.002, support=["edge"])
    return radiate(model.with_damping(ps.LossFactor(eta=0.01)), "rayleigh")


def test_engine_listeners_equal_the_offline_render(plate):
    """Listeners in the air (issue 15): a plate with its baffled radiation heard at a listener,
    a contact pickup and the stereo pair, played block by block (blocks of 1, 7, 64 and 333
    samples carry each listener's previous tap and flight delay across), against render_score."""
    from physsynth.pickups import listener, pickup, stereo_pair

    pk = [listener((0.35, 0.3, 0.6)), pickup(plate, (0.05, 0.05, 0.0)), *stereo_pair(plate)]
    score = [
        Event(0.001, "mallet", (0.1, 0.07, 0.0), params={"mallet": "rubber", "velocity": 1.0}),
        Event(0.0123, "strike", (0.2, 0.05, 0.0), params={"mallet": "hard", "impulse": 0.02}),
    ]
    eng = VoiceEngine(plate, pk, sr=SR)
    assert eng.n_outputs == 4
    n = int(0.1 * SR)
    ref = ps.render_score(plate, score, pk, sr=SR, duration=n / SR, n_sub=eng.n_sub)
    y = _play(eng, score, n, [1, 7, 64, 333])
    peak = np.max(np.abs(ref.audio))
    assert peak > 0 and y.shape == ref.audio.shape
    np.testing.assert_allclose(y, ref.audio, rtol=0, atol=ROUND_OFF * peak)
    with pytest.raises(ps.PhyssynthError, match="listeners are fixed"):
        eng.set_pickups(pk)


def test_engine_on_a_portable_model_hears_its_listeners(plate):
    """A PortableModel exported with a listener drives the engine as its ModalModel does: the
    same strikes at its exposed points heard at the listener and at an exposed point."""
    from physsynth.pickups import listener

    at = [(0.1, 0.07, 0.0), (0.2, 0.05, 0.0)]
    pm = model_json.from_model(plate, at, listeners=[(0.35, 0.3, 0.6)])
    li = listener((0.35, 0.3, 0.6))
    a = VoiceEngine(plate, [li, _pickup(plate, at[1])], sr=SR)
    b = VoiceEngine(pm, [li, 1], sr=SR, n_sub=a.n_sub)
    for eng, points in ((a, at), (b, [0, 1])):
        eng.note_on(points[0], "hard", impulse=0.02)
        eng.note_on(points[1], "rubber", 1.0, delay=300)
    ya = np.hstack([a.process(256) for _ in range(20)])
    yb = np.hstack([b.process(256) for _ in range(20)])
    peak = np.max(np.abs(ya), axis=1, keepdims=True)
    assert np.all(peak > 0)
    np.testing.assert_allclose(yb, ya, rtol=0, atol=1e-9 * peak.max())
    with pytest.raises(ps.PhyssynthError, match="not one of the portable model's"):
        VoiceEngine(pm, [listener((0.0, 0.0, 2.0))], sr=SR)
