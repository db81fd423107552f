"""Real-time factor of the rubbed singing bowl (100 modes, 48 kHz, one core), against a plain
numpy implementation of the same time step measured in the same run.

Ours: :func:`physsynth.simulate.friction.rub` end to end (ring table, kernel
physsynth/kernels/friction.py, two pickups). Baseline: the same step (free update of every
mode, dashpot elimination, stick or Newton slip solve, force response, outputs) written with
numpy vector operations per step, the way one would prototype it.

The model is the bundled bowl's 100 lowest elastic modes (221.6 Hz to 8.4 kHz), computed
once (about 15 s with CHOLMOD) and cached in ~/.cache/physsynth, or ``--model FILE``.

Prints ``speedup_vs_numpy: X`` and, last, ``rubbed_bowl_realtime_factor: Y`` (seconds of audio
per second of computation; target >= 20).

    python benchmarks/bench_rub.py [--model bowl100.npz] [--seconds 10]
"""

from __future__ import annotations

import os

# one core: keep numpy's BLAS (the baseline's) and numba on a single thread
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import physsynth as ps  # noqa: E402
from physsynth.cli import find_bundled_mesh  # noqa: E402
from physsynth.excitation.friction import PUJA_DAMPING, FrictionLaw, rim_path  # noqa: E402
from physsynth.simulate.friction import rub  # noqa: E402
from physsynth.simulate.modal import hold_coefficients  # noqa: E402

SR = 48000
FORCE, SPEED = 20.0, 0.15  # N, m/s: the bowl sings (see examples/15_singing_bowl.py)


def bowl_model(path=None, n_modes=100):
    if path:
        return ps.ModalModel.load(path)
    mesh_path = find_bundled_mesh()
    with open(mesh_path, "rb") as fh:
        key = hashlib.sha256(fh.read() + f"{ps.__version__}|bench-rub|{n_modes}".encode()).hexdigest()
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    cache = os.path.join(root, "physsynth", f"bench-rub-{key[:16]}.npz")
    if os.path.exists(cache):
        return ps.ModalModel.load(cache)
    model = ps.modal_analysis(ps.load_mesh(mesh_path), ps.get_material("bell_bronze"), n_modes=n_modes)
    try:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        model.save(cache)
    except (OSError, ps.PhyssynthError):
        pass
    return model


def numpy_rub(model, path, w, law, n, cn):
    """The same step in numpy, constant force and speed, ``n`` samples."""
    a11, a12, a21, a22, b1 = hold_coefficients(model.omegas, model.decay_rates, h=1.0 / SR)
    K = model.n_modes
    q, v = np.zeros(K), np.zeros(K)
    tg, tn = path.tangential, path.normal
    M = tg.shape[0] - 1
    dth = 2 * math.pi / M
    om = SPEED / path.radius
    theta = 0.0
    out = np.empty((w.shape[0], n))
    mus, mud, vc = law.mu_s, law.mu_d, law.v_c
    for t in range(n):
        theta = (theta + om / SR) % (2 * math.pi)
        pos = theta / dth
        i = min(int(pos), M - 1)
        fr = pos - i
        g = tg[i] + fr * (tg[i + 1] - tg[i])
        gn = tn[i] + fr * (tn[i + 1] - tn[i])
        u = -FORCE * gn
        qf = a11 * q + a12 * v + b1 * u
        vf = a21 * q + a22 * v + a12 * u
        ga, na = g * a12, gn * a12
        ytt, ytn, ynn = g @ ga, g @ na, gn @ na
        vt, vn = g @ vf, gn @ vf
        den = 1 + cn * ynn
        d = vt - cn * ytn * vn / den - SPEED
        y = ytt - cn * ytn * ytn / den
        if abs(d) <= y * FORCE * mus:
            f = -d / y
        else:
            a = abs(d)
            x = a - y * FORCE * mud
            for _ in range(50):
                e = math.exp(-x / vc)
                gx = x + y * FORCE * (mud + (mus - mud) * e) - a
                dx = gx / (1 - y * FORCE * (mus - mud) / vc * e)
                x -= dx
                if abs(dx) <= 1e-14 * a:
                    break
            f = -math.copysign(FORCE * (mud + (mus - mud) * math.exp(-x / vc)), d)
        dd = -cn * (vn + ytn * f) / den
        uf = g * f + gn * dd
        q = qf + b1 * uf
        v = vf + a12 * uf
        out[:, t] = w @ v
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", help="a saved modal model (default: the bundled bowl, 100 modes)")
    ap.add_argument("--seconds", type=float, default=10.0, help="audio rendered by ours")
    ap.add_argument("--baseline-seconds", type=float, default=0.5, help="audio rendered by numpy")
    args = ap.parse_args()

    model = bowl_model(args.model)
    law = FrictionLaw()
    print(f"model: {model.summary()}")
    rub(model, force=FORCE, speed=SPEED, duration=0.05, sr=SR)  # compile (cached)

    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        r = rub(model, force=FORCE, speed=SPEED, duration=args.seconds, sr=SR)
        best = min(best, time.perf_counter() - t0)
    ours = args.seconds / best
    level = np.sqrt(np.mean(r.audio[0, -SR:] ** 2))
    print(
        f"ours:  {args.seconds:g} s of audio in {best:.3f} s, {r.oversample} step(s) per sample, "
        f"last-second RMS {level:.3g} m/s (singing)"
    )

    path = rim_path(model)
    pk = [
        ps.pickup(model, (path.radius * math.cos(a), path.radius * math.sin(a), path.height))
        for a in np.radians([60.0, -60.0])
    ]
    w = np.stack([model.shapes[:, p.node, :] @ p.direction for p in pk])
    n = int(args.baseline_seconds * SR)
    t0 = time.perf_counter()
    numpy_rub(model, path, w, law, n, PUJA_DAMPING)
    base = args.baseline_seconds / (time.perf_counter() - t0)
    print(f"numpy: {args.baseline_seconds:g} s of audio in {args.baseline_seconds / base:.3f} s")
    print(f"numpy_realtime_factor: {base:.3f}")
    print(f"speedup_vs_numpy: {ours / base:.1f}")
    print(f"rubbed_bowl_realtime_factor: {ours:.1f}")


if __name__ == "__main__":
    main()
