"""Batch rendering: sweeps of objects x materials x excitations x pickups into datasets, on
Dask (a local cluster, or a scheduler address) or serially.

The pipeline, each step a small function::

    sweep = physsynth.batch.load_spec("sweep.toml")        # items with stable IDs
    report = physsynth.batch.run_batch(sweep, "dataset/")  # WAVs, records, metadata.csv

See docs/batch.md for the spec format and how a sweep maps to a cluster.
"""

from physsynth.batch._base import SpecError
from physsynth.batch.dataset import Dataset, DatasetLocked
from physsynth.batch.engine import BatchReport, run_batch
from physsynth.batch.excitations import (
    EXCITATIONS,
    ExcitationKind,
    Param,
    get_excitation,
    register_excitation,
)
from physsynth.batch.positions import RenderContext
from physsynth.batch.spec import Item, ModelInput, Sweep, load_spec, parse_spec, read_spec

__all__ = [
    "BatchReport",
    "Dataset",
    "DatasetLocked",
    "EXCITATIONS",
    "ExcitationKind",
    "Item",
    "ModelInput",
    "Param",
    "RenderContext",
    "SpecError",
    "Sweep",
    "get_excitation",
    "load_spec",
    "parse_spec",
    "read_spec",
    "register_excitation",
    "run_batch",
]
