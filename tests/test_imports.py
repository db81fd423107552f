"""The package's import structure: no cycles, imports at module level, a light public API.

The STYLE's layers hold only if imports point one way (a cycle is a layer reaching up) and if
nothing hides an upward import inside a function. Function-level imports are kept for the
optional heavy packages, which a user may not have installed (:data:`OPTIONAL`).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import physsynth

ROOT = Path(physsynth.__file__).resolve().parent
PACKAGE = "physsynth"

#: Packages that may be imported inside a function: the optional extras of pyproject.toml
#: (plot, xdmf, mesh, cholmod, pardiso, midi, batch) and what those extras bring (Pillow with
#: matplotlib), IPython for notebook display, tomllib/tomli for TOML specs (tomli only on
#: Python 3.10), PyYAML for YAML specs and pyarrow for Parquet datasets (used when installed).
#: Core dependencies (numpy, scipy and its submodules, numba, meshio, scikit-fem), the
#: standard library and physsynth's own modules belong at module level.
OPTIONAL = frozenset(
    {
        "matplotlib",
        "mpl_toolkits",
        "h5py",
        "gmsh",
        "sksparse",
        "pypardiso",
        "mido",
        "dask",
        "distributed",
        "tomli",
        "tomllib",
        "IPython",
        "PIL",
        "yaml",
        "pyarrow",
        "bempp_cl",
    }
)


#: Two front layers check their whole input before they load the numerical stack, so that a
#: refusal takes well under a second (and `physsynth --help` stays instant): the command line
#: (physsynth.cli) and the batch sweeps (physsynth.batch, whose spec is read and checked whole
#: on the client before any item runs, and whose excitation kinds load their renderers where
#: they run). There, the functions that do the work import physsynth's numerical layers (and
#: scipy, numba, meshio, scikit-fem) inside the function, after the checks. Their light helpers
#: (errors, validate, output paths, progress, version, materials and damping laws) and the
#: standard library stay at module level; test_light_modules_do_not_import_numba keeps the
#: point of the exemption honest.
LAZY_FRONTS = ("physsynth.cli", "physsynth.batch")
LIGHT = frozenset(
    {
        "physsynth.errors",
        "physsynth.validate",
        "physsynth._io",
        "physsynth._progress",
        "physsynth._version",
        "physsynth.damping",
        "physsynth.materials",
    }
)
NUMERICAL = frozenset({"scipy", "numba", "meshio", "skfem"})
#: Parts of the core dependencies that are slow to import and used by a few functions each,
#: so they load with the first call that needs them, not with every command: measured with
#: `python -X importtime -c "import M"` on the 2-core development machine (scipy 1.17):
#: scipy.signal 1.35 s, scipy.optimize 0.70 s, scipy.spatial 0.61 s, scipy.special 0.45 s,
#: skfem 0.50 s (in the mesh module only bar_mesh uses it, to build its box), trimesh 0.45 s
#: (only reading a surface file and splitting its triangles use it). Without this a
#: refusal that reads a model or a grid design would take 1.5-2.5 s instead of under one.
SLOW_TO_IMPORT = ("scipy.signal", "scipy.optimize", "scipy.spatial", "scipy.special", "skfem", "trimesh")


def _lazy_allowed(module: str, target: str) -> bool:
    root = target.split(".")[0]
    if root in OPTIONAL or any(target == m or target.startswith(m + ".") for m in SLOW_TO_IMPORT):
        return True
    front = next((f for f in LAZY_FRONTS if module == f or module.startswith(f + ".")), None)
    if front is None:
        return False
    if root == PACKAGE:
        return target not in LIGHT and not target.startswith(front)
    return root in NUMERICAL


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module an ImportFrom names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path, modules: dict[str, Path]):
    """Yield (imported module, line, at_module_level) for every import statement of a file.

    ``from a.b import c`` imports ``a.b.c`` when that is a module, else ``a.b``.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    function_nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for inner in ast.walk(node):
                if inner is not node:
                    function_nodes.add(id(inner))
    for node in ast.walk(tree):
        top = id(node) not in function_nodes
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, top
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield (sub if sub in modules else base), node.lineno, top


def _graph():
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    function_level = []
    for module, path in modules.items():
        for target, line, top in _imports(module, path, modules):
            root = target.split(".")[0]
            if root == PACKAGE and target in modules and target != module:
                graph[module].add(target)
            if not top and not _lazy_allowed(module, target):
                entry = f"{path.relative_to(ROOT.parent)}:{line}: import {target}"
                if entry not in function_level:  # one line per module named, not per name
                    function_level.append(entry)
    return graph, function_level


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        # iterative depth-first search: the graph is small, but recursion limits are not ours
        work = [(v, iter(sorted(graph[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1 or node in graph[node]:
                        out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_planted_cycle():
    """The checker itself: a -> b -> c -> a is one cycle, d -> a none (so the gate can fail)."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_import_graph_reads_function_level_imports(tmp_path):
    """The parser sees an import inside a function, resolves relative imports and submodules."""
    src = "from physsynth import validate\n\ndef f():\n    import numba\n    from . import mesh\n"
    p = tmp_path / "x.py"
    p.write_text(src)
    mods = {"physsynth.validate": None, "physsynth.mesh": None}
    got = list(_imports("physsynth.x", p, mods))
    assert got == [("physsynth.validate", 1, True), ("numba", 4, False), ("physsynth.mesh", 5, False)]


def test_no_import_cycle():
    graph, _ = _graph()
    cycles = _cycles(graph)
    assert not cycles, "import cycles (a layer importing up): " + "; ".join(" <-> ".join(c) for c in cycles)


def test_function_level_imports_only_for_optional_packages():
    _, found = _graph()
    assert not found, (
        f"{len(found)} function-level imports of physsynth's own modules, core dependencies or the standard "
        "library (move them to the top of the module; only optional extras are imported lazily):\n" + "\n".join(found)
    )


def _fresh_modules(code: str) -> set[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return set(out.stdout.split())


@pytest.mark.parametrize("module", ["physsynth.validate", "physsynth.errors", "physsynth", "physsynth.cli"])
def test_light_modules_do_not_import_numba(module):
    """The checks and errors (what a refusal needs), the package and the command line load no heavy code."""
    loaded = _fresh_modules(f"import {module}")
    heavy = sorted(m for m in ("numba", "scipy", "skfem", "meshio", "matplotlib") if m in loaded)
    assert not heavy, f"import {module} loads {heavy}"


def test_every_public_name_resolves():
    """Every name of physsynth.__all__ is importable as physsynth.X and by ``from physsynth import X``."""
    missing = []
    for name in physsynth.__all__:
        try:
            getattr(physsynth, name)
        except AttributeError as exc:
            missing.append(f"{name}: {exc}")
    assert not missing, missing
    ns: dict = {}
    exec(f"from physsynth import {', '.join(physsynth.__all__)}", ns)
    assert all(name in ns for name in physsynth.__all__)
    assert set(physsynth.__all__) <= set(dir(physsynth))


def test_public_function_not_shadowed_by_its_module():
    """``physsynth.render`` stays the function even after its module is imported by name."""
    loaded = _fresh_modules(
        "import importlib, physsynth\n"
        "for n, m in physsynth._PUBLIC.items():\n"
        "    importlib.import_module(m)\n"
        "bad = [n for n in physsynth.__all__ if n != 'batch' and type(getattr(physsynth, n)).__name__ == 'module']\n"
        "assert not bad, bad"
    )
    assert "physsynth" in loaded


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        physsynth.no_such_name  # noqa: B018
