"""Mode galleries: Chladni figures of a free square plate, a drum head's (diameters, circles)
modes with an animation, and (with --bowl) the Tibetan bowl's deformed shapes.

Run: python examples/17_mode_gallery.py [--outdir docs/img] [--bowl [MODEL.npz]]
Writes chladni_square_plate.png, drum_modes.png, drum_mode.gif (and bowl_modes.png) to
--outdir (default docs/img, the pictures of docs/visualisation.md). Prints:

- ``nodal_line_offset_mm``: how far the drawn nodal line of the (2,1) mode of a simply
  supported 300 x 200 mm plate lies from x = a/2, where the closed form sin(2 pi x / a)
  sin(pi y / b) puts it (``element_size_mm`` is the mesh size, the resolution to expect);
- ``drum_labels_correct``: how many of the first 12 drum-head modes have the nodal diameters
  and circles of the Bessel mode J_n(j_nm r / R) of their rank (``drum_modes``: of how many);
- with --bowl, ``bowl_mode1_nodal_diameters``: the bowl's lowest mode is its (2,0) wine-glass
  mode, 2 nodal diameters, as on real singing bowls.
"""

import argparse
import math
import os

import numpy as np
from scipy.special import jn_zeros

import physsynth as ps
from physsynth.viz import mode_labels, nodal_lines, plot_modes, save_figure

HERE = os.path.dirname(os.path.abspath(__file__))
MESHES = os.path.join(HERE, "..", "meshes")
ap = argparse.ArgumentParser()
ap.add_argument("--outdir", default=os.path.normpath(os.path.join(HERE, "..", "docs", "img")))
ap.add_argument(
    "--bowl",
    nargs="?",
    const="compute",
    default=None,
    metavar="MODEL.npz",
    help="also draw the bowl (from a saved model, or computed: ~15 s)",
)
args = ap.parse_args()
os.makedirs(args.outdir, exist_ok=True)
steel = ps.get_material("steel")

# 1. Chladni figures: a free 300 mm square steel plate, 2 mm thick (the plate Chladni bowed).
square = ps.modal_analysis(
    ps.load_mesh(os.path.join(MESHES, "plate_square_300.msh")), steel, n_modes=12, thickness=0.002
)
fig = plot_modes(square, 12, panel_size=2.2, dpi=72)
print("wrote", save_figure(fig, os.path.join(args.outdir, "chladni_square_plate.png"), colors=64))

# 2. Where the picture puts a nodal line, against the closed form: the (2,1) mode of a simply
# supported a x b plate, w = sin(2 pi x / a) sin(pi y / b), is zero on x = a / 2.
a, b = 0.300, 0.200
rect_mesh = ps.load_mesh(os.path.join(MESHES, "plate_rect_300x200.msh"))
rect = ps.modal_analysis(rect_mesh, steel, n_modes=3, thickness=0.002, support=["edge"])
# closed form: f_21 is the second frequency for a / b = 1.5, (2,1) below (1,2)
lines = nodal_lines(rect, 1)
pts = np.concatenate(lines)
h = math.sqrt(2 * rect_mesh.volume() / rect_mesh.n_cells)  # side of the mean right triangle
print(
    f"(2,1) mode {rect.frequencies[1]:.1f} Hz: {len(lines)} nodal line(s), "
    f"y from {1e3 * pts[:, 1].min():.1f} to {1e3 * pts[:, 1].max():.1f} mm"
)
print(f"element_size_mm: {1e3 * h:.2f}")
print(f"nodal_line_offset_mm: {1e3 * np.abs(pts[:, 0] - a / 2).max():.3f}")

# 3. A 13" drum head (fixed rim): modes J_n(j_nm r / R) cos(n theta), n nodal diameters and
# m - 1 nodal circles inside the rim, in the order of the Bessel zeros j_nm.
drum = ps.modal_analysis(
    ps.load_mesh(os.path.join(MESHES, "drum_head_r165.msh")),
    None,
    n_modes=12,
    tension=2000.0,
    areal_density=0.26,
    clamp=["edge"],
)
zeros = sorted((z, n, m) for n in range(8) for m, z in enumerate(jn_zeros(n, 4)) for _ in range(1 if n == 0 else 2))[
    :12
]
labels = mode_labels(drum, range(12))
expect = [f"{n} nodal diameter{'s' if n != 1 else ''}, {m} circle{'s' if m != 1 else ''}" for _, n, m in zeros]
ok = sum(lab.split("\n")[1] == e for lab, e in zip(labels, expect))
fig = plot_modes(drum, 12, panel_size=2.2, dpi=72)
print("wrote", save_figure(fig, os.path.join(args.outdir, "drum_modes.png"), colors=64))
print(f"drum_modes: {len(labels)}")
print(f"drum_labels_correct: {ok}")
gif = ps.animate_mode(
    drum, 8, os.path.join(args.outdir, "drum_mode.gif"), frames=12, size=(3.2, 2.8), dpi=72, exaggeration=0.12
)
print("wrote", gif)

# 4. The bowl: deformed shapes coloured by |u|, titled with their nodal diameters.
if args.bowl:
    if args.bowl == "compute":
        bowl = ps.modal_analysis(
            ps.load_mesh(os.path.join(MESHES, "tibetan_bowl_180.msh")), ps.get_material("bell_bronze"), n_modes=12
        )
    else:
        bowl = ps.ModalModel.load(args.bowl)
    fig = plot_modes(bowl, min(12, bowl.n_modes), panel_size=2.2, dpi=72)
    print("wrote", save_figure(fig, os.path.join(args.outdir, "bowl_modes.png"), colors=64))
    first = mode_labels(bowl, [0])[0]
    print(first.replace("\n", ", "))
    print(f"bowl_mode1_nodal_diameters: {int(first.split(chr(10))[1].split()[0])}")
