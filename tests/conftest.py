"""Shared fixtures and helpers: small meshes written in several file formats, bar models, the
command line run as a user runs it, and the pitch and level measurements the tests share.

Test modules import the helpers by name (``from conftest import run_cli, peak_freq``): tests/
is on ``sys.path``, which is also how they reach tests/reference_values.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from physsynth.measure import cents, peak_frequency

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MESHES = os.path.join(ROOT, "meshes")
sys.path.insert(0, HERE)

__all__ = ["HERE", "MESHES", "ROOT", "cents", "number", "peak_freq", "rms", "run_cli", "run_example"]


def run_cli(*args, cwd=None, env=None, timeout=600):
    """Run ``python -m physsynth ARGS`` (each argument str()-ed) in ``cwd`` with environment
    ``env`` (default: this one); returns (exit code, stdout, stderr)."""
    p = subprocess.run(
        [sys.executable, "-m", "physsynth", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    return p.returncode, p.stdout, p.stderr


def run_example(name, *args, cwd=None):
    """Run examples/NAME with ARGS; returns its stdout (fails the test on a non-zero exit)."""
    p = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", name), *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
    )
    assert p.returncode == 0, p.stderr
    return p.stdout


def number(out, key):
    """The number an example prints on its line ``KEY: VALUE``."""
    m = re.search(rf"^{key}: (\S+)$", out, re.M)
    assert m, out
    return float(m.group(1))


def peak_freq(x, sr, f_guess, search_cents=50.0):
    """Frequency (Hz) of the strongest peak within +-``search_cents`` of ``f_guess`` Hz:
    :func:`physsynth.measure.peak_frequency` (0.01 cent on a steady partial) with its search
    window given in cents, as pitch tests state their tolerances."""
    return peak_frequency(x, sr=sr, f_guess=f_guess, rel_window=2.0 ** (search_cents / 1200.0) - 1.0)


def rms(z):
    """Root-mean-square of an array (all samples together)."""
    return float(np.sqrt(np.mean(np.square(z))))


@contextlib.contextmanager
def _gmsh(name, path, h, order=1, version="4.1"):
    """A gmsh session: yields the module for building geometry, then meshes in 3D at size h
    (quadratic if order == 2) and writes ``path``."""
    gmsh = pytest.importorskip("gmsh")
    gmsh.initialize()
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add(name)
        yield gmsh
        gmsh.option.setNumber("Mesh.MeshSizeMax", h)
        gmsh.option.setNumber("Mesh.MshFileVersion", float(version))
        gmsh.model.mesh.generate(3)
        if order == 2:
            gmsh.model.mesh.setOrder(2)
        gmsh.write(str(path))
    finally:
        gmsh.finalize()


def gmsh_box(path, size=(0.1, 0.02, 0.01), h=0.01, order=1, version="4.1", groups=True):
    """Write a tetrahedral box mesh with gmsh; physical groups 'solid' and 'end' (x = 0)."""
    with _gmsh("box", path, h, order, version) as gmsh:
        v = gmsh.model.occ.addBox(0, 0, 0, *size)
        gmsh.model.occ.synchronize()
        if groups:
            gmsh.model.addPhysicalGroup(3, [v], name="solid")
            ends = [
                s
                for d, s in gmsh.model.getBoundary([(3, v)], oriented=False)
                if abs(gmsh.model.occ.getCenterOfMass(2, s)[0]) < 1e-9
            ]
            gmsh.model.addPhysicalGroup(2, ends, name="end")
    return str(path)


def gmsh_cylinder(path, radius=0.02, height=0.06, h=0.008, order=1):
    """A solid cylinder (curved surface) on z = 0, axis z."""
    with _gmsh("cyl", path, h, order) as gmsh:
        v = gmsh.model.occ.addCylinder(0, 0, 0, 0, 0, height, radius)
        gmsh.model.occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [v], name="solid")
    return str(path)


def euler_bernoulli(beta_l, L, E, rho, I, A):
    """f_n = (beta_n L)^2 / (2 pi L^2) sqrt(E I / (rho A)), Hz."""
    return np.asarray(beta_l) ** 2 / (2 * np.pi * L**2) * np.sqrt(E * I / (rho * A))


def bending_modes(model, axis=2, share=0.8):
    """Indices of modes whose displacement is mostly along ``axis`` (transverse bending)."""
    s = model.shapes
    energy = np.sum(s**2, axis=1)  # (n_modes, 3)
    frac = energy[:, axis] / energy.sum(axis=1)
    return np.flatnonzero(frac > share)


@pytest.fixture(scope="session")
def box41(tmp_path_factory):
    return gmsh_box(tmp_path_factory.mktemp("m") / "box41.msh")


@pytest.fixture(scope="session")
def bar_model():
    """A free-free aluminium bar 0.3 x 0.012 x 0.006 m (L/h = 50), P2, 12 modes."""
    import physsynth as ps

    mesh = ps.bar_mesh(0.3, 0.012, 0.006, (50, 2, 1))
    return ps.modal_analysis(mesh, ps.get_material("aluminium"), n_modes=12)
