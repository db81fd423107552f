"""Sub-commands that draw: ``physsynth plot-modes``, ``animate``, ``spectrum`` and ``export``.

MODEL is a saved modal model (.npz from ``physsynth modes -o``) or a mesh file with the same
material and finite-element options as ``physsynth modes``. Mode numbers count from 1, as in
the ``physsynth modes`` table. Every output path and format is checked before any work.
"""

from __future__ import annotations

import argparse
import logging
import os

log = logging.getLogger("physsynth")


def _mode_list(text: str) -> list[int]:
    try:
        out = [int(p) for p in text.replace(" ", "").split(",") if p]
    except ValueError:
        out = []
    if not out:
        raise argparse.ArgumentTypeError(f"expected mode numbers like 1,3,5, got {text!r}")
    return out


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return v


def _load_model(args, n_needed: int):
    """The ModalModel named by ``args.model``: loaded (.npz) or computed from a mesh."""
    from physsynth import cli
    from physsynth.modal.model import ModalModel, is_model_file

    src = args.model
    if src.endswith(".npz") or is_model_file(src):
        model = ModalModel.load(src)
        log.info("loaded modal model %s: %s", src, model.summary())
        return model
    mesh = cli._load_mesh(src, args.units)
    fmax = args.fmax
    return cli._modal(args, mesh, fmax=fmax, n_modes=None if fmax else max(n_needed, 1))


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
def cmd_plot_modes(args, check_out):
    from physsynth.viz import plot_modes, save_figure
    from physsynth.viz._mpl import check_image_path

    check_image_path(args.output)
    check_out(args.output)
    if args.modes:
        need = max(args.modes)
    else:
        need = args.n
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


def cmd_animate(args, check_out):
    from physsynth.viz import PlotError, animate_mode, animate_response
    from physsynth.viz.animate import check_animation_path

    if (args.mode is None) == (args.at is None):
        raise PlotError("give --mode N (one mode oscillating) or --at X,Y,Z (a strike there), one of them")
    check_animation_path(args.output)
    check_out(args.output)
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


def cmd_spectrum(args, check_out):
    from physsynth.audio import read_wav
    from physsynth.errors import AudioError
    from physsynth.modal.model import ModalModel
    from physsynth.viz import plot_sound, save_figure
    from physsynth.viz._mpl import check_image_path

    check_image_path(args.output)
    check_out(args.output)
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
        sr,
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


def cmd_export(args, check_out):
    from physsynth.viz import PlotError, export_modes, export_response
    from physsynth.viz.export import check_export_path

    check_export_path(args.output)
    check_out(args.output)
    if (args.response is None) != (args.at is None):
        raise PlotError("a strike response needs both --at X,Y,Z and --response OUT.xdmf")
    if args.response:
        check_export_path(args.response, time_series=True)
        check_out(args.response)
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
def _add_model_source(p, helpers, cli):
    p.add_argument(
        "model",
        metavar="MODEL",
        help="saved modal model (.npz) or a mesh file "
        "(then the material and FEM options below apply, as in `physsynth modes`)",
    )
    helpers["add_material"](p)
    cli._add_fem(p)
    p.add_argument("--fmax", type=float, help="mesh input: every mode below this frequency, Hz")


def _add_strike(p, cli, *, duration):
    g = p.add_argument_group("strike")
    g.add_argument(
        "--at", type=cli._vector, metavar="X,Y,Z", help="strike point, m (snapped to the nearest surface node)"
    )
    g.add_argument(
        "--direction", type=cli._vector, metavar="DX,DY,DZ", help="force direction (default: into the surface)"
    )
    g.add_argument(
        "--mallet", choices=("soft", "medium", "hard"), default="medium", help="contact-time preset (default medium)"
    )
    g.add_argument("--contact-time", type=float, help="contact time in s (overrides --mallet)")
    g.add_argument("--sr", type=int, default=48000, help="sample rate of the modal response, Hz")
    g.add_argument(
        "--duration",
        type=float,
        default=duration,
        help="physical time shown, s"
        + (f" (default {duration:g})" if duration else " (default: 24 frames per period of mode 1)"),
    )


def register(subparsers, helpers):
    """Add ``plot-modes``, ``animate``, ``spectrum`` and ``export`` to the ``physsynth`` command."""
    from physsynth import cli

    check_out = helpers["check_out"]

    p = subparsers.add_parser(
        "plot-modes",
        help="a gallery of mode shapes (Chladni figures of plates and membranes, deformed solids) to PNG/PDF/SVG",
    )
    _add_model_source(p, helpers, cli)
    p.add_argument("-n", "--n-modes", dest="n", type=_positive_int, default=12, help="the first N modes (default 12)")
    p.add_argument(
        "--modes", type=_mode_list, metavar="I,J,...", help="these mode numbers instead (from 1, as in the modes table)"
    )
    p.add_argument(
        "--exaggeration",
        type=float,
        default=0.08,
        help="solids: largest displacement as a fraction of the object's size (default 0.08)",
    )
    p.add_argument("--cols", type=_positive_int, help="panels per row (default: about square)")
    p.add_argument("--panel-size", type=float, default=2.6, help="inches per panel (default 2.6)")
    p.add_argument("--dpi", type=float, default=100.0, help="pixels per inch (default 100)")
    p.add_argument("--no-nodal-lines", action="store_true", help="flat models: colour only")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png")
    p.set_defaults(func=lambda a: cmd_plot_modes(a, check_out))

    p = subparsers.add_parser(
        "animate", help="animate one mode, or the response to a strike, to GIF (or MP4 with ffmpeg)"
    )
    _add_model_source(p, helpers, cli)
    p.add_argument(
        "--mode", type=_positive_int, metavar="N", help="the mode to animate (from 1, as in the modes table)"
    )
    _add_strike(p, cli, duration=None)
    p.add_argument(
        "--frames", type=_positive_int, help="frames per cycle of a mode (default 24), or in all for a strike (96)"
    )
    p.add_argument("--cycles", type=_positive_int, default=1, help="mode cycles (default 1)")
    p.add_argument("--fps", type=float, default=24.0, help="frames per second (default 24)")
    p.add_argument(
        "--fmax-shown",
        type=float,
        metavar="HZ",
        help="strike: leave out modes above this, Hz (default: half the frame rate in physical time)",
    )
    p.add_argument(
        "--exaggeration",
        type=float,
        default=0.08,
        help="largest displacement as a fraction of the object's size (default 0.08)",
    )
    p.add_argument("--dpi", type=float, default=80.0, help="pixels per inch (default 80)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.gif")
    p.set_defaults(func=lambda a: cmd_animate(a, check_out))

    p = subparsers.add_parser(
        "spectrum", help="spectrum, spectrogram and decay per mode of a WAV file, with a model's frequencies marked"
    )
    p.add_argument("wav", metavar="SOUND.wav")
    p.add_argument("--model", metavar="MODEL.npz", help="mark this model's modes and draw their decay")
    p.add_argument("--fmax", type=float, help="upper frequency of the plots, Hz")
    p.add_argument("--channel", type=int, default=0, help="channel to analyse (from 0)")
    p.add_argument("--n-decay", type=_positive_int, default=5, help="decay curves of the N loudest modes (default 5)")
    p.add_argument("--dpi", type=float, default=100.0, help="pixels per inch (default 100)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png")
    p.set_defaults(func=lambda a: cmd_spectrum(a, check_out))

    p = subparsers.add_parser(
        "export", help="mesh and mode shapes (and a strike response) for ParaView: .vtu, .vtk or .xdmf"
    )
    _add_model_source(p, helpers, cli)
    p.add_argument("-n", "--n-modes", dest="n", type=_positive_int, help="only the first N modes (default: all)")
    _add_strike(p, cli, duration=0.01)
    p.add_argument("--frames", type=_positive_int, default=100, help="time steps of the strike response (default 100)")
    p.add_argument(
        "--response",
        metavar="OUT.xdmf",
        help="also write the displacement after a strike --at X,Y,Z as an XDMF time series",
    )
    p.add_argument("-o", "--output", required=True, metavar="OUT.vtu")
    p.set_defaults(func=lambda a: cmd_export(a, check_out))
