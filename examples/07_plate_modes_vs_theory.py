"""A simply supported steel plate by FEM (Morley elements) against the closed form, then struck.

Run: python examples/07_plate_modes_vs_theory.py [--outdir .]
Prints the first 8 frequencies, the closed form f_mn = (pi/2)[(m/a)^2 + (n/b)^2] sqrt(D/(rho h))
and the error (%), ending with `max_error_percent: X`; writes plate_struck.wav.
"""

import argparse
import os

import numpy as np

import physsynth as ps

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--outdir", default=".")
args = ap.parse_args()

a, b, h = 0.300, 0.200, 0.002  # m
steel = ps.get_material("steel")
mesh = ps.load_mesh(os.path.join(HERE, "..", "meshes", "plate_rect_300x200.msh"))
model = ps.modal_analysis(mesh, steel, fmax=5000.0, thickness=h, support=["edge"])

D = steel.E * h**3 / (12 * (1 - steel.nu**2))
closed = sorted(
    (np.pi / 2 * ((m / a) ** 2 + (n / b) ** 2) * np.sqrt(D / (steel.rho * h)), m, n)
    for m in range(1, 10)
    for n in range(1, 10)
)[:8]
print(
    f"simply supported steel plate {a * 1e3:.0f} x {b * 1e3:.0f} x {h * 1e3:.0f} mm, "
    f"{model.dofs} DOF, {model.n_modes} modes below 5 kHz"
)
print(f"{'(m,n)':>6} {'FEM_Hz':>9} {'closed_Hz':>10} {'err_%':>7}")
errs = []
for fem, (f, m, n) in zip(model.frequencies, closed):
    errs.append(100 * (fem / f - 1))
    print(f"{f'({m},{n})':>6} {fem:>9.2f} {f:>10.2f} {errs[-1]:>7.3f}")

hit = ps.strike(model, (0.07, 0.05, 0.0), mallet="hard", sr=48000)
audio = ps.render(model, hit, ps.pickup(model, (0.21, 0.13, 0.0)), duration=3.0)
path = ps.write_wav(os.path.join(args.outdir, "plate_struck.wav"), ps.fade_out(audio, sr=48000), sr=48000)
print(f"wrote {path}")
print(f"max_error_percent: {max(abs(e) for e in errs):.3f}")
