"""Surface meshes to volume meshes and modes: time against surface size, and end to end.

1. Repair + tetrahedralisation against the size of a scan-like surface (1.3e3 .. 3.3e5 triangles):
   a bumpy closed blob (an icosphere of 50 mm with smooth bumps and 20 um of noise), all at the
   same element size. Each line gives the time of the check/repair step, of the meshing, and
   their ratio to a baseline measured in the same run: TetGen alone on the 1e3-triangle surface
   (the cost the pipeline cannot go under).
2. End to end from an OBJ: the bundled bowl's surface subdivided to about 1e5 triangles with
   20 um of noise (a scan), `physsynth modes scan.obj --n-modes 50` from an empty cache, and
   `physsynth strike scan.obj ... -o out.wav`. Target: the 50 modes in under 60 s on 2 cores;
   printed as the ratio to 60 s, with the CPU time the command and its mesher child used (on a
   busy machine the wall time is not the machine's: on an idle one it is at most about the CPU
   time) and the load average. The scan's modes are compared with the bundled tetrahedral
   bowl's, the geometry it was made from (max deviation of the first 20, %).

Run: ``python benchmarks/bench_mesh.py [--quick]``. Ends with ``scan_to_50_modes_s: X``,
``scan_to_50_modes_cpu_s: X`` and ``scan_to_50_modes_vs_target: X / 60``.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import trimesh  # noqa: E402

from physsynth.mesh import load_mesh, tetra  # noqa: E402
from physsynth.mesh.surface import Surface, prepare_surface, read_surface, surface_of  # noqa: E402


def blob(n_faces: int, seed: int = 0) -> trimesh.Trimesh:
    """A closed bumpy blob of at least n_faces triangles (an icosphere of radius 50 mm with
    smooth bumps of 5 mm and 20 um of noise, like a scan)."""
    level = max(1, math.ceil(math.log(n_faces / 20, 4)))
    s = trimesh.creation.icosphere(level, radius=1.0)
    u = np.asarray(s.vertices)
    bump = 1 + 0.1 * u[:, :1] * u[:, 1:2] + 0.05 * np.sin(3 * np.arctan2(u[:, 1:2], u[:, :1]))
    rng = np.random.default_rng(seed)
    v = u * 0.05 * bump + u * 2e-5 * rng.standard_normal((len(u), 1))
    return trimesh.Trimesh(v, s.faces, process=False)


def scan_of_bowl(path: str, n_faces: int = 100_000) -> int:
    bowl = surface_of(load_mesh(os.path.join(os.path.dirname(HERE), "meshes", "tibetan_bowl_180.msh")))
    v, f = bowl.vertices, bowl.faces
    while len(f) < n_faces:
        v, f = trimesh.remesh.subdivide(v, f)
    m = trimesh.Trimesh(v, f, process=False)
    rng = np.random.default_rng(1)
    v = v + m.vertex_normals * (2e-5 * rng.standard_normal((len(v), 1)))
    trimesh.Trimesh(v, f, process=False).export(path)
    return len(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="sizes up to 2e4 triangles, no end-to-end run")
    args = ap.parse_args()
    work = tempfile.mkdtemp()
    h = 0.008
    sizes = [1_000, 5_000, 20_000] + ([] if args.quick else [80_000, 300_000])

    # baseline: TetGen alone on the smallest surface
    s0 = blob(sizes[0])
    surf0 = Surface(np.asarray(s0.vertices), np.asarray(s0.faces))
    t = time.perf_counter()
    tetra._run_child(tetra._tetgen_job, surf0.vertices, surf0.faces, h, np.zeros((0, 3)))
    base = time.perf_counter() - t
    print(f"baseline_tetgen_1e3_s: {base:.3f}")
    print(f"{'triangles':>10} {'check+repair s':>15} {'mesh s':>8} {'total/base':>11} {'DOFs':>8}  mesher")
    for n in sizes:
        path = os.path.join(work, f"blob{n}.stl")
        b = blob(n)
        b.export(path)
        t0 = time.perf_counter()
        surf, _, _ = prepare_surface(read_surface(path))
        tetra.self_intersections(surf)
        t1 = time.perf_counter()
        mesh = load_mesh(path, size=h, cache=False)
        t2 = time.perf_counter()
        mesh_s = (t2 - t1) - (t1 - t0)  # load_mesh repeats the check: count it once
        print(
            f"{len(b.faces):>10} {t1 - t0:>15.3f} {max(mesh_s, 0):>8.3f} {(t2 - t1) / base:>11.1f} "
            f"{mesh.info['dofs']:>8}  {mesh.info['mesher']}"
        )
    if args.quick:
        return
    scan = os.path.join(work, "scan.obj")
    n = scan_of_bowl(scan)
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
    model_path = os.path.join(work, "scan_modes.npz")
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "physsynth", "modes", scan, "--n-modes", "50", "--material", "bell_bronze",
         "-o", model_path],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    dt = time.perf_counter() - t
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    if p.returncode:
        print(p.stderr)
    made = [line for line in p.stderr.splitlines() if "made from the surface" in line]
    print(f"scan_triangles: {n}")
    print(f"scan_mesh: {made[0].split(': ', 1)[1] if made else '?'}")
    print(f"scan_to_50_modes_s: {dt:.1f}")
    print(f"scan_to_50_modes_cpu_s: {cpu:.1f}")
    print(f"load_average_1min: {os.getloadavg()[0]:.1f}")
    print(f"scan_to_50_modes_vs_target: {dt / 60:.2f}")
    if not p.returncode:
        from physsynth.materials import get_material
        from physsynth.modal.analysis import modal_analysis
        from physsynth.modal.model import ModalModel

        got = ModalModel.load(model_path).frequencies[:20]
        bowl = load_mesh(os.path.join(os.path.dirname(HERE), "meshes", "tibetan_bowl_180.msh"))
        ref = modal_analysis(bowl, get_material("bell_bronze"), n_modes=20).frequencies
        print(f"scan_vs_bundled_bowl_first20_max_pct: {100 * np.abs(got / ref - 1).max():.2f}")
    wav = os.path.join(work, "scan.wav")
    t = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "physsynth", "strike", scan, "--material", "bell_bronze", "--fmax", "5000",
         "--at", "0.09,0,0.09", "--duration", "3", "-o", wav],
        capture_output=True, text=True, env=dict(env, XDG_CACHE_HOME=os.path.join(work, "cache2")),
    )  # fmt: skip
    if p.returncode:
        print(p.stderr)
    print(f"obj_to_wav_s: {time.perf_counter() - t:.1f}")


if __name__ == "__main__":
    main()
