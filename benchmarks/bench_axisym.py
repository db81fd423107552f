"""Bodies of revolution: the per-order axisymmetric solve against the 3D solve of the same bowl,
and one tuning run of a bell, measured in the same run.

* the bundled bowl's profile (meshes/profiles/tibetan_bowl_180.json), every mode below
  ``--fmax`` (default 8 kHz), by ``modal_analysis_axisymmetric`` at default accuracy (the
  mapped two-layer section, 0.07 % from a fine mesh; section meshing, assembly, every order,
  the ModalModel on the revolved mesh), single-threaded, best of ``--repeat``;
* the 3D P2 solve of meshes/tibetan_bowl_180.msh below the same fmax (once: it is the slow
  baseline), unless ``--quick``;
* ``tune_profile`` of the bundled church bell to Simpson's partials (5 cents).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_axisym.py [--fmax 8000] [--quick]``. Ends with
``axisym_seconds: X``, ``axisym_speedup_vs_3d: Y`` (without --quick) and ``tune_bell_seconds: Z``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

import physsynth as ps  # noqa: E402
from physsynth.modal.axisym_analysis import modal_analysis_axisymmetric  # noqa: E402
from physsynth.profiles import bundled_profile  # noqa: E402
from physsynth.tune import tune_profile  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fmax", type=float, default=8000.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="skip the 3D baseline")
    args = ap.parse_args(argv)
    bronze = ps.get_material("bell_bronze")
    prof = bundled_profile("tibetan_bowl_180")
    modal_analysis_axisymmetric(prof, bronze, n_modes=4)  # warm-up: imports, backends
    best = np.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        model = modal_analysis_axisymmetric(prof, bronze, fmax=args.fmax)  # default accuracy
        best = min(best, time.perf_counter() - t0)
    print(
        f"axisymmetric bowl below {args.fmax:g} Hz: {model.n_modes} modes (doublets twice), "
        f"{model.provenance['section_dofs']} DOF per order, orders 0..{max(model.provenance['orders_solved'])}, "
        f"best {best:.3f} s"
    )
    print(f"axisym_seconds: {best:.3f}")
    if not args.quick:
        mesh = ps.load_mesh(os.path.join(os.path.dirname(HERE), "meshes", "tibetan_bowl_180.msh"))
        t0 = time.perf_counter()
        m3 = ps.modal_analysis(mesh, bronze, fmax=args.fmax)
        t3 = time.perf_counter() - t0
        print(f"3D P2 bowl below {args.fmax:g} Hz: {m3.n_modes} modes, {m3.dofs} DOF, {t3:.2f} s")
        print(f"axisym_speedup_vs_3d: {t3 / best:.1f}")
    bell = bundled_profile("church_bell")
    t0 = time.perf_counter()
    res = tune_profile(
        bell, bronze, ratios=[0.5, 1, 1.2, 1.5, 2], modes=[(2, 0), (2, 1), (3, 0), (3, 1), (4, 0)], through_wall=1,
        tolerance=5.0, vary="profile",
    )  # fmt: skip
    tt = time.perf_counter() - t0
    print(res.table())
    print(f"# {res.message}")
    print(f"tune_bell_seconds: {tt:.2f}")


if __name__ == "__main__":
    main()
