"""Every example in a physsynth docstring runs and prints what it shows (doctest).

The modules are found, not listed: any file under physsynth/ whose text holds a ``>>>`` prompt
is imported and its examples run, so a new example is tested the day it is written. A module
that needs an optional package which is not installed (matplotlib, gmsh, dask, mido, h5py) is
skipped with the package named; any other import error fails.
"""

from __future__ import annotations

import doctest
import importlib
import os

import pytest

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "physsynth")
OPTIONAL = {"matplotlib", "gmsh", "dask", "distributed", "mido", "h5py", "IPython"}


def modules_with_examples():
    out = []
    for folder, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                if ">>> " not in f.read():
                    continue
            rel = os.path.relpath(path, os.path.dirname(PACKAGE))[: -len(".py")]
            parts = rel.split(os.sep)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out.append(".".join(parts))
    return sorted(out)


MODULES = modules_with_examples()


def test_examples_are_found():
    # the discovery itself: the modules known to carry examples are among those found
    assert {"physsynth.models.ks", "physsynth.measure", "physsynth.validate"} <= set(MODULES), MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and e.name.split(".")[0] in OPTIONAL:
            pytest.skip(f"{name} needs the optional package {e.name}")
        raise
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0, f"{name} has '>>> ' in its text but doctest found no example"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (output above)"
