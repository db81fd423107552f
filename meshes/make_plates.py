"""Generate the bundled flat meshes: plates and a drum head (gmsh, linear triangles, metres).

Each mesh lies in the xy-plane (z = 0), has a physical surface "plate" (or "membrane") and a
physical curve "edge" (the whole boundary); the rectangles also have "left", "right",
"bottom", "top" edges. Regenerate all of them with::

    python meshes/make_plates.py            # writes meshes/*.msh next to this script

Sizes (element edge length) are chosen so that the first 8 modes are within 1 % of their
closed forms (tests/test_plates.py); see meshes/README.md for the table.
"""

from __future__ import annotations

import argparse
import os

HERE = os.path.dirname(os.path.abspath(__file__))

#: name -> (shape, dimensions in m, element size in m, surface group name)
MESHES = {
    "plate_rect_300x200.msh": ("rect", (0.300, 0.200), 0.0035, "plate"),
    "plate_square_300.msh": ("rect", (0.300, 0.300), 0.0045, "plate"),
    "plate_circle_r100.msh": ("disk", (0.100,), 0.0030, "plate"),
    "drum_head_r165.msh": ("disk", (0.165,), 0.0060, "membrane"),
}


def make(path: str, shape: str, dims, size: float, surface_name: str) -> None:
    import gmsh

    gmsh.initialize()
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add(os.path.basename(path))
        occ = gmsh.model.occ
        if shape == "rect":
            s = occ.addRectangle(0, 0, 0, dims[0], dims[1])
        else:
            s = occ.addDisk(0, 0, 0, dims[0], dims[0])
        occ.synchronize()
        gmsh.model.addPhysicalGroup(2, [s], name=surface_name)
        curves = [c for _, c in gmsh.model.getBoundary([(2, s)], oriented=False)]
        gmsh.model.addPhysicalGroup(1, curves, name="edge")
        if shape == "rect":
            for c in curves:
                x, y, _ = occ.getCenterOfMass(1, c)
                name = "left" if x < 1e-9 else "right" if x > dims[0] - 1e-9 else "bottom" if y < 1e-9 else "top"
                gmsh.model.addPhysicalGroup(1, [c], name=name)
        gmsh.option.setNumber("Mesh.MeshSizeMin", size)
        gmsh.option.setNumber("Mesh.MeshSizeMax", size)
        gmsh.option.setNumber("Mesh.Algorithm", 6)  # Frontal-Delaunay: well-shaped triangles
        gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
        gmsh.option.setNumber("Mesh.SaveAll", 0)
        gmsh.model.mesh.generate(2)
        gmsh.write(path)
    finally:
        gmsh.finalize()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outdir", default=HERE)
    ap.add_argument("names", nargs="*", help=f"subset of {', '.join(MESHES)}")
    args = ap.parse_args()
    for name in args.names or MESHES:
        shape, dims, size, group = MESHES[name]
        out = os.path.join(args.outdir, name)
        make(out, shape, dims, size, group)
        print(f"wrote {out} ({os.path.getsize(out) / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
