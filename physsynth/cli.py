"""The ``physsynth`` command: one small function per sub-command.

Results go to stdout (a table, or JSON with ``--json``); progress and errors go to stderr.
Errors are one line and a non-zero exit status: 2 for bad input, 1 for I/O failures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import sys

import numpy as np

from physsynth.errors import PhyssynthError

log = logging.getLogger("physsynth")

VECTOR_OPTS = ("--at", "--direction", "--pickup", "--pickup-direction", "--normal")
#: Modules that add sub-commands: each has ``register(subparsers, helpers)``, where helpers
#: holds ``add_material(parser)`` (the --material/--E/--nu/--rho options) and
#: ``check_out(path)`` (refuse an unwritable output before any work). The function a
#: sub-command sets with ``set_defaults(func=...)`` gets the parsed args and returns 0.
_EXTRA_COMMANDS = (
    "physsynth.cli_fd",
    "physsynth.cli_fast",
    "physsynth.cli_viz",
    "physsynth.cli_score",
    "physsynth.cli_batch",
    "physsynth.cli_rub",
)
DEMO_MESH = "tibetan_bowl_180.msh"


# ------------------------------------------------------------------ helpers
def _vector(text: str) -> np.ndarray:
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    try:
        v = np.array([float(p) for p in parts])
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected three numbers X,Y,Z, got {text!r}") from None
    if v.shape != (3,) or not np.isfinite(v).all():
        raise argparse.ArgumentTypeError(f"expected three finite numbers X,Y,Z, got {text!r}")
    return v


class _Parser(argparse.ArgumentParser):
    """argparse with our one-line error format (usage stays available with --help)."""

    def error(self, message):
        self.exit(2, f"physsynth: error: {self.prog}: {message} (see `{self.prog} --help`)\n")


def _join_negative_vectors(argv):
    """Let ``--at -0.09,0,0.08`` work: argparse would read the value as an option."""
    out = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in VECTOR_OPTS and i + 1 < len(argv) and re.match(r"^-[\d.]", argv[i + 1]):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def _material(args):
    from physsynth.materials import custom_material, get_material
    from physsynth.damping import LossFactor, Rayleigh

    custom = [args.E, args.nu, args.rho]
    if args.material and any(v is not None for v in custom):
        raise PhyssynthError("give either --material or --E/--nu/--rho, not both")
    if any(v is not None for v in custom):
        if any(v is None for v in custom):
            raise PhyssynthError("a custom material needs all of --E (Pa), --nu and --rho (kg/m^3)")
        mat = custom_material(args.E, args.nu, args.rho)
    else:
        name = args.material or getattr(args, "default_material", None)
        if name is None:
            name = "steel"
            log.info("no material given: using steel (see `physsynth materials`)")
        mat = get_material(name)
    if args.loss_factor is not None and args.rayleigh is not None:
        raise PhyssynthError("give either --loss-factor or --rayleigh, not both")
    if args.loss_factor is not None:
        mat = mat.with_damping(LossFactor(args.loss_factor))
    if args.rayleigh is not None:
        try:
            a, b = (float(x) for x in args.rayleigh.split(","))
        except ValueError:
            raise PhyssynthError("--rayleigh takes ALPHA,BETA (1/s, s)") from None
        mat = mat.with_damping(Rayleigh(a, b))
    return mat


def _load_mesh(path, units):
    from physsynth._progress import step
    from physsynth.mesh import load_mesh

    with step(f"loading mesh {path}") as s:
        mesh = load_mesh(path, units=units)
        s["result"] = mesh.describe()
    return mesh


def _modal(args, mesh, *, fmax=None, n_modes=None):
    from physsynth.modal.analysis import modal_analysis

    membrane = mesh.dim == 2 and args.tension is not None
    if membrane and not (
        args.material or args.E is not None or args.loss_factor is not None or args.rayleigh is not None
    ):
        material = None  # a membrane needs no elastic constants; default damping
    else:
        material = _material(args)
    return modal_analysis(
        mesh,
        material,
        n_modes=n_modes,
        fmax=fmax,
        order=args.order,
        clamp=args.clamp or (),
        support=args.support or (),
        thickness=args.thickness,
        tension=args.tension,
        areal_density=args.areal_density,
        solver=args.solver,
    )


def _modes_json(model) -> dict:
    lo, hi = model.mesh.bounding_box
    return {
        "frequencies_hz": [float(f) for f in model.frequencies],
        "rigid_body_modes": int(model.rigid_body_modes),
        "dofs": int(model.dofs),
        "n_modes": int(model.n_modes),
        "decay_rates_per_s": [float(s) for s in model.decay_rates],
        "t60_s": [float(t) for t in model.t60],
        "material": model.material.to_dict(),
        "mesh": {
            "source": model.mesh.source,
            "nodes": int(model.mesh.n_nodes),
            "cells": int(model.mesh.n_cells),
            "order": int(model.mesh.order),
            "bounding_box_m": [lo.tolist(), hi.tolist()],
            "regions": sorted(model.mesh.regions),
        },
        "provenance": model.provenance,
    }


def _print_table(model, out=sys.stdout):
    f = model.frequencies
    print(f"# {model.summary()}", file=out)
    print(f"{'mode':>4}  {'freq_hz':>11}  {'ratio':>7}  {'t60_s':>8}", file=out)
    for i, (fi, t) in enumerate(zip(f, model.t60)):
        print(f"{i + 1:>4}  {fi:>11.3f}  {fi / f[0]:>7.4f}  {t:>8.3f}", file=out)


def _check_out(path):
    from physsynth._io import check_writable

    return check_writable(path)


# ------------------------------------------------------------------ commands
def cmd_modes(args):
    if args.output:
        _check_out(args.output if args.output.endswith(".npz") else args.output + ".npz")
    if args.n_modes is not None and args.fmax is not None:
        raise PhyssynthError("give --n-modes or --fmax, not both")
    mesh = _load_mesh(args.mesh, args.units)
    model = _modal(args, mesh, fmax=args.fmax, n_modes=args.n_modes)
    if args.output:
        path = model.save(args.output)
        log.info("saved the modal model to %s", path)
    if args.json:
        json.dump(_modes_json(model), sys.stdout)
        sys.stdout.write("\n")
    else:
        _print_table(model)
    return 0


def _model_from(args, source):
    from physsynth.modal.model import ModalModel, is_model_file

    if is_model_file(source) or str(source).endswith(".npz"):
        model = ModalModel.load(source)
        log.info("loaded modal model %s: %s", source, model.summary())
        if args.material or args.E is not None:
            log.info("note: the material of a saved model is fixed; --material is ignored")
        return model
    mesh = _load_mesh(source, args.units)
    fmax = args.fmax if args.fmax is not None else min(10000.0, 0.49 * args.sr)
    return _modal(args, mesh, fmax=fmax)


def _render_to_wav(args, model, at, direction, pickups, mallet, out):
    from physsynth._progress import step
    from physsynth.audio import fade_out, write_wav
    from physsynth.excitation.mallet import MALLETS as PHYSICAL
    from physsynth.excitation.strike import strike
    from physsynth.render import pickup, render

    velocity = getattr(args, "velocity", None)
    if mallet in PHYSICAL:
        return _render_mallet_to_wav(args, model, at, direction, pickups, mallet, velocity, out)
    if velocity is not None:
        raise PhyssynthError(
            f"--velocity is for the physical mallets ({', '.join(PHYSICAL)}); "
            f"the {mallet} half-sine takes --contact-time"
        )
    hit = strike(model, at, direction=direction, mallet=mallet, contact_time=args.contact_time, sr=args.sr)
    log.info(
        "strike at node %d (%.4f, %.4f, %.4f) m, %.4g mm from the requested point",
        hit.node,
        *model.mesh.points[hit.node],
        1e3 * np.linalg.norm(model.mesh.points[hit.node] - hit.point),
    )
    pks = [pickup(model, p) for p in pickups] if pickups else None
    with step(
        f"rendering {args.duration:g} s at {args.sr} Hz "
        f"({model.n_modes} modes, {1 if not pks else len(pks)} channel(s))"
    ):
        audio = render(model, hit, pks, duration=args.duration, quantity=args.quantity)
    if args.fade > 0:
        audio = fade_out(audio, args.sr, min(args.fade, 0.5 * args.duration))
    write_wav(out, audio, sr=args.sr, fmt=args.format, headroom_db=args.headroom)
    log.info("wrote %s", out)
    print(out)


def _render_mallet_to_wav(args, model, at, direction, pickups, mallet, velocity, out):
    """A physical mallet (issue 5): the contact simulated with the object's modes."""
    from physsynth._progress import step
    from physsynth.audio import fade_out, write_wav
    from physsynth.excitation.mallet import mallet_strike
    from physsynth.render import pickup

    if args.contact_time is not None:
        raise PhyssynthError(
            f"--contact-time is for the half-sine mallets soft, medium, hard; the "
            f"{mallet} mallet's contact time comes out of the simulation "
            "(change it with --velocity)"
        )
    pks = [pickup(model, p) for p in pickups] if pickups else None
    with step(
        f"striking with a {mallet} mallet, rendering {args.duration:g} s at {args.sr} Hz ({model.n_modes} modes)"
    ):
        hit = mallet_strike(
            model,
            at,
            mallet=mallet,
            velocity=velocity,
            direction=direction,
            pickups=pks,
            sr=args.sr,
            duration=args.duration,
            quantity=args.quantity,
        )
    log.info(
        "%s mallet at node %d: contact %.1f us, peak force %.3g N, %d contact(s)",
        mallet,
        hit.node,
        1e6 * hit.contact_time,
        hit.peak_force,
        hit.contacts,
    )
    audio = hit.audio
    if args.fade > 0:
        audio = fade_out(audio, args.sr, min(args.fade, 0.5 * args.duration))
    write_wav(out, audio, sr=args.sr, fmt=args.format, headroom_db=args.headroom)
    log.info("wrote %s", out)
    print(out)


def cmd_strike(args):
    out = _check_out(args.output)
    if args.save_model:
        _check_out(args.save_model)
    model = _model_from(args, args.model)
    if args.save_model:
        model.save(args.save_model)
    _render_to_wav(args, model, args.at, args.direction, args.pickup, args.mallet, out)
    return 0


def cmd_materials(args):
    from physsynth.materials import LIBRARY

    if args.json:
        json.dump({k: m.to_dict() for k, m in LIBRARY.items()}, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    print(f"{'name':<16} {'E_GPa':>7} {'nu':>5} {'rho':>6}  {'damping':<22} description")
    for k, m in LIBRARY.items():
        d = m.damping.to_dict()
        damp = ", ".join(f"{a}={v:g}" for a, v in d.items() if a != "kind")
        print(f"{k:<16} {m.E / 1e9:>7.1f} {m.nu:>5.2f} {m.rho:>6.0f}  {damp:<22} {m.description}")
    print("\nsources: `physsynth materials --json`")
    return 0


def find_bundled_mesh(name: str = DEMO_MESH) -> str:
    """Path of a mesh shipped in meshes/ (source checkout or installed data files)."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [
        os.environ.get("PHYSSYNTH_MESHES", ""),
        os.path.join(os.path.dirname(here), "meshes"),
        os.path.join(sys.prefix, "share", "physsynth", "meshes"),
    ]
    for c in candidates:
        if c and os.path.exists(os.path.join(c, name)):
            return os.path.join(c, name)
    raise PhyssynthError(
        f"the bundled mesh {name} was not found (looked in "
        f"{', '.join(c for c in candidates if c)}); set PHYSSYNTH_MESHES"
    )


def cmd_demo(args):
    out = _check_out(args.output)
    from physsynth.modal.model import ModalModel

    path = find_bundled_mesh()
    cache = None if args.no_cache else _cache_path(path, args)
    model = None
    if cache and os.path.exists(cache):
        try:
            model = ModalModel.load(cache)
            log.info("using cached modes %s (pass --no-cache to recompute)", cache)
        except PhyssynthError:
            model = None
    if model is None:
        mesh = _load_mesh(path, "m")
        model = _modal(args, mesh, fmax=args.fmax)
        if cache:
            try:
                os.makedirs(os.path.dirname(cache), exist_ok=True)
                model.save(cache)
            except (OSError, PhyssynthError):
                pass
    lo, hi = model.mesh.bounding_box
    r_rim, z_rim = hi[0], hi[2]
    # Strike the outside of the rim horizontally, like a player's mallet; listen at two
    # points 60 degrees either side, a spaced stereo pair close to the bowl.
    at = np.array([r_rim, 0.0, z_rim - 0.004])
    pk = [np.array([r_rim * np.cos(a), r_rim * np.sin(a), z_rim - 0.004]) for a in np.radians([60.0, -60.0])]
    _render_to_wav(args, model, at, np.array([-1.0, 0.0, 0.0]), pk, args.mallet, out)
    return 0


def _cache_path(mesh_path, args):
    import hashlib

    from physsynth._version import __version__

    h = hashlib.sha256()
    with open(mesh_path, "rb") as fh:
        h.update(fh.read())
    h.update(f"{__version__}|{args.order}|{args.fmax}|{args.material}".encode())
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "physsynth", f"demo-{h.hexdigest()[:16]}.npz")


# ------------------------------------------------------------------ parser
def _add_material(p, default=None):
    g = p.add_argument_group("material (a library name, or E, nu and rho)")
    g.add_argument(
        "--material",
        help="library name, see `physsynth materials`" + (f" (default {default})" if default else " (default steel)"),
    )
    g.add_argument("--E", type=float, help="Young's modulus, Pa")
    g.add_argument("--nu", type=float, help="Poisson's ratio")
    g.add_argument("--rho", type=float, help="density, kg/m^3")
    g.add_argument("--loss-factor", type=float, help="constant loss factor eta (overrides the material's damping law)")
    g.add_argument("--rayleigh", help="Rayleigh damping ALPHA,BETA (1/s, s)")
    p.set_defaults(default_material=default)


def _add_fem(p):
    g = p.add_argument_group("finite elements")
    g.add_argument("--order", type=int, choices=(1, 2), default=2, help="element order (default 2, quadratic)")
    g.add_argument(
        "--clamp",
        action="append",
        metavar="SELECTOR",
        help="clamp a region name or a predicate like 'z<=0.001' (repeatable); "
        "'boundary' is the whole edge of a flat mesh",
    )
    g.add_argument(
        "--support",
        action="append",
        metavar="SELECTOR",
        help="plates and membranes: simply support a region (repeatable)",
    )
    g.add_argument(
        "--thickness", type=float, metavar="M", help="flat triangle mesh: a Kirchhoff plate of this thickness, m"
    )
    g.add_argument(
        "--tension", type=float, metavar="N_PER_M", help="flat triangle mesh: a membrane under this tension, N/m"
    )
    g.add_argument("--areal-density", type=float, metavar="KG_M2", help="membrane mass per area, kg/m^2")
    g.add_argument(
        "--units", choices=("m", "cm", "mm", "in"), default="m", help="length unit of the mesh file (default m)"
    )
    g.add_argument("--solver", default="auto", help="factorisation backend: auto, cholmod, pardiso, superlu")


def _add_render(p, duration=4.0):
    g = p.add_argument_group("rendering")
    g.add_argument(
        "--mallet",
        choices=("soft", "medium", "hard", "felt", "rubber", "wood", "plastic", "metal"),
        default="medium",
        help="soft 3 ms, medium 1 ms, hard 0.25 ms: half-sine pulses; felt, rubber, "
        "wood, plastic, metal: a physical mallet in contact with the object",
    )
    g.add_argument(
        "--velocity", type=float, metavar="M/S", help="impact velocity of a physical mallet, m/s (default 1)"
    )
    g.add_argument("--contact-time", type=float, help="contact time in s (overrides --mallet)")
    g.add_argument("--duration", type=float, default=duration, help=f"seconds (default {duration:g})")
    g.add_argument("--sr", type=int, default=48000, help="sample rate, Hz (default 48000)")
    g.add_argument(
        "--quantity",
        choices=("displacement", "velocity", "acceleration"),
        default="velocity",
        help="what the pickups read (default velocity)",
    )
    g.add_argument(
        "--format", default="pcm24", choices=("pcm16", "pcm24", "float32"), help="WAV sample format (default pcm24)"
    )
    g.add_argument("--headroom", type=float, default=1.0, help="peak level below full scale, dB (default 1)")
    g.add_argument(
        "--fade",
        type=float,
        default=0.05,
        metavar="S",
        help="fade-out at the end so a cut tail does not click, s (default 0.05; 0 off)",
    )


def build_parser() -> argparse.ArgumentParser:
    from physsynth._version import __version__

    ap = _Parser(
        prog="physsynth", description="Physical-modelling sound synthesis: the sound of an object from its mesh."
    )
    ap.add_argument("--version", action="version", version=f"physsynth {__version__}")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    ap.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("modes", help="vibration modes of a solid, plate or membrane mesh")
    p.add_argument(
        "mesh",
        help="tetrahedral mesh (a solid) or flat triangle mesh (a plate with "
        "--thickness, a membrane with --tension): .msh, .vtu, .xdmf, .inp, .mesh ...",
    )
    _add_material(p)
    _add_fem(p)
    p.add_argument("--n-modes", type=int, help="number of elastic modes (default 20)")
    p.add_argument("--fmax", type=float, help="every mode below this frequency, Hz")
    p.add_argument("--json", action="store_true", help="print only a JSON object on stdout")
    p.add_argument("-o", "--output", metavar="MODEL", help="save the modal model (.npz)")
    p.set_defaults(func=cmd_modes)

    p = sub.add_parser("strike", help="render a strike on a mesh or a saved modal model")
    p.add_argument("model", metavar="MESH|MODEL", help="mesh file or saved model (.npz)")
    p.add_argument(
        "--at",
        type=_vector,
        required=True,
        metavar="X,Y,Z",
        help="strike point, m (snapped to the nearest surface node)",
    )
    p.add_argument("--direction", type=_vector, metavar="DX,DY,DZ", help="force direction (default: into the surface)")
    p.add_argument(
        "--pickup",
        type=_vector,
        action="append",
        metavar="X,Y,Z",
        help="pickup point, m; twice for stereo (default: the strike point)",
    )
    _add_render(p)
    _add_material(p)
    _add_fem(p)
    p.add_argument(
        "--fmax",
        type=float,
        help="modes below this frequency, Hz, when computing from a mesh (default min(10000, 0.49 sr))",
    )
    p.add_argument("--save-model", metavar="MODEL", help="also save the modal model (.npz)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.wav")
    p.set_defaults(func=cmd_strike)

    p = sub.add_parser("materials", help="list the material library")
    p.add_argument("--json", action="store_true", help="JSON with sources")
    p.set_defaults(func=cmd_materials)

    import importlib
    import importlib.util

    for module in _EXTRA_COMMANDS:
        if importlib.util.find_spec(module) is None:
            continue
        mod = importlib.import_module(module)
        mod.register(sub, {"add_material": _add_material, "check_out": _check_out})

    p = sub.add_parser("demo", help="strike the bundled 180 mm Tibetan bowl")
    p.add_argument("-o", "--output", default="bowl.wav", metavar="OUT.wav")
    _add_render(p, duration=8.0)
    _add_material(p, default="bell_bronze")
    _add_fem(p)
    p.add_argument("--fmax", type=float, default=8000.0, help="modes below this, Hz (default 8000)")
    p.add_argument("--no-cache", action="store_true", help="recompute the modes")
    p.set_defaults(func=cmd_demo, contact_time=None)
    return ap


def main(argv=None) -> int:
    argv = _join_negative_vectors(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("physsynth: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.WARNING if args.quiet else logging.INFO)
    log.propagate = False
    logging.getLogger("skfem").setLevel(logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except PhyssynthError as exc:
        if args.debug:
            raise
        print(f"physsynth: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # stdout closed early (`physsynth modes ... | head`): not an error; keep Python from
        # complaining again when it flushes stdout at exit
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if args.debug:
            raise
        print(f"physsynth: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("physsynth: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, with the way to the traceback
        if args.debug:
            raise
        print(
            f"physsynth: internal error: {type(exc).__name__}: {exc} (rerun with --debug "
            "for the traceback and report it)",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
