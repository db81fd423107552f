"""Cost of :func:`physsynth.calibrate.analyse` (ESPRIT per band) against the band-filter decay
measurement it replaces (:func:`physsynth.measure.t60` at the same frequencies, given them),
measured in the same run, and its accuracy against that of the band filter.

The recording: 12 damped sinusoids (200 Hz .. 6 kHz, T60 3 .. 0.3 s, one 0.5 Hz doublet) with
noise at 40 dB SNR, 4 s at 48 kHz. Best of ``--repeat`` runs each.

Prints ``analyse_s``, ``t60_s``, ``cost_ratio`` (analyse over t60, which is told the frequencies
and gives no amplitudes, phases, uncertainties or doublets), and the worst T60 error of each
(``esprit_t60_error_percent``, ``band_t60_error_percent``; the band filter cannot split the
doublet).

    python benchmarks/bench_calibrate.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from physsynth.calibrate import analyse
from physsynth.measure import LN1000, t60

ap = argparse.ArgumentParser()
ap.add_argument("--repeat", type=int, default=3)
args = ap.parse_args()

SR = 48000
rng = np.random.default_rng(0)
F = np.array([212.3, 587.9, 588.4, 1130.7, 1850.2, 2390.0, 2790.5, 3310.0, 3921.0, 4480.0, 5200.0, 6010.0])
T60 = np.geomspace(3.0, 0.3, F.size)
A = np.geomspace(1.0, 0.05, F.size)
t = np.arange(4 * SR) / SR
x = sum(a * np.exp(-LN1000 * t / T) * np.cos(2 * np.pi * f * t + rng.uniform(0, 6)) for f, T, a in zip(F, T60, A))
x = x + rng.standard_normal(t.size) * np.sqrt(np.mean(x**2) / 1e4)


def best(fn):
    out, dt = None, np.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out = fn()
        dt = min(dt, time.perf_counter() - t0)
    return out, dt


analyse(x, sr=SR)  # imports and caches out of the timing
an, ta = best(lambda: analyse(x, sr=SR))
tb_out, tb = best(lambda: t60(x, sr=SR, freqs=F))
idx = [int(np.argmin(np.abs(an.frequencies - f))) for f in F]
print(f"analyse_s: {ta:.3f}")
print(f"t60_s: {tb:.3f}")
print(f"cost_ratio: {ta / tb:.2f}")
print(f"esprit_t60_error_percent: {100 * np.max(np.abs(an.t60[idx] / T60 - 1)):.3f}")
print(f"band_t60_error_percent: {100 * np.nanmax(np.abs(tb_out / T60 - 1)):.3f}")
