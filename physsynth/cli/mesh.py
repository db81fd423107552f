"""`physsynth mesh`: a surface (or volume) file to the volume mesh physsynth would use."""

from __future__ import annotations

import json
import sys

import numpy as np

from physsynth._progress import log
from physsynth.cli import common
from physsynth.errors import PhyssynthError

SUFFIXES = (".msh", ".vtu", ".vtk", ".xdmf")
#: Surface outputs: the volume mesh's boundary, its regions as OBJ groups / STL solids.
SURFACE_OUT = (".obj", ".stl", ".ply", ".off")


def cmd_mesh(args):
    low = str(args.output).lower()
    if not low.endswith(SUFFIXES + SURFACE_OUT):
        raise PhyssynthError(
            f"-o {args.output}: write the volume mesh as {', '.join(SUFFIXES)}, or its boundary surface as "
            f"{', '.join(SURFACE_OUT)}"
        )
    surface_out = low.endswith(SURFACE_OUT)
    out = common.output(args.output, stdout=False, what="a surface" if surface_out else "a volume mesh")
    common.check_material(args)
    kw = common.surface_kwargs(args, fmax=args.fmax, n_modes=args.n_modes)
    from physsynth.mesh import load_mesh, save_mesh

    body = kw.pop("body")
    if body == "all":
        from physsynth.mesh.surface import prepare_surface, read_surface
        from physsynth.mesh.tetra import surface_mesh

        surf = read_surface(args.mesh, units=args.units)
        _, _, bodies = prepare_surface(surf, thickness=kw["thickness"], side=kw["side"], repair=kw["repair"], body=0)
        meshes = [surface_mesh(args.mesh, units=args.units, body=i, **kw) for i in range(len(bodies))]
        mesh = _merge(meshes)
    else:
        mesh = load_mesh(args.mesh, units=args.units, body=body, **kw)
    described = mesh.describe()
    if surface_out:
        from physsynth.mesh.surface import surface_of, write_surface

        surf = surface_of(mesh)
        write_surface(surf, out)
        groups = ", ".join(sorted(surf.groups)) or "none"
        described = f"the boundary surface ({surf.n_faces} triangles, groups: {groups}) of {described}"
    else:
        save_mesh(mesh, out)
    info = dict(mesh.info)
    info.update(output=out, cells=int(mesh.n_cells), nodes=int(mesh.n_nodes), regions=sorted(mesh.regions))
    log.info("wrote %s: %s", out, described)
    if args.json:
        json.dump(info, sys.stdout, default=str)
        sys.stdout.write("\n")
    else:
        print(f"{out}: {described}")
        if info.get("summary"):
            print(f"  {info['summary']}")
            print(f"  surface: {info['report']}")
            print(
                f"  smallest dihedral angle {info['min_dihedral_deg']:.1f} deg, "
                f"volume {info['volume_change_pct']:+.3f} % against the surface"
            )
    return 0


def _merge(meshes):
    from physsynth.mesh import Mesh, Region

    pts, cells, regions, off = [], [], {}, 0
    for k, m in enumerate(meshes):
        pts.append(m.points)
        cells.append(m.cells + off)
        for name, r in m.regions.items():
            tri = None if r.triangles is None else r.triangles + off
            regions[f"body{k}_{name}"] = Region(f"body{k}_{name}", r.dim, r.nodes + off, tri, None)
        off += m.n_nodes
    info = dict(
        meshes[0].info, summary=f"{len(meshes)} bodies: " + "; ".join(m.info.get("summary", "") for m in meshes)
    )
    return Mesh(np.concatenate(pts), np.concatenate(cells), regions, meshes[0].source, info)


def register(sub) -> None:
    p = sub.add_parser(
        "mesh",
        help="tetrahedralise a surface file (STL, OBJ, PLY, OFF, glTF) and write the volume mesh",
        description="Check, repair and tetrahedralise a surface file as every other command does, and write "
        "the volume mesh (.msh with named regions, .vtu, .vtk, .xdmf) for inspection in gmsh or ParaView, or "
        "the boundary of any mesh as a surface (.obj with a group per region, .stl with a solid per region, "
        ".ply, .off) for CAD tools, Blender or a slicer.",
    )
    p.add_argument("mesh", help="surface (STL, OBJ, PLY, OFF, glTF/GLB) or volume mesh file")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="output volume mesh (.msh, .vtu, .vtk, .xdmf) or its boundary surface (.obj, .stl, .ply, .off)",
    )
    p.add_argument("--n-modes", type=common.whole(lo=1, hi=100_000), help="size the elements for this many modes")
    common.add_fmax(p, "size the elements for the modes below this frequency, Hz (default 10 kHz)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    common.add_material(p)
    common.add_fem(p)
    p.set_defaults(func=cmd_mesh)
