"""What runs on a worker: make (or load) a modal model, render one item to WAV bytes.

These functions are plain and picklable: the Dask engine submits them as tasks, the serial
engine calls them directly, so both produce the same bytes. They never raise for a problem
of an item: :func:`compute_model` returns a :class:`ModelFailure` and :func:`render_item` a
record with ``status = "failed"``, so that Dask's ``retries`` are spent only on what is worth
retrying (a worker that ran out of memory), and one bad item does not stop the others.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import math
import os
import tempfile
import time
from dataclasses import dataclass

import numpy as np

from physsynth.batch.meshes import build_mesh
from physsynth.batch.positions import RenderContext
from physsynth.errors import PhyssynthError
from physsynth.materials import Material

#: How many modal frequencies each row of the metadata table lists.
N_FREQUENCIES = 20
#: BLAS thread settings of a Dask worker (distributed.nanny.pre-spawn-environ): the eigen-
#: solver's last bits depend on them, so models are made under these settings everywhere.
ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


_MALLOC_TUNED = False


def tune_malloc() -> None:
    """Undo the cost of Dask's MALLOC_TRIM_THRESHOLD_ for our large temporary arrays.

    A Dask Nanny starts its workers with MALLOC_TRIM_THRESHOLD_=65536 (against memory
    fragmentation). Setting it also freezes glibc's mmap threshold at 128 kB, so every array
    above that (a render's ~1 MB buffers) is mmap'd and page-faulted afresh: measured, a 2 s,
    80-mode render took 9.7 ms instead of 4.8 ms. Raising the mmap threshold to 32 MiB (glibc's
    own dynamic ceiling) restores the speed and keeps Dask's trim threshold. Linux/glibc only;
    elsewhere nothing happens."""
    global _MALLOC_TUNED
    if _MALLOC_TUNED or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    _MALLOC_TUNED = True
    try:
        ctypes.CDLL("libc.so.6").mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


@dataclass(frozen=True)
class ModelFailure:
    """A model that could not be made; its items fail with ``message``."""

    message: str


@contextlib.contextmanager
def quiet():
    """Silence physsynth's INFO messages (one line per render would drown the progress bar)."""
    log = logging.getLogger("physsynth")
    old = log.level
    log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(old)


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    if isinstance(exc, PhyssynthError):
        return text
    return f"{type(exc).__name__}: {text}"


def register_sizeof() -> None:
    """Tell Dask how big a ModalModel is (the sum of its arrays).

    Without this Dask measures it with ``sys.getsizeof``, 56 bytes for the bundled bowl's
    9 MB model, and its memory accounting and transfer decisions ignore the models."""
    try:
        from dask.sizeof import sizeof
    except ImportError:
        return
    from physsynth.modal.model import ModalModel

    if ModalModel in getattr(sizeof, "_lookup", {}):
        return

    @sizeof.register(ModalModel)
    def _sizeof_model(m):
        arrays = (m.frequencies, m.shapes, m.decay_rates, m.mesh.points, m.mesh.cells)
        return int(sum(a.nbytes for a in arrays)) + 1000


def compute_model(mi):
    """The ModalModel of a :class:`~physsynth.batch.spec.ModelInput`, or a ModelFailure."""
    from physsynth.modal.analysis import modal_analysis

    register_sizeof()
    tune_malloc()
    try:
        with quiet():
            mesh = build_mesh(mi.mesh)
            material = Material.from_dict({**mi.material, "source": "sweep spec"})
            a = mi.analysis
            model = modal_analysis(
                mesh,
                material,
                n_modes=a["n_modes"],
                fmax=a["fmax"],
                order=a["order"],
                clamp=a["clamp"],
                support=a["support"],
                thickness=a["thickness"],
                tension=a["tension"],
                areal_density=a["areal_density"],
                solver=a["solver"],
            )
        model.provenance["blas_threads_env"] = {k: os.environ.get(k) for k in ONE_THREAD_ENV}
        return model
    except MemoryError:
        raise  # worth a retry on another worker
    except Exception as exc:
        return ModelFailure(f"model of mesh {mi.mesh.name!r} with {mi.material['name']}: {_describe(exc)}")


def model_to_bytes(model) -> bytes | None:
    """A model's ``.npz`` file as bytes (None for a failure), for the client's cache."""
    if isinstance(model, ModelFailure):
        return None
    with tempfile.TemporaryDirectory(prefix="physsynth-model-") as tmp:
        path = model.save(os.path.join(tmp, "model.npz"))
        with open(path, "rb") as fh:
            return fh.read()


def load_model_bytes(data: bytes):
    """A ModalModel from the bytes of its ``.npz`` file."""
    from physsynth.modal.model import ModalModel

    register_sizeof()
    try:
        with tempfile.TemporaryDirectory(prefix="physsynth-model-") as tmp:
            path = os.path.join(tmp, "model.npz")
            with open(path, "wb") as fh:
                fh.write(data)
            return ModalModel.load(path)
    except Exception as exc:
        return ModelFailure(f"cached model: {_describe(exc)}")


#: Models with their radiation, per process: (model, method, floor, sr) -> radiated model. The
#: items of one model share it (the fast and BEM methods are the long part of a listener).
_RADIATED: dict = {}


def with_radiation(model, pickups: dict, sr: int):
    """The model with the radiation its listener set asks for (``pickups["listen"]``, with
    ``radiation``, ``floor`` and ``radiation_damping``, on unless turned off, as for
    ``physsynth strike --listener``), made once per model in this process; the model itself
    when there are no listeners."""
    if not pickups.get("listen"):
        return model
    damping = pickups.get("radiation_damping", True)
    key = (id(model), pickups.get("radiation"), pickups.get("floor"), damping, int(sr))
    hit = _RADIATED.get(key)
    if hit is None or hit[0] is not model:
        from physsynth.radiation import radiate

        radiated = radiate(
            model, pickups.get("radiation"), fmax=0.49 * sr, floor=pickups.get("floor"), damping=damping, progress=False
        )
        while len(_RADIATED) >= 4:
            _RADIATED.pop(next(iter(_RADIATED)))
        _RADIATED[key] = hit = (model, radiated)  # the model kept alive: its id is not reused
    return hit[1]


def render_item(model, item, kind) -> dict:
    """Render one item with its excitation kind; the WAV file's bytes and the facts.

    Returns
    -------
    dict
        ``id``, ``status`` ("ok" or "failed"), ``error`` (None or one line), ``wav`` (bytes or
        None), ``sha256`` of the bytes, ``result`` (facts for the metadata table) and
        ``render_s`` (wall-clock seconds).
    """
    from physsynth.audio import fade_out, read_wav, write_wav

    t0 = time.perf_counter()
    p = item.params
    try:
        if isinstance(model, ModelFailure):
            raise PhyssynthError(model.message)
        with quiet():
            model = with_radiation(model, p["pickups"], int(p["sr"]))
            ctx = RenderContext(model, p, item.seed)
            audio, info = kind.render(model, p["excitation"], ctx)
            audio = np.atleast_2d(np.asarray(audio, dtype=np.float64))
            if p["fade"] > 0:
                audio = fade_out(audio, sr=ctx.sr, seconds=min(p["fade"], 0.5 * ctx.duration))
            peak = float(np.max(np.abs(audio))) if audio.size else 0.0
            with tempfile.TemporaryDirectory(prefix="physsynth-wav-") as tmp:
                path = os.path.join(tmp, "item.wav")
                write_wav(path, audio, sr=ctx.sr, fmt=p["format"], headroom_db=p["headroom_db"])
                with open(path, "rb") as fh:
                    wav = fh.read()
                back, _ = read_wav(path)
        used = model.frequencies[model.frequencies < 0.49 * ctx.sr]
        file_peak = float(np.max(np.abs(back)))
        result = {
            "n_channels": int(audio.shape[0]),
            "n_samples": int(audio.shape[1]),
            "duration_s": audio.shape[1] / ctx.sr,
            "n_modes_used": int(len(used)),
            "modal_frequencies_hz": [float(f) for f in used[:N_FREQUENCIES]],
            "peak_dbfs": 20 * math.log10(file_peak) if file_peak > 0 else None,
            "peak_physical": peak,
            "gain": 10 ** (-p["headroom_db"] / 20) / peak,
            **info,
        }
        return {
            "id": item.id,
            "status": "ok",
            "error": None,
            "wav": wav,
            "sha256": hashlib.sha256(wav).hexdigest(),
            "result": result,
            "render_s": time.perf_counter() - t0,
        }
    except MemoryError:
        raise
    except Exception as exc:
        return {
            "id": item.id,
            "status": "failed",
            "error": _describe(exc),
            "wav": None,
            "sha256": None,
            "result": {},
            "render_s": time.perf_counter() - t0,
        }


def render_items(model, items, kinds) -> list:
    """:func:`render_item` for several items of one model: one Dask task for a chunk, so that
    short renders do not drown in the scheduler's per-task cost (a few ms each)."""
    tune_malloc()
    return [render_item(model, it, kinds[it.params["excitation"]["kind"]]) for it in items]
