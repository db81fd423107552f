"""Plug a new excitation kind into the batch engine and run it on a local Dask cluster.

Run: python examples/22_batch_custom_excitation.py [--outdir .] [--workers 2]

A "flam" is two strokes of the same stick a few milliseconds apart. The kind is defined and
registered in this script; its render function travels to the worker processes with each task
(Dask pickles functions of the main script by value), so the engine needs no change. The
check uses linearity: the flam must equal the single stroke plus the single stroke delayed,
which the dataset lets us verify because each row records the gain that normalised its file
(physical value = sample / gain). The printed error is relative to the flam's peak, in dB; it
is the 24-bit quantisation of the files (about -140 dB), not a modelling error.
"""

import argparse
import csv
import math
import os

import numpy as np

import physsynth as ps
from physsynth.batch import ExcitationKind, Param, parse_spec, register_excitation


def render_flam(model, p, ctx):
    """Two identical half-sine strokes ``delay`` seconds apart, at one point."""
    node, point = ctx.locate(p["at"], "excitation.at")
    hit = ps.strike(model, point, mallet=p["mallet"], sr=ctx.sr)
    one = ps.render(model, hit, ctx.pickups(hit.node, hit.direction), duration=ctx.duration, quantity=ctx.quantity)
    lag = int(round(p["delay"] * ctx.sr))
    two = one.copy()
    two[:, lag:] += one[:, : one.shape[1] - lag]
    return two, {"lag_samples": lag, "excitation_node": int(hit.node)}


FLAM = ExcitationKind(
    "flam",
    (
        Param("at", "position", doc="where both strokes land"),
        Param("mallet", "str", "hard", choices=("soft", "medium", "hard")),
        Param("delay", "float", 0.015, low=0.0, unit="s", doc="time between the strokes"),
    ),
    render_flam,
    doc="two strokes a few ms apart",
)

SPEC = {
    "duration": 0.5,
    "fade": 0.0,  # no fade-out: it would break the superposition check
    "analysis": {"n_modes": 20},
    "meshes": [{"name": "bar", "generator": "bar", "length": 0.3, "width": 0.024, "height": 0.012, "n": [30, 2, 1]}],
    "materials": ["aluminium"],
    "excitations": [
        {"kind": "strike", "mallet": "hard", "at": [0.1, 0.024, 0.006]},
        {"kind": "flam", "mallet": "hard", "at": [0.1, 0.024, 0.006], "delay": [0.007, 0.015, 0.031]},
    ],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--outdir", default=".")
    ap.add_argument("--workers", type=int, default=2, help="local Dask workers (0: serial)")
    args = ap.parse_args()
    register_excitation(FLAM, replace=True)
    os.makedirs(args.outdir, exist_ok=True)
    dataset = os.path.join(args.outdir, "flam_dataset")
    report = ps.run_batch(parse_spec(SPEC), dataset, workers=args.workers, progress=False)
    print(f"rendered: {report.rendered}")
    print(f"failed: {report.failed}")

    with open(report.table, newline="") as fh:
        rows = list(csv.DictReader(fh))

    def physical(r):
        x, sr = ps.read_wav(os.path.join(dataset, r["file"]))
        return x[0] / float(r["gain"])

    single = physical(next(r for r in rows if r["excitation"] == "strike"))
    worst = -math.inf
    for r in rows:
        if r["excitation"] != "flam":
            continue
        lag = int(r["lag_samples"])
        flam = physical(r)
        expected = single.copy()
        expected[lag:] += single[: single.size - lag]
        err_db = 20 * math.log10(np.max(np.abs(flam - expected)) / np.max(np.abs(flam)))
        worst = max(worst, err_db)
        print(f"# delay {1e3 * float(r['excitation.delay']):.0f} ms = {lag} samples: error {err_db:.1f} dB")
    print(f"flam_superposition_error_db: {worst:.1f}")


if __name__ == "__main__":  # Dask's worker processes import this file: keep the run here
    main()
