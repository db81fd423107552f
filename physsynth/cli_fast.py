"""Sub-commands of the fast models: ``physsynth pluck``, ``physsynth bow``, ``physsynth hybrid``,
``physsynth mesh-drum``."""

from __future__ import annotations

from physsynth._progress import step


def cmd_pluck(args, check_out):
    from physsynth.audio import fade_out, write_wav
    from physsynth.models import ModelParameterError, pluck

    out = check_out(args.output)
    if not (args.sr > 0 and float(args.sr).is_integer()):
        raise ModelParameterError(f"--sr must be a positive whole number of Hz, got {args.sr}")
    sr = int(args.sr)
    kw = {"t60": args.t60, "t60_high": args.t60_high}
    if args.model == "ks":
        kw.update(inharmonicity=args.inharmonicity, pick=args.pick, seed=args.seed)
    else:
        if args.inharmonicity:
            raise ModelParameterError("--inharmonicity needs --model ks (the waveguide string is ideal)")
        kw.update(position=0.2 if args.pick is None else args.pick, excitation=args.excitation)
    with step(f"plucking {args.model} string at {args.f0:g} Hz") as info:
        y = pluck(args.f0, sr=sr, duration=args.duration, model=args.model, **kw)
        info["result"] = f"{y.size} samples"
    write_wav(out, fade_out(y, sr, min(0.01, args.duration / 4)), sr=sr)
    return 0


def cmd_bow(args, check_out):
    from physsynth.audio import fade_out, write_wav
    from physsynth.models import ModelParameterError, bow

    out = check_out(args.output)
    if not (args.sr > 0 and float(args.sr).is_integer()):
        raise ModelParameterError(f"--sr must be a positive whole number of Hz, got {args.sr}")
    sr = int(args.sr)
    with step(f"bowing a string at {args.f0:g} Hz") as info:
        y = bow(
            args.f0,
            sr=sr,
            duration=args.duration,
            force=args.force,
            velocity=args.velocity,
            position=args.position,
            t60=args.t60,
        )
        info["result"] = f"{y.size} samples"
    write_wav(out, fade_out(y, sr, min(0.05, args.duration / 4)), sr=sr)
    return 0


def _point(text, n):
    import argparse

    import numpy as np

    try:
        v = np.array([float(p) for p in text.replace(" ", "").split(",")])
    except ValueError:
        v = np.zeros(0)
    if v.size != n or not np.all(np.isfinite(v)):
        raise argparse.ArgumentTypeError(f"expected {n} numbers separated by commas, got {text!r}")
    return v


def cmd_hybrid(args, check_out):
    from physsynth.audio import fade_out, write_wav
    from physsynth.modal.model import ModalModel
    from physsynth.models import ModelParameterError, string_on_body

    out = check_out(args.output)
    if not (args.sr > 0 and float(args.sr).is_integer()):
        raise ModelParameterError(f"--sr must be a positive whole number of Hz, got {args.sr}")
    sr = int(args.sr)
    model = ModalModel.load(args.body)
    with step(f"plucking a {args.f0:g} Hz string on {args.body}") as info:
        y = string_on_body(
            args.f0,
            model,
            bridge=args.bridge,
            pickup=args.pickup,
            sr=sr,
            duration=args.duration,
            string_impedance=args.impedance,
            output=args.output_of,
            t60=args.t60,
            t60_high=args.t60_high,
            position=args.pick,
        )
        info["result"] = f"{y.size} samples"
    write_wav(out, fade_out(y, sr, min(0.01, args.duration / 4)), sr=sr)
    return 0


def cmd_mesh_drum(args, check_out):
    from physsynth.audio import fade_out, write_wav
    from physsynth.models import ModelParameterError, waveguide_mesh_strike

    out = check_out(args.output)
    if not (args.sr > 0 and float(args.sr).is_integer()):
        raise ModelParameterError(f"--sr must be a positive whole number of Hz, got {args.sr}")
    sr = int(args.sr)
    with step(f"striking a {args.size[0]:g} x {args.size[1]:g} m waveguide mesh") as info:
        y = waveguide_mesh_strike(
            tuple(args.size),
            c=args.c,
            sr=sr,
            duration=args.duration,
            at=tuple(args.at),
            pickup=tuple(args.pickup),
            t60=args.t60,
            bc=args.bc,
        )
        info["result"] = f"{y.size} samples"
    write_wav(out, fade_out(y, sr, min(0.01, args.duration / 4)), sr=sr)
    return 0


def register(subparsers, helpers):
    """Add ``pluck``, ``bow``, ``hybrid`` and ``mesh-drum`` to the ``physsynth`` command."""
    check_out = helpers["check_out"]
    p = subparsers.add_parser("pluck", help="a plucked string (Karplus-Strong or waveguide)")
    p.add_argument("--f0", type=float, required=True, metavar="HZ", help="fundamental, Hz")
    p.add_argument("--model", choices=("ks", "waveguide"), default="ks")
    p.add_argument(
        "--inharmonicity",
        type=float,
        default=0.0,
        metavar="B",
        help="stiffness B: partial n at n f0 sqrt(1 + B n^2) (ks only)",
    )
    p.add_argument("--t60", type=float, default=2.0, metavar="S", help="decay time of the fundamental, s (default 2)")
    p.add_argument(
        "--t60-high",
        type=float,
        default=None,
        metavar="S",
        help="decay time at high frequency (5 kHz or 4 f0), s (default: --t60)",
    )
    p.add_argument(
        "--pick", type=float, default=None, metavar="POS", help="pick position, fraction of the string in (0, 1)"
    )
    p.add_argument(
        "--excitation",
        choices=("pluck", "strike"),
        default="pluck",
        help="waveguide only: initial displacement or velocity",
    )
    p.add_argument("--seed", type=int, default=0, help="noise-burst seed (ks)")
    p.add_argument("--duration", type=float, default=2.0, metavar="S", help="seconds (default 2)")
    p.add_argument("--sr", type=float, default=48000, metavar="HZ", help="sample rate, Hz")
    p.add_argument("-o", "--output", required=True, metavar="OUT.wav")
    p.set_defaults(func=lambda args: cmd_pluck(args, check_out))

    b = subparsers.add_parser("bow", help="a bowed string (waveguide with a friction junction)")
    b.add_argument("--f0", type=float, required=True, metavar="HZ", help="fundamental, Hz")
    b.add_argument("--force", type=float, required=True, metavar="N", help="bow force, N (0.1-2)")
    b.add_argument("--velocity", type=float, required=True, metavar="M/S", help="bow velocity, m/s (0.05-0.5)")
    b.add_argument(
        "--position",
        type=float,
        default=0.1,
        metavar="POS",
        help="bow position, fraction of the string from the bridge in (0, 0.5]",
    )
    b.add_argument(
        "--t60", type=float, default=1.0, metavar="S", help="decay time of the free string's fundamental, s (default 1)"
    )
    b.add_argument("--duration", type=float, default=2.0, metavar="S", help="seconds (default 2)")
    b.add_argument("--sr", type=float, default=48000, metavar="HZ", help="sample rate, Hz")
    b.add_argument("-o", "--output", required=True, metavar="OUT.wav")
    b.set_defaults(func=lambda args: cmd_bow(args, check_out))

    h = subparsers.add_parser("hybrid", help="a waveguide string on a modal body (saved model)")
    h.add_argument(
        "--f0", type=float, required=True, metavar="HZ", help="fundamental of the string on a rigid bridge, Hz"
    )
    h.add_argument("--body", required=True, metavar="MODEL.npz", help="a saved ModalModel")
    h.add_argument(
        "--bridge", type=lambda t: _point(t, 3), required=True, metavar="X,Y,Z", help="bridge point on the body, m"
    )
    h.add_argument(
        "--pickup",
        type=lambda t: _point(t, 3),
        default=None,
        metavar="X,Y,Z",
        help="body pickup point, m (default: the bridge)",
    )
    h.add_argument(
        "--impedance",
        type=float,
        default=0.5,
        metavar="KG/S",
        help="string wave impedance sqrt(T mu), kg/s (default 0.5)",
    )
    h.add_argument(
        "--output-of",
        choices=("body", "string"),
        default="body",
        help="write the body velocity (default) or the string's",
    )
    h.add_argument(
        "--t60", type=float, default=3.0, metavar="S", help="decay time of the string's own fundamental, s (default 3)"
    )
    h.add_argument(
        "--t60-high",
        type=float,
        default=None,
        metavar="S",
        help="the string's decay time at high frequency, s (default: --t60)",
    )
    h.add_argument(
        "--pick",
        type=float,
        default=0.2,
        metavar="POS",
        help="pluck position, fraction of the string from the nut (default 0.2)",
    )
    h.add_argument("--duration", type=float, default=2.0, metavar="S", help="seconds (default 2)")
    h.add_argument("--sr", type=float, default=48000, metavar="HZ", help="sample rate, Hz")
    h.add_argument("-o", "--output", required=True, metavar="OUT.wav")
    h.set_defaults(func=lambda args: cmd_hybrid(args, check_out))

    m = subparsers.add_parser("mesh-drum", help="a struck rectangular 2-D waveguide mesh membrane")
    m.add_argument("--size", type=lambda t: _point(t, 2), required=True, metavar="A,B", help="membrane size, m")
    m.add_argument(
        "--c", type=float, required=True, metavar="M/S", help="wave speed sqrt(tension / areal density), m/s"
    )
    m.add_argument("--at", type=lambda t: _point(t, 2), required=True, metavar="X,Y", help="strike point, m")
    m.add_argument("--pickup", type=lambda t: _point(t, 2), required=True, metavar="X,Y", help="pickup point, m")
    m.add_argument("--t60", type=float, default=1.0, metavar="S", help="decay time, s (default 1)")
    m.add_argument("--bc", choices=("fixed", "free"), default="fixed", help="rim (default fixed)")
    m.add_argument("--duration", type=float, default=2.0, metavar="S", help="seconds (default 2)")
    m.add_argument("--sr", type=float, default=32000, metavar="HZ", help="sample rate, Hz")
    m.add_argument("-o", "--output", required=True, metavar="OUT.wav")
    m.set_defaults(func=lambda args: cmd_mesh_drum(args, check_out))
