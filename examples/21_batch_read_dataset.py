"""Read a dataset made by ``physsynth batch``: its table, its files, a physical law across it.

Run: python examples/21_batch_read_dataset.py [--dataset sweep_dataset/]
(renders examples/20_batch_sweep.toml serially into ./sweep_dataset first if it is missing).

Every row of metadata.csv is one sound with all its parameters. Here: for each object, the
modes of brass over those of bell bronze. Both have nu = 0.34, so the elastic problem
K(E) x = omega^2 M(rho) x of one mesh scales exactly: omega ~ sqrt(E / rho), the same ratio
for every mode (aluminium, nu = 0.33, does not share it). The printed error is the largest
departure of a mode's ratio from sqrt((E_1/rho_1) / (E_2/rho_2)), in parts per million.
"""

import argparse
import csv
import json
import math
import os

import physsynth as ps

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="sweep_dataset")
    args = ap.parse_args()
    table = os.path.join(args.dataset, "metadata.csv")
    if not os.path.exists(table):
        ps.run_batch(os.path.join(HERE, "20_batch_sweep.toml"), args.dataset, workers=0)

    with open(table, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["status"] == "ok"]
    print(f"rows: {len(rows)}")
    first = {}  # (mesh, material) -> (E, rho, nu, modal frequencies)
    for r in rows:
        first.setdefault(
            (r["mesh"], r["material"]),
            (
                float(r["material.E"]),
                float(r["material.rho"]),
                float(r["material.nu"]),
                json.loads(r["modal_frequencies_hz"]),
            ),
        )
    worst = 0.0
    for mesh in sorted({m for m, _ in first}):
        if not {(mesh, "brass"), (mesh, "bell_bronze")} <= set(first):
            continue
        E1, rho1, nu1, f1 = first[(mesh, "brass")]
        E2, rho2, nu2, f2 = first[(mesh, "bell_bronze")]
        assert nu1 == nu2
        expected = math.sqrt((E1 / rho1) / (E2 / rho2))
        err = max(abs(a / b / expected - 1.0) for a, b in zip(f1, f2))
        worst = max(worst, err)
        print(
            f"# {mesh}: brass / bell bronze = {f1[0] / f2[0]:.6f} (sqrt(E/rho) ratio {expected:.6f}), {len(f1)} modes"
        )
    print(f"max_scaling_error_ppm: {1e6 * worst:.3g}")
    loud = max(rows, key=lambda r: float(r["peak_physical"]))
    print(
        f"# loudest before normalisation: {loud['mesh']} {loud['material']} "
        f"{loud['excitation']} {loud['excitation.mallet']}, peak {float(loud['peak_physical']):.3g} "
        f"m/s (file samples / gain = m/s)"
    )


if __name__ == "__main__":
    main()
