"""Bow a free aluminium bar at its end, the way a vibraphone bar is bowed.

Run: python examples/16_bowed_bar.py [--force 2] [--speed 0.2] [--outdir DIR]
A 300 x 30 x 10 mm aluminium bar (free-free, P2 finite elements, a few seconds) is bowed on
its end face, the bow drawn across the thickness (z) and pressing along the bar's axis; the
same friction kernel as the singing bowl, with a fixed contact point (Essl & Cook, JASA 108,
2000, measured bowed vibraphone bars). Prints the sustained frequency against the bar's first
bending mode (z) and against Euler-Bernoulli theory (beta_1 L = 4.730041, free-free; the
value of tests/reference_values.py), the sustain ratio and the fraction of
time the bow sticks.
"""

import argparse
import math
import os

import numpy as np

import physsynth as ps
from physsynth.excitation.friction import FrictionLaw
from physsynth.measure import frame_rms, peak_frequency
from physsynth.simulate.friction import bow_modal

L, W, H = 0.300, 0.030, 0.010  # m; L / H = 30 keeps Timoshenko's shortfall near 1 %


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--force", type=float, default=2.0, help="bow force, N")
    ap.add_argument("--speed", type=float, default=0.2, help="bow speed, m/s")
    ap.add_argument("--duration", type=float, default=3.0, help="s")
    ap.add_argument("--outdir", default=None, help="write bar_bowed.wav here")
    args = ap.parse_args()

    mat = ps.get_material("aluminium")
    model = ps.modal_analysis(ps.bar_mesh(L, W, H, (60, 6, 2)), mat, n_modes=12)
    # the first bending mode across the thickness: mostly z motion, lowest such mode
    share = np.sum(model.shapes[:, :, 2] ** 2, axis=1) / np.sum(model.shapes**2, axis=(1, 2))
    k1 = int(np.flatnonzero(share > 0.8)[0])
    f_mode = float(model.frequencies[k1])
    f_beam = 4.730041**2 / (2 * math.pi * L**2) * math.sqrt(mat.E * H**2 / (12 * mat.rho))

    sr = 48000
    # rosin on aluminium: the bowed-string law (hyperbolic), rosin-like coefficients
    law = FrictionLaw(mu_s=0.8, mu_d=0.3, v_c=0.1, kind="hyperbolic")
    r = bow_modal(
        model,
        (L, W / 2, H / 2),
        direction=(0, 0, 1),
        force=args.force,
        speed=args.speed,
        duration=args.duration,
        sr=sr,
        law=law,
    )
    y = r.audio[0]  # velocity of the bowed point along the bow
    f_bowed = peak_frequency(y[-sr // 2 :], sr=sr)
    per = frame_rms(y, sr=sr, frame=0.25)
    print(f"contact: {r.path.description}")
    print(f"threshold force of the first bending mode: {r.threshold[k1]:.4f} N")
    print(f"bowed_frequency_hz: {f_bowed:.3f}")
    print(f"mode_frequency_hz: {f_mode:.3f}")
    print(f"frequency_error_percent: {100 * (f_bowed / f_mode - 1):.3f}")
    print(f"beam_theory_hz: {f_beam:.3f}")
    print(f"theory_error_percent: {100 * (f_bowed / f_beam - 1):.3f}")
    print(f"sustain_ratio: {per[-1] / per.max():.3f}")
    print(f"stick_fraction: {np.mean(r.relative_velocity[-sr // 2 :] == 0):.3f}")
    if args.outdir:
        path = os.path.join(args.outdir, "bar_bowed.wav")
        ps.write_wav(path, ps.fade_out(y, sr=sr, seconds=0.05), sr=sr)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
