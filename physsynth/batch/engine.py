"""Run a sweep: serially in this process, or on Dask (a local cluster or a scheduler address).

What runs where (docs/batch.md has the figures):

- the **client** (this process) reads the spec, hashes the inputs, decides what is missing,
  and is the only writer of the dataset: WAVs, records, models/ and the table;
- a **model task** per (mesh, analysis, material) builds the mesh (a generator runs there)
  and the modal model, or loads it from the bytes of ``models/<key>.npz`` when the dataset
  already has it; its result stays in the worker's memory as a Dask future;
- a **render task** per item depends on its model's future: Dask moves the model to each
  worker that renders items of it (normally once per worker, worker to worker, not through
  the client), renders, encodes the WAV there and returns its bytes and facts to the client.

The workers need no shared filesystem: mesh files and generator scripts travel with the model
task, WAV bytes come back to the client. Model tasks for which the dataset has no cache also
send the model's ``.npz`` bytes back once, for ``models/``.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import threading
import time
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from physsynth import validate
from physsynth._progress import log
from physsynth.batch.dataset import Dataset
from physsynth.batch.excitations import get_excitation
from physsynth.batch.positions import pickup_channels
from physsynth.batch.spec import Sweep, load_spec
from physsynth.batch.tasks import (
    ONE_THREAD_ENV,
    ModelFailure,
    compute_model,
    load_model_bytes,
    model_to_bytes,
    register_sizeof,
    render_item,
    render_items,
)
from physsynth.errors import PhyssynthError

#: Most items in one render task (a lost worker loses at most this many renders).
MAX_CHUNK = 16


@dataclass
class BatchReport:
    """What a run did.

    Attributes
    ----------
    dataset : str
    items : int
        Items of the spec.
    skipped : int
        Already complete before the run.
    rendered, failed : int
        Items this run rendered, or recorded as failed.
    unfinished : int
        Items left for the next run (lost workers, an interruption).
    models_computed, models_cached : int
        Modal models made by this run, or loaded from ``models/``.
    seconds : float
        Wall-clock time of the rendering phase (after the cluster is up).
    mode : str
        "serial", "local" or the scheduler address.
    workers : int
    table : str
        Path of metadata.csv.
    parquet : str or None
    rows : int
        Rows of the table.
    """

    dataset: str
    items: int
    skipped: int = 0
    rendered: int = 0
    failed: int = 0
    unfinished: int = 0
    models_computed: int = 0
    models_cached: int = 0
    seconds: float = 0.0
    mode: str = "serial"
    workers: int = 0
    table: str = ""
    parquet: str | None = None
    rows: int = 0

    @property
    def renders_per_s(self) -> float:
        done = self.rendered + self.failed
        return done / self.seconds if self.seconds > 0 else 0.0

    def lines(self) -> list[str]:
        """``key: value`` lines for the command line."""
        out = [
            f"dataset: {self.dataset}",
            f"items: {self.items}",
            f"skipped: {self.skipped}",
            f"rendered: {self.rendered}",
            f"failed: {self.failed}",
            f"unfinished: {self.unfinished}",
            f"models_computed: {self.models_computed}",
            f"models_cached: {self.models_cached}",
            f"mode: {self.mode}",
            f"workers: {self.workers}",
            f"seconds: {self.seconds:.2f}",
            f"renders_per_s: {self.renders_per_s:.2f}",
            f"metadata: {self.table}",
        ]
        if self.parquet:
            out.append(f"parquet: {self.parquet}")
        return out


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line per tenth otherwise."""

    def __init__(self, total: int, *, enabled: bool = True, stream=None):
        self.total, self.enabled = total, enabled and total > 0
        self.stream = stream or sys.stderr
        self.ok = self.failed = 0
        self.t0 = time.perf_counter()
        self.tty = self.enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self._next = 0

    def update(self, ok: bool) -> None:
        if ok:
            self.ok += 1
        else:
            self.failed += 1
        if not self.enabled:
            return
        done = self.ok + self.failed
        if self.tty:
            self._draw(done, "\r")
        elif done >= self._next or done == self.total:
            self._draw(done, "")
            self.stream.write("\n")
            self._next = done + max(1, self.total // 10)
        self.stream.flush()

    def _draw(self, done, prefix):
        dt = time.perf_counter() - self.t0
        rate = done / dt if dt > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else float("nan")
        n = int(30 * done / self.total)
        self.stream.write(
            f"{prefix}physsynth: batch [{'#' * n}{'.' * (30 - n)}] {done}/{self.total}"
            f"  {self.failed} failed  {rate:.1f}/s  eta {eta:.0f} s "
        )

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


# ------------------------------------------------------------------ models in serial runs
_ENV_LOCK = threading.Lock()


class ModelMaker:
    """Makes models for a serial run with the BLAS settings of a Dask worker.

    The eigen-solver's last bits depend on how many threads the BLAS started with (measured:
    a bar model's shapes differ between OPENBLAS_NUM_THREADS=1 and 2, and again when the
    count is lowered at run time), so a serial run that should give the same bytes as a Dask
    run makes its models in one spawned process started with ONE_THREAD_ENV, unless this
    process itself was started so. ``os.environ`` cannot tell: a Dask Nanny sets these
    variables in its parent's environment when it spawns a worker (and leaves them), so the
    test reads the environment the process started with (/proc/self/environ).
    """

    def __init__(self):
        self._pool = None
        self.in_process = _started_single_threaded()

    def __call__(self, mi):
        if self.in_process:
            return compute_model(mi)
        if self._pool is None:
            with _ENV_LOCK, _children_ignore_sigint():
                saved = {k: os.environ.get(k) for k in ONE_THREAD_ENV}
                os.environ.update(ONE_THREAD_ENV)
                try:
                    self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
                    self._pool.submit(os.getpid).result()  # start the process now, with this env
                finally:
                    for k, v in saved.items():
                        if v is None:
                            os.environ.pop(k, None)
                        else:
                            os.environ[k] = v
        return self._pool.submit(compute_model, mi).result()

    def close(self, interrupted: bool = False):
        if self._pool is not None:
            if interrupted:  # do not wait for an eigen-solve nobody wants any more
                for p in list(getattr(self._pool, "_processes", {}).values()):
                    p.terminate()
            self._pool.shutdown(wait=not interrupted, cancel_futures=True)
            self._pool = None


def _started_single_threaded() -> bool:
    """True if this process started with ONE_THREAD_ENV (Linux; False where unknown)."""
    try:
        with open("/proc/self/environ", "rb") as fh:
            pairs = [kv.split(b"=", 1) for kv in fh.read().split(b"\0") if b"=" in kv]
    except OSError:
        return False
    env = {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}
    return all(env.get(k) == v for k, v in ONE_THREAD_ENV.items())


def _cached_model(ds: Dataset, key: str):
    """The cached model of ``key``, or None (a cache that does not load is removed)."""
    from physsynth.modal.model import ModalModel

    path = ds.model_path(key)
    if not os.path.exists(path):
        return None
    try:
        return ModalModel.load(path)
    except PhyssynthError as exc:
        log.warning("cached model %s does not load (%s); recomputing it", path, exc)
        with contextlib.suppress(OSError):
            os.unlink(path)
        return None


# ------------------------------------------------------------------ the run
#: Most local worker processes: 4 per CPU (each holds a model and one render at a time; more
#: only queue for the cores).
MAX_WORKERS = 4 * (os.cpu_count() or 1)
#: Largest chunk a task may take.
MAX_CHUNK_ITEMS = 100_000


def _check_room(sweep, dataset) -> None:
    """Refuse a sweep whose WAV files would not fit on the dataset's disk (before it is made)."""
    root = os.path.abspath(os.fspath(dataset))
    parent = root if os.path.isdir(root) else os.path.dirname(root)
    if not os.path.isdir(parent):
        return  # Dataset.prepare says the parent is missing
    need = sweep.wav_bytes
    free = shutil.disk_usage(parent).free
    if need > 0.95 * free:
        raise PhyssynthError(
            f"the sweep's {len(sweep.items)} WAV files need about {need / 1e9:.3g} GB, more than the "
            f"{free / 1e9:.3g} GB free at {parent}; free space, shorten the durations or split the sweep"
        )


def run_batch(
    spec,
    dataset,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    retries: int = 2,
    chunk: int | None = None,
) -> BatchReport:
    """Render every missing item of a sweep into a dataset directory.

    Parameters
    ----------
    spec : str or Sweep
        A spec file (TOML, YAML, JSON) or a parsed :class:`Sweep`.
    dataset : str
        The dataset directory (created; its parent must exist).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); default a local cluster.
    workers : int, optional
        Local cluster size (processes, one thread each); default the number of CPUs. 0 runs
        serially in this process, without Dask.
    progress : bool
        Show a progress bar on stderr.
    retries : int
        Dask retries of a task whose worker raised (e.g. ran out of memory). A task on a worker
        that died is rescheduled by the scheduler anyway (up to its ``allowed-failures``).
    chunk : int, optional
        Items per render task (same model). Default: enough tasks for about four per worker
        and model, at most :data:`MAX_CHUNK` items each: a Dask task costs a few ms of
        scheduling, as much as a short render.

    Returns
    -------
    BatchReport
        Counts, timings and the table's path. Items that failed are in the table with their
        error; run again to retry them and to finish unfinished ones.
    """
    if scheduler is not None and workers is not None:
        raise PhyssynthError("give a scheduler address or a number of local workers, not both")
    if workers is not None:
        workers = validate.integer(workers, "the number of workers", lo=0, hi=MAX_WORKERS)
    if chunk is not None:
        chunk = validate.integer(chunk, "the chunk size (items per task)", lo=1, hi=MAX_CHUNK_ITEMS)
    retries = validate.integer(retries, "retries", lo=0, hi=10)
    sweep = spec if isinstance(spec, Sweep) else load_spec(spec)
    _check_room(sweep, dataset)
    if sweep.items and scheduler is None and workers != 0:
        # every local worker renders one item at a time: the largest render, once per worker
        n_workers = workers or (os.cpu_count() or 1)
        big = max(
            sweep.items, key=lambda it: it.params["duration"] * it.params["sr"] * pickup_channels(it.params["pickups"])
        )
        p = big.params
        per = p["duration"] * p["sr"] * pickup_channels(p["pickups"]) * 8 * 3
        validate.check_memory(
            n_workers * per,
            f"{n_workers} workers each rendering {p['duration']:g} s at {p['sr']} Hz",
            "use fewer workers (--workers) or shorter durations",
        )
    kinds = {name: get_excitation(name) for name in {it.params["excitation"]["kind"] for it in sweep.items}}
    ds = Dataset(dataset)
    ds.prepare()
    report = BatchReport(ds.root, len(sweep.items))
    order = {it.id: it.index for it in sweep.items}
    with ds.lock():
        ds.clean_temp()
        for w in sweep.warnings:
            log.warning("%s", w)
        if sweep.duplicates:
            log.info("%d items of the spec repeat others; each is rendered once", sweep.duplicates)
        todo = [it for it in sweep.items if not ds.is_complete(it.id)]
        report.skipped = len(sweep.items) - len(todo)
        if report.skipped:
            log.info("%d of %d items are already complete", report.skipped, len(sweep.items))
        by_model: OrderedDict = OrderedDict()
        for it in todo:
            by_model.setdefault(it.model_key, []).append(it)
        prog = Progress(len(todo), enabled=progress)
        report.mode = "serial" if workers == 0 else scheduler or "local"
        try:
            if not todo:
                pass
            elif workers == 0:
                _run_serial(sweep, ds, by_model, kinds, prog, report)
            else:
                _run_dask(sweep, ds, by_model, kinds, prog, report, scheduler, workers, retries, len(todo), chunk)
        except KeyboardInterrupt:
            report.unfinished = len(todo) - report.rendered - report.failed
            log.warning(
                "interrupted: %d items done, %d unfinished; run the same command again to finish",
                report.rendered + report.failed,
                report.unfinished,
            )
            raise
        finally:
            prog.close()
            report.table, report.parquet, report.rows = ds.write_table(order)
    return report


def _record(ds, item, res, prog, report):
    ds.write(item, res)
    if res["status"] == "ok":
        report.rendered += 1
    else:
        report.failed += 1
    prog.update(res["status"] == "ok")


def _run_serial(sweep, ds, by_model, kinds, prog, report):
    maker = ModelMaker()
    t0 = time.perf_counter()
    try:
        for key, items in by_model.items():
            model = _cached_model(ds, key)
            if model is not None:
                report.models_cached += 1
            else:
                model = maker(sweep.models[key])
                if not isinstance(model, ModelFailure):
                    model.save(ds.model_path(key))
                    report.models_computed += 1
            for it in items:
                _record(ds, it, render_item(model, it, kinds[it.params["excitation"]["kind"]]), prog, report)
    except KeyboardInterrupt:
        maker.close(interrupted=True)
        raise
    finally:
        maker.close()
        report.seconds = time.perf_counter() - t0


def _client(scheduler, workers, n_todo):
    """A dask.distributed Client (and the LocalCluster it owns, or None)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise PhyssynthError(
            "physsynth batch needs dask.distributed: pip install 'physsynth[batch]' (or run serially with --workers 0)"
        ) from None
    if scheduler is not None:
        try:
            return Client(scheduler, timeout="20s"), None
        except (OSError, TimeoutError) as exc:
            raise PhyssynthError(f"cannot connect to the Dask scheduler at {scheduler}: {exc}") from None
    n = workers if workers is not None else max(1, min(os.cpu_count() or 1, n_todo))
    with _children_ignore_sigint():
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        )
    return Client(cluster), cluster


@contextlib.contextmanager
def _children_ignore_sigint():
    """Processes spawned inside ignore SIGINT (an ignored signal stays ignored across exec,
    and Python then installs no KeyboardInterrupt handler): Ctrl-C reaches the whole process
    group, and the client, not each worker, should handle it (by closing the cluster)."""

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _run_dask(sweep, ds, by_model, kinds, prog, report, scheduler, workers, retries, n_todo, chunk):
    from dask.distributed import as_completed

    client, cluster = _client(scheduler, workers, n_todo)
    register_sizeof()
    try:
        report.workers = (
            len(client.scheduler_info(n_workers=-1)["workers"]) if cluster is None else len(cluster.workers)
        )
    except TypeError:  # older distributed: no n_workers argument
        report.workers = len(client.scheduler_info()["workers"])
    t0 = prog.t0 = time.perf_counter()  # the rate shown counts from here, not from start-up
    futures, pending, models = {}, {}, {}
    try:
        # Submitted model by model: a model's renders get a higher priority than later models
        # (Dask runs earlier submissions first), so at most a few models are held at a time.
        for prio, (key, items) in enumerate(by_model.items()):
            cached = ds.model_path(key)
            data = None
            if _cached_model(ds, key) is not None:
                with open(cached, "rb") as fh:
                    data = fh.read()
            if data is not None:
                mf = client.submit(
                    load_model_bytes, data, key=f"physsynth-model-cached-{key}", retries=retries, priority=-prio
                )
                report.models_cached += 1
            else:
                mf = client.submit(
                    compute_model, sweep.models[key], key=f"physsynth-model-{key}", retries=retries, priority=-prio
                )
                nf = client.submit(
                    model_to_bytes, mf, key=f"physsynth-model-npz-{key}", retries=retries, priority=-prio
                )
                futures[nf] = ("model", key)
            models[key] = mf
            pending[key] = len(items)
            size = chunk or max(1, min(MAX_CHUNK, -(-len(items) // (4 * max(report.workers, 1)))))
            for i in range(0, len(items), size):
                group = items[i : i + size]
                used = {it.params["excitation"]["kind"] for it in group}
                f = client.submit(
                    render_items,
                    mf,
                    group,
                    {k: kinds[k] for k in used},
                    key=f"physsynth-render-{group[0].id}-{len(group)}",
                    retries=retries,
                    priority=-prio,
                )
                futures[f] = ("render", group)
        lost = 0
        for f in as_completed(list(futures)):
            what, obj = futures.pop(f)
            try:
                res = f.result()
            except Exception as exc:  # the task's worker died too often, or was cancelled
                if what == "render":
                    lost += len(obj)
                    if lost == len(obj):
                        log.warning(
                            "items could not be rendered on the cluster (%s: %s); they are left for the next run",
                            type(exc).__name__,
                            exc,
                        )
                    for it in obj:
                        _done_with(it, pending, models)
                continue
            if what == "model":
                if res is not None:
                    ds.write_model(obj, res)
                    report.models_computed += 1
                continue
            for it, r in zip(obj, res):
                _record(ds, it, r, prog, report)
                _done_with(it, pending, models)
        report.unfinished = lost
    finally:
        report.seconds = time.perf_counter() - t0
        futures.clear()
        models.clear()
        with contextlib.suppress(Exception):
            client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


def _done_with(item, pending, models):
    """Drop the model future once all its renders are in (Dask then frees it on the workers)."""
    pending[item.model_key] -= 1
    if pending[item.model_key] == 0:
        models.pop(item.model_key, None)
