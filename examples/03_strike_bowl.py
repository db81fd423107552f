"""Strike the bundled bowl with three mallets and write a WAV for each.

Run: python examples/03_strike_bowl.py [--model bowl_modes.npz] [--outdir .]
Prints each mallet's spectral centroid (brighter for harder mallets) and the measured T60 of
the fundamental against the model's.
"""

import argparse
import os

import physsynth as ps

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--model", help="a saved modal model of the bowl (else computed)")
ap.add_argument("--outdir", default=".")
ap.add_argument("--duration", type=float, default=6.0)
args = ap.parse_args()

if args.model and os.path.exists(args.model):
    model = ps.ModalModel.load(args.model)
else:
    mesh = ps.load_mesh(os.path.join(HERE, "..", "meshes", "tibetan_bowl_180.msh"))
    model = ps.modal_analysis(mesh, ps.get_material("bell_bronze"), fmax=8000.0)

sr = 48000
lo, hi = model.mesh.bounding_box
rim = (hi[0], 0.0, hi[2] - 0.004)
for mallet in ("soft", "medium", "hard"):
    hit = ps.strike(model, rim, direction=(-1, 0, 0), mallet=mallet, sr=sr)
    y = ps.render(model, hit, duration=args.duration)[0]
    centroid = ps.spectral_centroid(y[: sr // 2], sr=sr)  # the attack's first half second
    path = os.path.join(args.outdir, f"bowl_{mallet}.wav")
    ps.write_wav(path, y, sr=sr)
    print(f"{mallet:>6}: spectral centroid {centroid:7.0f} Hz -> {path}")
print(
    f"fundamental {model.frequencies[0]:.1f} Hz, T60 {model.t60[0]:.1f} s (bell bronze, "
    f"loss factor {model.material.damping.to_dict().get('eta')})"
)
