"""``physsynth tune`` and the ``--axisymmetric`` path of ``physsynth modes``: bodies of revolution.

``physsynth modes PROFILE.csv`` (or .json, a bundled profile name, a 2D section .msh with
``--axisymmetric``) computes the modes order by order (physsynth.modal.axisym_analysis);
``physsynth tune PROFILE --ratios 1,2.76,5.2`` moves the wall until the partials are there
(physsynth.tune) and writes the tuned profile, its 3D mesh, its modes, a WAV and a table.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from physsynth import validate
from physsynth._io import atomic_path
from physsynth.cli import common
from physsynth.errors import PhyssynthError

log = logging.getLogger("physsynth")

#: File endings read as profiles (a .msh is a section only with --axisymmetric).
PROFILE_EXT = (".csv", ".json", ".txt")
#: The bundled profile names (physsynth.profiles.BUNDLED), kept here so the parser imports nothing heavy.
BUNDLED = ("tibetan_bowl_180", "hand_bell", "church_bell", "wine_glass")


def is_profile(path: str) -> bool:
    """True for a profile file (.csv, .json) or a bundled profile name."""
    return str(path).lower().endswith(PROFILE_EXT) or str(path) in BUNDLED


def add_modes_options(p) -> None:
    """The options ``physsynth modes`` takes for bodies of revolution."""
    g = p.add_argument_group("bodies of revolution (a profile .csv/.json, or a 2D section .msh)")
    g.add_argument(
        "--axisymmetric",
        action="store_true",
        help="the mesh is the (r, z) section of a body of revolution (automatic for .csv/.json profiles)",
    )
    g.add_argument("--section-size", type=common.positive("m"), metavar="M", help="largest section element, m")
    g.add_argument(
        "--through-wall", type=common.whole(lo=1, hi=16), default=2, help="elements across the wall (default 2)"
    )
    g.add_argument("--n-theta", type=common.whole(lo=8, hi=4096), help="sectors round the axis of the 3D mesh")
    g.add_argument(
        "--asymmetry",
        type=common.real(lo=-0.5, hi=0.5),
        metavar="A",
        help="a heavier spot at theta = 0 (relative density A, 10 degrees wide) that splits the doublets: beating",
    )


def wants_axisymmetric(args) -> bool:
    return bool(getattr(args, "axisymmetric", False)) or is_profile(args.mesh)


def _check_fem(args) -> None:
    for opt in ("thickness", "tension", "areal_density"):
        if getattr(args, opt, None) is not None:
            raise PhyssynthError(f"--{opt.replace('_', '-')} is for flat meshes; a body of revolution is a solid")
    if getattr(args, "support", None):
        raise PhyssynthError("--support is for plates and membranes; clamp a body of revolution instead")


def load_body(path: str, units: str, *, section_ok: bool = True):
    """A Profile (.csv/.json or a bundled name) or a Section (2D .msh)."""
    from physsynth import profiles

    if str(path) in BUNDLED and not os.path.exists(path):
        return profiles.bundled_profile(path)
    if str(path).lower().endswith(PROFILE_EXT):
        return profiles.read_profile(path, units=units)
    if not section_ok:
        raise PhyssynthError(
            f"{path}: tuning needs a profile of outer and inner curves (.csv or .json), not a section mesh"
        )
    return profiles.load_section(path, units=units)


def modes_axisymmetric(args):
    """The model of ``physsynth modes PROFILE --axisymmetric``, solved order by order (the modes
    command has checked the output and --n-modes/--fmax, and writes the result)."""
    _check_fem(args)
    common.check_material(args)
    if not os.path.exists(args.mesh) and args.mesh not in BUNDLED:
        raise PhyssynthError(f"profile not found: {args.mesh}")
    material = common.material_from(args)
    body = load_body(args.mesh, args.units)
    from physsynth.modal.axisym_analysis import modal_analysis_axisymmetric

    model = modal_analysis_axisymmetric(
        body,
        material,
        n_modes=args.n_modes,
        fmax=args.fmax,
        order=args.order,
        clamp=args.clamp or (),
        size=args.section_size,
        through_wall=args.through_wall,
        n_theta=args.n_theta,
        solver=args.solver,
        asymmetry=args.asymmetry,
    )
    return model


def _floats(text: str, what: str) -> list[float]:
    try:
        vals = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise PhyssynthError(f"{what} takes comma-separated numbers, got {text!r}") from None
    if not vals:
        raise PhyssynthError(f"{what} is empty")
    return vals


def cmd_tune(args):
    """``physsynth tune PROFILE``: move the wall until the partials reach the targets."""
    if (args.target is None) == (args.ratios is None):
        raise PhyssynthError("give --target HZ,HZ,... or --ratios R,R,..., one of them")
    vals = _floats(args.target or args.ratios, "--target" if args.target else "--ratios")
    for v in vals:
        validate.positive(v, "--target" if args.target else "--ratios", "Hz" if args.target else "")
    if args.ratios and len(vals) < 2:
        raise PhyssynthError("--ratios needs two values at least (the first is the reference)")
    from physsynth.tune import parse_modes

    modes = parse_modes(args.modes) if args.modes else None
    if modes is not None and len(modes) != len(vals):
        raise PhyssynthError(f"--modes names {len(modes)} modes for {len(vals)} targets: give one (n,m) per target")
    common.check_render(args.duration, args.sr)
    common.check_material(args)
    out = args.output_dir
    if os.path.exists(out) and not os.path.isdir(out):
        raise PhyssynthError(f"-o {out} is a file; give a folder for the tuned profile, mesh, modes and WAV")
    paths = {k: os.path.join(out, name) for k, name in _OUTPUTS.items()}
    if not os.path.exists(args.profile) and args.profile not in BUNDLED:
        raise PhyssynthError(f"profile not found: {args.profile}")
    if not is_profile(args.profile):
        raise PhyssynthError(
            f"{args.profile}: tuning needs a profile of outer and inner curves (.csv or .json), not a mesh"
        )
    material = common.material_from(args)
    body = load_body(args.profile, args.units, section_ok=False)
    os.makedirs(out, exist_ok=True)
    for p in paths.values():
        common.output(p, stdout=False)

    from physsynth import profiles
    from physsynth.modal.axisym_analysis import modal_analysis_axisymmetric
    from physsynth.tune import tune_profile

    res = tune_profile(
        body,
        material,
        target=vals if args.target else None,
        ratios=vals if args.ratios else None,
        modes=modes,
        vary=args.vary,
        n_controls=args.controls,
        min_wall=args.min_wall,
        max_wall=args.max_wall,
        max_mass=args.max_mass,
        tolerance=args.tolerance,
        size=args.section_size,
        through_wall=args.through_wall,
        solver=args.solver,
    )
    profiles.write_profile(res.profile, paths["profile"])
    fmax = args.fmax if args.fmax is not None else min(10000.0, 0.49 * args.sr, 1.5 * float(max(res.achieved)))
    fmax = max(fmax, 1.05 * float(max(res.achieved)))
    model = modal_analysis_axisymmetric(
        res.profile, material, fmax=fmax, size=args.section_size, through_wall=args.through_wall, solver=args.solver
    )
    model.save(paths["model"])
    _write_mesh(model.mesh, paths["mesh"])
    _write_table(res, paths["table"])
    _strike_wav(args, model, paths["wav"])
    print(res.table())
    print(f"# {res.message}; mass {res.initial_mass:.4g} -> {res.mass:.4g} kg")
    for p in paths.values():
        print(p)
    if not res.converged:
        log.error("tune: %s", res.message)
        return 1
    return 0


_OUTPUTS = {
    "profile": "profile.json",
    "mesh": "body.msh",
    "model": "modes.npz",
    "wav": "strike.wav",
    "table": "partials.csv",
}


def _write_mesh(mesh, path: str) -> None:
    import meshio

    with atomic_path(path, PhyssynthError, suffix=".msh") as tmp:
        meshio.write(tmp, meshio.Mesh(mesh.points, [("tetra", mesh.cells)]), file_format="gmsh22", binary=False)


def _write_table(res, path: str) -> None:
    lines = ["partial,n,m,target_hz,initial_hz,achieved_hz,cents"]
    for i, ((n, m), t, f0, f, c) in enumerate(zip(res.modes, res.target, res.initial_freqs, res.achieved, res.cents)):
        lines.append(f"{i + 1},{n},{m},{t:.4f},{f0:.4f},{f:.4f},{c:.3f}")
    with atomic_path(path, PhyssynthError, suffix=".csv") as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


def _strike_wav(args, model, path: str) -> None:
    """Strike the outermost point of the body (a bell's lip, a bowl's rim) and write the WAV."""
    from physsynth.excitation.strike import strike
    from physsynth.simulate.linear import render

    nodes, normals = model.mesh.vertex_normals()
    r = np.hypot(model.mesh.points[nodes, 0], model.mesh.points[nodes, 1])
    node = int(nodes[np.argmax(r + 1e-6 * model.mesh.points[nodes, 2])])
    hit = strike(model, model.mesh.points[node], mallet="medium", sr=args.sr)
    audio = render(model, hit, None, duration=args.duration)
    from physsynth.audio import write_wav

    write_wav(path, audio, sr=args.sr, fmt="pcm24", headroom_db=1.0)


def register(sub) -> None:
    """Add ``tune``."""
    p = sub.add_parser("tune", help="tune a profile's partials to target frequencies or ratios")
    p.add_argument("profile", help="profile of outer and inner curves (.csv, .json) or a bundled name")
    p.add_argument("--target", metavar="HZ,HZ,...", help="target frequencies of the partials, Hz")
    p.add_argument("--ratios", metavar="R,R,...", help="target ratios of the partials to the first")
    p.add_argument("--modes", metavar="(n,m),...", help="which partials: order n, index m in the order")
    p.add_argument("--vary", choices=("thickness", "profile"), default="thickness", help="what moves")
    p.add_argument("--controls", type=common.whole(lo=3, hi=32), default=8, help="control points (default 8)")
    p.add_argument("--min-wall", type=common.positive("m"), metavar="M", help="thinnest wall allowed, m")
    p.add_argument("--max-wall", type=common.positive("m"), metavar="M", help="thickest wall allowed, m")
    p.add_argument("--max-mass", type=common.positive("kg"), metavar="KG", help="heaviest body allowed, kg")
    p.add_argument("--tolerance", type=common.positive("cents"), default=1.0, help="cents per partial (default 1)")
    p.add_argument("--section-size", type=common.positive("m"), metavar="M", help="largest section element, m")
    p.add_argument("--through-wall", type=common.whole(lo=1, hi=16), default=1, help="elements across the wall")
    p.add_argument("--units", choices=("m", "cm", "mm", "in"), default="m", help="length unit of the profile")
    p.add_argument("--solver", default="auto", help="factorisation backend")
    common.add_material(p, default="bell_bronze")
    common.add_fmax(p, "modes of the tuned body kept in modes.npz, Hz")
    common.add_sr(p)
    common.add_duration(p, 3.0)
    p.add_argument("-o", "--output-dir", required=True, metavar="DIR", help="folder for the results")
    p.set_defaults(func=cmd_tune)
