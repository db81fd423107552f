"""Run one mesher job in a separate Python process: ``python -m physsynth.mesh._child IN OUT``.

``IN`` is an .npz with the job's name and arrays, ``OUT`` the .npz it writes (``points``,
``tets``) or an ``error`` message. A crash of the C++ mesher ends this process, not the caller.
"""

from __future__ import annotations

import sys

import numpy as np

from physsynth.mesh import tetra


def main(src: str, dst: str) -> int:
    with np.load(src) as z:
        job = str(z["job"])
        args = [z[f"arg{i}"] for i in range(int(z["n_args"]))]
    try:
        with tetra._quiet():
            pts, tets = tetra.JOBS[job](*[a.item() if a.ndim == 0 else a for a in args])
        np.savez(dst, points=pts, tets=tets)
    except Exception as exc:  # every failure goes back to the caller as its message
        np.savez(dst, error=np.array(f"{type(exc).__name__}: {exc}"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
