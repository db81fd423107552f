"""Is the voice engine fast enough to play live? Time per 128-sample block against the block's
duration (2.67 ms at 48 kHz), for 100 and 1000 modes, on one core.

Three situations per size: the object ringing freely (most blocks), a half-sine strike
starting in the block (a prescribed force: every sample steps every mode with the force
terms), and a physical mallet in contact (sub-stepped: ``n_sub`` steps per sample for the
contact's duration, the worst case). The modes are a synthetic bank (geometrically spaced
from 50 Hz to 0.45 sr, random weights scaled so that sum_k g_k^2 = 1 / (50 g) at each point:
the first instant of a strike meets 50 g of the object, the order of a bowl's rim; unscaled
unit weights for 1000 modes would make a 20 g mass of the object and the mallet chatter
on it): the engine's cost depends on the number of modes, not on where they come from.
Printed: the best of several repeats, as a fraction of the block's duration (the
real-time load; 1.0 is the limit), and the ratio to a baseline measured in the same run
(numpy's matrix-vector product of the same size, per sample), so that a loaded
machine shifts both alike.

    python benchmarks/bench_engine.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from physsynth.export.model_json import PortableModel  # noqa: E402
from physsynth.simulate.engine import VoiceEngine  # noqa: E402

SR = 48000
BLOCK = 128
#: kg: the part of the object a strike meets in its first instant, 1 / sum_k g_k^2
LOCAL_MASS = 0.05


def bank(n_modes: int, seed: int = 0) -> PortableModel:
    """n_modes between 50 Hz and 0.45 sr, T60 from 4 s down, random weights at 4 points."""
    rng = np.random.default_rng(seed)
    f = np.geomspace(50.0, 0.45 * SR, n_modes)
    sigma = 6.9 / np.clip(4.0 * 200.0 / f, 0.05, 4.0)
    pts = rng.normal(size=(4, 3))
    d = pts / np.linalg.norm(pts, axis=1, keepdims=True)
    w = rng.normal(size=(4, n_modes))
    w /= np.sqrt(LOCAL_MASS * np.sum(w**2, axis=1, keepdims=True))
    return PortableModel(f, sigma, pts, d, w, np.arange(4))


def best_block_time(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    block_s = BLOCK / SR
    print(f"block {BLOCK} samples at {SR} Hz = {1e3 * block_s:.3f} ms; best of {args.repeats}")
    print(f"{'modes':>6} {'situation':>22} {'ms/block':>9} {'load':>7} {'x baseline':>11}")
    for n_modes in (100, 1000):
        pm = bank(n_modes)
        m = np.random.default_rng(1).normal(size=(2, n_modes))
        x = np.random.default_rng(2).normal(size=n_modes)
        base = best_block_time(lambda m=m, x=x: [m @ x for _ in range(BLOCK)], args.repeats)
        eng = VoiceEngine(pm, [0], sr=SR)
        eng.process(BLOCK)  # compile / load the kernel

        def free(eng=eng):
            eng.process(BLOCK)

        def pulse(eng=eng):
            eng.note_on(1, "hard", 1.0)
            eng.process(BLOCK)

        def mallet(eng=eng):
            eng.note_on(1, "metal", 2.0)
            eng.process(BLOCK)

        for name, fn in (("ringing", free), ("half-sine strike", pulse), (f"mallet (n_sub={eng.n_sub})", mallet)):
            fn()
            t = best_block_time(fn, args.repeats)
            print(f"{n_modes:>6} {name:>22} {1e3 * t:>9.4f} {t / block_s:>7.3f} {t / base:>11.2f}")
            eng.reset()
        print(f"{n_modes:>6} {'baseline (numpy m@x)':>22} {1e3 * base:>9.4f} {base / block_s:>7.3f} {1.0:>11.2f}")


if __name__ == "__main__":
    main()
