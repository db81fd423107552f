"""Calibrate the bundled bowl to a recording of "your" bowl: the pictures of docs/calibrate.md.

Run: python examples/23_calibrate_bowl.py [--outdir docs/img] [--wav rec.wav]

The "recording" is made here, so that the answer is known: the bundled 180 mm bowl with a
Young's modulus 4 % above the library's bell bronze and a loss law of its own (eta 1.5e-3 at
1 kHz, rising as f^0.3), struck on the rim with a hard mallet, through a small room
(exponentially decaying noise, T60 0.3 s, 10 dB below the direct sound) with noise 40 dB
down. The library model is then fitted to it: partials by ESPRIT, modes paired, E and the
loss law fitted, resynthesis scored. Writes calibrate_analysis.png (the partials over the
spectrogram) and calibrate_fit.png (errors before and after) to --outdir. Prints:

- ``E_error_percent``: fitted E against the hidden one;
- ``t60_error_percent``: largest T60 error of the paired modes against the hidden model's;
- ``loss_ratio``: spectral loss after the fit over before.
"""

import argparse
import os
from dataclasses import replace

import numpy as np
from scipy.signal import fftconvolve

import physsynth as ps
from physsynth.calibrate import analyse, fit_model, score
from physsynth.calibrate.report import plot_analysis, plot_fit
from physsynth.viz import save_figure

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--outdir", default=os.path.normpath(os.path.join(HERE, "..", "docs", "img")))
ap.add_argument("--wav", help="also write the recording to this WAV file")
args = ap.parse_args()
os.makedirs(args.outdir, exist_ok=True)

sr = 48000
mesh = ps.load_mesh(os.path.join(HERE, "..", "meshes", "tibetan_bowl_180.msh"))
bronze = ps.get_material("bell_bronze")
model = ps.modal_analysis(mesh, bronze, fmax=4000)  # what physsynth knows: the shape, a library material

# --- the "recording": a hidden material, a mallet, a room, a microphone's noise
hidden_E = 1.04 * bronze.E
law = ps.LossFactor(eta=1.5e-3, f_ref=1000.0, exponent=0.3)
truth = ps.modal_analysis(mesh, replace(bronze, E=hidden_E).with_damping(law), fmax=4100)
lo, hi = mesh.bounding_box
at = np.array([hi[0], 0.0, hi[2] - 0.004])  # the rim, from outside
dry = ps.render(truth, ps.strike(truth, at, mallet="hard", sr=sr), duration=4.0)[0]
rng = np.random.default_rng(16)
n_ir = int(0.6 * sr)
ir = rng.standard_normal(n_ir) * np.exp(-6.908 * np.arange(n_ir) / sr / 0.3)
ir *= 10 ** (-10 / 20) / np.sqrt(np.sum(ir**2))
ir[0] += 1.0
rec = np.concatenate([np.zeros(int(0.1 * sr)), fftconvolve(dry, ir)[: dry.size]])
rec += rng.standard_normal(rec.size) * np.sqrt(np.mean(rec**2)) * 1e-2
rec = 0.8 * rec / np.abs(rec).max()
if args.wav:
    ps.write_wav(args.wav, rec, sr=sr, headroom_db=None)

# --- physsynth analyse, physsynth fit
an = analyse(rec, sr=sr)
fit = score(fit_model(model, an, vary=("E",), damping="loss"), rec, sr=sr, at=at, mallet="hard")
print(an.table())
print(fit.table())
save_figure(plot_analysis(rec, an, sr=sr), os.path.join(args.outdir, "calibrate_analysis.png"))
save_figure(plot_fit(fit), os.path.join(args.outdir, "calibrate_fit.png"))
r = fit.report()
print(f"E_error_percent: {100 * (fit.parameters['E'] / hidden_E - 1):.4f}")
print(f"t60_error_percent: {100 * np.max(np.abs(fit.model.t60[fit.modes] / truth.t60[fit.modes] - 1)):.3f}")
print(f"loss_ratio: {r['loss_after'] / r['loss_before']:.3f}")
