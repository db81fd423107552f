"""Real-time factor of a 1000-event score on a 100-mode model, against baselines of the same run.

The model: a simply supported 300 x 200 x 2 mm steel plate (meshes/plate_rect_300x200.msh),
its 100 lowest modes. The score: 1000 events over 60 s at seeded random points, 800 physical
mallets (felt, rubber, wood, plastic, metal, 0.3-3 m/s) and 200 half-sine strikes, rendered
in one continuous simulation by ``physsynth.simulate.score.render_score`` (the contact
kernel, sub-stepped while a mallet touches).

Baselines, measured here:

- ``numpy``: the same scheme in plain numpy (vectorised over the modes, a Python loop over
  the samples and sub-steps, scalar Newton for the force), run on the score's first seconds;
- ``linear``: ``physsynth.render`` (the resonator bank) for one strike over the whole
  duration: the cost of the modes alone, without any event.

Prints ``score_1000_events_realtime_factor: X``, ``numpy_baseline_realtime_factor: Y``,
``ratio_vs_numpy: X/Y`` and ``linear_render_realtime_factor: Z``.

    python benchmarks/bench_excitation.py [--events 1000] [--seconds 60] [--numpy-seconds 1.5]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import physsynth as ps
from physsynth.excitation.mallet import MALLETS
from physsynth.excitation.score import Event
from physsynth.excitation.strike import MALLETS as PULSES
from physsynth.excitation.strike import contact_pulse
from physsynth.simulate.contact import MalletSource, _hereditary, choose_substeps
from physsynth.simulate.modal import step_coefficients
from physsynth.simulate.score import render_score

SR = 48000
HERE = os.path.dirname(os.path.abspath(__file__))


def make_score(model, n_events, seconds, seed=1):
    rng = np.random.default_rng(seed)
    lo, hi = model.mesh.bounding_box
    names = list(MALLETS)
    events = []
    for i, t in enumerate(np.sort(rng.uniform(0, seconds - 1.0, n_events))):
        at = list(lo + (hi - lo) * [rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), 0.5])
        if i % 5 == 4:
            events.append(Event.make(float(t), "strike", at, mallet=str(rng.choice(["soft", "medium", "hard"]))))
        else:
            events.append(
                Event.make(float(t), "mallet", at, mallet=str(rng.choice(names)), velocity=float(rng.uniform(0.3, 3.0)))
            )
    return events


def numpy_render(model, events, pickup, seconds, n_sub):
    """The same time stepping in plain numpy (no release gap: a mallet leaves the loop once it
    is 2 mm clear, as in the kernel)."""
    keep = model.frequencies < 0.49 * SR
    om, sg, sh = model.omegas[keep], model.decay_rates[keep], model.shapes[keep]
    h = 1 / SR
    hs = h / n_sub
    cA = step_coefficients(om, sg, h=h)
    cS = step_coefficients(om, sg, h=hs)
    w = sh[:, pickup.node, :] @ pickup.direction
    n = int(seconds * SR)
    q = np.zeros(om.size)
    v = np.zeros(om.size)
    out = np.zeros(n)
    pend = []
    for e in events:
        start = int(round(e.time * SR))
        if start >= n:
            continue
        node = model.nearest_surface_node(e.at)
        g = sh[:, node, :] @ -model.surface_normal(node)
        if e.kind == "strike":
            sig = contact_pulse(PULSES[e.params["mallet"]], sr=SR, impulse=1e-2)
            pend.append(("f", start, g, sig))
        else:
            m = MALLETS[e.params["mallet"]]
            pend.append(("m", start, g, m.law(model.material), m.mass, e.params["velocity"]))
    forces = [p for p in pend if p[0] == "f"]
    mallets = [p for p in pend if p[0] == "m"]
    active = []  # [g, law, mass, y, vy, F, Z, s, (E, a0, a1) per sub-step, E per step]

    def ext(nabs):
        p = np.zeros(om.size)
        for _, s, g, sig in forces:
            if 0 <= nabs - s < len(sig):
                p += g * sig[nabs - s]
        return p

    for t in range(n):
        for mm in mallets:
            if mm[1] == t - 1:
                active.append(
                    [
                        mm[2],
                        mm[3],
                        mm[4],
                        mm[2] @ q,
                        mm[5],
                        0.0,
                        0.0,
                        0.0,
                        _hereditary(mm[3], hs),
                        _hereditary(mm[3], h)[0],
                    ]
                )
        pe0, pe1 = ext(t - 1), ext(t)
        touching = any(a[5] > 0 or a[3] + h * a[4] - a[0] @ (cA[0] * q + cA[1] * v) > 0 for a in active)
        if not touching:
            q, v = cA[0] * q + cA[1] * v + cA[4] * pe0 + cA[5] * pe1, cA[2] * q + cA[3] * v + cA[6] * pe0 + cA[7] * pe1
            for a in active:
                a[3] += h * a[4]
                a[6] *= a[9]
                a[7] = 0.0
        else:
            for j in range(n_sub):
                pa = pe0 + (pe1 - pe0) * j / n_sub + sum(a[0] * a[5] for a in active)
                pb = pe0 + (pe1 - pe0) * (j + 1) / n_sub
                qs = cS[0] * q + cS[1] * v + cS[4] * pa + cS[5] * pb
                vs = cS[2] * q + cS[3] * v + cS[6] * pa + cS[7] * pb
                for a in active:
                    g, law, m, y, vy, F, Z, s_old, (E, a0, a1), _ = a
                    ys = y + hs * vy - hs * hs * F / (3 * m)
                    d0 = ys - g @ qs
                    A = hs * hs / (6 * m) + np.sum(g * g * cS[5])
                    ka = law.K * (1 - law.eps * a1)  # F = ka d^alpha - kc (Stulov's felt)
                    kc = law.K * law.eps * (E * Z + a0 * s_old)
                    Fn = 0.0
                    if d0 > 0 and ka * d0**law.alpha > kc:  # Newton from F = 0 (concave root)
                        for _ in range(60):
                            d = max(d0 - A * Fn, 1e-30)
                            r = Fn - (ka * d**law.alpha - kc)
                            Fn -= r / (1 + ka * law.alpha * d ** (law.alpha - 1) * A)
                            if abs(r) < 1e-12 * max(Fn, 1e-12):
                                break
                    qs += cS[5] * g * Fn
                    vs += cS[7] * g * Fn
                    a[3] = ys - hs * hs * Fn / (6 * m)
                    a[4] = vy - hs * (F + Fn) / (2 * m)
                    a[5] = Fn
                    d = a[3] - g @ qs
                    a[7] = max(d, 0.0) ** law.alpha
                    a[6] = E * Z + a0 * s_old + a1 * a[7]
                q, v = qs, vs
        active = [a for a in active if not (a[5] == 0 and a[0] @ q - a[3] > 2e-3)]
        out[t] = w @ v
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--numpy-seconds", type=float, default=1.5)
    args = ap.parse_args()

    mesh = ps.load_mesh(os.path.join(HERE, "..", "meshes", "plate_rect_300x200.msh"))
    model = ps.modal_analysis(mesh, ps.get_material("steel"), n_modes=100, thickness=0.002, support=["edge"])
    print(f"model: {model.summary()}")
    events = make_score(model, args.events, args.seconds)
    pk = ps.pickup(model, (0.21, 0.13, 0.0))
    render_score(model, [Event.make(0.0, "mallet", [0.1, 0.1, 0.0])], pk, sr=SR, duration=0.05)  # load the kernel
    t0 = time.perf_counter()
    res = render_score(model, events, pk, sr=SR, duration=args.seconds)
    dt = time.perf_counter() - t0
    rtf = args.seconds / dt
    mal = [m for m in res.mallets]
    print(
        f"kernel: {args.seconds:g} s of audio, {len(events)} events ({len(mal)} mallets, "
        f"{sum(m['contacts'] for m in mal)} contacts), {res.n_sub} sub-steps in contact, "
        f"{dt:.3f} s"
    )
    srcs = [
        MalletSource(
            0,
            np.zeros(1),
            MALLETS[e.params["mallet"]].law(model.material),
            MALLETS[e.params["mallet"]].mass,
            e.params["velocity"],
        )
        for e in events
        if e.kind == "mallet"
    ]
    n_sub = choose_substeps(srcs, SR)
    sec = args.numpy_seconds
    part = [e for e in events if e.time < sec]
    t0 = time.perf_counter()
    y_np = numpy_render(model, part, pk, sec, n_sub)
    dt_np = time.perf_counter() - t0
    rtf_np = sec / dt_np
    ref = render_score(model, part, pk, sr=SR, duration=sec, n_sub=n_sub).audio[0]
    agree = np.abs(y_np - ref).max() / np.abs(ref).max()
    print(
        f"numpy baseline: {sec:g} s of audio ({len(part)} events) in {dt_np:.3f} s; largest "
        f"difference from the kernel {agree:.1e} of the peak"
    )

    hit = ps.strike(model, (0.07, 0.05, 0.0), mallet="hard", sr=SR)
    t0 = time.perf_counter()
    ps.render(model, hit, pk, duration=args.seconds)
    rtf_lin = args.seconds / (time.perf_counter() - t0)

    print(f"score_1000_events_realtime_factor: {rtf:.1f}")
    print(f"numpy_baseline_realtime_factor: {rtf_np:.3f}")
    print(f"ratio_vs_numpy: {rtf / rtf_np:.0f}")
    print(f"linear_render_realtime_factor: {rtf_lin:.1f}")


if __name__ == "__main__":
    main()
