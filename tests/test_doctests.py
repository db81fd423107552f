"""Every example in a physsynth docstring runs and prints what it shows (doctest), and the API
reference (docs/api.md) covers every public name.

The modules are found, not listed: any file under physsynth/ whose text holds a ``>>>`` prompt
is imported and its examples run, so a new example is tested the day it is written. A module
that needs an optional package which is not installed (matplotlib, gmsh, dask, mido, h5py) is
skipped with the package named; any other import error fails.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import os
import pkgutil
import re

import pytest

import physsynth

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


# ----------------------------------------------------------------- the API reference
API_MD = os.path.join(os.path.dirname(PACKAGE), "docs", "api.md")


def api_targets():
    with open(API_MD, encoding="utf-8") as f:
        return re.findall(r"^::: (\S+)$", f.read(), re.M)


def resolve(target):
    """The object a ``::: a.b.c`` entry names: a module, or a name in one."""
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError:
        module, _, name = target.rpartition(".")
        return getattr(importlib.import_module(module), name)


def test_every_api_entry_imports():
    targets = api_targets()
    assert len(targets) > 10
    for t in targets:
        assert resolve(t) is not None, t


def public_modules():
    """physsynth's modules with an ``__all__``, but the kernels and the command line (private
    behind their wrappers) and underscored modules."""
    out = {}
    for info in pkgutil.walk_packages(physsynth.__path__, "physsynth."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]) or parts[1] in ("kernels", "cli"):
            continue
        try:
            module = importlib.import_module(info.name)
        except ModuleNotFoundError as e:  # an optional package
            if e.name and e.name.split(".")[0] in OPTIONAL:
                continue
            raise
        if hasattr(module, "__all__"):
            out[info.name] = module
    return out


def _static_reexport(module):
    # mkdocstrings reads the source: a package that resolves its names in __getattr__ (PEP 562)
    # shows none of them, one that imports them shows those in its __all__
    path = getattr(module, "__file__", None)
    if not path:
        return False
    with open(path, encoding="utf-8") as f:
        return "def __getattr__" not in f.read()


def covered(name, home, targets):
    """Whether docs/api.md documents ``name`` (defined in module ``home``)."""
    if f"{home}.{name}" in targets or home in targets:
        return True
    for t in targets:
        try:
            module = importlib.import_module(t)
        except ModuleNotFoundError:
            continue
        shadowed = os.path.exists(os.path.join(os.path.dirname(module.__file__), f"{name}.py"))
        if name in getattr(module, "__all__", ()) and _static_reexport(module) and not shadowed:
            return True
    return False


def home_of(module, name):
    obj = getattr(module, name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return obj.__module__
    if inspect.ismodule(obj):
        return obj.__name__
    table = getattr(module, "_PUBLIC", {})  # physsynth's {name: module} table
    if name in table:
        return table[name]
    if not _static_reexport(module) and hasattr(module, "__path__"):
        # a constant a lazy package re-exports (maybe renamed): the submodule that holds it
        for info in pkgutil.iter_modules(module.__path__, module.__name__ + "."):
            sub = importlib.import_module(info.name)
            if any(v is obj for k, v in vars(sub).items() if not k.startswith("_")):
                return info.name
    return module.__name__


def test_api_reference_covers_every_public_name():
    targets = set(api_targets())
    missing = []
    modules = {"physsynth": physsynth, **public_modules()}
    for mname, module in modules.items():
        for name in module.__all__:
            if name.startswith("__"):
                continue
            home = home_of(module, name)
            if home == name or home.endswith(f".{name}") and home in modules:
                continue  # a submodule re-exported as a name (physsynth.batch): its own entry
            if not covered(name, home, targets):
                missing.append(f"{mname}.{name} (defined in {home})")
    assert not missing, "docs/api.md lacks: " + ", ".join(missing)
