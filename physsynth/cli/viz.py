"""Sub-commands that draw: ``physsynth plot-modes``, ``animate``, ``spectrum`` and ``export``.

MODEL is a saved modal model (.npz from ``physsynth modes -o``) or a mesh file with the same
material and finite-element options as ``physsynth modes``. Mode numbers count from 1, as in
the ``physsynth modes`` table. Every output path and format is checked before any work.
"""

from __future__ import annotations

import inspect
import logging
import math
import os

from physsynth import validate
from physsynth.cli import common, export_cmd
from physsynth.errors import AudioError, PhyssynthError

log = logging.getLogger("physsynth")

_count = common.whole(lo=1)
#: matplotlib's Agg canvas takes fewer than 2^23 pixels on a side
MAX_IMAGE_SIDE = 2**23


def _load_model(args, n_needed: int):
    """The ModalModel named by ``args.model``: loaded (.npz) or computed from a mesh."""
    fmax = args.fmax
    return common.model_from(args, args.model, fmax=fmax, n_modes=None if fmax else max(n_needed, 1))


def _check_strike(args):
    """The strike options of animate and export, before any work."""
    if args.at is not None:
        common.check_render(args.duration if args.duration is not None else 1.0, args.sr)


def _check_pixels(pixels: float, what: str, fix: str) -> None:
    """Refuse a figure or animation whose frames (4 B a pixel, twice: the canvas and the
    encoder's copy) exceed the memory budget."""

    validate.check_memory(8.0 * pixels, what, fix)


def _check_numbers(model, numbers, source):
    """0-based indices of 1-based mode numbers, or a one-line error naming the valid range."""
    from physsynth.viz import PlotError

    for m in numbers:
        if not 1 <= m <= model.n_modes:
            raise PlotError(
                f"mode {m} is out of range: {source} has {model.n_modes} modes "
                f"(numbers 1..{model.n_modes}, see `physsynth modes`)"
            )
    return [m - 1 for m in numbers]


def _strike(args, model):
    from physsynth.excitation.strike import strike

    hit = strike(
        model, args.at, direction=args.direction, mallet=args.mallet, contact_time=args.contact_time, sr=args.sr
    )
    log.info("strike at node %d (%.4f, %.4f, %.4f) m", hit.node, *model.mesh.points[hit.node])
    return hit


# ------------------------------------------------------------------ commands
def cmd_plot_modes(args):
    common.output(args.output, stdout=False, what="a figure")
    need = max(args.modes) if args.modes else args.n
    panels = len(args.modes) if args.modes else args.n
    if panels > common.MAX_PANELS:
        raise PhyssynthError(f"{panels} panels in one figure is more than {common.MAX_PANELS}; ask for fewer modes")
    # the layout of viz.modes.plot_modes: up to 4 columns (or --cols), panel_size wide each, at
    # most 1.5 panel_size high per row
    cols = args.cols or min(4, math.ceil(math.sqrt(panels)))
    rows = math.ceil(panels / cols)
    width, height = cols * args.panel_size * args.dpi, (rows * 1.5 * args.panel_size + 0.35) * args.dpi
    if max(width, height) >= MAX_IMAGE_SIDE:
        raise PhyssynthError(
            f"the gallery would be {width:.0f} x {height:.0f} pixels, beyond the {MAX_IMAGE_SIDE} an image "
            "can have on a side; lower --dpi, --panel-size or --cols"
        )
    _check_pixels(
        width * height,
        f"a gallery of {panels} panels of {args.panel_size:g} in at {args.dpi:g} dpi",
        "lower --dpi or --panel-size, or draw fewer modes",
    )
    from physsynth.viz import plot_modes, save_figure
    from physsynth.viz._mpl import check_image_path

    check_image_path(args.output)
    model = _load_model(args, need)
    modes = _check_numbers(model, args.modes, args.model) if args.modes else min(args.n, model.n_modes)
    fig = plot_modes(
        model,
        modes,
        exaggeration=args.exaggeration,
        ncols=args.cols,
        panel_size=args.panel_size,
        dpi=args.dpi,
        nodal_lines=not args.no_nodal_lines,
    )
    save_figure(fig, args.output)
    log.info("wrote %d mode panels to %s", len(fig.axes), args.output)
    print(args.output)
    return 0


def cmd_animate(args):
    common.output(args.output, stdout=False, what="an animation")
    from physsynth.viz import PlotError, animate_mode, animate_response
    from physsynth.viz.animate import check_animation_path

    if (args.mode is None) == (args.at is None):
        raise PlotError("give --mode N (one mode oscillating) or --at X,Y,Z (a strike there), one of them")
    check_animation_path(args.output)
    _check_strike(args)

    frames = (args.frames or 24) * args.cycles if args.mode is not None else (args.frames or 96)
    width, height = inspect.signature(animate_mode).parameters["size"].default  # inches
    _check_pixels(
        frames * width * height * args.dpi**2,
        f"an animation of {frames} frames of {width:g} x {height:g} in at {args.dpi:g} dpi",
        "lower --dpi, --frames or --cycles",
    )
    model = _load_model(args, args.mode or 12)
    kw = {"exaggeration": args.exaggeration, "fps": args.fps, "dpi": args.dpi}
    if args.mode is not None:
        k = _check_numbers(model, [args.mode], args.model)[0]
        animate_mode(model, k, args.output, frames=args.frames or 24, cycles=args.cycles, **kw)
    else:
        hit = _strike(args, model)
        animate_response(
            model, hit, args.output, duration=args.duration, frames=args.frames or 96, fmax=args.fmax_shown, **kw
        )
    log.info("wrote %s", args.output)
    print(args.output)
    return 0


def cmd_spectrum(args):
    common.output(args.output, stdout=False, what="a figure")
    from physsynth.audio import read_wav
    from physsynth.modal.model import ModalModel
    from physsynth.viz import plot_sound, save_figure
    from physsynth.viz._mpl import check_image_path

    check_image_path(args.output)
    if not os.path.exists(args.wav):
        raise AudioError(f"sound file not found: {args.wav}")
    x, sr = read_wav(args.wav)
    if not 0 <= args.channel < x.shape[0]:
        raise AudioError(
            f"--channel {args.channel} does not exist: {args.wav} has {x.shape[0]} channel(s), numbered from 0"
        )
    model = ModalModel.load(args.model) if args.model else None
    fig = plot_sound(
        x,
        sr=sr,
        model=model,
        fmax=args.fmax,
        channel=args.channel,
        n_decay=args.n_decay,
        title=f"{os.path.basename(args.wav)}: {x.shape[1] / sr:.2f} s at {sr} Hz",
        dpi=args.dpi,
    )
    save_figure(fig, args.output)
    log.info("wrote %s", args.output)
    print(args.output)
    return 0


def cmd_export(args):
    if export_cmd.suffix(args.output) in export_cmd.MODEL_SUFFIXES:  # Faust or JSON: cli.export_cmd
        return export_cmd.cmd_export_model(args, _load_model)
    common.output(args.output, stdout=False, what="a mesh export")
    if args.listener or args.radiation or args.floor is not None:
        raise PhyssynthError(
            "--listener, --radiation and --floor go with the Faust and JSON exports (-o OUT.lib, .dsp, .json)"
        )
    from physsynth.viz import PlotError, export_modes, export_response
    from physsynth.viz.export import check_export_path

    check_export_path(args.output)
    if (args.response is None) != (args.at is None):
        raise PlotError("a strike response needs both --at X,Y,Z and --response OUT.xdmf")
    if args.response:
        common.output(args.response, stdout=False, what="an XDMF time series")
        check_export_path(args.response, time_series=True)
    _check_strike(args)
    model = _load_model(args, args.n or 20)
    modes = None if args.n is None else min(args.n, model.n_modes)
    export_modes(model, args.output, modes=modes)
    log.info("wrote %d mode shapes to %s", model.n_modes if modes is None else modes, args.output)
    print(args.output)
    if args.response:
        hit = _strike(args, model)
        export_response(model, hit, args.response, duration=args.duration, frames=args.frames)
        log.info("wrote the strike response (%d frames over %g s) to %s", args.frames, args.duration, args.response)
        print(args.response)
    return 0


# ------------------------------------------------------------------ parser
_dpi = common.real("dpi", lo=common.DPI_RANGE[0], hi=common.DPI_RANGE[1])
_frames = common.whole(lo=1, hi=common.MAX_FRAMES)


def _add_model_source(p):
    p.add_argument(
        "model",
        metavar="MODEL",
        help="saved modal model (.npz) or a mesh file "
        "(then the material and FEM options below apply, as in `physsynth modes`)",
    )
    common.add_material(p)
    common.add_fem(p)
    common.add_fmax(p, "mesh input: every mode below this frequency, Hz")


def _add_dpi(p, default):
    lo, hi = common.DPI_RANGE
    p.add_argument("--dpi", type=_dpi, default=default, help=f"pixels per inch (default {default:g}; {lo:g}..{hi:g})")


def _add_exaggeration(p, help):
    p.add_argument("--exaggeration", type=common.positive(hi=10.0), default=0.08, help=help)


def _add_strike(p, *, duration):
    g = p.add_argument_group("strike")
    g.add_argument(
        "--at", type=common.vector(), metavar="X,Y,Z", help="strike point, m (snapped to the nearest surface node)"
    )
    g.add_argument(
        "--direction",
        type=common.vector(nonzero=True),
        metavar="DX,DY,DZ",
        help="force direction (default: into the surface)",
    )
    g.add_argument(
        "--mallet", choices=("soft", "medium", "hard"), default="medium", help="contact-time preset (default medium)"
    )
    g.add_argument("--contact-time", type=common.positive("s", hi=1.0), help="contact time in s (overrides --mallet)")
    common.add_sr(g, help="sample rate of the modal response, Hz (default 48000)")
    g.add_argument(
        "--duration",
        type=common.positive("s"),
        default=duration,
        help="physical time shown, s"
        + (f" (default {duration:g})" if duration else " (default: 24 frames per period of mode 1)"),
    )


def register(subparsers) -> None:
    """Add ``plot-modes``, ``animate``, ``spectrum`` and ``export`` to the ``physsynth`` command."""
    p = subparsers.add_parser(
        "plot-modes",
        help="a gallery of mode shapes (Chladni figures of plates and membranes, deformed solids) to PNG/PDF/SVG",
    )
    _add_model_source(p)
    p.add_argument("-n", "--n-modes", dest="n", type=_count, default=12, help="the first N modes (default 12)")
    p.add_argument(
        "--modes",
        type=common.mode_list,
        metavar="I,J,...",
        help="these mode numbers instead (from 1, as in the modes table)",
    )
    _add_exaggeration(p, "solids: largest displacement as a fraction of the object's size (default 0.08)")
    p.add_argument(
        "--cols",
        type=common.whole(lo=1, hi=common.MAX_PANELS),
        help="panels per row (default: about square, at most 4)",
    )
    p.add_argument(
        "--panel-size",
        type=common.positive("in", hi=common.MAX_PANEL_INCHES),
        default=2.6,
        help=f"inches per panel (default 2.6; at most {common.MAX_PANEL_INCHES:g})",
    )
    _add_dpi(p, 100.0)
    p.add_argument("--no-nodal-lines", action="store_true", help="flat models: colour only")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png")
    p.set_defaults(func=cmd_plot_modes)

    p = subparsers.add_parser(
        "animate", help="animate one mode, or the response to a strike, to GIF (or MP4 with ffmpeg)"
    )
    _add_model_source(p)
    p.add_argument("--mode", type=_count, metavar="N", help="the mode to animate (from 1, as in the modes table)")
    _add_strike(p, duration=None)
    p.add_argument(
        "--frames",
        type=_frames,
        help=f"frames per cycle of a mode (default 24), or in all for a strike (96); at most {common.MAX_FRAMES}",
    )
    p.add_argument(
        "--cycles",
        type=common.whole(lo=1, hi=common.MAX_CYCLES),
        default=1,
        help=f"mode cycles (default 1; at most {common.MAX_CYCLES})",
    )
    p.add_argument("--fps", type=common.positive(hi=1000.0), default=24.0, help="frames per second (default 24)")
    p.add_argument(
        "--fmax-shown",
        type=common.positive("Hz"),
        metavar="HZ",
        help="strike: leave out modes above this, Hz (default: half the frame rate in physical time)",
    )
    _add_exaggeration(p, "largest displacement as a fraction of the object's size (default 0.08)")
    _add_dpi(p, 80.0)
    p.add_argument("-o", "--output", required=True, metavar="OUT.gif")
    p.set_defaults(func=cmd_animate)

    p = subparsers.add_parser(
        "spectrum", help="spectrum, spectrogram and decay per mode of a WAV file, with a model's frequencies marked"
    )
    p.add_argument("wav", metavar="SOUND.wav")
    p.add_argument("--model", metavar="MODEL.npz", help="mark this model's modes and draw their decay")
    p.add_argument("--fmax", type=common.positive("Hz"), help="upper frequency of the plots, Hz")
    p.add_argument("--channel", type=common.whole(lo=0), default=0, help="channel to analyse (from 0)")
    p.add_argument(
        "--n-decay",
        type=common.whole(lo=1, hi=100),
        default=5,
        help="decay curves of the N loudest modes (default 5; at most 100)",
    )
    _add_dpi(p, 100.0)
    p.add_argument("-o", "--output", required=True, metavar="OUT.png")
    p.set_defaults(func=cmd_spectrum)

    p = subparsers.add_parser(
        "export",
        help="mesh and mode shapes (and a strike response) for ParaView: .vtu, .vtk or .xdmf; "
        "a Faust modal model .lib or .dsp; the portable JSON model .json",
    )
    _add_model_source(p)
    p.add_argument("-n", "--n-modes", dest="n", type=_count, help="only the first N modes (default: all)")
    _add_strike(p, duration=0.01)
    p.add_argument(
        "--frames",
        type=_frames,
        default=100,
        help=f"time steps of the strike response (default 100; at most {common.MAX_FRAMES})",
    )
    p.add_argument(
        "--response",
        metavar="OUT.xdmf",
        help="also write the displacement after a strike --at X,Y,Z as an XDMF time series",
    )
    export_cmd.add_export_options(p)
    common.add_listener(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT.vtu|.xdmf|.lib|.dsp|.json")
    p.set_defaults(func=cmd_export)
