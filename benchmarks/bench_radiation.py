"""Radiation (issue 15): the listener's cost at render time, and the BEM precompute of the
bundled bowl's modes below 5 kHz.

1. Listener cost: the same strike rendered at contact pickups and at as many listeners (the
   resonator bank, ``physsynth.render``, and the mallet contact, ``render_score``), on a
   steel plate with Rayleigh radiation, one, two (the stereo preset) and three channels, 2 s
   and 10 s; prints ``listener_time_ratio_*`` = listener time / pickup time, the two
   alternated, best of several repeats in the same run (target < 1.10), and the constant a
   first render at a listener set pays (its pressures at every mode; later renders take them
   from ``pickups._PRESSURE_CACHE``).
2. BEM of the bowl: its modes below 5 kHz, the surface size, the time and memory estimate
   (``physsynth.radiation.bem.estimate``); with ``--bem N`` it solves the N lowest of them and
   prints the measured seconds, per frequency group, extrapolated to all groups, and the peak
   resident memory.

    python benchmarks/bench_radiation.py [--bem N] [--repeat 5] [--skip-listener] [--skip-bem]

Measured (2-core machine shared with two other jobs, ``--repeat 7``), listener / pickup time:

| render | 1 channel | 2 (stereo) | 3 |
|---|---|---|---|
| resonator, 2 s | 1.056 | 1.450 | 1.438 |
| resonator, 10 s | 1.029 | 1.541 | 1.485 |
| mallet, 2 s | 1.040 | 1.092 | 1.148 |
| mallet, 10 s | 1.105 | 1.063 | 1.157 |

(mallet, 3 channels: ``--repeat 5``, after the six listener rows left the per-sample loop of
kernels/contact.py for one stored recursion pass read four rows at a time; the same run of
the kernel before: 1.332 and 1.555, 15.70 and 70.00 ms against 11.79 and 45.00 ms)

(round two, before the cache and the row sweeps: 1.25, 1.54, 1.13, 1.28 at 2 s; three pickup
rows then took the per-sample loop, 12x slower than now). One listener is folded into the
numerators (the same kernel as a pickup); every further one needs two weights a mode (a phase
is two real numbers), so n listeners cost 2n - 1 multiply-adds a mode-sample against n for n
pickups, plus the shared recursion: 1.25x the arithmetic at two channels, measured 1.45-1.54.
First render at a listener set: 0.87 ms for the stereo pair's 90 pressures. Bowl, ``--bem
31``: 2008 s for all 31 modes (19 frequency groups, CBIE), 1.59 GiB peak RSS, 31 s compiling;
``--bem 2``: 51 s for one group.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

import physsynth as ps
from physsynth.pickups import _PRESSURE_CACHE, listener, pickup
from physsynth.radiation import radiate
from physsynth.radiation._base import model_surface
from physsynth.radiation.bem import estimate

HERE = os.path.dirname(os.path.abspath(__file__))
MESHES = os.path.join(os.path.dirname(HERE), "meshes")


def best(fn, repeat):
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def best_pair(fa, fb, repeat):
    """Best times of two functions run alternately (drift in the machine's load hits both)."""
    ta, tb = [], []
    for _ in range(repeat):
        for f, t in ((fa, ta), (fb, tb)):
            t0 = time.perf_counter()
            f()
            t.append(time.perf_counter() - t0)
    return min(ta), min(tb)


def listener_cost(repeat: int) -> None:
    from physsynth.pickups import channel_gains, stereo_pair
    from physsynth.simulate.modal import modes_below
    from physsynth.simulate.score import mallet_strike

    mesh = ps.load_mesh(os.path.join(MESHES, "plate_rect_300x200.msh"))
    model = ps.modal_analysis(mesh, ps.get_material("steel"), fmax=10000.0, thickness=0.002, support=["edge"])
    model = radiate(model, "rayleigh")
    print(f"plate: {model.n_modes} modes, radiation {model.radiation.n_modes} modes")
    hit = ps.strike(model, at=(0.1, 0.07, 0.0), sr=48000)
    pk = pickup(model, (0.05, 0.05, 0.0))
    pk2 = pickup(model, (0.2, 0.12, 0.0))
    pk3 = pickup(model, (0.25, 0.05, 0.0))
    li = listener((0.15, 0.1, 1.0))
    pair = stereo_pair(model)
    omega, sigma, shapes = modes_below(model, sr=48000)

    def gains():
        _PRESSURE_CACHE.clear()  # the first render at these listeners: H evaluated at every mode
        channel_gains(model, shapes, pair, omega=omega, sigma=sigma, sr=48000, quantity=1)

    tg = best(gains, repeat)
    print(f"listener_gains_ms_first_render_stereo: {tg * 1e3:.2f}  (H at each mode, once per listener set)")
    for duration in (2.0, 10.0):
        for name, run in (
            ("resonator", lambda p, d=duration: ps.render(model, hit, p, duration=d)),
            (
                "mallet",
                lambda p, d=duration: mallet_strike(
                    model, (0.1, 0.07, 0.0), mallet="rubber", pickups=p, sr=48000, duration=d
                ),
            ),
        ):
            run([pk])
            run([li])  # compile, warm
            # the same number of channels: a listener is its own weighted sum, as a pickup is
            sets = (("mono", [pk], [li]), ("stereo", [pk, pk2], pair), ("three", [pk, pk2, pk3], [li, *pair]))
            for label, a, b in sets:
                tp, tl = best_pair(lambda a=a, run=run: run(a), lambda b=b, run=run: run(b), repeat)
                tag = f"{name}_{label}_{duration:g}s"
                print(f"{tag}: pickup {tp * 1e3:.2f} ms, listener {tl * 1e3:.2f} ms")
                print(f"listener_time_ratio_{tag}: {tl / tp:.3f}")


def bowl_bem(n_solve: int) -> None:
    from physsynth.radiation.bem import CBIE_SAFETY, GROUP_TOLERANCE, interior_cutoff, radiate_bem

    path = os.path.join(MESHES, "tibetan_bowl_180.msh")
    mesh = ps.load_mesh(path)
    t0 = time.perf_counter()
    model = ps.modal_analysis(mesh, ps.get_material("bronze"), fmax=5000.0)
    print(f"bowl: {model.n_modes} modes below 5 kHz ({time.perf_counter() - t0:.1f} s modal analysis)")
    surf = model_surface(model)
    f = model.frequencies
    groups = 1 + int(np.sum(np.diff(f) > GROUP_TOLERANCE * f[1:]))
    kc = CBIE_SAFETY * interior_cutoff(surf)
    fc = kc * 343.0 / (2 * np.pi)
    ops = 2 if f.max() < fc else 4
    print(
        f"bowl surface: {len(surf.triangles)} triangles, {len(surf.points)} unknowns, longest edge "
        f"{1e3 * surf.max_edge:.1f} mm; {groups} frequency groups; CBIE below {fc:.0f} Hz"
    )
    sec, nbytes = estimate(surf, groups, operators=ops)
    print(f"bem_estimate_seconds: {sec:.0f}")
    print(f"bem_estimate_gib: {nbytes / 2**30:.2f}")
    if n_solve:
        # compile bempp-cl's kernels first on a tiny sphere, so the bowl's time is the solve's
        import bempp_cl.api as bempp

        from physsynth.radiation._base import surface_from_arrays

        g = bempp.shapes.regular_sphere(1)
        tiny = surface_from_arrays(g.vertices.T * 0.1, g.elements.T, closed=True)
        t0 = time.perf_counter()
        radiate_bem(tiny, np.ones((1, len(tiny.points))), [300.0], cache=False, progress=False)
        print(f"bem_compile_seconds: {time.perf_counter() - t0:.0f}")
        sub = model.select(np.arange(min(n_solve, model.n_modes)))
        fs = sub.frequencies
        n_groups = 1 + int(np.sum(np.diff(fs) > GROUP_TOLERANCE * fs[1:]))
        t0 = time.perf_counter()
        radiate(sub, "bem", cache=False)
        dt = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(f"bem_measured_seconds_{sub.n_modes}_modes_{n_groups}_groups: {dt:.0f}")
        print(f"bem_seconds_per_group: {dt / n_groups:.0f}")
        print(f"bem_extrapolated_seconds_all_{groups}_groups: {dt / n_groups * groups:.0f}")
        print(f"bem_peak_rss_gib: {rss:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bem", type=int, default=0, help="solve the N lowest bowl modes by BEM")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-listener", action="store_true")
    ap.add_argument("--skip-bem", action="store_true")
    a = ap.parse_args()
    if not a.skip_listener:
        listener_cost(a.repeat)
    if not a.skip_bem:
        bowl_bem(a.bem)


if __name__ == "__main__":
    main()
