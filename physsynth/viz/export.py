"""Export for ParaView (and anything else meshio writes): mode shapes as point data, and the
response to a strike as a time series.

Files hold the mesh in metres and one vector field per mode, named by its number (from 1,
as in the ``physsynth modes`` table) and frequency: ``mode_001_221.559Hz``, ... (mass-normalised
shapes, 1/sqrt(kg)). The frequency is in the name because VTU keeps no other per-file numbers
that meshio reads back; :func:`read_modes` parses it. In ParaView, "Warp By Vector" on a mode
field shows the deformed shape.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile

import meshio
import numpy as np

from physsynth import validate
from physsynth._io import check_writable
from physsynth._progress import log
from physsynth.errors import ModelFileError
from physsynth.viz._mpl import PlotError, check_frames, output_path, require_h5py
from physsynth.viz.animate import modal_response
from physsynth.viz.modes import mode_indices

#: Mesh file types written (extension -> meshio format) and the time-series one.
MESH_FORMATS = {"vtu": "vtu", "vtk": "vtk", "xdmf": "xdmf"}
TIME_SERIES_FORMATS = ("xdmf",)
_CELL_TYPES = {4: "tetra", 10: "tetra10", 3: "triangle", 6: "triangle6"}


_FIELD = re.compile(r"^mode_(\d+)_([0-9.eE+-]+)Hz$")


def mode_field_name(k: int, frequency: float) -> str:
    """Point-data name of 0-based mode ``k`` of ``frequency`` (Hz): ``mode_001_221.559Hz``
    (six significant digits)."""
    return f"mode_{k + 1:03d}_{frequency:.6g}Hz"


def _ext(path, allowed, what):
    ext = os.path.splitext(output_path(path))[1].lower().lstrip(".")
    if ext not in allowed:
        got = f"'.{ext}'" if ext else "no extension"
        raise PlotError(
            f"cannot write {what} to {os.fspath(path)} ({got}); use " + " or ".join(f".{e}" for e in allowed)
        )
    return ext


def check_export_path(path, *, time_series: bool = False) -> str:
    """The format of an export path, or :class:`PlotError` before any work is done."""
    ext = _ext(
        path,
        TIME_SERIES_FORMATS if time_series else tuple(MESH_FORMATS),
        "a time series" if time_series else "mode shapes",
    )
    if ext == "xdmf":
        require_h5py()
    check_writable(path, PlotError)
    return ext


@contextlib.contextmanager
def _atomic_files(path):
    """A temporary folder beside ``path``; on success every file written in it is moved next
    to ``path`` (XDMF writes a companion .h5, referenced by its bare name, so both move;
    the .h5 first, so that a reader never finds an .xdmf without its data)."""
    path = check_writable(path, PlotError)
    folder = os.path.dirname(path)
    tmpdir = tempfile.mkdtemp(prefix=".physsynth-", dir=folder)
    try:
        yield os.path.join(tmpdir, os.path.basename(path))
        names = sorted(os.listdir(tmpdir), key=lambda n: n == os.path.basename(path))
        for name in names:
            os.replace(os.path.join(tmpdir, name), os.path.join(folder, name))
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _meshio_mesh(model, point_data):
    mesh = model.mesh
    cell_type = _CELL_TYPES[mesh.cells.shape[1]]
    return meshio.Mesh(
        np.ascontiguousarray(mesh.points, dtype=float),
        [(cell_type, np.ascontiguousarray(mesh.cells, dtype=np.int64))],
        point_data=point_data,
    )


def _time_series_writer(path):
    class Writer(meshio.xdmf.TimeSeriesWriter):
        # meshio opens the .h5 in the current directory (filename.stem + ".h5"); keep it
        # beside the .xdmf, where the .xdmf (which names it without a folder) looks for it.
        def __enter__(self):
            import h5py

            self.h5_filename = str(self.filename.with_suffix(".h5"))
            self.h5_file = h5py.File(self.h5_filename, "w")
            return self

    return Writer(path)


def export_modes(model, path, *, modes=None) -> str:
    """Write the mesh with mode shapes as point data (.vtu, .vtk or .xdmf).

    Parameters
    ----------
    model : ModalModel
    path : str
        Output file; the extension picks the format. XDMF also writes ``<name>.h5`` beside it.
    modes : int or sequence of int, optional
        The first N modes or these 0-based indices (default: all).

    Returns
    -------
    str
        The path written.

    Notes
    -----
    Point data ``mode_NNN_<frequency>Hz``, shape (n_nodes, 3), 1/sqrt(kg); read it back with
    :func:`read_modes` (or any VTK/XDMF reader).
    """

    ext = check_export_path(path)
    idx = mode_indices(model, model.n_modes if modes is None else modes)
    point_data = {
        mode_field_name(int(k), float(model.frequencies[k])): np.ascontiguousarray(model.shapes[k], dtype=float)
        for k in idx
    }
    m = _meshio_mesh(model, point_data)
    with _atomic_files(path) as tmp:
        meshio.write(tmp, m, file_format=MESH_FORMATS[ext])
    return os.fspath(path)


def export_response(
    model,
    excitation,
    path,
    *,
    duration: float,
    frames: int = 100,
    fmax: float | None = None,
    quantity: str = "displacement",
) -> str:
    """Write the response to a strike as an XDMF time series (``displacement`` per step).

    The field at each step is the modal superposition sum_k q_k(t) phi_k with the modal
    coordinates of :func:`physsynth.viz.animate.modal_response` (the same resonators as the
    audio render), sampled at ``frames`` evenly spaced times in 0 .. ``duration``.

    Parameters
    ----------
    model : ModalModel
    excitation : Strike
    path : str
        An .xdmf file; ``<name>.h5`` is written beside it.
    duration : float, s
    frames : int
    fmax : float, Hz, optional
        Leave out modes above this (default 0.49 sr of the excitation).
    quantity : {"displacement", "velocity", "acceleration"}
        The field written (m, m/s, m/s^2); its name is the quantity.

    Returns
    -------
    str
        The path written.
    """

    check_export_path(path, time_series=True)
    frames = check_frames(frames, lo=1)
    duration = validate.positive(duration, "duration", "s", error=PlotError)
    n = model.mesh.n_nodes
    # written frame by frame, so the file, not memory, grows with the frames: state its size
    validate.check_memory(
        24.0 * n * (len(model.frequencies) + 2),
        f"the {n}-node fields of {len(model.frequencies)} modes",
        "use a smaller model",
        error=PlotError,
    )
    size = 24.0 * n * frames  # float64 vectors per node per frame in the .h5
    free = shutil.disk_usage(os.path.dirname(os.path.abspath(os.fspath(path)))).free
    if size > 0.9 * free:
        raise PlotError(
            f"{frames} frames of a {n}-node field make about {size / 1e9:.3g} GB, more than the "
            f"{free / 1e9:.3g} GB free beside {os.fspath(path)}; use fewer frames"
        )
    log.info("export: %d frames of a %d-node field, about %.3g MB", frames, n, size / 1e6)
    q, keep = modal_response(model, excitation, duration=duration, quantity=quantity, fmax=fmax)
    times = np.arange(frames) * (duration / frames)
    idx = np.minimum(np.round(times * excitation.sr).astype(int), q.shape[1] - 1)
    shapes = model.shapes[keep]
    m = _meshio_mesh(model, {})
    with _atomic_files(path) as tmp, _time_series_writer(tmp) as writer:
        writer.write_points_cells(m.points, m.cells)
        for t, j in zip(times, idx):
            writer.write_data(float(t), point_data={quantity: np.einsum("k,knc->nc", q[:, j], shapes)})
    return os.fspath(path)


def read_modes(path):
    """Read mode shapes written by :func:`export_modes`.

    Returns
    -------
    points : ndarray, shape (n_nodes, 3), m
    numbers : ndarray of int, shape (n,)
        Mode numbers (from 1, as in the modes table).
    frequencies : ndarray, shape (n,), Hz
        To the six significant digits of the field names.
    shapes : ndarray, shape (n, n_nodes, 3)
    """

    try:
        m = meshio.read(os.fspath(path))
    except Exception as exc:  # meshio raises many types for unreadable files
        raise ModelFileError(f"cannot read {os.fspath(path)}: {exc}") from None
    found = sorted((int(g.group(1)), float(g.group(2)), name) for name in m.point_data if (g := _FIELD.match(name)))
    if not found:
        raise ModelFileError(f"{os.fspath(path)} has no mode_NNN_<f>Hz point data (not written by physsynth export?)")
    shapes = np.stack([np.asarray(m.point_data[name], float).reshape(len(m.points), -1) for _, _, name in found])
    return (np.asarray(m.points, float), np.array([n for n, _, _ in found]), np.array([f for _, f, _ in found]), shapes)
