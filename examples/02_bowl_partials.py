"""The bundled Tibetan bowl: wine-glass partials against a measured 180 mm bowl.

Run: python examples/02_bowl_partials.py [--save bowl_modes.npz]
Prints each wine-glass doublet (n = 2..8), its ratio to the fundamental, and the measured
partials of a real 180 mm bowl (the Csound manual's modal frequency ratios; tests/reference_values.py).
"""

import argparse
import os

import physsynth as ps
from physsynth.modal.axisymmetric import wine_glass_modes

HERE = os.path.dirname(os.path.abspath(__file__))
MEASURED = {2: 221.0, 3: 614.0, 4: 1145.0, 5: 1804.0, 6: 2577.0, 7: 3456.0, 8: 4419.0}

ap = argparse.ArgumentParser()
ap.add_argument("--save", help="save the modal model here")
ap.add_argument("--fmax", type=float, default=5000.0)
args = ap.parse_args()

mesh = ps.load_mesh(os.path.join(HERE, "..", "meshes", "tibetan_bowl_180.msh"))
model = ps.modal_analysis(mesh, ps.get_material("bell_bronze"), fmax=args.fmax)
if args.save:
    model.save(args.save)
wg = wine_glass_modes(model)
f2 = model.frequencies[wg[2][0]]
print(f"bundled bowl: {mesh.describe()}")
print(f"{model.n_modes} modes below {args.fmax:.0f} Hz, {model.dofs} DOF")
print(f"{'n':>2} {'doublet_Hz':>20} {'ratio':>7} {'measured':>9} {'meas_ratio':>10} {'err_%':>6}")
errs = []
for n, idx in wg.items():
    f = model.frequencies[idx]
    ratio = f[0] / f2
    meas = MEASURED.get(n)
    pair = ", ".join(f"{x:.1f}" for x in f)
    if meas:
        mr = meas / MEASURED[2]
        errs.append(abs(ratio / mr - 1))
        print(f"{n:>2} {pair:>20} {ratio:>7.3f} {meas:>9.0f} {mr:>10.3f} {100 * (ratio / mr - 1):>6.2f}")
    else:
        print(f"{n:>2} {pair:>20} {ratio:>7.3f}")
print(f"fundamental_error_percent: {100 * (f2 / MEASURED[2] - 1):.2f}")
print(f"max_ratio_error_percent: {100 * max(errs):.2f}")
