"""Karplus-Strong speed against STK's Plucked (same run), and real-time voices per core.

STK is Debian's libstk-dev (4.6.2), installed here if missing and we are root; a small C++
timing program is compiled with g++ into a temporary folder at run time (nothing of STK is
kept). Ours: one voice of :func:`physsynth.kernels.fastpaths.ks_block` with the same loop
(tuning allpass + loss filter, no dispersion), then many voices in one
:func:`~physsynth.kernels.fastpaths.ks_voices` call, in blocks of 256 samples.

Prints ``ks_speed_vs_stk: X`` (ours / STK, samples/s, one voice) and
``realtime_voices_per_core: Y`` (many-voice samples/s / 48000) as the last two lines.

    python benchmarks/bench_fastpaths.py [--seconds 20] [--voices 2000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from physsynth.kernels.fastpaths import ks_block, ks_voices
from physsynth.models import KSVoices, design_loop, ks_excitation

SR = 48000

STK_TIMER = r"""
#include <Plucked.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
using namespace stk;
int main(int argc, char **argv) {
  long n = std::atol(argv[1]);
  int reps = std::atoi(argv[2]);
  Stk::setSampleRate(48000.0);
  Plucked p(20.0);
  StkFrames frames(n, 1);
  double best = 1e30, check = 0.0;
  for (int r = 0; r < reps; r++) {
    p.noteOn(220.0, 0.9);
    auto t0 = std::chrono::steady_clock::now();
    p.tick(frames);
    auto t1 = std::chrono::steady_clock::now();
    double dt = std::chrono::duration<double>(t1 - t0).count();
    if (dt < best) best = dt;
    check += frames[n - 1];
  }
  std::printf("%.6e %g\n", n / best, check);
  return 0;
}
"""


def stk_samples_per_second(n, reps):
    """Samples/s of one STK Plucked voice, or None (with the reason on stderr)."""
    if not os.path.exists("/usr/include/stk/Plucked.h"):
        if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
            print("installing libstk-dev ...", file=sys.stderr)
            subprocess.run(["apt-get", "install", "-y", "-q", "libstk-dev"], check=False, stdout=subprocess.DEVNULL)
        if not os.path.exists("/usr/include/stk/Plucked.h"):
            print("STK headers missing: apt-get install libstk-dev", file=sys.stderr)
            return None
    if shutil.which("g++") is None:
        print("g++ missing", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "t.cpp")
        exe = os.path.join(tmp, "t")
        with open(src, "w") as f:
            f.write(STK_TIMER)
        subprocess.run(["g++", "-O3", "-march=native", "-I/usr/include/stk", src, "-o", exe, "-lstk"], check=True)
        out = subprocess.run([exe, str(n), str(reps)], check=True, capture_output=True, text=True)
    return float(out.stdout.split()[0])


def ours_one_voice(n, reps):
    d = design_loop(220.0, sr=SR, t60=2.0, t60_high=0.5)
    u = ks_excitation(d)
    out = np.empty(n)
    best = np.inf
    for _ in range(reps):
        buf = np.zeros(d.n_delay)
        pos, st, sd = np.zeros(1, np.int64), np.zeros(2), np.zeros(0)
        t0 = time.perf_counter()
        ks_block(u, buf, pos, st, sd, d.eta, d.g, d.g, d.p, d.p, 0.0, out)
        best = min(best, time.perf_counter() - t0)
    return n / best


def ours_many_voices(n_voices, seconds, block=256):
    rng = np.random.default_rng(1)
    f0s = 55.0 * 2 ** (rng.uniform(0, 5, n_voices))  # 55 Hz .. 1760 Hz
    designs = [design_loop(f, sr=SR, t60=3.0, t60_high=0.6) for f in f0s]
    ex = [ks_excitation(d, seed=i) for i, d in enumerate(designs)]
    v = KSVoices(designs, ex)
    out = np.empty(block)
    u = np.zeros((n_voices, 0))
    # the first call feeds the excitations (and compiles); time the free-running blocks
    v.process(int(SR / 55.0) + 1)
    n_blocks = max(1, int(seconds * SR / block))
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n_blocks):
            ks_voices(u, v.buf, v.nd, v.pos, v.sl, v.sa, v.sd, v.nsec, v.eta, v.g, v.p, v.a, v.w, out)
        best = min(best, time.perf_counter() - t0)
    return n_voices * n_blocks * block / best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--seconds", type=float, default=2.0, help="audio seconds per timing run of the many-voice kernel (default 2)"
    )
    ap.add_argument("--voices", type=int, default=2000)
    args = ap.parse_args(argv)
    n = 4_800_000
    ours_one_voice(1000, 1)  # compile
    stk = stk_samples_per_second(n, 5)
    ours = ours_one_voice(n, 5)
    print(f"one voice, 220 Hz at {SR} Hz: ours {ours:.3e} samples/s", end="")
    if stk:
        print(f", STK Plucked {stk:.3e} samples/s")
    else:
        print(", STK unavailable")
    many = ours_many_voices(args.voices, args.seconds)
    print(f"{args.voices} voices in one kernel call: {many:.3e} voice-samples/s")
    print(f"ks_speed_vs_stk: {ours / stk:.2f}" if stk else "ks_speed_vs_stk: nan")
    print(f"realtime_voices_per_core: {many / SR:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
