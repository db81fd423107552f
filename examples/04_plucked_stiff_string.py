"""A plucked stiff string whose partials follow a piano's measured inharmonicity.

The finite-difference scheme (docs/fd-theory.md sec. 1) is tuned to f_n = n f0 sqrt(1 + B n^2)
with the B of a Steinway A3 string (about 2.15e-4); this prints the partials measured in the
rendered audio against the measured Steinway partials (tests/reference_values.py) in cents.

    python examples/04_plucked_stiff_string.py [--out string.wav]
"""

import argparse

import numpy as np

from physsynth import write_wav
from physsynth.fd import render_string, stiff_string
from physsynth.measure import cents, spectral_peaks

STEINWAY_A3 = np.array([219.79, 439.83, 660.00, 880.66, 1101.82, 1323.99, 1546.78, 1770.32])
B = 2.15e-4
SR = 48000

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--out", help="also write the sound to this WAV file")
args = ap.parse_args()

sch = stiff_string(STEINWAY_A3[0] / np.sqrt(1 + B), inharmonicity=B, t60=8.0, t60_high=2.0, sr=SR)
x = render_string(sch, duration=3.0, pluck=0.137, pickup=0.83)
measured = spectral_peaks(x, STEINWAY_A3, sr=SR)
err = cents(measured, STEINWAY_A3)
print(f"stiff string: f0 = {sch.f0:.2f} Hz, B = {B:g}, {sch.N} grid intervals at {sch.fs:g} Hz")
print(f"{'n':>2} {'steinway_hz':>12} {'fd_hz':>10} {'error_cents':>12}")
for i, (s, m, c) in enumerate(zip(STEINWAY_A3, measured, err)):
    print(f"{i + 1:>2} {s:>12.2f} {m:>10.2f} {c:>12.2f}")
if args.out:
    write_wav(args.out, x, sr=SR)
print(f"max_error_cents: {np.max(np.abs(err)):.2f}")
