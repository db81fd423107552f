"""A struck rectangular drum head on a 2-D digital waveguide mesh (Van Duyne & Smith 1993).

Run: python examples/10_waveguide_drum.py [--outdir DIR]
Strikes a 0.40 x 0.30 m membrane (tension 3000 N/m, 0.26 kg/m^2: c = 107 m/s) with a fixed
rim, measures the first modes from the audio (peak of |DTFT| of the Blackman-Harris-windowed
note, refined by a bounded search) and prints them against the mesh's own dispersion relation
cos(wT) = (cos(m pi/Mx) + cos(n pi/My)) / 2 and against the continuous membrane
(c/2) sqrt((m/a)^2 + (n/b)^2) of the same (rounded) size, then
`max_error_vs_mesh_dispersion_percent: X`. The rectilinear mesh is flat against the continuous
membrane, most for waves along its axes: that column is the mesh's dispersion, not noise.
"""

import argparse
import os

import numpy as np

import physsynth as ps
from physsynth.measure import peak_frequency
from physsynth.models.mesh2d import (
    membrane_mode_frequencies,
    mesh_mode_frequencies,
    mesh_size,
    wave_speed,
    waveguide_mesh_strike,
)

ap = argparse.ArgumentParser()
ap.add_argument("--outdir", default=None)
args = ap.parse_args()

sr = 32000
size = (0.40, 0.30)
c = wave_speed(3000.0, 0.26)
modes = [(1, 1), (2, 1), (1, 2), (3, 1), (2, 2), (3, 2), (4, 1), (1, 3), (5, 1), (6, 1)]
y = waveguide_mesh_strike(size, c=c, sr=sr, duration=1.5, at=(0.093, 0.071), pickup=(0.271, 0.113), t60=3.0)
a, b = mesh_size(size, c=c, sr=sr)
f_mesh = mesh_mode_frequencies(size, modes, c=c, sr=sr)
f_cont = membrane_mode_frequencies((a, b), modes, c=c)
print(f"c = {c:.2f} m/s, h = {c * np.sqrt(2) / sr * 1000:.3f} mm, mesh {a:.4f} x {b:.4f} m")
print(
    f"{'mode':>6} {'measured_Hz':>12} {'mesh_Hz':>10} {'continuous_Hz':>14} "
    f"{'err_vs_mesh_%':>14} {'mesh_vs_cont_%':>15}"
)
errs = []
for (m, n), fm, fc in zip(modes, f_mesh, f_cont):
    got = peak_frequency(y, sr=sr, f_guess=fm)
    errs.append(100 * (got / fm - 1))
    print(f"{f'({m},{n})':>6} {got:12.3f} {fm:10.3f} {fc:14.3f} {errs[-1]:14.5f} {100 * (fm / fc - 1):15.4f}")
# the mesh's dispersion where these low modes cannot show it: a plane wave at continuous
# frequency f along an axis (kx h = sqrt(2) w / c h ...) and along a diagonal
print("mesh dispersion (plane waves): frequency error vs the continuous membrane")
for f in (1000.0, 2000.0, 4000.0, 8000.0):
    k = 2 * np.pi * f / c
    h = c * np.sqrt(2) / sr
    ax = np.arccos(0.5 * (np.cos(k * h) + 1)) * sr / (2 * np.pi)
    dg = np.arccos(np.cos(k * h / np.sqrt(2))) * sr / (2 * np.pi)
    print(f"  {f:6.0f} Hz: axis {100 * (ax / f - 1):+8.3f} %, diagonal {100 * (dg / f - 1):+8.3f} %")
if args.outdir:
    os.makedirs(args.outdir, exist_ok=True)
    ps.write_wav(os.path.join(args.outdir, "waveguide_drum.wav"), y, sr=sr)
print(f"max_error_vs_mesh_dispersion_percent: {np.max(np.abs(errs)):.5f}")
