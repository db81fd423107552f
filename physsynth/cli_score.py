"""``physsynth play MODEL SCORE -o OUT.wav``: render a score of events on a saved modal model."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger("physsynth")


def _vector(text):
    import re

    import numpy as np

    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    try:
        v = np.array([float(p) for p in parts])
    except ValueError:
        v = np.zeros(0)
    if v.shape != (3,) or not np.isfinite(v).all():
        raise argparse.ArgumentTypeError(f"expected three finite numbers X,Y,Z, got {text!r}")
    return v


def cmd_play(args, check_out):
    import math

    from physsynth._progress import step
    from physsynth.audio import fade_out, write_wav
    from physsynth.errors import PhyssynthError
    from physsynth.excitation.score import read_score, render_score
    from physsynth.modal.model import ModalModel, is_model_file
    from physsynth.render import pickup

    out = check_out(args.output)
    if not (args.sr > 0 and float(args.sr).is_integer()):
        raise PhyssynthError(f"--sr must be a positive whole number of Hz, got {args.sr}")
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise PhyssynthError(f"--duration must be > 0 s, got {args.duration}")
    if not (math.isfinite(args.tail) and args.tail >= 0):
        raise PhyssynthError(f"--tail must be >= 0 s, got {args.tail}")
    if args.map and not args.score.lower().endswith((".mid", ".midi")):
        raise PhyssynthError("--map is for a MIDI score (.mid); a JSON score holds its map itself")
    score = read_score(args.score, midi_map=args.map)
    log.info("score %s: %d events over %.3f s", args.score, len(score), score.end)
    if not is_model_file(args.model):
        raise PhyssynthError(
            f"{args.model} is not a saved modal model; make one with `physsynth modes MESH ... -o model.npz`"
        )
    model = ModalModel.load(args.model)
    pks = [pickup(model, p) for p in args.pickup] if args.pickup else None
    with step(f"playing {len(score)} events on {model.n_modes} modes at {int(args.sr)} Hz") as info:
        res = render_score(
            model,
            score,
            pks,
            sr=int(args.sr),
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
    audio = res.audio
    if args.fade > 0:
        audio = fade_out(audio, int(args.sr), min(args.fade, 0.5 * audio.shape[1] / args.sr))
    write_wav(out, audio, sr=int(args.sr), fmt=args.format, headroom_db=args.headroom)
    log.info("wrote %s", out)
    print(out)
    return 0


def register(subparsers, helpers):
    """Add ``play`` to the ``physsynth`` command."""
    check_out = helpers["check_out"]
    p = subparsers.add_parser(
        "play", help="render a score (CSV, JSON or MIDI) of strikes, mallets, plucks and noise on a saved modal model"
    )
    p.add_argument("model", metavar="MODEL", help="saved modal model (.npz, from `physsynth modes -o`)")
    p.add_argument("score", metavar="SCORE", help="events: .csv, .json or .mid (see docs/contact-theory.md, 'Scores')")
    p.add_argument("--map", metavar="MAP.json", help="MIDI note mapping (positions, mallet, velocity scale)")
    p.add_argument(
        "--pickup",
        type=_vector,
        action="append",
        metavar="X,Y,Z",
        help="pickup point, m; twice for stereo (default: the first event's point)",
    )
    p.add_argument("--sr", type=float, default=48000, metavar="HZ", help="sample rate (default 48000)")
    p.add_argument("--duration", type=float, metavar="S", help="seconds (default: the last event's end plus --tail)")
    p.add_argument("--tail", type=float, default=2.0, metavar="S", help="ring-out after the last event, s (default 2)")
    p.add_argument("--fmax", type=float, metavar="HZ", help="leave out modes above this frequency")
    p.add_argument(
        "--quantity",
        choices=("displacement", "velocity", "acceleration"),
        default="velocity",
        help="what the pickups read (default velocity)",
    )
    p.add_argument(
        "--format", default="pcm24", choices=("pcm16", "pcm24", "float32"), help="WAV sample format (default pcm24)"
    )
    p.add_argument("--headroom", type=float, default=1.0, help="peak level below full scale, dB")
    p.add_argument("--fade", type=float, default=0.05, metavar="S", help="fade-out at the end, s (default 0.05; 0 off)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.wav")
    p.set_defaults(func=lambda args: cmd_play(args, check_out))
