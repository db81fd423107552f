"""``physsynth play MODEL SCORE -o OUT.wav``: render a score of events on a saved modal model."""

from __future__ import annotations

import logging

from physsynth._progress import step
from physsynth.cli import common
from physsynth.errors import PhyssynthError

log = logging.getLogger("physsynth")


def cmd_play(args):
    out = common.output(args.output)
    if args.map and not args.score.lower().endswith((".mid", ".midi")):
        raise PhyssynthError("--map is for a MIDI score (.mid); a JSON score holds its map itself")
    channels = common.listener_channels(args, len(args.pickup) if args.pickup else 1)
    if args.duration is not None:
        common.check_render(args.duration, args.sr, channels)
    from physsynth.excitation.score import read_score
    from physsynth.modal.model import ModalModel, is_model_file

    if not is_model_file(args.model):
        raise PhyssynthError(
            f"{args.model} is not a saved modal model; make one with `physsynth modes MESH ... -o model.npz`"
        )
    score = read_score(args.score, midi_map=args.map)
    log.info("score %s: %d events over %.3f s", args.score, len(score), score.end)
    if args.duration is None:
        common.check_render(score.end + args.tail, args.sr, channels)
    model = ModalModel.load(args.model)
    model, listeners = common.apply_listeners(args, model)
    from physsynth.pickups import pickup
    from physsynth.simulate.score import render_score

    pks = listeners or ([pickup(model, p) for p in args.pickup] if args.pickup else None)
    with step(f"playing {len(score)} events on {model.n_modes} modes at {args.sr} Hz") as info:
        res = render_score(
            model,
            score,
            pks,
            sr=args.sr,
            duration=args.duration,
            tail=args.tail,
            quantity=args.quantity,
            fmax=args.fmax,
        )
        info["result"] = f"{res.audio.shape[1] / res.sr:.3f} s, {res.n_sub} sub-steps in contact"
    for st in res.mallets[:8]:
        log.info(
            "  mallet at %.3f s: contact %.1f us, peak %.3g N, %d contact(s)",
            st["time"],
            1e6 * st["contact_time"],
            st["peak_force"],
            st["contacts"],
        )
    if len(res.mallets) > 8:
        log.info("  ... and %d more mallet events", len(res.mallets) - 8)
    common.write_audio(out, res.audio, sr=args.sr, fmt=args.format, headroom=args.headroom, fade=args.fade)
    return 0


def register(subparsers) -> None:
    """Add ``play`` to the ``physsynth`` command."""
    p = subparsers.add_parser(
        "play", help="render a score (CSV, JSON or MIDI) of strikes, mallets, plucks and noise on a saved modal model"
    )
    p.add_argument("model", metavar="MODEL", help="saved modal model (.npz, from `physsynth modes -o`)")
    p.add_argument("score", metavar="SCORE", help="events: .csv, .json or .mid (see docs/contact-theory.md, 'Scores')")
    p.add_argument("--map", metavar="MAP.json", help="MIDI note mapping (positions, mallet, velocity scale)")
    p.add_argument(
        "--pickup",
        type=common.vector(),
        action="append",
        metavar="X,Y,Z",
        help="pickup point, m; twice for stereo (default: the first event's point)",
    )
    common.add_sr(p)
    p.add_argument(
        "--duration",
        type=common.positive("s"),
        metavar="S",
        help="seconds (default: the last event's end plus --tail)",
    )
    p.add_argument(
        "--tail",
        type=common.nonnegative("s"),
        default=2.0,
        metavar="S",
        help="ring-out after the last event, s (default 2)",
    )
    p.add_argument("--fmax", type=common.positive("Hz"), metavar="HZ", help="leave out modes above this frequency")
    p.add_argument(
        "--quantity",
        choices=("displacement", "velocity", "acceleration"),
        default="velocity",
        help="what the pickups read (default velocity)",
    )
    common.add_listener(p)
    common.add_wav(p)
    common.add_output(p)
    p.set_defaults(func=cmd_play)
