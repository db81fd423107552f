"""`physsynth mesh`: a surface (or volume) file to the volume mesh physsynth would use."""

from __future__ import annotations

import json
import sys

import numpy as np

from physsynth._progress import log
from physsynth.cli import common
from physsynth.errors import PhyssynthError

SUFFIXES = (".msh", ".vtu", ".vtk", ".xdmf")


def cmd_mesh(args):
    if not str(args.output).lower().endswith(SUFFIXES):
        raise PhyssynthError(f"-o {args.output}: write the volume mesh as {', '.join(SUFFIXES)}")
    out = common.output(args.output, stdout=False, what="a volume mesh")
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
    save_mesh(mesh, out)
    info = dict(mesh.info)
    info.update(output=out, cells=int(mesh.n_cells), nodes=int(mesh.n_nodes), regions=sorted(mesh.regions))
    log.info("wrote %s: %s", out, mesh.describe())
    if args.json:
        json.dump(info, sys.stdout, default=str)
        sys.stdout.write("\n")
    else:
        print(f"{out}: {mesh.describe()}")
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
        "the volume mesh (.msh with named regions, .vtu, .vtk, .xdmf) for inspection in gmsh or ParaView.",
    )
    p.add_argument("mesh", help="surface (STL, OBJ, PLY, OFF, glTF/GLB) or volume mesh file")
    p.add_argument("-o", "--output", required=True, help="output volume mesh: .msh, .vtu, .vtk or .xdmf")
    p.add_argument("--n-modes", type=common.whole(lo=1, hi=100_000), help="size the elements for this many modes")
    common.add_fmax(p, "size the elements for the modes below this frequency, Hz (default 10 kHz)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    common.add_material(p)
    common.add_fem(p)
    p.set_defaults(func=cmd_mesh)
