"""Generate the bundled Tibetan singing bowl mesh ``tibetan_bowl_180.msh``.

The bowl is built with the gmsh Python API (OpenCASCADE kernel) by revolving
a closed 2D wall cross-section 360 degrees about the z axis.  All lengths are
in metres.  The bowl stands on ``z = 0`` with its axis along ``+z`` and the
opening (rim) at the top.

Cross-section (in the ``(r, z)`` half-plane, ``r >= 0``)
--------------------------------------------------------
* Outer base: the flat underside ``z = 0`` from the axis to ``r = base_radius``.
* Outer wall: a cubic Bezier curve from ``(base_radius, 0)`` (horizontal
  tangent, so the base blends smoothly into the wall) to the rim
  ``(diameter / 2, height)``.  Its tangent at the rim makes the angle
  ``rim_angle`` (degrees) with the horizontal: 90 is a vertical rim, larger
  values give an incurved rim.  The Bezier handle lengths are
  ``belly * (rim radius - base radius)`` at the base and
  ``shoulder * height`` at the rim.
* Inner wall: the outer profile offset inwards along its normal by the local
  wall thickness ``t(z)``, interpolated through points with a spline.
* Rim: a flat annular face at ``z = height`` between the outer and inner
  wall (it is as wide as the rim lip is thick).
* Inner base: the flat floor ``z = t_base`` joined to the inner wall.

Wall thickness profile (outer wall, as a function of height ``z``)::

    t(z) = t_base + (t_wall - t_base) * S(z / wall_blend)
           + (t_rim - t_wall) * S((z - (height - lip_height)) / lip_height)

where ``S`` is the smoothstep ``3 x^2 - 2 x^3`` clipped to ``[0, 1]``.  The
flat base has thickness ``t_base``; the top ``lip_height`` of the wall
thickens smoothly into a rim lip of thickness ``t_rim`` (hand-hammered bowls
are typically thickest at the rim).  With the defaults ``t_base == t_wall``,
so ``wall_blend`` has no effect unless a different floor thickness is set.

Physical groups (named)
-----------------------
* volume ``bowl``
* surfaces ``outer`` (outer wall), ``inner`` (inner wall and floor),
  ``rim`` (top annular face), ``base`` (flat underside the bowl stands on).

The defaults were tuned (P2 finite elements, bell bronze E = 105 GPa,
nu = 0.34, rho = 8700 kg/m^3, free-free) so that the (n, 0) "wine-glass"
modes n = 2..5 match the measured partials of a real 180 mm bowl
(221, 614, 1145, 1804 Hz); see ``meshes/README.md``.

Command-line arguments (all lengths in metres)
----------------------------------------------
``--diameter``     outer rim diameter (default 0.180)
``--height``       overall height, base underside to rim top (default 0.095)
``--base-radius``  radius of the flat outer base (default 0.060)
``--rim-angle``    rim tangent angle from horizontal in degrees (default 92)
``--belly``        base-side Bezier handle factor (default 0.7)
``--shoulder``     rim-side Bezier handle factor (default 0.7)
``--t-base``       base (floor) thickness (default 0.00155)
``--t-wall``       thickness of the wall below the lip (default 0.00155)
``--wall-blend``   height over which base -> wall thickness blends
                   (default 0.04)
``--t-rim``        rim lip thickness (default 0.00375)
``--lip-height``   height of the thickened lip region (default 0.05)
``--mesh-size``    target element edge length (default 0.007)
``--order``        element order, 1 (tetra4, default) or 2 (tetra10)
``-o/--output``    output path (default ``tibetan_bowl_180.msh`` next to
                   this script)

Regenerate the shipped mesh with::

    python meshes/make_bowl.py

The script is deterministic: the same arguments give the same mesh.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import gmsh
import numpy as np

BRONZE_DENSITY = 8700.0  # kg/m^3, bell bronze
N_PROFILE = 41  # number of sample points along the curved wall profile


def _smoothstep(x: np.ndarray) -> np.ndarray:
    """Return the clipped cubic smoothstep ``3 x^2 - 2 x^3`` on ``[0, 1]``."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def wall_profile(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """Sample the outer wall curve and its inward offset (inner wall).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command-line arguments (lengths in metres, angles in degrees).

    Returns
    -------
    outer_ctrl : numpy.ndarray, shape (4, 2)
        Bezier control points ``(r, z)`` of the outer wall in metres.
    inner : numpy.ndarray, shape (N_PROFILE, 2)
        Points ``(r, z)`` of the inner wall in metres, from the floor
        (``z = t_base``) up to the rim (``z = height``).
    """
    r_rim = 0.5 * args.diameter
    rb, h = args.base_radius, args.height
    a = math.radians(args.rim_angle)
    p0 = np.array([rb, 0.0])
    p3 = np.array([r_rim, h])
    p1 = p0 + np.array([args.belly * (r_rim - rb), 0.0])
    p2 = p3 - args.shoulder * h * np.array([math.cos(a), math.sin(a)])
    ctrl = np.array([p0, p1, p2, p3])

    s = np.linspace(0.0, 1.0, N_PROFILE)[:, None]
    pts = (1 - s) ** 3 * p0 + 3 * (1 - s) ** 2 * s * p1 + 3 * (1 - s) * s**2 * p2 + s**3 * p3
    der = 3 * (1 - s) ** 2 * (p1 - p0) + 6 * (1 - s) * s * (p2 - p1) + 3 * s**2 * (p3 - p2)
    tang = der / np.linalg.norm(der, axis=1, keepdims=True)
    normal_in = np.column_stack([-tang[:, 1], tang[:, 0]])  # left of tangent

    z = pts[:, 1]
    t = (
        args.t_base
        + (args.t_wall - args.t_base) * _smoothstep(z / args.wall_blend)
        + (args.t_rim - args.t_wall) * _smoothstep((z - (h - args.lip_height)) / args.lip_height)
    )
    inner = pts + t[:, None] * normal_in
    # At the base the offset is vertical: the floor sits at z = t_base.
    inner[0] = [rb, args.t_base]
    # Slide the last point along the rim tangent so the rim face is flat.
    lam = (h - inner[-1, 1]) / tang[-1, 1]
    inner[-1] = inner[-1] + lam * tang[-1]
    # Drop inner points that fall below the floor level near the base.
    keep = np.concatenate([[True], inner[1:, 1] > args.t_base + 1e-4])
    return ctrl, inner[keep]


def build(args: argparse.Namespace) -> None:
    """Build the geometry, mesh it and write the ``.msh`` file.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command-line arguments.
    """
    ctrl, inner = wall_profile(args)
    h = args.height
    r_rim = 0.5 * args.diameter

    gmsh.initialize()
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.option.setNumber("Mesh.RandomSeed", 1)
        gmsh.model.add("tibetan_bowl")
        occ = gmsh.model.occ

        # Closed cross-section in the x-z plane (x plays the role of r).
        p_axis0 = occ.addPoint(0.0, 0.0, 0.0)
        p_base = occ.addPoint(ctrl[0, 0], 0.0, 0.0)
        p_c1 = occ.addPoint(ctrl[1, 0], 0.0, ctrl[1, 1])
        p_c2 = occ.addPoint(ctrl[2, 0], 0.0, ctrl[2, 1])
        p_rim_out = occ.addPoint(r_rim, 0.0, h)
        inner_tags = [occ.addPoint(x, 0.0, z) for x, z in inner[::-1]]
        p_axis1 = occ.addPoint(0.0, 0.0, args.t_base)

        c_base = occ.addLine(p_axis0, p_base)
        c_outer = occ.addBezier([p_base, p_c1, p_c2, p_rim_out])
        c_rim = occ.addLine(p_rim_out, inner_tags[0])
        c_inner = occ.addSpline(inner_tags)
        c_floor = occ.addLine(inner_tags[-1], p_axis1)
        c_axis = occ.addLine(p_axis1, p_axis0)
        loop = occ.addCurveLoop([c_base, c_outer, c_rim, c_inner, c_floor, c_axis])
        section = occ.addPlaneSurface([loop])
        # The Bezier control points and spline interpolation points are not
        # vertices of the section; drop them so no stray points remain.
        occ.remove([(0, p) for p in [p_c1, p_c2] + inner_tags[1:-1]])

        revolved = occ.revolve([(2, section)], 0, 0, 0, 0, 0, 1, 2 * math.pi)
        occ.remove([(2, section)], recursive=True)
        occ.synchronize()

        vols = [tag for dim, tag in revolved if dim == 3]
        if len(vols) != 1:
            raise RuntimeError(f"expected one volume, got {vols}")
        vol = vols[0]

        # Classify the boundary faces by their bounding boxes.
        groups: dict[str, list[int]] = {"outer": [], "inner": [], "rim": [], "base": []}
        eps = 1e-6
        for _, tag in gmsh.model.getBoundary([(3, vol)], oriented=False):
            x0, y0, z0, x1, y1, z1 = gmsh.model.getBoundingBox(2, tag)
            if z1 - z0 < eps and abs(z0) < eps:
                groups["base"].append(tag)
            elif z1 - z0 < eps and abs(z0 - h) < eps:
                groups["rim"].append(tag)
            elif z1 - z0 < eps or z0 > 0.5 * args.t_base:
                groups["inner"].append(tag)
            else:
                groups["outer"].append(tag)
        for name, tags in groups.items():
            if not tags:
                raise RuntimeError(f"no faces found for group {name!r}")

        gmsh.model.addPhysicalGroup(3, [vol], name="bowl")
        for name, tags in groups.items():
            gmsh.model.addPhysicalGroup(2, sorted(tags), name=name)

        mass = occ.getMass(3, vol)  # volume in m^3
        print(f"volume = {mass * 1e6:.2f} cm^3, bronze mass = {mass * BRONZE_DENSITY:.3f} kg")

        gmsh.option.setNumber("Mesh.MeshSizeMax", args.mesh_size)
        gmsh.option.setNumber("Mesh.MeshSizeMin", 0.25 * args.mesh_size)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 1)
        gmsh.option.setNumber("Mesh.Algorithm", 6)  # Frontal-Delaunay 2D
        gmsh.option.setNumber("Mesh.Algorithm3D", 1)  # Delaunay 3D
        gmsh.option.setNumber("Mesh.Optimize", 1)
        gmsh.option.setNumber("Mesh.OptimizeNetgen", 1)
        gmsh.model.mesh.generate(3)
        if args.order == 2:
            gmsh.model.mesh.setOrder(2)

        gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
        gmsh.option.setNumber("Mesh.Binary", 0)
        gmsh.option.setNumber("Mesh.SaveAll", 0)
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        gmsh.write(str(out))

        n_nodes = len(gmsh.model.mesh.getNodes()[0])
        etype = 11 if args.order == 2 else 4
        n_tets = len(gmsh.model.mesh.getElementsByType(etype)[0])
        print(f"wrote {out}: {n_nodes} nodes, {n_tets} tetrahedra (order {args.order})")
    finally:
        gmsh.finalize()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command-line arguments (see the module docstring).

    Parameters
    ----------
    argv : list of str, optional
        Arguments to parse; defaults to ``sys.argv[1:]``.

    Returns
    -------
    argparse.Namespace
        The parsed arguments.
    """
    p = argparse.ArgumentParser(description="Generate a Tibetan singing bowl tetrahedral mesh (metres).")
    p.add_argument("--diameter", type=float, default=0.180, help="outer rim diameter [m]")
    p.add_argument("--height", type=float, default=0.095, help="overall height [m]")
    p.add_argument("--base-radius", type=float, default=0.060, help="radius of the flat outer base [m]")
    p.add_argument(
        "--rim-angle", type=float, default=92.0, help="rim tangent angle from horizontal [deg]; >90 incurved"
    )
    p.add_argument("--belly", type=float, default=0.7, help="base-side Bezier handle factor [-]")
    p.add_argument("--shoulder", type=float, default=0.7, help="rim-side Bezier handle factor [-]")
    p.add_argument("--t-base", type=float, default=0.00155, help="base (floor) thickness [m]")
    p.add_argument("--t-wall", type=float, default=0.00155, help="wall thickness below the lip [m]")
    p.add_argument("--wall-blend", type=float, default=0.04, help="height of the base-to-wall thickness blend [m]")
    p.add_argument("--t-rim", type=float, default=0.00375, help="rim lip thickness [m]")
    p.add_argument("--lip-height", type=float, default=0.05, help="height of the thickened rim lip region [m]")
    p.add_argument("--mesh-size", type=float, default=0.007, help="target element edge length [m]")
    p.add_argument("--order", type=int, choices=(1, 2), default=1, help="element order: 1 = tetra4, 2 = tetra10")
    p.add_argument(
        "-o",
        "--output",
        type=str,
        default=str(Path(__file__).with_name("tibetan_bowl_180.msh")),
        help="output .msh path",
    )
    return p.parse_args(argv)


if __name__ == "__main__":
    build(parse_args())
