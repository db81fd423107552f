"""Pictures of mode shapes: Chladni figures of plates and membranes, deformed solids.

A flat (triangle-mesh) model is drawn as its transverse displacement w(x, y), a colour field
with the nodal lines w = 0 in black (the lines where sand gathers on a bowed plate: Chladni's
figures). A solid is drawn as its boundary surface deformed by the mode shape times an
exaggeration factor, coloured by the displacement magnitude and shaded by a light.

Mode numbers in titles count from 1, as the ``physsynth modes`` table does; the ``modes``
arguments of the Python functions are 0-based indices into ``model.frequencies``.
"""

from __future__ import annotations

import math

import numpy as np

from physsynth import validate
from physsynth.modal.axisymmetric import circumferential_order
from physsynth.viz._mpl import MAX_INCHES, PlotError, check_dpi, check_figure, new_figure

#: Colour maps: signed transverse displacement (diverging, white at the nodal lines) and
#: displacement magnitude (sequential, perceptually uniform).
SIGNED_CMAP = "RdBu_r"
MAGNITUDE_CMAP = "viridis"

#: Direction the light comes from for shading solids (towards the viewer's upper left).
_LIGHT = np.array([-0.45, -0.55, 0.70]) / np.linalg.norm([-0.45, -0.55, 0.70])


# ------------------------------------------------------------------ geometry helpers
def mode_indices(model, modes) -> np.ndarray:
    """0-based mode indices from ``modes``: an int N (the first N) or a sequence of indices.

    Raises
    ------
    PlotError
        If an index is outside 0 .. n_modes - 1 or N is not positive.
    """
    n = model.n_modes
    if isinstance(modes, (int, np.integer)) and not isinstance(modes, bool):
        if modes < 1:
            raise PlotError(f"the number of modes to show must be >= 1, got {modes}")
        return np.arange(min(int(modes), n))
    if isinstance(modes, (str, bytes)) or not hasattr(modes, "__iter__"):
        raise PlotError(f"modes must be a count N or a list of 0-based mode indices, got {modes!r}")
    try:
        flat = np.asarray(modes, dtype=object).ravel()
    except (TypeError, ValueError):
        raise PlotError(f"modes must be a flat list of 0-based mode indices, got {modes!r}") from None
    vals = [validate.integer(v, "mode index", error=PlotError) for v in flat]
    if not vals:
        raise PlotError("no mode selected")
    bad = [v for v in vals if not 0 <= v < n]
    if bad:
        raise PlotError(
            f"mode index {bad[0]} is out of range: the model has {n} modes "
            f"(indices 0..{n - 1}, numbers 1..{n} in the modes table)"
        )
    return np.array(vals, dtype=np.int64)


def sheet_triangles(mesh) -> np.ndarray:
    """Straight triangles covering a flat mesh, shape (n, 3): a 6-node triangle is split into
    four so that its mid-edge values are drawn too."""
    c = mesh.cells
    if c.shape[1] == 3:
        return c
    # triangle6 node order (meshio/VTK): corners 0, 1, 2, then mid-edges (0,1), (1,2), (0,2)
    return np.concatenate([c[:, [0, 3, 5]], c[:, [3, 1, 4]], c[:, [5, 4, 2]], c[:, [3, 4, 5]]])


def fixed_nodes(model) -> np.ndarray:
    """Boolean mask of nodes held still in every mode (clamped or supported), shape (n_nodes,).

    A constraint removes the node's value DOF, so its displacement is exactly zero in every
    mode; no free node is exactly zero in all of them.
    """
    return ~np.any(model.shapes != 0.0, axis=(0, 2))


def transverse(model, k: int) -> np.ndarray:
    """Transverse displacement of mode ``k`` of a flat model, scaled to max |w| = 1 with its
    largest excursion positive (a deterministic sign), shape (n_nodes,)."""
    w = np.asarray(model.shapes[k, :, 2], dtype=float)
    i = int(np.argmax(np.abs(w)))
    if w[i] == 0:
        raise PlotError(f"mode {k + 1} has no transverse displacement to draw")
    return w / w[i]


def is_axisymmetric(mesh, *, tol: float = 0.03) -> bool:
    """Whether a mesh is (to ``tol`` of its radius) a body of revolution about the z axis.

    The axis must pass through x = y = 0 (where :func:`physsynth.modal.axisymmetric.
    circumferential_order` expects it), and in every height slice the outermost node of each
    of 16 angular sectors must lie at the same radius: a square plate or a box fails
    (corners stick out by sqrt(2)), a disc, a cylinder or a bowl passes.
    """
    p = mesh.points
    r = np.hypot(p[:, 0], p[:, 1])
    rmax = float(r.max())
    if rmax == 0:
        return False
    lo, hi = mesh.bounding_box
    if np.hypot(*(0.5 * (lo[:2] + hi[:2]))) > tol * rmax:
        return False
    sector = np.minimum(((np.arctan2(p[:, 1], p[:, 0]) + np.pi) / (2 * np.pi) * 16).astype(int), 15)
    dz = float(np.ptp(p[:, 2]))
    nz = 1 if mesh.dim == 2 or dz < tol * rmax else 6
    zbin = np.zeros(len(p), int) if nz == 1 else np.minimum(((p[:, 2] - lo[2]) / dz * nz).astype(int), nz - 1)
    for z in range(nz):
        in_z = zbin == z
        if not in_z.any():
            continue
        outer = np.array([r[in_z & (sector == s)].max(initial=-1.0) for s in range(16)])
        if outer.min() < 0 or np.ptp(outer) > tol * rmax:
            return False
    return True


def nodal_circles(model, k: int, order: int, *, threshold: float = 0.1) -> int:
    """Interior nodal circles of mode ``k`` of a flat axisymmetric model (a disc or annulus).

    The transverse displacement is projected on cos(n (theta - theta0)) in rings of nodes
    at similar radius; the radial profile a(r) of that harmonic changes sign once per nodal
    circle. Rings where |a| is below ``threshold`` of its peak are skipped, so the zero of
    r^n at the centre and a clamped rim are not counted.
    """
    p = model.mesh.points
    w = model.shapes[k, :, 2]
    r = np.hypot(p[:, 0], p[:, 1])
    theta = np.arctan2(p[:, 1], p[:, 0])
    # rings about two element sizes wide: enough nodes in each for the harmonic projection
    h = math.sqrt(2.0 * model.mesh.volume() / max(model.mesh.n_cells, 1))
    nb = int(np.clip(r.max() / (2.0 * h), 4, 60))
    ring = np.minimum((r / r.max() * nb).astype(int), nb - 1)
    proj = w * np.exp(-1j * order * theta)
    counts = np.bincount(ring, minlength=nb)
    c = (np.bincount(ring, proj.real, nb) + 1j * np.bincount(ring, proj.imag, nb)) / np.maximum(counts, 1)
    c = c[counts > 0]
    # the phase that makes the profile real: the principal axis of the points c in the plane
    phi = 0.5 * np.angle(np.sum(c**2))
    a = np.real(c * np.exp(-1j * phi))
    big = a[np.abs(a) > threshold * np.abs(a).max()]
    return int(np.count_nonzero(np.diff(np.sign(big))))


def mode_labels(model, modes, *, axisymmetric: bool | None = None) -> list[str]:
    """Panel titles: mode number and frequency, and for a body of revolution its nodal
    diameters (the circumferential order n) and, for a flat one, its interior nodal circles.

    Parameters
    ----------
    model : ModalModel
    modes : sequence of int
        0-based mode indices.
    axisymmetric : bool, optional
        Default: detected with :func:`is_axisymmetric`.
    """
    idx = mode_indices(model, modes)
    labels = [f"mode {k + 1}: {model.frequencies[k]:.1f} Hz" for k in idx]
    if axisymmetric is None:
        axisymmetric = is_axisymmetric(model.mesh)
    if not axisymmetric:
        return labels

    order, purity = circumferential_order(model.select(idx))
    out = []
    for lab, k, n, pur in zip(labels, idx, order, purity):
        # below 40 % in one order there is no dominant order (a mixed mode, or a mesh too
        # coarse for the ring projection): say so rather than guess
        if pur < 0.4:
            out.append(lab + "\nmixed circumferential order")
            continue
        text = f"{n} nodal diameter{'s' if n != 1 else ''}"
        if model.mesh.dim == 2:
            m = nodal_circles(model, int(k), int(n))
            text += f", {m} circle{'s' if m != 1 else ''}"
        out.append(f"{lab}\n{text}")
    return out


# ------------------------------------------------------------------ flat: Chladni figures
def _triangulation(mesh):
    from matplotlib.tri import Triangulation

    return Triangulation(mesh.points[:, 0], mesh.points[:, 1], sheet_triangles(mesh))


def _polylines(path) -> list[np.ndarray]:
    """Split a matplotlib Path into its polylines at MOVETO codes (closing CLOSEPOLY ones).

    ``Path.to_polygons`` is not used: it simplifies paths in display units, which on data in
    metres merges whole nodal lines into straight jumps."""
    from matplotlib.path import Path

    v = np.asarray(path.vertices, float)
    codes = path.codes
    if codes is None:
        return [v] if len(v) > 1 else []
    out, cur = [], []
    for xy, c in zip(v, codes):
        if c == Path.MOVETO:
            if len(cur) > 1:
                out.append(np.array(cur))
            cur = [xy]
        elif c == Path.CLOSEPOLY:
            if cur:
                cur.append(cur[0])
        else:
            cur.append(xy)
    if len(cur) > 1:
        out.append(np.array(cur))
    return out


def zero_lines(ax, tri, w, *, fixed_xy=None, scale: float = 1.0) -> list[np.ndarray]:
    """The zero contour of a field on a triangulation, as polylines of shape (n_i, 2).

    The contour is traced by matplotlib's ``tricontour`` on ``ax`` (then removed from it).
    Where the field is held at exactly zero (``fixed_xy``: points of clamped or supported
    nodes) the contour would also run along the constrained edge; segments joining two such
    points are dropped, so what remains are the nodal lines of the free surface (which may
    end on the constrained edge).
    """

    cs = ax.tricontour(tri, w, levels=[0.0])
    lines = []
    for path in cs.get_paths():
        lines += _polylines(path)
    cs.remove()
    if fixed_xy is None or len(fixed_xy) == 0 or not lines:
        return lines

    from scipy.spatial import cKDTree

    tree = cKDTree(fixed_xy)
    out = []
    for line in lines:
        on = tree.query(line)[0] <= 1e-9 * scale
        drop = on[:-1] & on[1:]  # a segment from one held node to another lies on the edge
        start = 0
        for i in np.flatnonzero(drop):
            if i + 1 - start > 1:
                out.append(line[start : i + 1])
            start = i + 1
        if len(line) - start > 1:
            out.append(line[start:])
    return out


def _draw_sheet(ax, model, k, *, title, nodal_lines=True, colorbar=False):
    from matplotlib.collections import LineCollection

    mesh = model.mesh
    tri = _triangulation(mesh)
    w = transverse(model, k)
    img = ax.tripcolor(tri, w, shading="gouraud", cmap=SIGNED_CMAP, vmin=-1.0, vmax=1.0, rasterized=True)
    lo, hi = mesh.bounding_box
    scale = float(np.max(hi - lo))
    lines = []
    if nodal_lines:
        held = fixed_nodes(model)
        lines = zero_lines(ax, tri, w, fixed_xy=mesh.points[held, :2], scale=scale)
        ax.add_collection(LineCollection(lines, colors="k", linewidths=1.2, label="nodal lines"))
    edges = mesh.boundary_edges()
    ax.add_collection(LineCollection(mesh.points[edges][:, :, :2], colors="0.25", linewidths=0.8, label="outline"))
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    if colorbar:
        ax.figure.colorbar(img, ax=ax, shrink=0.8, label="w / max|w|")
    return lines


def nodal_lines(model, mode: int) -> list[np.ndarray]:
    """Nodal lines (w = 0) of a mode of a flat model, as drawn by :func:`plot_modes`.

    Parameters
    ----------
    model : ModalModel
        A plate or membrane (flat triangle mesh).
    mode : int
        0-based mode index.

    Returns
    -------
    list of ndarray, each shape (n_i, 2), m
        Polylines in the plane of the sheet; a constrained edge is not included.
    """
    k = int(mode_indices(model, [mode])[0])
    if model.mesh.dim != 2:
        raise PlotError(
            "nodal lines are drawn for flat (plate or membrane) models; a solid is drawn as a deformed surface"
        )
    fig = new_figure(3, 3)
    ax = fig.add_subplot()
    return _draw_sheet(ax, model, k, title="")


# ------------------------------------------------------------------ solids
def surface_triangles(mesh) -> np.ndarray:
    """Outward-oriented boundary triangles of a solid (corner nodes), shape (n, 3)."""
    return mesh.boundary_triangles()


def deformation_scale(mesh, peak: float, exaggeration: float) -> float:
    """Factor that makes a displacement of size ``peak`` appear as ``exaggeration`` times the
    largest extent of the object (a unitless shape needs a visible, not a physical, size)."""
    lo, hi = mesh.bounding_box
    if not (peak > 0):
        return 0.0
    return exaggeration * float(np.max(hi - lo)) / peak


def shaded_colours(verts: np.ndarray, values: np.ndarray, cmap, norm) -> np.ndarray:
    """RGBA face colours from ``values`` (one per face) darkened by Lambert shading.

    Both sides are lit alike (|n . l|) so that the inside of a bowl seen over its rim is not
    black; 35 % ambient light keeps faces turned away readable.
    """
    n = np.cross(verts[:, 1] - verts[:, 0], verts[:, 2] - verts[:, 0])
    nn = np.linalg.norm(n, axis=1, keepdims=True)
    n = np.divide(n, nn, out=np.zeros_like(n), where=nn > 0)
    light = 0.35 + 0.65 * np.abs(n @ _LIGHT)
    rgba = cmap(norm(values))
    rgba[:, :3] *= light[:, None]
    return rgba


class SurfaceArtist:
    """A solid's (or a sheet's) surface in a 3D axes, redrawn for each displacement field.

    Parameters
    ----------
    ax : mpl_toolkits.mplot3d.Axes3D
    model : ModalModel
    scale : float
        Multiplies the displacement (see :func:`deformation_scale`).
    signed : bool
        Colour by the signed z displacement (a sheet) instead of the magnitude (a solid).
    vmax : float
        Displacement (in the model's units) at the top of the colour scale.
    """

    def __init__(self, ax, model, *, scale: float, signed: bool, vmax: float):
        import matplotlib as mpl
        from mpl_toolkits.mplot3d.art3d import Poly3DCollection

        self.model = model
        self.tri = sheet_triangles(model.mesh) if model.mesh.dim == 2 else surface_triangles(model.mesh)
        self.scale = scale
        self.signed = signed
        self.cmap = mpl.colormaps[SIGNED_CMAP if signed else MAGNITUDE_CMAP]
        vmax = vmax if vmax > 0 else 1.0
        self.norm = mpl.colors.Normalize(-vmax if signed else 0.0, vmax)
        self.coll = Poly3DCollection(
            np.zeros((len(self.tri), 3, 3)), linewidths=0.0, edgecolors="none", antialiased=False
        )
        ax.add_collection3d(self.coll)
        p = model.mesh.points
        lo, hi = p.min(axis=0), p.max(axis=0)
        ext = hi - lo
        pad = scale * vmax  # room for the largest deflection
        span = np.maximum(ext, 1e-3 * ext.max()) + 2 * pad
        mid = 0.5 * (lo + hi)
        ax.set_xlim(mid[0] - span[0] / 2, mid[0] + span[0] / 2)
        ax.set_ylim(mid[1] - span[1] / 2, mid[1] + span[1] / 2)
        ax.set_zlim(mid[2] - span[2] / 2, mid[2] + span[2] / 2)
        # the 3D axes leave wide margins around the box: fill the panel (more for a flat
        # sheet, whose box is a thin slab)
        ax.set_box_aspect(span, zoom=1.6 if model.mesh.dim == 2 else 1.25)
        ax.set_axis_off()

    def update(self, u: np.ndarray):
        """Draw the surface displaced by ``u``, shape (n_nodes, 3)."""
        pts = self.model.mesh.points + self.scale * u
        verts = pts[self.tri]
        v = u[:, 2] if self.signed else np.linalg.norm(u, axis=1)
        face = v[self.tri].mean(axis=1)
        self.coll.set_verts(verts)
        self.coll.set_facecolor(shaded_colours(verts, face, self.cmap, self.norm))
        return self.coll


def _view(ax, mesh, elev, azim):
    if elev is None:
        # solids from 40 degrees up, so that the inside of a bowl or cup shows over the rim;
        # sheets from 30 degrees, low enough to see their deflection
        elev = 30.0 if mesh.dim == 2 else 40.0
    ax.view_init(elev=elev, azim=azim)


def plot_modes(
    model,
    modes=12,
    *,
    exaggeration: float = 0.08,
    ncols: int | None = None,
    panel_size: float = 2.6,
    dpi: float = 100.0,
    axisymmetric: bool | None = None,
    view: tuple[float | None, float] = (None, -60.0),
    nodal_lines: bool = True,
    colorbar: bool = False,
):
    """A gallery of mode shapes, one panel per mode.

    Parameters
    ----------
    model : ModalModel
    modes : int or sequence of int
        The first N modes, or these 0-based indices.
    exaggeration : float
        Solids: the largest displacement is drawn as this fraction of the object's largest
        extent.
    ncols : int, optional
        Panels per row (default: about square, at most 4).
    panel_size : float, inches
    dpi : float
    axisymmetric : bool, optional
        Label nodal diameters (and circles, for a flat body); default: detected.
    view : (elevation, azimuth), degrees
        Camera of the 3D panels (elevation None: a default per kind).
    nodal_lines : bool
        Draw the nodal lines of flat models.
    colorbar : bool
        Add a colour bar to each flat panel.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per mode, in order (``fig.axes``), titled with the mode number (counting
        from 1, as the modes table), its frequency and any nodal counts.
    """
    panel_size = validate.positive(panel_size, "panel size", "inches", hi=MAX_INCHES, error=PlotError)
    dpi = check_dpi(dpi)
    exaggeration = validate.nonnegative(exaggeration, "exaggeration", hi=10.0, error=PlotError)
    idx = mode_indices(model, modes)
    n = len(idx)
    if ncols is not None:
        ncols = validate.integer(ncols, "ncols", lo=1, hi=64, error=PlotError)
    ncols = ncols or min(4, math.ceil(math.sqrt(n)))
    nrows = math.ceil(n / ncols)
    # the whole figure checked (inches, pixels, memory) before any panel is drawn
    check_figure(panel_size * ncols, panel_size * nrows * 1.5 + 0.35, dpi)
    titles = mode_labels(model, idx, axisymmetric=axisymmetric)
    lo, hi = model.mesh.bounding_box
    ext = hi - lo
    flat = model.mesh.dim == 2
    aspect = (ext[1] / ext[0]) if flat and ext[0] > 0 else 0.9
    fig = new_figure(panel_size * ncols, panel_size * nrows * min(max(aspect, 0.5), 1.5) + 0.35, dpi=dpi)
    for j, (k, title) in enumerate(zip(idx, titles)):
        if flat:
            ax = fig.add_subplot(nrows, ncols, j + 1)
            _draw_sheet(ax, model, int(k), title=title, nodal_lines=nodal_lines, colorbar=colorbar)
        else:
            ax = fig.add_subplot(nrows, ncols, j + 1, projection="3d")
            u = model.shapes[k]
            peak = float(np.max(np.linalg.norm(u, axis=1)))
            art = SurfaceArtist(
                ax, model, scale=deformation_scale(model.mesh, peak, exaggeration), signed=False, vmax=peak
            )
            art.update(u)
            _view(ax, model.mesh, *view)
            ax.set_title(title, fontsize=9)
    kind = model.provenance.get("model", "solid" if not flat else "sheet")
    fig.suptitle(
        f"{model.material.name} {kind}: {model.mesh.n_nodes} nodes"
        + (
            "; colour: w / max|w|, black: nodal lines"
            if flat
            else f"; colour: |u|, deformation x{exaggeration:g} of size"
        ),
        fontsize=9,
    )
    return fig
