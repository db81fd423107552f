"""What a struck plate sounds like, in pictures: spectrum, spectrogram and the decay of each
mode, with the model's frequencies and decay rates drawn over the measurement.

Run: python examples/18_spectrum_and_decay.py [--outdir docs/img] [--wav plate.wav]
Writes plate_sound.png to --outdir (default docs/img) and, with --wav, the sound. The plate
is the simply supported 300 x 200 x 2 mm steel plate of example 07, with a loss factor of
0.003 (a chosen value: steel's own loss is ~1e-4, but a real plate also loses energy to its
supports and the air) so that every mode dies away within the 2 s shown. Prints, for the
five loudest modes in the sound:

- ``peak_error_cents``: largest distance between a spectral peak of the sound
  (physsynth.measure.peak_frequency) and the model frequency marked on the plots (a damped
  mode rings at omega sqrt(1 - eta^2 / 4), eta^2 / 8 = 1.1e-6 or 0.002 cent low here);
- ``decay_error_percent``: largest relative difference between the decay rate measured in a
  band around the mode (what the decay panel draws) and the model's decay rate.
"""

import argparse
import os

import numpy as np

import physsynth as ps
from physsynth.measure import LN1000, cents, decay_rates, peak_frequency
from physsynth.viz import plot_sound, save_figure
from physsynth.viz.sound import strongest_modes

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--outdir", default=os.path.normpath(os.path.join(HERE, "..", "docs", "img")))
ap.add_argument("--wav", help="also write the sound to this WAV file")
args = ap.parse_args()
os.makedirs(args.outdir, exist_ok=True)

sr = 48000
steel = ps.get_material("steel").with_damping(ps.LossFactor(0.003))
mesh = ps.load_mesh(os.path.join(HERE, "..", "meshes", "plate_rect_300x200.msh"))
plate = ps.modal_analysis(mesh, steel, n_modes=30, thickness=0.002, support=["edge"])
hit = ps.strike(plate, (0.07, 0.05, 0.0), mallet="hard", sr=sr)
audio = ps.render(plate, hit, ps.pickup(plate, (0.21, 0.13, 0.0)), duration=2.0)
print(f"rendered 2 s: {plate.n_modes} modes up to {plate.frequencies[-1]:.0f} Hz")
if args.wav:
    print("wrote", ps.write_wav(args.wav, audio, sr=sr))

loud = strongest_modes(audio, plate, 5, sr=sr)
f_model = plate.frequencies[loud]
f_peak = np.array([peak_frequency(audio[0], sr=sr, f_guess=f, rel_window=0.01) for f in f_model])
sigma = decay_rates(audio[0], sr=sr, freqs=f_model, neighbours=plate.frequencies)
err_cents = cents(f_peak, f_model)
dec = 100 * (sigma / plate.decay_rates[loud] - 1)
print(f"{'mode':>4} {'model_Hz':>9} {'peak_Hz':>9} {'cents':>7} {'T60_model':>9} {'T60_meas':>9}")
for k, fm, fp, c, s in zip(loud, f_model, f_peak, err_cents, sigma):
    print(f"{k + 1:>4} {fm:>9.2f} {fp:>9.2f} {c:>7.3f} {plate.t60[k]:>9.3f} {LN1000 / s:>9.3f}")

fig = plot_sound(audio, sr=sr, model=plate, title="steel plate 300 x 200 x 2 mm, struck", dpi=72)
print("wrote", save_figure(fig, os.path.join(args.outdir, "plate_sound.png"), colors=64))
print(f"peak_error_cents: {np.abs(err_cents).max():.4f}")
print(f"decay_error_percent: {np.abs(dec).max():.3f}")
