"""Taking a model elsewhere: ``physsynth export`` to .lib, .dsp or .json, and ``physsynth web``.

``physsynth export MODEL -o OUT`` (``cli.viz``) hands the suffixes of :data:`MODEL_SUFFIXES` to
:func:`cmd_export_model`: a Faust library (``.lib``) or ready .dsp (``.dsp``) in mesh2faust's
form, or the portable JSON model (``.json``, physsynth/export/modal-model.schema.json). The
exposed points are ``--point X,Y,Z`` (repeatable) or ``--points N`` chosen far apart; with
``--listener X,Y,Z|stereo`` (the option group of ``physsynth strike``) the exports carry the
pressure at those listeners from the model's radiation (computed when the model has none).
``physsynth web MODEL -o page.html`` writes the self-contained page that shows the object,
animates its modes and plays it where it is clicked.
"""

from __future__ import annotations

import logging
import os

from physsynth.cli import common
from physsynth.errors import PhyssynthError

log = logging.getLogger("physsynth")

#: Output suffixes of ``physsynth export`` handled here (the mesh formats stay in cli.viz).
MODEL_SUFFIXES = (".lib", ".dsp", ".json")


def suffix(path) -> str:
    return os.path.splitext(os.fspath(path))[1].lower()


def add_export_options(p) -> None:
    """The exposed-point options of ``physsynth export`` for .lib/.dsp/.json."""
    g = p.add_argument_group("Faust and JSON export (-o OUT.lib, OUT.dsp, OUT.json)")
    g.add_argument(
        "--point",
        dest="points",
        action="append",
        type=common.vector(),
        metavar="X,Y,Z",
        help="an exposed (strike) point, m, snapped to the surface; repeat for more",
    )
    g.add_argument(
        "--n-points",
        type=common.whole(lo=1, hi=4096),
        default=8,
        help="without --point: this many exposed points, far apart (default 8)",
    )
    g.add_argument("--shapes", type=common.whole(lo=0, hi=1000), default=0, help="JSON: embed the first N mode shapes")


def cmd_export_model(args, load_model) -> int:
    """``physsynth export MODEL -o OUT.lib|.dsp|.json``."""
    ext = suffix(args.output)
    common.output(args.output, stdout=False, what=f"a {ext} export")
    if getattr(args, "response", None):
        raise PhyssynthError("--response (an XDMF strike response) goes with the mesh exports (.vtu, .vtk, .xdmf)")
    if getattr(args, "at", None) is not None:
        raise PhyssynthError(f"a {ext} export's strike points are --point X,Y,Z (repeatable) or --n-points N, not --at")
    if args.contact_time is not None and ext == ".dsp":
        raise PhyssynthError("the .dsp's mallets are the presets soft, medium, hard: give --mallet, not --contact-time")
    common.check_listener_args(args)
    model = load_model(args, args.n or 20)
    if args.n is not None:
        model = model.select(slice(0, min(args.n, model.n_modes)))
    model, listeners = common.apply_listeners(args, model)
    from physsynth.export import faust, model_json

    pm = model_json.from_model(
        model,
        args.points,
        n_points=args.n_points,
        n_shapes=args.shapes if ext == ".json" else 0,
        listeners=[li.point for li in listeners] if listeners else None,
    )
    if ext == ".json":
        model_json.write_json(pm, args.output)
    else:
        faust.write_faust(pm, args.output, sr=args.sr, **({"mallet": args.mallet} if ext == ".dsp" else {}))
    log.info(
        "wrote %d modes at %d exposed points%s to %s",
        pm.n_modes,
        pm.n_points,
        f" and {pm.n_listeners} listener(s)" if pm.n_listeners else "",
        args.output,
    )
    print(args.output)
    return 0


def cmd_web(args) -> int:
    if suffix(args.output) not in (".html", ".htm"):
        raise PhyssynthError(f"the page is an .html file, got {args.output!r}")
    common.output(args.output, stdout=False, what="a web page")
    common.check_listener_args(args)
    model = common.model_from(args, args.model, fmax=args.fmax, n_modes=None if args.fmax else 40)
    model, listeners = common.apply_listeners(args, model)
    from physsynth.export.web import write_web

    write_web(model, args.output, n_animated=args.animated, sr=args.sr, fmax=args.fmax, listeners=listeners)
    log.info("wrote the page for %d modes to %s", model.n_modes, args.output)
    print(args.output)
    return 0


def register(subparsers) -> None:
    """Add ``web`` to the ``physsynth`` command."""
    p = subparsers.add_parser(
        "web", help="one self-contained HTML page: the object in 3D, its modes animated, struck where clicked"
    )
    p.add_argument(
        "model",
        metavar="MODEL",
        help="saved modal model (.npz) or a mesh file (then the material and FEM options below apply)",
    )
    common.add_material(p)
    common.add_fem(p)
    common.add_fmax(p, "the modes below this frequency, Hz (mesh input: default the first 40)")
    p.add_argument(
        "--animated", type=common.whole(lo=0, hi=1000), default=12, help="modes the page can animate (default 12)"
    )
    common.add_sr(p, help="sample rate of the page's sound, Hz (default 48000)")
    common.add_listener(p)
    p.add_argument("-o", "--output", required=True, metavar="PAGE.html")
    p.set_defaults(func=cmd_web)
