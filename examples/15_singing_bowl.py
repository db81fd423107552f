"""Rub the bundled Tibetan bowl with a puja until it sings.

Run: python examples/15_singing_bowl.py [--model bowl.npz | --mesh bowl.msh] [--outdir DIR]
         [--force 10] [--speed 0.15] [--duration 12]
Computes the bowl's modes below 3 kHz (about 20 s; or loads a saved model), rubs the outer rim
3.8 mm below the top with a puja pressing with ``--force`` newtons and sliding at ``--speed``
m/s (Inacio, Henrique & Antunes, Acta Acustica 92, 2006), and prints:

- the tone's fundamental against the model's first wine-glass mode (2, 0) and against the
  measured 221 Hz of a real 180 mm bowl (tests/reference_values.py),
- the sustain ratio (RMS of the last second / RMS of the loudest second),
- the beat rate: the envelope of the (2, 0) band pulses as the singing pattern turns with the
  puja, 2 n = 4 times per revolution, so at 2 n V / (2 pi R) Hz,
- the linear threshold force below which the bowl does not sing (docs/friction-theory.md).
"""

import argparse
import math
import os

import numpy as np

import physsynth as ps
from physsynth.measure import band_envelope, frame_rms, peak_frequency, spectral_peaks
from physsynth.modal.axisymmetric import wine_glass_modes
from physsynth.simulate.friction import rub

HERE = os.path.dirname(os.path.abspath(__file__))
MEASURED_N2 = 221.0  # Hz, 180 mm bowl (TIBETAN_BOWL_180MM, tests/reference_values.py)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", help="a saved modal model of the bowl")
    ap.add_argument("--mesh", default=os.path.join(HERE, "..", "meshes", "tibetan_bowl_180.msh"))
    ap.add_argument("--outdir", default=None, help="write bowl_sung.wav here")
    ap.add_argument("--force", type=float, default=10.0, help="N")
    ap.add_argument("--speed", type=float, default=0.15, help="m/s")
    ap.add_argument("--duration", type=float, default=12.0, help="s")
    args = ap.parse_args()

    if args.model and os.path.exists(args.model):
        model = ps.ModalModel.load(args.model)
    else:
        model = ps.modal_analysis(ps.load_mesh(args.mesh), ps.get_material("bell_bronze"), fmax=3000.0)
    wg = wine_glass_modes(model)[2]
    f_wg = float(model.frequencies[wg[0]])
    sr = 48000
    r = rub(model, force=args.force, speed=args.speed, duration=args.duration, sr=sr)
    y = r.audio[0]  # the pickup 60 degrees round the rim from the puja's start

    tail = y[-4 * sr :]
    f0 = peak_frequency(tail, sr=sr)
    per_second = frame_rms(y, sr=sr, frame=1.0)
    sustain = per_second[-1] / per_second.max()
    # the (2, 0) band's envelope over the last 4 s (band f_wg +- 15 %, at sr / 48)
    env = band_envelope(y, sr=sr, f=f_wg, half_width=0.15 * f_wg, order=4)[::48][-4 * sr // 48 :]
    n = 2
    expected = 2 * n * args.speed / (2 * math.pi * r.path.radius)
    # its strongest modulation line within +-50 % of the prediction (NaN if there is none)
    beat = spectral_peaks(env - env.mean(), expected, sr=sr / 48, rel_window=0.5, pad=16)[0]
    depth = (env.max() - env.min()) / (env.max() + env.min())
    thr = float(r.threshold[wg[0]])

    print(f"contact: {r.path.description}")
    print(
        f"puja: {args.force:g} N at {args.speed:g} m/s, {args.speed / (2 * math.pi * r.path.radius):.3f} "
        f"revolutions/s; stick fraction {np.mean(r.relative_velocity[-sr:] == 0):.3f}"
    )
    print(f"fundamental_hz: {f0:.3f}")
    print(f"wine_glass_hz: {f_wg:.3f}")
    print(f"fundamental_error_percent: {100 * (f0 / f_wg - 1):.3f}")
    print(f"measured_error_percent: {100 * (f0 / MEASURED_N2 - 1):.3f}")
    print(f"sustain_ratio: {sustain:.3f}")
    print(f"beat_rate_hz: {beat:.4f}")
    print(f"expected_beat_rate_hz: {expected:.4f}")
    print(f"beat_rate_error_percent: {100 * (beat / expected - 1):.3f}")
    print(f"beat_depth: {depth:.3f}")
    print(f"threshold_n: {thr:.3f}")
    if args.outdir:
        path = os.path.join(args.outdir, "bowl_sung.wav")
        ps.write_wav(path, ps.fade_out(r.audio, sr=sr, seconds=0.05), sr=sr)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
