"""``physsynth modes``, ``strike``, ``materials`` and ``demo``: modal models of meshes, and strikes on them."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys

import numpy as np

from physsynth._progress import step
from physsynth._version import __version__
from physsynth.cli import axisym, common
from physsynth.errors import PhyssynthError
from physsynth.materials import LIBRARY

log = logging.getLogger("physsynth")

DEMO_MESH = "tibetan_bowl_180.msh"
#: --mallet choices: half-sine pulses, then the physical mallets of physsynth.excitation.mallet.
HALF_SINE = ("soft", "medium", "hard")
PHYSICAL = ("felt", "rubber", "wood", "plastic", "metal")
MAX_CONTACT_TIME = 1.0  # s: a contact longer than a second is a push, not a strike


# ------------------------------------------------------------------ output formats
def modes_json(model) -> dict:
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


def print_table(model, out=sys.stdout):
    f = model.frequencies
    print(f"# {model.summary()}", file=out)
    print(f"{'mode':>4}  {'freq_hz':>11}  {'ratio':>7}  {'t60_s':>8}", file=out)
    for i, (fi, t) in enumerate(zip(f, model.t60)):
        print(f"{i + 1:>4}  {fi:>11.3f}  {fi / f[0]:>7.4f}  {t:>8.3f}", file=out)


# ------------------------------------------------------------------ checks
def check_strike(args, channels: int) -> None:
    """Everything about a strike render that needs no model: before any work."""
    common.check_render(args.duration, args.sr, channels)
    if args.mallet in PHYSICAL:
        if args.contact_time is not None:
            raise PhyssynthError(
                f"--contact-time is for the half-sine mallets soft, medium, hard; the "
                f"{args.mallet} mallet's contact time comes out of the simulation "
                "(change it with --velocity)"
            )
    elif getattr(args, "velocity", None) is not None:
        raise PhyssynthError(
            f"--velocity is for the physical mallets ({', '.join(PHYSICAL)}); "
            f"the {args.mallet} half-sine takes --contact-time"
        )


# ------------------------------------------------------------------ commands
def cmd_modes(args):
    if args.output:
        common.model_output(args.output)
    if args.n_modes is not None and args.fmax is not None:
        raise PhyssynthError("give --n-modes or --fmax, not both")
    if axisym.wants_axisymmetric(args):  # a profile or section of a body of revolution
        model = axisym.modes_axisymmetric(args)
    else:
        common.check_material(args)
        mesh = common.load_mesh(args.mesh, args.units, args, fmax=args.fmax, n_modes=args.n_modes)
        model = common.modal(args, mesh, fmax=args.fmax, n_modes=args.n_modes)
    if args.output:
        path = model.save(args.output)
        log.info("saved the modal model to %s", path)
    if args.json:
        json.dump(modes_json(model), sys.stdout)
        sys.stdout.write("\n")
    else:
        print_table(model)
    return 0


def render_to_wav(args, model, at, direction, pickups, mallet, out):
    """Strike ``model`` (a half-sine pulse or a physical mallet) and write the WAV."""
    from physsynth.excitation.strike import strike
    from physsynth.pickups import Listener, pickup
    from physsynth.simulate.linear import render

    if mallet in PHYSICAL:
        return _render_mallet_to_wav(args, model, at, direction, pickups, mallet, out)
    hit = strike(model, at, direction=direction, mallet=mallet, contact_time=args.contact_time, sr=args.sr)
    log.info(
        "strike at node %d (%.4f, %.4f, %.4f) m, %.4g mm from the requested point",
        hit.node,
        *model.mesh.points[hit.node],
        1e3 * np.linalg.norm(model.mesh.points[hit.node] - hit.point),
    )
    pks = [p if isinstance(p, Listener) else pickup(model, p) for p in pickups] if pickups else None
    with step(
        f"rendering {args.duration:g} s at {args.sr} Hz "
        f"({model.n_modes} modes, {1 if not pks else len(pks)} channel(s))"
    ):
        audio = render(model, hit, pks, duration=args.duration, quantity=args.quantity)
    common.write_audio(
        out, audio, sr=args.sr, fmt=args.format, headroom=args.headroom, fade=args.fade, duration=args.duration
    )


def _render_mallet_to_wav(args, model, at, direction, pickups, mallet, out):
    """A physical mallet (issue 5): the contact simulated with the object's modes."""
    from physsynth.pickups import Listener, pickup
    from physsynth.simulate.score import mallet_strike

    pks = [p if isinstance(p, Listener) else pickup(model, p) for p in pickups] if pickups else None
    with step(
        f"striking with a {mallet} mallet, rendering {args.duration:g} s at {args.sr} Hz ({model.n_modes} modes)"
    ):
        hit = mallet_strike(
            model,
            at,
            mallet=mallet,
            velocity=args.velocity,
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
    common.write_audio(
        out, hit.audio, sr=args.sr, fmt=args.format, headroom=args.headroom, fade=args.fade, duration=args.duration
    )


def cmd_strike(args):
    out = common.output(args.output)
    if args.save_model:
        common.model_output(args.save_model)
    check_strike(args, len(args.pickup) if args.pickup else 1)
    common.check_listener_args(args)
    model = common.model_from(args, args.model)
    model, listeners = common.apply_listeners(args, model)
    if args.save_model:
        model.save(args.save_model)
    render_to_wav(args, model, args.at, args.direction, listeners or args.pickup, args.mallet, out)
    return 0


def cmd_materials(args):
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
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # physsynth/
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
    out = common.output(args.output)
    check_strike(args, 2)
    common.check_material(args)
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
        mesh = common.load_mesh(path, "m")
        model = common.modal(args, mesh, fmax=args.fmax)
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
    render_to_wav(args, model, at, np.array([-1.0, 0.0, 0.0]), pk, args.mallet, out)
    return 0


def _cache_path(mesh_path, args):
    h = hashlib.sha256()
    with open(mesh_path, "rb") as fh:
        h.update(fh.read())
    h.update(f"{__version__}|{args.order}|{args.fmax}|{args.material}".encode())
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "physsynth", f"demo-{h.hexdigest()[:16]}.npz")


# ------------------------------------------------------------------ parser
def add_render(p, duration=4.0):
    g = p.add_argument_group("rendering")
    g.add_argument(
        "--mallet",
        choices=HALF_SINE + PHYSICAL,
        default="medium",
        help="soft 3 ms, medium 1 ms, hard 0.25 ms: half-sine pulses; felt, rubber, "
        "wood, plastic, metal: a physical mallet in contact with the object",
    )
    g.add_argument(
        "--velocity",
        type=common.positive("m/s"),
        metavar="M/S",
        help="impact velocity of a physical mallet, m/s (default 1)",
    )
    g.add_argument(
        "--contact-time",
        type=common.positive("s", hi=MAX_CONTACT_TIME),
        help=f"contact time in s (overrides --mallet; at most {MAX_CONTACT_TIME:g})",
    )
    g.add_argument("--duration", type=common.positive("s"), default=duration, help=f"seconds (default {duration:g})")
    common.add_sr(g)
    g.add_argument(
        "--quantity",
        choices=("displacement", "velocity", "acceleration"),
        default="velocity",
        help="what the pickups read (default velocity)",
    )
    common.add_wav(g)


def register(sub) -> None:
    """Add ``modes``, ``strike`` and ``materials`` (``demo`` comes last: :func:`register_demo`)."""
    p = sub.add_parser("modes", help="vibration modes of a solid, plate or membrane mesh")
    p.add_argument(
        "mesh",
        help="tetrahedral mesh (a solid) or flat triangle mesh (a plate with "
        "--thickness, a membrane with --tension): .msh, .vtu, .xdmf, .inp, .mesh ...",
    )
    common.add_material(p)
    common.add_fem(p)
    p.add_argument("--n-modes", type=common.whole(lo=1), help="number of elastic modes (default 20)")
    common.add_fmax(p, "every mode below this frequency, Hz")
    p.add_argument("--json", action="store_true", help="print only a JSON object on stdout")
    p.add_argument("-o", "--output", metavar="MODEL", help="save the modal model (.npz)")
    axisym.add_modes_options(p)
    p.set_defaults(func=cmd_modes)

    p = sub.add_parser("strike", help="render a strike on a mesh or a saved modal model")
    p.add_argument("model", metavar="MESH|MODEL", help="mesh file or saved model (.npz)")
    p.add_argument(
        "--at",
        type=common.vector(),
        required=True,
        metavar="X,Y,Z",
        help="strike point, m (snapped to the nearest surface node)",
    )
    p.add_argument(
        "--direction",
        type=common.vector(nonzero=True),
        metavar="DX,DY,DZ",
        help="force direction (default: into the surface)",
    )
    p.add_argument(
        "--pickup",
        type=common.vector(),
        action="append",
        metavar="X,Y,Z",
        help="pickup point, m; twice for stereo (default: the strike point)",
    )
    add_render(p)
    common.add_listener(p)
    common.add_material(p)
    common.add_fem(p)
    common.add_fmax(p, "modes below this frequency, Hz, when computing from a mesh (default min(10000, 0.49 sr))")
    p.add_argument("--save-model", metavar="MODEL", help="also save the modal model (.npz)")
    common.add_output(p)
    p.set_defaults(func=cmd_strike)

    p = sub.add_parser("materials", help="list the material library")
    p.add_argument("--json", action="store_true", help="JSON with sources")
    p.set_defaults(func=cmd_materials)


def register_demo(sub) -> None:
    p = sub.add_parser("demo", help="strike the bundled 180 mm Tibetan bowl")
    common.add_output(p, required=False, default="bowl.wav")
    add_render(p, duration=8.0)
    common.add_material(p, default="bell_bronze")
    common.add_fem(p)
    p.add_argument(
        "--fmax",
        type=common.positive("Hz", hi=common.MAX_FMAX),
        default=8000.0,
        help="modes below this, Hz (default 8000)",
    )
    p.add_argument("--no-cache", action="store_true", help="recompute the modes")
    p.set_defaults(func=cmd_demo, contact_time=None)
