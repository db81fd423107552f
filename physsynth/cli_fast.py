"""Sub-commands of the fast string models: ``physsynth pluck``, ``physsynth bow``."""

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
            raise ModelParameterError("--inharmonicity needs --model ks (the waveguide string is "
                                      "ideal)")
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
        y = bow(args.f0, sr=sr, duration=args.duration, force=args.force, velocity=args.velocity,
                position=args.position, t60=args.t60)
        info["result"] = f"{y.size} samples"
    write_wav(out, fade_out(y, sr, min(0.05, args.duration / 4)), sr=sr)
    return 0


def register(subparsers, helpers):
    """Add ``pluck`` and ``bow`` to the ``physsynth`` command."""
    check_out = helpers["check_out"]
    p = subparsers.add_parser("pluck", help="a plucked string (Karplus-Strong or waveguide)")
    p.add_argument("--f0", type=float, required=True, metavar="HZ", help="fundamental, Hz")
    p.add_argument("--model", choices=("ks", "waveguide"), default="ks")
    p.add_argument("--inharmonicity", type=float, default=0.0, metavar="B",
                   help="stiffness B: partial n at n f0 sqrt(1 + B n^2) (ks only)")
    p.add_argument("--t60", type=float, default=2.0, metavar="S",
                   help="decay time of the fundamental, s (default 2)")
    p.add_argument("--t60-high", type=float, default=None, metavar="S",
                   help="decay time at high frequency (5 kHz or 4 f0), s (default: --t60)")
    p.add_argument("--pick", type=float, default=None, metavar="POS",
                   help="pick position, fraction of the string in (0, 1)")
    p.add_argument("--excitation", choices=("pluck", "strike"), default="pluck",
                   help="waveguide only: initial displacement or velocity")
    p.add_argument("--seed", type=int, default=0, help="noise-burst seed (ks)")
    p.add_argument("--duration", type=float, default=2.0, metavar="S", help="seconds (default 2)")
    p.add_argument("--sr", type=float, default=48000, metavar="HZ", help="sample rate, Hz")
    p.add_argument("-o", "--output", required=True, metavar="OUT.wav")
    p.set_defaults(func=lambda args: cmd_pluck(args, check_out))

    b = subparsers.add_parser("bow", help="a bowed string (waveguide with a friction junction)")
    b.add_argument("--f0", type=float, required=True, metavar="HZ", help="fundamental, Hz")
    b.add_argument("--force", type=float, required=True, metavar="N", help="bow force, N (0.1-2)")
    b.add_argument("--velocity", type=float, required=True, metavar="M/S",
                   help="bow velocity, m/s (0.05-0.5)")
    b.add_argument("--position", type=float, default=0.1, metavar="POS",
                   help="bow position, fraction of the string from the bridge in (0, 0.5]")
    b.add_argument("--t60", type=float, default=1.0, metavar="S",
                   help="decay time of the free string's fundamental, s (default 1)")
    b.add_argument("--duration", type=float, default=2.0, metavar="S", help="seconds (default 2)")
    b.add_argument("--sr", type=float, default=48000, metavar="HZ", help="sample rate, Hz")
    b.add_argument("-o", "--output", required=True, metavar="OUT.wav")
    b.set_defaults(func=lambda args: cmd_bow(args, check_out))
