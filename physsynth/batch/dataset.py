"""The dataset directory: WAV files, one JSON sidecar per item, the model cache, the table.

Layout::

    DATASET/
      wav/<item_id>.wav        the sound (written atomically)
      meta/<item_id>.json      its record: every parameter, the result, status, SHA-256 of the
                               WAV bytes (written atomically, after the WAV)
      models/<model_key>.npz   modal models, one per (mesh, analysis, material)
      metadata.csv             one row per record, rebuilt from meta/ after every run
      metadata.parquet         the same, when pyarrow is installed
      .lock                    present while a run writes the dataset

An item is complete when its record says ``ok`` and the WAV's size and SHA-256 match the
record; anything else (no record, a failed record, a WAV without a record, a mismatch) is
rendered again. Because every file is renamed into place only when whole, an interrupted run
leaves at most stray temporary files (``.physsynth-*``), which the next run removes.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import glob
import hashlib
import json
import os
import socket

from physsynth._io import atomic_path, check_writable
from physsynth._version import __version__
from physsynth.batch._base import canonical_json
from physsynth.errors import PhyssynthError

#: The first columns of the metadata table, in this order; the rest follow as they come.
HEAD = (
    "item_id",
    "index",
    "status",
    "error",
    "file",
    "sha256",
    "bytes",
    "mesh",
    "material",
    "excitation",
    "pickups",
    "sr",
    "duration",
    "quantity",
)


class DatasetLocked(PhyssynthError):
    """Another run is writing the dataset."""


def _sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _cell(v):
    """A table cell: numbers, strings and booleans as they are, lists and tables as JSON."""
    if isinstance(v, (dict, list, tuple)):
        return canonical_json(v)
    return v


class Dataset:
    """A dataset directory (see the module docstring)."""

    def __init__(self, root):
        self.root = os.path.abspath(os.fspath(root))
        self.wav_dir = os.path.join(self.root, "wav")
        self.meta_dir = os.path.join(self.root, "meta")
        self.model_dir = os.path.join(self.root, "models")
        self.csv_path = os.path.join(self.root, "metadata.csv")
        self.parquet_path = os.path.join(self.root, "metadata.parquet")

    # -------------------------------------------------------------- paths
    def wav_path(self, iid: str) -> str:
        return os.path.join(self.wav_dir, f"{iid}.wav")

    def meta_path(self, iid: str) -> str:
        return os.path.join(self.meta_dir, f"{iid}.json")

    def model_path(self, key: str) -> str:
        return os.path.join(self.model_dir, f"{key}.npz")

    def check(self) -> None:
        """Refuse a dataset path that cannot be created or written, before any work."""
        if os.path.exists(self.root) and not os.path.isdir(self.root):
            raise PhyssynthError(f"dataset {self.root} exists and is not a directory")
        parent = os.path.dirname(self.root)
        if not os.path.isdir(parent):
            raise PhyssynthError(f"cannot create dataset {self.root}: folder {parent} does not exist")
        check_writable(os.path.join(self.root if os.path.isdir(self.root) else parent, ".probe"))

    def prepare(self) -> None:
        self.check()
        for d in (self.root, self.wav_dir, self.meta_dir, self.model_dir):
            os.makedirs(d, exist_ok=True)

    # -------------------------------------------------------------- one writer at a time
    @contextlib.contextmanager
    def lock(self):
        """Hold ``DATASET/.lock`` for a run; a lock left by a dead process on this host is
        taken over."""
        path = os.path.join(self.root, ".lock")
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        }
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    with open(path) as fh:
                        other = json.load(fh)
                except (OSError, ValueError):
                    other = {}
                if other.get("host") == me["host"] and not _alive(other.get("pid")):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)  # stale: its process is gone
                    continue
                raise DatasetLocked(
                    f"dataset {self.root} is being written by pid {other.get('pid', '?')} on "
                    f"{other.get('host', '?')} (since {other.get('started', '?')}); wait for it, "
                    f"or delete {path} if that run is dead"
                ) from None
            with os.fdopen(fd, "w") as fh:
                json.dump(me, fh)
            break
        else:  # pragma: no cover - a race with another run taking over the same stale lock
            raise DatasetLocked(f"could not lock dataset {self.root}; try again")
        try:
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    def clean_temp(self) -> int:
        """Remove temporary files an interrupted run left behind; returns how many."""
        n = 0
        for d in (self.root, self.wav_dir, self.meta_dir, self.model_dir):
            for p in glob.glob(os.path.join(d, ".physsynth-*")):
                with contextlib.suppress(OSError):
                    os.unlink(p)
                    n += 1
        return n

    # -------------------------------------------------------------- records
    def record(self, iid: str) -> dict | None:
        """The item's sidecar record, or None if it is missing or unreadable."""
        try:
            with open(self.meta_path(iid), encoding="utf-8") as fh:
                rec = json.load(fh)
        except (OSError, ValueError):
            return None
        return rec if isinstance(rec, dict) and rec.get("item_id") == iid else None

    def is_complete(self, iid: str) -> bool:
        """True if the item's record says ok and its WAV matches the record's size and hash."""
        rec = self.record(iid)
        if rec is None or rec.get("status") != "ok":
            return False
        wav = self.wav_path(iid)
        try:
            if os.path.getsize(wav) != rec.get("bytes"):
                return False
        except OSError:
            return False
        return _sha256_file(wav) == rec.get("sha256")

    def write(self, item, res: dict) -> dict:
        """Write an item's WAV (if it rendered) and then its record, each atomically."""

        rec = {
            "item_id": item.id,
            "index": item.index,
            "status": res["status"],
            "error": res["error"],
            "file": None,
            "sha256": None,
            "bytes": None,
            "params": item.params,
            "result": res["result"],
            "render_s": round(float(res["render_s"]), 6),
            "physsynth_version": __version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        }
        wav = self.wav_path(item.id)
        if res["status"] == "ok":
            with atomic_path(wav, suffix=".wav") as tmp:
                with open(tmp, "wb") as fh:
                    fh.write(res["wav"])
            rec.update(file=os.path.relpath(wav, self.root), sha256=res["sha256"], bytes=len(res["wav"]))
        else:
            # a WAV left by an interrupted earlier attempt has no ok record: it goes, so that
            # the files and the table always agree
            with contextlib.suppress(FileNotFoundError):
                os.unlink(wav)
        with atomic_path(self.meta_path(item.id), suffix=".json") as tmp:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(rec, fh, indent=1, allow_nan=False)
        return rec

    def write_model(self, key: str, data: bytes) -> str:
        path = self.model_path(key)
        with atomic_path(path, suffix=".npz") as tmp:
            with open(tmp, "wb") as fh:
                fh.write(data)
        return path

    # -------------------------------------------------------------- the table
    def records(self, order: dict | None = None) -> list[dict]:
        """Every readable record in meta/, in the order ``order`` (item ID -> position in the
        current spec) gives, then the records of other specs by their own index and ID."""
        order = order or {}
        out = []
        for path in glob.glob(os.path.join(self.meta_dir, "*.json")):
            rec = self.record(os.path.splitext(os.path.basename(path))[0])
            if rec is None:
                continue
            if rec.get("status") == "ok" and not os.path.exists(self.wav_path(rec["item_id"])):
                continue  # the WAV was deleted by hand: not in the table, rendered next run
            if rec["item_id"] in order:
                rec["index"] = order[rec["item_id"]]
            out.append(rec)
        n = len(order)
        out.sort(
            key=lambda r: (
                r["item_id"] not in order,
                r.get("index", 0) if r["item_id"] in order else n + r.get("index", 0),
                r["item_id"],
            )
        )
        return out

    @staticmethod
    def row(rec: dict) -> dict:
        """One flat table row of a record."""
        p = rec["params"]
        row = {k: rec.get(k) for k in ("item_id", "index", "status", "error", "file", "sha256", "bytes")}
        row["mesh"] = p["mesh"]["name"]
        row["material"] = p["material"]["name"]
        row["excitation"] = p["excitation"]["kind"]
        row["pickups"] = p["pickups"]["name"]
        for k in ("sr", "duration", "quantity", "format", "headroom_db", "fade", "snap_tolerance"):
            row[k] = p.get(k)
        for group in ("mesh", "analysis", "material", "excitation", "pickups"):
            for k, v in p[group].items():
                if (group, k) not in (
                    ("mesh", "name"),
                    ("material", "name"),
                    ("excitation", "kind"),
                    ("pickups", "name"),
                ):
                    row[f"{group}.{k}"] = _cell(v)
        for k, v in rec.get("result", {}).items():
            row[k] = _cell(v)
        row["render_s"] = rec.get("render_s")
        row["physsynth_version"] = rec.get("physsynth_version")
        row["created"] = rec.get("created")
        return row

    def write_table(self, order: dict | None = None) -> tuple[str, str | None, int]:
        """Rebuild metadata.csv (and metadata.parquet with pyarrow) from the records.

        Returns (csv path, parquet path or None, number of rows)."""
        rows = [self.row(r) for r in self.records(order)]
        cols = list(HEAD)
        for r in rows:
            for k in r:
                if k not in cols:
                    cols.append(k)
        with atomic_path(self.csv_path, suffix=".csv") as tmp:
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=cols, restval="")
                w.writeheader()
                w.writerows(rows)
        parquet = _write_parquet(rows, cols, self.parquet_path)
        return self.csv_path, parquet, len(rows)


def _alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_parquet(rows, cols, path) -> str | None:
    """Write the table as Parquet if pyarrow is installed (an optional extra)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    arrays = {}
    for c in cols:
        vals = [r.get(c) for r in rows]
        present = [v for v in vals if v is not None]
        if present and all(isinstance(v, bool) for v in present):
            arrays[c] = pa.array(vals, type=pa.bool_())
        elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
            arrays[c] = pa.array(vals, type=pa.int64())
        elif present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            arrays[c] = pa.array([None if v is None else float(v) for v in vals], type=pa.float64())
        else:
            arrays[c] = pa.array([None if v is None else str(v) for v in vals], type=pa.string())
    with atomic_path(path, suffix=".parquet") as tmp:
        pq.write_table(pa.table(arrays), tmp)
    return path
