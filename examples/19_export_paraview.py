"""Mode shapes and a strike response for ParaView: VTU and XDMF files, read back with meshio.

Run: python examples/19_export_paraview.py [--outdir .]
Writes drum_modes.vtu (12 mode shapes of a 13-inch drum head as point data) and
drum_strike.xdmf + drum_strike.h5 (its displacement over the first 5 ms after a strike, 50
steps). In ParaView: open the file, pick a mode_NNN field, apply "Warp By Vector"; for the
strike, press play. Prints:

- ``max_shape_difference``: largest difference between the shapes read back from the VTU
  and the model's (0 for a lossless round trip);
- ``response_steps``: time steps in the XDMF file;
- ``response_vs_render``: largest difference between the exported displacement at a point
  and physsynth.render's displacement there, relative to its peak (the file shows what the
  audio render computes).
"""

import argparse
import os

import meshio
import numpy as np

import physsynth as ps
from physsynth.viz import export_modes, export_response, read_modes

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--outdir", default=".")
args = ap.parse_args()

sr = 48000
mesh = ps.load_mesh(os.path.join(HERE, "..", "meshes", "drum_head_r165.msh"))
drum = ps.modal_analysis(mesh, None, n_modes=12, tension=2000.0, areal_density=0.26, clamp=["edge"])
vtu = export_modes(drum, os.path.join(args.outdir, "drum_modes.vtu"))
points, numbers, freqs, shapes = read_modes(vtu)
print(f"wrote {vtu}: {len(numbers)} modes, {os.path.getsize(vtu) / 1e6:.2f} MB")
print(f"{'mode':>4} {'model_Hz':>9} {'file_Hz':>9}")
for n, f in zip(numbers, freqs):
    print(f"{n:>4} {drum.frequencies[n - 1]:>9.3f} {f:>9.3f}")
print(f"modes_exported: {len(numbers)}")
print(f"max_shape_difference: {np.abs(shapes - drum.shapes[numbers - 1]).max():.3g}")

duration, frames = 0.005, 50
hit = ps.strike(drum, (0.06, 0.03, 0.0), mallet="medium", sr=sr)
xdmf = export_response(drum, hit, os.path.join(args.outdir, "drum_strike.xdmf"), duration=duration, frames=frames)
pk = ps.pickup(drum, (-0.04, 0.09, 0.0), direction=(0.0, 0.0, 1.0))
heard = ps.render(drum, hit, pk, duration=duration, quantity="displacement")[0]
with meshio.xdmf.TimeSeriesReader(xdmf) as reader:
    reader.read_points_cells()
    seen = []
    for k in range(reader.num_steps):
        t, point_data, _ = reader.read_data(k)
        seen.append((t, point_data["displacement"][pk.node, 2]))
t, w = np.array(seen).T
ref = heard[np.round(t * sr).astype(int)]
print(f"wrote {xdmf}: displacement at {len(t)} times, 0 .. {1e3 * t[-1]:.2f} ms")
print(f"response_steps: {len(t)}")
print(f"response_vs_render: {np.abs(w - ref).max() / np.abs(heard).max():.3g}")
