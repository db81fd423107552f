"""A struck simply supported steel plate by finite differences, against the closed form.

f_mn = (pi/2) ((m/a)^2 + (n/b)^2) sqrt(D / (rho h)) (Leissa 1969, ch. 4; docs/references.md); the scheme is
the 13-point Kirchhoff-plate scheme of docs/fd-theory.md sec. 3, run at 2x the audio rate.

    python examples/05_struck_plate_fd.py [--out plate.wav]
"""

import argparse

import numpy as np

from physsynth import get_material, write_wav
from physsynth.fd import plate, render_plate
from physsynth.measure import spectral_peaks

SR = 44100
ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--out", help="also write the sound to this WAV file")
args = ap.parse_args()

p = plate((0.5, 0.4), 0.001, get_material("steel"), bc="supported", sr=SR, oversample=2)
x = render_plate(p, duration=2.0)[0]
closed = p.closed_form(12)
# compare only peaks with no other mode within 3 % (otherwise which peak is which is moot)
sep = [f for i, f in enumerate(closed) if np.all(np.abs(np.delete(closed, i) / f - 1) > 0.03)][:6]
measured = spectral_peaks(x, sep, sr=SR, rel_window=0.02)
err = 100 * (measured / np.array(sep) - 1)
print(f"plate 0.5 m x 0.4 m x 1 mm steel, simply supported: {p.nx} x {p.ny} grid at {p.fs:g} Hz")
print(f"{'closed_form_hz':>15} {'fd_hz':>10} {'error_percent':>14}")
for f, m, e in zip(sep, measured, err):
    print(f"{f:>15.2f} {m:>10.2f} {e:>14.3f}")
if args.out:
    write_wav(args.out, x, sr=SR)
print(f"max_error_percent: {np.max(np.abs(err)):.3f}")
