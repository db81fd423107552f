"""The fast models: ``physsynth pluck``, ``physsynth bow``, ``physsynth hybrid``, ``physsynth mesh-drum``."""

from __future__ import annotations

from physsynth._progress import step
from physsynth.cli import common
from physsynth.errors import PhyssynthError


def _write(out, y, sr, duration, fade):
    common.write_audio(out, y, sr=sr, fade=min(fade, duration / 4), duration=duration)


def cmd_pluck(args):
    out = common.output(args.output)
    common.check_render(args.duration, args.sr)
    common.check_t60(args.t60, args.f0)
    common.check_t60(args.t60_high, args.f0, "--t60-high")
    from physsynth.models import pluck

    kw = {"t60": args.t60, "t60_high": args.t60_high, "inharmonicity": args.inharmonicity}
    if args.model == "ks":
        kw.update(pick=args.pick, seed=args.seed)
    else:
        kw.update(position=0.2 if args.pick is None else args.pick, excitation=args.excitation)
    with step(f"plucking {args.model} string at {args.f0:g} Hz") as info:
        y = pluck(args.f0, sr=args.sr, duration=args.duration, model=args.model, **kw)
        info["result"] = f"{y.size} samples"
    _write(out, y, args.sr, args.duration, 0.01)
    return 0


def cmd_bow(args):
    out = common.output(args.output)
    common.check_render(args.duration, args.sr)
    common.check_t60(args.t60, args.f0)
    from physsynth.models import bow

    with step(f"bowing a string at {args.f0:g} Hz") as info:
        y = bow(
            args.f0,
            sr=args.sr,
            duration=args.duration,
            force=args.force,
            velocity=args.velocity,
            position=args.position,
            t60=args.t60,
        )
        info["result"] = f"{y.size} samples"
    _write(out, y, args.sr, args.duration, 0.05)
    return 0


def cmd_hybrid(args):
    out = common.output(args.output)
    common.check_render(args.duration, args.sr)
    common.check_t60(args.t60, args.f0)
    common.check_t60(args.t60_high, args.f0, "--t60-high")
    from physsynth.modal.model import ModalModel
    from physsynth.models import string_on_body

    model = ModalModel.load(args.body)
    with step(f"plucking a {args.f0:g} Hz string on {args.body}") as info:
        y = string_on_body(
            args.f0,
            model,
            bridge=args.bridge,
            pickup=args.pickup,
            sr=args.sr,
            duration=args.duration,
            string_impedance=args.impedance,
            output=args.output_of,
            t60=args.t60,
            t60_high=args.t60_high,
            position=args.pick,
        )
        info["result"] = f"{y.size} samples"
    _write(out, y, args.sr, args.duration, 0.01)
    return 0


def cmd_mesh_drum(args):
    out = common.output(args.output)
    common.check_render(args.duration, args.sr)
    for name, (x, y) in (("--at", args.at), ("--pickup", args.pickup)):
        if not (0 < x < args.size[0] and 0 < y < args.size[1]):
            raise PhyssynthError(
                f"{name} {x:g},{y:g} m is outside the {args.size[0]:g} x {args.size[1]:g} m membrane "
                "(coordinates from its corner); give a point inside it"
            )
    # the junction count and its budget are the library's (waveguide_mesh_strike checks them first)
    from physsynth.models import waveguide_mesh_strike

    with step(f"striking a {args.size[0]:g} x {args.size[1]:g} m waveguide mesh") as info:
        y = waveguide_mesh_strike(
            tuple(args.size),
            c=args.c,
            sr=args.sr,
            duration=args.duration,
            at=tuple(args.at),
            pickup=tuple(args.pickup),
            t60=args.t60,
            bc=args.bc,
        )
        info["result"] = f"{y.size} samples"
    _write(out, y, args.sr, args.duration, 0.01)
    return 0


def _render(p, sr=48000):
    p.add_argument("--duration", type=common.positive("s"), default=2.0, metavar="S", help="seconds (default 2)")
    common.add_sr(p, default=sr)
    common.add_output(p)


def register(subparsers) -> None:
    """Add ``pluck``, ``bow``, ``hybrid`` and ``mesh-drum`` to the ``physsynth`` command."""
    f0 = common.positive("Hz")
    t60 = common.positive("s")
    p = subparsers.add_parser("pluck", help="a plucked string (Karplus-Strong or waveguide)")
    p.add_argument("--f0", type=f0, required=True, metavar="HZ", help="fundamental, Hz")
    p.add_argument("--model", choices=("ks", "waveguide"), default="ks")
    p.add_argument(
        "--inharmonicity",
        type=common.nonnegative(),
        default=0.0,
        metavar="B",
        help="stiffness B: partial n at n f0 sqrt(1 + B n^2) (both models; default 0)",
    )
    p.add_argument(
        "--t60",
        type=t60,
        default=2.0,
        metavar="S",
        help="decay time of the fundamental, s (default 2; at least one period)",
    )
    p.add_argument(
        "--t60-high",
        type=t60,
        default=None,
        metavar="S",
        help="decay time at high frequency (5 kHz or 4 f0), s (default: --t60)",
    )
    p.add_argument(
        "--pick",
        type=common.fraction(),
        default=None,
        metavar="POS",
        help="pick position, fraction of the string in (0, 1)",
    )
    p.add_argument(
        "--excitation",
        choices=("pluck", "strike"),
        default="pluck",
        help="waveguide only: initial displacement or velocity",
    )
    p.add_argument("--seed", type=common.seed, default=0, help="noise-burst seed (ks; 0..2^32-1)")
    _render(p)
    p.set_defaults(func=cmd_pluck)

    b = subparsers.add_parser("bow", help="a bowed string (waveguide with a friction junction)")
    b.add_argument("--f0", type=f0, required=True, metavar="HZ", help="fundamental, Hz")
    b.add_argument("--force", type=common.positive("N"), required=True, metavar="N", help="bow force, N (0.1-2)")
    b.add_argument(
        "--velocity", type=common.positive("m/s"), required=True, metavar="M/S", help="bow velocity, m/s (0.05-0.5)"
    )
    b.add_argument(
        "--position",
        type=common.fraction(hi=0.5, hi_closed=True),
        default=0.1,
        metavar="POS",
        help="bow position, fraction of the string from the bridge in (0, 0.5]",
    )
    b.add_argument(
        "--t60", type=t60, default=1.0, metavar="S", help="decay time of the free string's fundamental, s (default 1)"
    )
    _render(b)
    b.set_defaults(func=cmd_bow)

    h = subparsers.add_parser("hybrid", help="a waveguide string on a modal body (saved model)")
    h.add_argument("--f0", type=f0, required=True, metavar="HZ", help="fundamental of the string on a rigid bridge, Hz")
    h.add_argument("--body", required=True, metavar="MODEL.npz", help="a saved ModalModel")
    h.add_argument("--bridge", type=common.vector(), required=True, metavar="X,Y,Z", help="bridge point on the body, m")
    h.add_argument(
        "--pickup",
        type=common.vector(),
        default=None,
        metavar="X,Y,Z",
        help="body pickup point, m (default: the bridge)",
    )
    h.add_argument(
        "--impedance",
        type=common.positive("kg/s"),
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
        "--t60", type=t60, default=3.0, metavar="S", help="decay time of the string's own fundamental, s (default 3)"
    )
    h.add_argument(
        "--t60-high",
        type=t60,
        default=None,
        metavar="S",
        help="the string's decay time at high frequency, s (default: --t60)",
    )
    h.add_argument(
        "--pick",
        type=common.fraction(),
        default=0.2,
        metavar="POS",
        help="pluck position, fraction of the string from the nut (default 0.2)",
    )
    _render(h)
    h.set_defaults(func=cmd_hybrid)

    m = subparsers.add_parser("mesh-drum", help="a struck rectangular 2-D waveguide mesh membrane")
    m.add_argument("--size", type=common.dims(2), required=True, metavar="A,B", help="membrane size, m")
    m.add_argument(
        "--c",
        type=common.positive("m/s"),
        required=True,
        metavar="M/S",
        help="wave speed sqrt(tension / areal density), m/s",
    )
    m.add_argument("--at", type=common.vector(2), required=True, metavar="X,Y", help="strike point, m")
    m.add_argument("--pickup", type=common.vector(2), required=True, metavar="X,Y", help="pickup point, m")
    m.add_argument("--t60", type=t60, default=1.0, metavar="S", help="decay time, s (default 1)")
    m.add_argument("--bc", choices=("fixed", "free"), default="fixed", help="rim (default fixed)")
    _render(m, sr=32000)
    m.set_defaults(func=cmd_mesh_drum)
