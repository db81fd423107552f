"""Batch rendering: renders per second serially, on 1 and on 2 Dask workers (same run).

One sweep (a bar, one material, pulses at random surface points; one model shared by all
renders) is rendered three times into fresh datasets that already hold the model, so only the
renders are timed: serially in this process (the baseline, no Dask), then on a LocalCluster of
1 and of 2 worker processes (one thread each) whose workers have been warmed up (their Numba
caches loaded), so that the figures are steady-state rates. The client (this process) writes
every WAV and record in all three runs.

Prints ``batch_renders_per_s_serial``, ``batch_renders_per_s_1``, ``batch_renders_per_s_2``,
``batch_dask_vs_serial_1`` (X / serial) and ``batch_parallel_efficiency`` (Y / (2 X)).

    python benchmarks/bench_batch.py [--items 96] [--duration 2.0] [--modes 80]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
import time

from physsynth.batch import parse_spec, run_batch


def spec(items: int, duration: float, modes: int) -> dict:
    per_mallet = max(1, items // 3)
    return {
        "name": "bench",
        "sr": 48000,
        "duration": duration,
        "analysis": {"n_modes": modes},
        "meshes": [
            {"name": "bar", "generator": "bar", "length": 0.3, "width": 0.024, "height": 0.012, "n": [30, 2, 1]}
        ],
        "materials": ["aluminium"],
        "excitations": [
            {
                "kind": "strike",
                "mallet": ["soft", "medium", "hard"],
                "at": {"random": per_mallet, "region": "surface", "seed": 1},
            }
        ],
    }


def _warm(_=None):
    """Load the render path's Numba code in a worker (what its first task would pay)."""
    import physsynth as ps

    m = ps.modal_analysis(ps.bar_mesh(0.05, 0.01, 0.005, (4, 1, 1)), ps.get_material("steel"), n_modes=4)
    ps.render(m, ps.strike(m, (0.025, 0.005, 0.005), sr=48000), duration=0.01)
    return os.getpid()


def timed(sweep, root, name, models, **kw) -> float:
    out = os.path.join(root, name)
    os.makedirs(out)
    shutil.copytree(models, os.path.join(out, "models"))
    r = run_batch(sweep, out, progress=False, **kw)
    assert r.rendered == len(sweep.items) and r.failed == 0 and r.models_cached == 1, r
    return r.rendered / r.seconds


def main():
    from dask.distributed import Client, LocalCluster

    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=96)
    ap.add_argument("--duration", type=float, default=2.0, help="seconds per render")
    ap.add_argument("--modes", type=int, default=80)
    args = ap.parse_args()
    sweep = parse_spec(spec(args.items, args.duration, args.modes))
    print(f"batch_items: {len(sweep.items)}")
    print(f"cpu_count: {os.cpu_count()}")
    print(f"load_average_1min: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as root:
        # the model (and this process's Numba caches) once, untimed
        warm = os.path.join(root, "warm")
        run_batch(parse_spec(spec(3, 0.05, args.modes)), warm, workers=0, progress=False)
        models = os.path.join(warm, "models")
        serial = timed(sweep, root, "serial", models, workers=0)
        print(f"batch_renders_per_s_serial: {serial:.2f}")
        rates = {}
        for n in (1, 2):
            t0 = time.perf_counter()
            with (
                LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                ) as cluster,
                Client(cluster) as client,
            ):
                client.run(_warm)
                print(f"cluster_{n}_startup_and_warmup_s: {time.perf_counter() - t0:.2f}")
                rates[n] = timed(sweep, root, f"dask{n}", models, scheduler=cluster.scheduler_address)
            print(f"batch_renders_per_s_{n}: {rates[n]:.2f}")
    print(f"batch_dask_vs_serial_1: {rates[1] / serial:.3f}")
    print(f"batch_parallel_efficiency: {rates[2] / (2 * rates[1]):.3f}")


if __name__ == "__main__":  # Dask's worker processes import this file: keep the run here
    main()
