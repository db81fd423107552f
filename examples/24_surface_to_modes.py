"""Bring your own object: a surface file (OBJ with groups) to a volume mesh to mode shapes.

Run: python examples/24_surface_to_modes.py [--outdir docs/img] [--n-modes 6]
Writes surface-in.png (the OBJ surface, coloured by group), surface-volume.png (the
tetrahedral mesh cut open at y = 0) and surface-modes.png (three mode shapes) to --outdir
(default docs/img, the pictures of docs/surface-meshes.md). The surface is the bundled Tibetan
bowl's boundary exported as an OBJ with one group per region (outer, inner, rim, ...), as a
CAD or modelling program would write it. Prints ``KEY: VALUE`` lines:

- ``surface_triangles``, ``tetrahedra``, ``dofs``, ``mesher``, ``element_size_mm``, ``regions``;
- ``first_doublet_hz``: the (2,0) wine-glass doublet of the re-meshed bowl;
- ``doublet_split_percent``: how far apart the two modes of that doublet are (a body of
  revolution has exact pairs; the split measures the mesh's asymmetry).
"""

import argparse
import os
import tempfile
import time

import numpy as np

import physsynth as ps
from physsynth.modal.axisymmetric import wine_glass_modes
from physsynth.viz import plot_modes, save_figure
from physsynth.viz._mpl import new_figure
from physsynth.viz.modes import shaded_colours

HERE = os.path.dirname(os.path.abspath(__file__))
MESHES = os.path.join(HERE, "..", "meshes")


def region_colours(n):
    import matplotlib as mpl

    return mpl.colormaps["tab10"](np.arange(n) % 10)


def draw_triangles(ax, verts, rgba, extent):
    import matplotlib as mpl
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    # Lambert shading of the flat colours (shaded_colours takes a colour map; a listed one here)
    cmap = mpl.colors.ListedColormap(rgba)
    cols = shaded_colours(verts, np.arange(len(verts)), cmap, mpl.colors.Normalize(0, max(len(verts) - 1, 1)))
    ax.add_collection3d(Poly3DCollection(verts, facecolors=cols, linewidths=0.15, edgecolors=(0, 0, 0, 0.35)))
    lo, hi = extent
    mid, span = 0.5 * (lo + hi), float(np.max(hi - lo))
    for setter, m in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), mid):
        setter(m - span / 2, m + span / 2)
    ax.set_box_aspect((1, 1, 1), zoom=1.3)
    ax.set_axis_off()
    ax.view_init(elev=25, azim=-60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--outdir", default=os.path.normpath(os.path.join(HERE, "..", "docs", "img")))
    ap.add_argument("--n-modes", type=int, default=6)
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    bronze = ps.get_material("bell_bronze")
    with tempfile.TemporaryDirectory() as tmp:
        obj = os.path.join(tmp, "bowl.obj")
        # the bundled bowl's boundary, its regions as OBJ groups (what a CAD tool or Blender exports)
        bowl = ps.load_mesh(os.path.join(MESHES, "tibetan_bowl_180.msh"))
        ps.mesh.surface.write_surface(ps.mesh.surface.surface_of(bowl), obj)
        surf = ps.mesh.surface.read_surface(obj)

        # 1. the surface as it comes in: its triangles coloured by OBJ group
        names, lab = surf.face_labels()
        col = region_colours(len(names))[lab]
        fig = new_figure(4.2, 3.6, dpi=80)
        ax = fig.add_subplot(projection="3d")
        v = surf.vertices
        draw_triangles(ax, v[surf.faces], col, (v.min(axis=0), v.max(axis=0)))
        ax.set_title(f"bowl.obj: {surf.n_faces} triangles, groups " + ", ".join(names), fontsize=8)
        print("wrote", save_figure(fig, os.path.join(args.outdir, "surface-in.png"), colors=64))

        # 2. the volume mesh physsynth makes of it, sized for the first modes
        t0 = time.perf_counter()
        mesh = ps.load_mesh(obj, n_modes=args.n_modes, material=bronze, cache=False)
        t_mesh = time.perf_counter() - t0
    info = mesh.info
    print(f"surface_triangles: {surf.n_faces}")
    print(f"tetrahedra: {mesh.n_cells}")
    print(f"dofs: {info['dofs']}")
    print(f"mesher: {info['mesher']}")
    print(f"element_size_mm: {1e3 * info['size']:.3g}")
    print(f"size_reason: {info['size_reason']}")
    print(f"report: {info['report']}")
    print(f"regions: {','.join(sorted(mesh.regions))}")
    print(f"mesh_seconds: {t_mesh:.1f}")

    # cut view: the tetrahedra whose centroid has y < 0, their faces not shared within that set
    # (the mesh surface where it is boundary, coloured by region; the cut in grey)
    p, tets = mesh.points, mesh.cells[:, :4]
    keep = tets[p[tets].mean(axis=1)[:, 1] < 0]
    faces = np.concatenate([keep[:, [1, 2, 3]], keep[:, [0, 3, 2]], keep[:, [0, 1, 3]], keep[:, [0, 2, 1]]])
    _, first, counts = np.unique(np.sort(faces, axis=1), axis=0, return_index=True, return_counts=True)
    outer = faces[first[counts == 1]]
    region_of = {}
    rnames = sorted(mesh.regions)
    for i, name in enumerate(rnames):
        for t in mesh.regions[name].triangles:
            region_of[tuple(sorted(t))] = i
    lab = np.array([region_of.get(tuple(sorted(t)), -1) for t in outer])
    col = np.where(lab[:, None] >= 0, region_colours(len(rnames))[lab.clip(0)], [0.75, 0.75, 0.75, 1.0])
    fig = new_figure(4.2, 3.6, dpi=80)
    ax = fig.add_subplot(projection="3d")
    draw_triangles(ax, p[outer], col, mesh.bounding_box)
    ax.set_title(f"{mesh.n_cells} tetrahedra by {info['mesher']}, cut at y = 0", fontsize=8)
    print("wrote", save_figure(fig, os.path.join(args.outdir, "surface-volume.png"), colors=64))

    # 3. its modes
    model = ps.modal_analysis(mesh, bronze, n_modes=args.n_modes)
    wg = wine_glass_modes(model, orders=(2, 3))
    pair = model.frequencies[wg[2]]
    print(f"first_doublet_hz: {pair[0]:.2f}, {pair[-1]:.2f}")
    print(f"doublet_split_percent: {100 * (pair[-1] / pair[0] - 1):.3f}")
    show = (
        [int(wg[2][0])]
        + ([int(wg[3][0])] if 3 in wg else [])
        + [int(np.setdiff1d(np.arange(model.n_modes), np.concatenate(list(wg.values())))[0])]
    )
    fig = plot_modes(model, sorted(show), panel_size=2.4, dpi=72, ncols=3)
    print("wrote", save_figure(fig, os.path.join(args.outdir, "surface-modes.png"), colors=64))


# the meshers run in a spawned child process, which imports this file again: guard the work
if __name__ == "__main__":
    main()
