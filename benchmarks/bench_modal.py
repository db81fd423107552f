"""Modal-analysis and resonator speed, as ratios against baselines measured in the same run.

For the bundled bowl and a ~80k-DOF mesh: assembly time, eigen-solve time of physsynth's
solver against

* the bound: the factorisation of K - sigma M plus the solves of 2 k vectors in blocks of the
  solver's block size, both timed here with the chosen backend (what any shift-invert method
  that needs two vectors per mode must pay);
* scipy's ``eigsh(K, k, M=M, sigma=sigma, OPinv=<CHOLMOD factor>)`` (sfepy's way), when
  scikit-sparse is installed;
* scipy's ``eigsh(K, k, M=M, sigma=sigma)`` with its default SuperLU.

``--fmax F`` also times the certified count (inertia) and the solve for every mode below F.
``--scale`` runs P2 boxes of about 20k, 80k, 200k and 400k DOF (``--scale-dofs``) with 100
modes, each in a fresh process (time, peak resident memory: ``ru_maxrss``, which counts the
native libraries' memory that tracemalloc misses) and fits the growth exponents; a point over
``--scale-timeout`` seconds is stopped and printed as an ESTIMATE from the fit.
``--demo`` times ``physsynth demo`` from an empty cache with each installed backend;
``--refusal`` times memory refusals from the command line; ``--krylov`` measures and simulates
the Krylov space that k pairs need; ``--backend`` picks the backend
(e.g. ``pardiso``, what a pip-only install has). Each figure is printed with the load average.
For the resonator kernel: mode-samples per second against a numpy exp*sin sum.

Run: ``python benchmarks/bench_modal.py [--modes 50] [--quick] [--fmax 8000] [--scale]``.
Ends with the lines ``eigensolve_ratio_to_bound: R`` (the largest of the meshes'),
``eigensolve_speedup_vs_superlu: X`` (the smaller of the meshes' speed-ups) and
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


def bound(K, M, k, backend):
    """Factorisation time and the time of 2 k solves in blocks of the solver's block size."""
    t0 = time.perf_counter()
    f = linsolve.factorize((K - SIGMA * M).tocsc(), backend=backend)
    t_f = time.perf_counter() - t0
    b = linsolve._default_block(k)
    B = np.asfortranarray(np.random.default_rng(0).standard_normal((K.shape[0], b)))
    with linsolve._iteration_threads():
        f.solve(B)  # warm-up
        per = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            f.solve(B)
            per = min(per, (time.perf_counter() - t0) / b)
    return t_f, per, b, f


def bench_case(name, mesh, material, k, repeats, fmax=None, baselines=True):
    t_asm = np.inf
    for _ in range(2):  # the first call also pays for imports and caches
        t0 = time.perf_counter()
        disc = assemble_solid(mesh, material, order=2)
        t_asm = min(t_asm, time.perf_counter() - t0)
    K, M = disc.K.tocsc(), disc.M.tocsc()
    backend = _backend()
    ours, bounds, stats = [], [], None
    for _ in range(repeats):
        t_f, per, b, _f = bound(K, M, k, backend)
        del _f
        bounds.append(t_f + 2 * k * per)
        t0 = time.perf_counter()
        vals, _ = linsolve.eigsh_shift_invert(K, M, k, SIGMA, backend=backend)
        ours.append(time.perf_counter() - t0)
        stats = {a: v for a, v in linsolve.last_stats.items() if a != "factor"}
    t_ours, t_bound = min(ours), min(bounds)
    print(f"\n[{name}] {disc.n_dofs} DOF, {k} modes, backend {backend} ({_load()})")
    print(f"  assembly (K and M, P2):       {t_asm:8.2f} s  ({100 * t_asm / t_ours:.0f} % of our solve)")
    st = stats
    print(
        f"  eigen-solve, physsynth:       {t_ours:8.2f} s  (factor {st['factor_s']:.2f} s, {st['solves']} solves "
        f"in blocks of {st['block_size']} {st['solve_s']:.2f} s, orthogonalisation {st['orthogonalise_s']:.2f} s, "
        f"Rayleigh-Ritz {st['rayleigh_ritz_s']:.2f} s, vectors {st['vectors_s']:.2f} s, {st['restarts']} restarts)"
    )
    print(
        f"  bound (factor + 2k solves):   {t_bound:8.2f} s  "
        f"(factor {t_f:.2f} s + {2 * k} x {1e3 * per:.2f} ms, blocks of {b})"
    )
    print(f"  ratio to the bound:           {t_ours / t_bound:8.2f}")
    # The bound's 2 k solves against the Krylov space the iteration needed, and our time against
    # the factor plus the solves it made: what the orthogonalisation and the rest add.
    own = t_f + st["solves"] * per
    print(
        f"  Krylov space needed:          {st['solves']:8d} solves = {st['solves'] / k:.1f} per mode "
        f"(bound: 2); ours / (factor + these solves) = {t_ours / own:.2f}"
    )
    speedup = None
    if baselines:
        if "cholmod" in linsolve.available_backends():
            t0 = time.perf_counter()
            f = linsolve.factorize((K - SIGMA * M).tocsc(), backend="cholmod")
            op = sla.LinearOperator(K.shape, matvec=f.solve, dtype=np.float64)
            sla.eigsh(K, k=k, M=M, sigma=SIGMA, OPinv=op, return_eigenvectors=False)
            t_c = time.perf_counter() - t0
            print(f"  eigsh + CHOLMOD (OPinv):      {t_c:8.2f} s  (ours {t_c / t_ours:.2f} x faster)")
        t0 = time.perf_counter()
        ref = sla.eigsh(K, k=k, M=M, sigma=SIGMA, return_eigenvectors=False)
        t_base = time.perf_counter() - t0
        ref = np.sort(ref)
        elastic = ref > 1e-3 * abs(SIGMA)
        err = np.max(np.abs(vals[elastic] - ref[elastic]) / ref[elastic])
        speedup = t_base / t_ours
        print(
            f"  eigsh + SuperLU:              {t_base:8.2f} s  (ours {speedup:.2f} x faster; "
            f"max rel. eigenvalue diff {err:.1e})"
        )
    if fmax is not None:
        t0 = time.perf_counter()
        inertia = linsolve.count_below(K, M, (2 * np.pi * fmax) ** 2)
        t_count = time.perf_counter() - t0
        t0 = time.perf_counter()
        vals, _ = linsolve.eigsh_shift_invert(
            K, M, inertia.below, SIGMA, backend=backend, below=(2 * np.pi * fmax) ** 2, count=inertia.below
        )
        t_all = time.perf_counter() - t0
        found = linsolve.last_stats["found_below"]
        print(
            f"  --fmax {fmax:g}: {inertia.below} eigenvalues below by inertia ({inertia.backend}, {t_count:.2f} s); "
            f"{found} found in {t_all:.2f} s ({2 * inertia.below} x {1e3 * per:.2f} ms = bound part "
            f"{2 * inertia.below * per:.2f} s + factor)"
        )
    return t_ours / t_bound, speedup


def bench_krylov(K, M, backend, ks=(20, 50, 100)):
    """How large a Krylov space the wanted pairs need: measured, and simulated on the spectrum.

    Measured: the solves of physsynth's block Lanczos at acceptance 1e-10, 1e-8 and 1e-6 for 50
    pairs, and the solves for 400. Simulated: a block Lanczos (blocks of 12, full
    reorthogonalisation) on a diagonal operator with the 400 computed eigenvalues and a power-law
    tail fitted to the last 200, with the shift at -(2 pi 10 Hz)^2 as in physsynth and with the
    shift in the middle of the wanted interval (what an indefinite LDL^T would allow).
    """
    print("\n[krylov] the Krylov space that k pairs need (bundled bowl)")
    f = linsolve.factorize((K - SIGMA * M).tocsc(), backend=backend)
    for tol in (1e-10, 1e-8, 1e-6):
        linsolve.eigsh_shift_invert(K, M, 50, SIGMA, factor=f, tol=tol)
        print(f"  50 pairs, acceptance {tol:g}: {linsolve.last_stats['solves']} solves")
    vals, _ = linsolve.eigsh_shift_invert(K, M, 400, SIGMA, factor=f)
    print(f"  400 pairs, acceptance 1e-10: {linsolve.last_stats['solves']} solves")
    el = vals[vals > 1e-3 * abs(SIGMA)]
    i = np.arange(1, len(el) + 1)
    p, a = np.polyfit(np.log(i[200:]), np.log(el[200:]), 1)
    tail = np.exp(a) * np.arange(len(el) + 1, 6001) ** p
    lam = np.sort(np.concatenate([np.zeros(6), el, tail]))

    def dimension(sigma, k, b=12, tol=1e-10):
        theta = 1.0 / (lam - sigma)
        Q = np.linalg.qr(np.random.default_rng(0).standard_normal((len(lam), b)))[0]
        V = np.zeros((len(lam), 0))
        want = np.sort(theta[:k])
        while V.shape[1] < 2000:
            V = np.hstack([V, Q])
            W = theta[:, None] * Q
            for _ in range(2):
                W -= V @ (V.T @ W)
            Q, R = np.linalg.qr(W)
            t, Y = np.linalg.eigh(V.T @ (theta[:, None] * V))
            res = np.linalg.norm(R @ Y[-b:, :], axis=0)
            near = [np.argmin(np.abs(t - w)) for w in want]
            if all(res[j] <= tol * abs(t[j]) for j in near):
                return V.shape[1]
        return None

    for k in ks:
        d0, dm = dimension(SIGMA, k), dimension(lam[k - 1] / 2, k)
        print(f"  simulated, k={k}: {d0} vectors with the shift at 10 Hz, {dm} with it mid-interval")


def _scale_child(dofs, k):
    """One scale case in this process: prints 'SCALE n_dofs seconds peak_rss_bytes'."""
    import resource

    bronze = ps.get_material("bell_bronze")
    mesh, _ = box_mesh(dofs)
    disc = assemble_solid(mesh, bronze, order=2)
    K, M = disc.K.tocsc(), disc.M.tocsc()
    del disc
    t0 = time.perf_counter()
    linsolve.eigsh_shift_invert(K, M, k, SIGMA, backend=_backend())
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"SCALE {K.shape[0]} {dt:.3f} {rss}")


def bench_scale(targets, k, limit_s=600.0):
    """One child process per size; a child over ``limit_s`` is stopped and the point estimated from the fit."""
    import subprocess

    rows, skipped = [], []
    print(f"\n[scale] P2 boxes 0.4 x 0.12 x 0.07 m, {k} modes, backend {_backend()}, one process each")
    for d in targets:
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--scale-child", str(d), "--modes", str(k)],
                capture_output=True,
                text=True,
                timeout=limit_s,
            )
        except subprocess.TimeoutExpired:
            print(f"  {d:7d} DOF: stopped after {limit_s:.0f} s ({_load()})", flush=True)
            skipped.append(d)
            continue
        line = [x for x in out.stdout.splitlines() if x.startswith("SCALE ")]
        if not line:
            print(f"  {d} DOF: failed ({out.stderr.strip().splitlines()[-1:] or out.returncode})")
            skipped.append(d)
            continue
        n, t, rss = line[0].split()[1:]
        rows.append((int(n), float(t), float(rss)))
        gib = float(rss) / 2**30
        print(f"  {int(n):7d} DOF: eigen-solve {float(t):7.2f} s, peak memory {gib:6.2f} GiB ({_load()})", flush=True)
    if len(rows) >= 2:
        n, t, r = (np.log([row[i] for row in rows]) for i in range(3))
        pt, pr = np.polyfit(n, t, 1), np.polyfit(n, r, 1)
        print(f"  growth: time ~ n^{pt[0]:.2f}, peak memory ~ n^{pr[0]:.2f}")
        for d in skipped:  # an estimate, said to be one
            te, re = np.exp(np.polyval(pt, np.log(d))), np.exp(np.polyval(pr, np.log(d))) / 2**30
            print(f"  {d:7d} DOF: ESTIMATE from the fit, not measured: about {te:.0f} s, {re:.1f} GiB")


def _backend():
    """The backend benchmarked: ``--backend`` (through PHYSSYNTH_BENCH_BACKEND, for the children) or auto."""
    chosen = os.environ.get("PHYSSYNTH_BENCH_BACKEND", "auto")
    return linsolve.check_backend(chosen)


def _load():
    return f"load {os.getloadavg()[0]:.1f}"


def bench_demo(repeats):
    """``physsynth demo`` from an empty cache (a fresh XDG_CACHE_HOME), per installed backend.

    The numba cache is not part of it: numba keeps compiled kernels in __pycache__ beside the
    package's sources (NUMBA_CACHE_DIR unset), not under XDG_CACHE_HOME; the first call below
    warms it, as any earlier run would have.
    """
    import shutil
    import subprocess

    print("\n[demo] `physsynth demo` from an empty cache (targets: 10 s best backend, 20 s pip-only)")
    out = os.path.join(tempfile.mkdtemp(), "bowl.wav")
    cmd = [sys.executable, "-m", "physsynth", "-q", "demo", "-o", out]
    subprocess.run(cmd + ["--duration", "0.1"], check=True, capture_output=True)  # numba cache, page cache
    best_by = {}
    for backend in [b for b in ("cholmod", "pardiso", "superlu") if b in linsolve.available_backends()]:
        times = []
        for _ in range(repeats):
            cache = tempfile.mkdtemp()
            env = dict(os.environ, XDG_CACHE_HOME=cache)
            t0 = time.perf_counter()
            subprocess.run(cmd + ["--solver", backend], check=True, capture_output=True, env=env)
            times.append(time.perf_counter() - t0)
            shutil.rmtree(cache, ignore_errors=True)
        best_by[backend] = min(times)
        what = {"cholmod": "CHOLMOD (root: apt + pip)", "pardiso": "PARDISO (pip only)", "superlu": "SuperLU"}[backend]
        print(f"  {what:28s} {min(times):7.2f} s  (best of {repeats}; {_load()})", flush=True)
    return best_by


def bench_refusal(repeats=3):
    """Wall time of a memory refusal from the command line, a fresh process each time."""
    import subprocess

    print("\n[refusal] `physsynth modes MESH --n-modes 100` over the memory budget (target < 1 s)")
    bowl = os.path.join(os.path.dirname(HERE), "meshes", "tibetan_bowl_180.msh")
    big = os.path.join(tempfile.mkdtemp(), "big.msh")
    mesh = ps.bar_mesh(0.4, 0.12, 0.07, (120, 36, 21))
    import meshio

    meshio.write(big, meshio.Mesh(mesh.points, [("tetra", mesh.cells)]), file_format="gmsh22", binary=True)
    cases = [
        ("bundled bowl, budget 0.2 GiB", bowl, dict(PHYSSYNTH_MEMORY_GB="0.2")),
        (f"{mesh.n_cells} tetrahedra (2.3M DOF)", big, {}),
    ]
    for name, path, env in cases:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            r = subprocess.run(
                [sys.executable, "-m", "physsynth", "-q", "modes", path, "--n-modes", "100"],
                capture_output=True,
                text=True,
                env=dict(os.environ, **env),
            )
            times.append(time.perf_counter() - t0)
        line = r.stderr.strip().splitlines()[-1:] or [""]
        print(f"  {name:36s} {min(times):6.2f} s, exit {r.returncode}  ({_load()}): {line[0][:110]}")


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
    ap.add_argument("--fmax", type=float, default=None, help="also time every mode below this frequency (Hz)")
    ap.add_argument("--no-baselines", action="store_true", help="skip the eigsh runs")
    ap.add_argument("--scale", action="store_true", help="the DOF scaling of time and memory")
    ap.add_argument("--scale-dofs", default="20000,80000,200000,400000")
    ap.add_argument("--scale-child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--scale-timeout", type=float, default=600.0, help="seconds per scale point before it is estimated")
    ap.add_argument("--backend", default=None, help="factorisation backend (default: the fastest installed)")
    ap.add_argument("--demo", action="store_true", help="time `physsynth demo` from an empty cache per backend")
    ap.add_argument("--refusal", action="store_true", help="time memory refusals from the command line")
    ap.add_argument("--krylov", action="store_true", help="the Krylov space k pairs need, measured and simulated")
    args = ap.parse_args()
    if args.backend:
        os.environ["PHYSSYNTH_BENCH_BACKEND"] = args.backend
    if args.scale_child:
        _scale_child(args.scale_child, args.modes)
        return
    print(
        f"backends available: {', '.join(linsolve.available_backends())}; "
        f"inertia: {', '.join(linsolve.inertia_backends())}"
    )
    bronze = ps.get_material("bell_bronze")
    bowl = ps.load_mesh(os.path.join(os.path.dirname(HERE), "meshes", "tibetan_bowl_180.msh"))
    results = [bench_case("bundled bowl", bowl, bronze, args.modes, args.repeats, args.fmax, not args.no_baselines)]
    if args.krylov:
        disc = assemble_solid(bowl, bronze, order=2)
        bench_krylov(disc.K.tocsc(), disc.M.tocsc(), _backend())
    if not args.quick:
        try:
            big, how = fine_bowl()
        except Exception as exc:  # gmsh missing: a box of the same size class
            print(f"(fine bowl unavailable: {exc}; using a box)")
            big, how = box_mesh()
        results.append(
            bench_case(f"~80k DOF: {how}", big, bronze, args.modes, args.repeats, args.fmax, not args.no_baselines)
        )
    if args.scale:
        k = 100 if args.modes == 50 else args.modes
        bench_scale([int(x) for x in args.scale_dofs.split(",")], k, args.scale_timeout)
    demo = bench_demo(max(args.repeats, 1)) if args.demo else {}
    if args.refusal:
        bench_refusal()
    rate = bench_resonators()
    print()
    print(f"eigensolve_ratio_to_bound: {max(r for r, _ in results):.2f}")
    speedups = [s for _, s in results if s is not None]
    if speedups:
        print(f"eigensolve_speedup_vs_superlu: {min(speedups):.2f}")
    print(f"resonator_mode_samples_per_s: {rate:.3e}")
    for backend, t in demo.items():
        print(f"demo_empty_cache_s_{backend}: {t:.2f}")


if __name__ == "__main__":
    main()
