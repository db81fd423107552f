"""Finite-difference kernels against this machine's memory bandwidth, measured in the same run.

Prints grid-point updates per second of the membrane (5-point) and plate (13-point) kernels on
grids larger than the last-level cache, the single-core bandwidth of three streaming loops on
arrays 3x larger than the L3 cache, and the fraction of the best of them each kernel reaches.
Bytes are the DRAM traffic each loop really causes:

- numpy copy b -> a: 16 B per element (glibc's memcpy uses non-temporal stores at this size,
  so the destination is not read first)
- Numba triad a = b + s c: 32 B (24 B plus the write-allocate read of a: plain stores)
- Numba in-place a += s b: 24 B (no write-allocate: a is read anyway)
- membrane and plate kernels (the plate's: the explicit-SIMD one, physsynth/kernels/fd_simd.py;
  the Numba wavefront it replaced is printed beside it), both in place (u^{n+1} overwrites u^{n-1}): one step per sweep
  reads u^n, reads and writes u^{n-1} -> 24 B per grid-point update; their row buffers stay
  in cache. Both kernels advance ``depth`` steps per sweep (temporal blocking, a wavefront
  of rows in L2), which streams both states once per sweep: 32 / depth B per update.

The fraction printed first counts updates against the one-step scheme's 24 B per update
(updates per second x 24 B / bandwidth: above 1 is possible with temporal blocking, and is
what the target asks of a grid larger than cache); the DRAM traffic actually caused
(32 / depth B per update) is printed next to it.

Then the plate-reverb case: a 2 m x 1 m x 0.5 mm steel plate at 48 kHz with the grid at the
stability limit, simulated seconds per wall second on one core (the kernels are serial), in
double precision and in single precision (``precision="single"``, ``--precision single``: the
reverb setting; its partials agree with double precision's within 0.1 cent and the difference
stays 60 dB down, tests/test_fd.py). ``plate_reverb_realtime_factor`` is the double-precision
(default) figure; ``plate_reverb_realtime_factor_single`` is printed beside it.

    python benchmarks/bench_fd.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from numba import njit

from physsynth.fd._common import aligned_zeros
from physsynth.fd.membrane import membrane, membrane_depth, run_membrane
from physsynth.fd.plate import plate, render_plate, run_plate
from physsynth.materials import get_material


@njit(cache=True)
def _triad(a, b, c, s):  # pragma: no cover - numba
    for i in range(a.shape[0]):
        a[i] = b[i] + s * c[i]


@njit(cache=True)
def _update(a, b, s):  # pragma: no cover - numba
    for i in range(a.shape[0]):
        a[i] += s * b[i]


def traffic(depth):
    """DRAM bytes per update of an in-place two-state scheme advancing ``depth`` steps per
    sweep: 24 for one step (read u^n, read and write u^{n-1}), else both states read and
    written once per sweep."""
    return 24.0 if depth == 1 else 32.0 / depth


def best_of(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bandwidth(n, repeat):
    a = np.zeros(n)
    b = np.random.default_rng(0).standard_normal(n)
    c = b.copy()
    t_copy = best_of(lambda: np.copyto(a, b), repeat)
    _triad(a, b, c, 0.5)
    t_triad = best_of(lambda: _triad(a, b, c, 0.5), repeat)
    _update(a, b, 1e-9)
    t_upd = best_of(lambda: _update(a, b, 1e-9), repeat)
    return 16 * n / t_copy, 32 * n / t_triad, 24 * n / t_upd


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller grids and fewer repeats")
    args = ap.parse_args()
    side = 1400 if args.quick else 2000  # 2000^2 float64 = 32 MB per array (L3 here: 32 MB)
    steps = 5 if args.quick else 10
    repeat = 3 if args.quick else 5

    # 3 side^2 float64 = 96 MB (L3 here: 32 MB), one core
    bw_copy, bw_triad, bw_upd = bandwidth(side * side * 3, repeat)
    bw = max(bw_copy, bw_triad, bw_upd)
    print(f"numpy copy bandwidth:    {bw_copy / 1e9:6.1f} GB/s (16 B per element)")
    print(f"numba triad bandwidth:   {bw_triad / 1e9:6.1f} GB/s (32 B per element, write-allocate)")
    print(f"numba a += s b:          {bw_upd / 1e9:6.1f} GB/s (24 B per element)")

    # membrane: a square grid of side x side points
    m = membrane((1.0, 1.0), wave_speed=1.0, sr=48000, grid=1.0 / (side - 1), t60=np.inf)
    rng = np.random.default_rng(1)
    u0 = rng.standard_normal(m.shape) * 1e-3
    u1 = u0.copy()
    dm = membrane_depth(m.ny)
    steps_m = max(steps, 2 * dm)
    run_membrane(m, u0, u1, dm)
    t = best_of(lambda: run_membrane(m, u0, u1, steps_m), repeat) / steps_m
    n_pts = (m.nx - 1) * (m.ny - 1)
    ups_m = n_pts / t
    frac_m = 24 * ups_m / bw
    print(
        f"membrane 5-point, {m.nx + 1} x {m.ny + 1}, {dm} steps per sweep: "
        f"{ups_m / 1e9:.3f} G updates/s = {24 * ups_m / 1e9:.1f} GB/s at 24 B/update = "
        f"{frac_m:.2f} of bandwidth (DRAM traffic {traffic(dm) * ups_m / 1e9:.1f} GB/s = "
        f"{traffic(dm) * ups_m / bw:.2f})"
    )

    steel = get_material("steel")
    # plate: a (physically absurd) 1 um foil, so that a side x side grid is stable at 48 kHz;
    # the kernel's work per point does not depend on the parameters
    p = plate((1.0, 1.0), 1e-6, steel, sr=48000, grid=1.0 / (side - 2), loss=(0.0, 1e-6))
    a = [aligned_zeros(p.shape) for _ in range(2)]  # as render_plate allocates them
    for x in a:
        x[...] = rng.standard_normal(p.shape) * 1e-3
    n_pts = (p.nx - 1) * (p.ny - 1)
    # the Numba wavefront (the kernel before the explicit-SIMD one), for comparison
    run_plate(p, *a, 8, kernel="wavefront", depth=8)
    t_wf = best_of(lambda: run_plate(p, *a, 16, kernel="wavefront", depth=8), repeat) / 16
    print(f"plate 13-point, Numba wavefront (8 steps per sweep): {n_pts / t_wf / 1e9:.3f} G updates/s")
    dp = 16  # run_plate's default for the simd kernel on grids larger than cache
    steps_p = max(steps, 2 * dp)
    run_plate(p, *a, dp, kernel="simd", depth=dp)
    t = best_of(lambda: run_plate(p, *a, steps_p, kernel="simd", depth=dp), repeat) / steps_p
    ups_p = n_pts / t
    frac_p = 24 * ups_p / bw
    print(
        f"plate 13-point, explicit SIMD, {p.nx + 3} x {p.ny + 3}, {dp} steps per sweep: "
        f"{ups_p / 1e9:.3f} G updates/s = {24 * ups_p / 1e9:.1f} GB/s at 24 B/update = "
        f"{frac_p:.2f} of bandwidth (DRAM traffic {traffic(dp) * ups_p / 1e9:.1f} GB/s = "
        f"{traffic(dp) * ups_p / bw:.2f})"
    )

    # plate reverb: 2 m x 1 m x 0.5 mm steel at 48 kHz, grid at the stability limit
    rv = plate((2.0, 1.0), 5e-4, steel, sr=48000)
    dur = 0.5 if args.quick else 2.0
    rtf = {}
    for precision in ("double", "single"):
        render_plate(rv, duration=0.01, precision=precision)
        wall = best_of(lambda pr=precision: render_plate(rv, duration=dur, precision=pr), 2)
        rtf[precision] = dur / wall
        print(
            f"plate reverb 2 m x 1 m x 0.5 mm steel at 48 kHz, {precision} precision: "
            f"{rv.nx} x {rv.ny} grid (h = {rv.hx * 1e3:.2f} mm), {dur:g} s simulated in "
            f"{wall:.2f} s = {rtf[precision]:.2f}x real time "
            f"({(rv.nx - 1) * (rv.ny - 1) * 48000 * rtf[precision] / 1e9:.2f} G updates/s)"
        )
    print(f"fd_dram_traffic_fraction: {min(traffic(dm) * ups_m, traffic(dp) * ups_p) / bw:.2f}")
    print(f"fd_fraction_of_bandwidth: {min(frac_m, frac_p):.2f}")
    # double precision (the default) is the figure; single precision printed beside it
    print(f"plate_reverb_realtime_factor_single: {rtf['single']:.2f}")
    print(f"plate_reverb_realtime_factor: {rtf['double']:.2f}")


if __name__ == "__main__":
    main()
