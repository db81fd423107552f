"""The same plate struck with each physical mallet: contact time, peak force, brightness.

Run: python examples/12_mallet_comparison.py [--model MODEL.npz] [--outdir .] [--velocity 1.0]
Without --model it computes a simply supported 300 x 200 x 2 mm steel plate (a few seconds).
Each mallet (felt, rubber, wood, plastic, metal; physsynth.excitation.mallet.MALLETS) hits the
same point at the same speed; the contact is simulated with the plate's modes (Hertz or
felt law, sub-stepped), so the contact time and peak force are results, not inputs. Prints
one line per mallet and `key: value` lines; writes mallet_<name>.wav.
"""

import argparse
import os

import physsynth as ps
from physsynth.excitation.mallet import MALLETS
from physsynth.simulate.score import mallet_strike

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--model", help="a saved modal model (e.g. the bowl from examples/02)")
ap.add_argument("--outdir", default=".")
ap.add_argument("--velocity", type=float, default=1.0, help="impact velocity, m/s")
ap.add_argument("--duration", type=float, default=2.0)
args = ap.parse_args()

sr = 48000
if args.model:
    model = ps.ModalModel.load(args.model)
    lo, hi = model.mesh.bounding_box
    at, direction = (hi[0], 0.0, hi[2] - 0.004), (-1.0, 0.0, 0.0)  # a bowl's rim, from outside
    listen = (hi[0] * 0.5, hi[0] * 0.866, hi[2] - 0.004)  # 60 degrees round the rim
else:
    mesh = ps.load_mesh(os.path.join(HERE, "..", "meshes", "plate_rect_300x200.msh"))
    model = ps.modal_analysis(mesh, ps.get_material("steel"), fmax=8000.0, thickness=0.002, support=["edge"])
    at, direction = (0.07, 0.05, 0.0), (0.0, 0.0, -1.0)
    listen = (0.21, 0.13, 0.0)
print(f"model: {model.summary()}")
pk = ps.pickup(model, listen)
print(f"{'mallet':>8} {'contact_ms':>10} {'peak_N':>8} {'contacts':>8} {'rebound_m/s':>11} {'centroid_Hz':>11}")
centroids, lines = {}, []
for name in MALLETS:
    hit = mallet_strike(
        model, at, mallet=name, velocity=args.velocity, direction=direction, pickups=pk, sr=sr, duration=args.duration
    )
    y = hit.audio[0]
    centroids[name] = ps.spectral_centroid(y[: sr // 2], sr=sr)  # the attack's first half second
    ps.write_wav(os.path.join(args.outdir, f"mallet_{name}.wav"), ps.fade_out(y, sr=sr), sr=sr)
    print(
        f"{name:>8} {1e3 * hit.contact_time:>10.3f} {hit.peak_force:>8.1f} {hit.contacts:>8d} "
        f"{hit.rebound_velocity:>11.3f} {centroids[name]:>11.0f}"
    )
    lines += [
        f"contact_time_{name}_ms: {1e3 * hit.contact_time:.4f}",
        f"peak_force_{name}_n: {hit.peak_force:.2f}",
        f"centroid_{name}_hz: {centroids[name]:.1f}",
    ]
print("\n".join(lines))
order = ["felt", "rubber", "wood", "plastic", "metal"]  # stiffer tips, shorter contacts, brighter
ok = all(centroids[a] < centroids[b] for a, b in zip(order, order[1:]))
print(f"centroid_order_ok: {int(ok)}")
