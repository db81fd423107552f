"""Modal-analysis and resonator speed, as ratios against baselines measured in the same run.

For the bundled bowl and a ~80k-DOF mesh: assembly time, eigen-solve time of physsynth's
solver, and scipy's ``eigsh(K, k, M=M, sigma=sigma)`` with its default SuperLU on the same
matrices. For the resonator kernel: mode-samples per second against a numpy exp*sin sum.

Run: ``python benchmarks/bench_modal.py [--modes 50] [--quick]``. Ends with the lines
``eigensolve_speedup_vs_superlu: X`` (the smaller of the two meshes' speed-ups) and
``resonator_mode_samples_per_s: Y``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np
import scipy.sparse.linalg as sla

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import physsynth as ps  # noqa: E402
from physsynth.fem.solid import assemble_solid  # noqa: E402
from physsynth.modal import linsolve  # noqa: E402

SIGMA = -((2 * np.pi * 10.0) ** 2)


def fine_bowl(target_dofs=80_000):
    """The bowl generator at a finer size, to get about target_dofs P2 DOF (needs gmsh)."""
    import subprocess

    out = os.path.join(tempfile.mkdtemp(), "bowl_fine.msh")
    script = os.path.join(os.path.dirname(HERE), "meshes", "make_bowl.py")
    for size in (0.0065, 0.006, 0.0055, 0.005):
        subprocess.run([sys.executable, script, "--mesh-size", str(size), "-o", out], check=True, capture_output=True)
        mesh = ps.load_mesh(out)
        n = 3 * (len(mesh.corner_nodes) + _n_edges(mesh))
        if n >= 0.95 * target_dofs:
            return mesh, f"bowl generator at size {size} m"
    return mesh, f"bowl generator at size {size} m"


def box_mesh(target_dofs=80_000):
    n = 1
    while True:
        mesh = ps.bar_mesh(0.4, 0.12, 0.07, (4 * n, n + 1, n))
        d = 3 * (len(mesh.corner_nodes) + _n_edges(mesh))
        if d >= 0.9 * target_dofs:
            return mesh, "structured box 0.4 x 0.12 x 0.07 m"
        n += 1


def _n_edges(mesh):
    from physsynth.mesh import TET_EDGES

    e = np.sort(mesh.cells[:, TET_EDGES].reshape(-1, 2), axis=1)
    return len(np.unique(e, axis=0))


def bench_case(name, mesh, material, k, repeats):
    t_asm = np.inf
    for _ in range(2):  # the first call also pays for imports and caches
        t0 = time.perf_counter()
        disc = assemble_solid(mesh, material, order=2)
        t_asm = min(t_asm, time.perf_counter() - t0)
    K, M = disc.K.tocsc(), disc.M.tocsc()
    ours, base = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        vals, _ = linsolve.eigsh_shift_invert(K, M, k, SIGMA, backend="auto")
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref = sla.eigsh(K, k=k, M=M, sigma=SIGMA, return_eigenvectors=False)
        base.append(time.perf_counter() - t0)
    ref = np.sort(ref)
    elastic = ref > 1e-3 * abs(SIGMA)
    err = np.max(np.abs(vals[elastic] - ref[elastic]) / ref[elastic])
    t_ours, t_base = min(ours), min(base)
    print(f"\n[{name}] {disc.n_dofs} DOF, {k} modes, backend {_backend()}")
    print(f"  assembly (K and M, P2):       {t_asm:8.2f} s  ({100 * t_asm / t_ours:.0f} % of our solve)")
    print(f"  eigen-solve, physsynth:       {t_ours:8.2f} s")
    print(f"  eigen-solve, eigsh + SuperLU: {t_base:8.2f} s")
    print(f"  speed-up:                     {t_base / t_ours:8.2f} x   (max rel. eigenvalue diff {err:.1e})")
    return t_base / t_ours


def _backend():
    avail = linsolve.available_backends()
    return avail[0] if avail else "superlu"


def bench_resonators(n_modes=1000, seconds=2.0, sr=48000):
    from physsynth.kernels.resonators import resonator_bank

    rng = np.random.default_rng(0)
    f = rng.uniform(50, 20000, n_modes)
    sigma = rng.uniform(0.5, 20, n_modes)
    a1, a2, b0, b1, b2 = ps.resonator_coefficients(2 * np.pi * f, sigma, sr=sr)
    w = rng.normal(size=(1, n_modes))
    u = ps.contact_pulse(1e-3, sr=sr)
    n = int(seconds * sr)
    out = np.empty((1, n))
    args = (a1, a2, b0, b1, b2, w, u)
    resonator_bank(*args, np.zeros(n_modes), np.zeros(n_modes), out)  # compile / warm up
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        resonator_bank(*args, np.zeros(n_modes), np.zeros(n_modes), out)
        best = min(best, time.perf_counter() - t0)
    ours = n_modes * n / best

    # numpy baseline: sum_k A_k exp(-sigma_k t) sin(omega_k t), in blocks of samples
    t = np.arange(n) / sr
    amp = rng.normal(size=n_modes)
    om = 2 * np.pi * f
    t0 = time.perf_counter()
    y = np.zeros(n)
    blk = 2048
    for i in range(0, n, blk):
        tt = t[i : i + blk]
        y[i : i + blk] = amp @ (np.exp(-np.outer(sigma, tt)) * np.sin(np.outer(om, tt)))
    base = n_modes * n / (time.perf_counter() - t0)
    rt = ours / (n_modes * sr)
    print(f"\n[resonators] {n_modes} modes x {n} samples, one output")
    print(f"  numba kernel:      {ours:10.3e} mode-samples/s  ({rt:.0f}x real time for {n_modes} modes at {sr} Hz)")
    print(f"  numpy exp*sin sum: {base:10.3e} mode-samples/s")
    print(f"  ratio:             {ours / base:10.1f} x")
    return ours


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modes", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="skip the ~80k-DOF case")
    args = ap.parse_args()
    print(f"backends available: {', '.join(linsolve.available_backends())}")
    bronze = ps.get_material("bell_bronze")
    bowl = ps.load_mesh(os.path.join(os.path.dirname(HERE), "meshes", "tibetan_bowl_180.msh"))
    speedups = [bench_case("bundled bowl", bowl, bronze, args.modes, args.repeats)]
    if not args.quick:
        try:
            big, how = fine_bowl()
        except Exception as exc:  # gmsh missing: a box of the same size class
            print(f"(fine bowl unavailable: {exc}; using a box)")
            big, how = box_mesh()
        speedups.append(bench_case(f"~80k DOF: {how}", big, bronze, args.modes, args.repeats))
    rate = bench_resonators()
    print()
    print(f"eigensolve_speedup_vs_superlu: {min(speedups):.2f}")
    print(f"resonator_mode_samples_per_s: {rate:.3e}")


if __name__ == "__main__":
    main()
