"""``physsynth fd ...``: finite-difference string, plate and membrane (docs/fd-theory.md)."""

from __future__ import annotations

import logging

from physsynth._progress import step
from physsynth.cli import common

log = logging.getLogger("physsynth")


def _write(args, audio, out):
    common.write_audio(out, audio, sr=args.sr, fmt=args.format, fade=0.05, duration=args.duration)


def cmd_string(args):
    out = common.output(args.output)
    # the automatic choice goes up to 8 steps per sample
    common.check_render(args.duration, args.sr, 1, oversample=args.oversample or 8)
    common.check_t60(args.t60, args.f0)
    common.check_t60(args.t60_high, args.f0, "--t60-high")
    from physsynth.fd.string import render_string, stiff_string

    # the design is cheap; render_string checks the grid's memory and time before allocating
    sch = stiff_string(
        args.f0,
        inharmonicity=args.inharmonicity,
        t60=args.t60,
        t60_high=args.t60_high,
        sr=args.sr,
        oversample=args.oversample,
    )
    with step(f"stiff string: {args.duration:g} s, {sch.N} grid intervals at {sch.fs:g} Hz") as s:
        audio = render_string(sch, duration=args.duration, pluck=args.pluck, pickup=args.pickup, quantity=args.quantity)
        s["result"] = f"partials 1-3 at {', '.join(f'{f:.2f}' for f in sch.partials(3))} Hz"
    _write(args, audio, out)
    return 0


def cmd_plate(args):
    out = common.output(args.output)
    common.check_render(args.duration, args.sr, 1, oversample=args.oversample)
    common.check_material(args)
    from physsynth.fd.plate import plate, render_plate

    lx, ly, H = args.size
    material = common.material_from(args)
    # the design is cheap; render_plate checks the grid's memory and time before allocating
    sch = plate((lx, ly), H, material, bc=args.bc, sr=args.sr, oversample=args.oversample, grid=args.grid)
    with step(f"plate: {args.duration:g} s on a {sch.nx} x {sch.ny} grid at {sch.fs:g} Hz"):
        audio = render_plate(
            sch,
            duration=args.duration,
            strike=args.strike,
            pickups=None if args.pickup is None else [args.pickup],
            contact_time=args.contact_time,
            quantity=args.quantity,
            precision=args.precision,
        )
    _write(args, audio, out)
    return 0


def cmd_membrane(args):
    out = common.output(args.output)
    common.check_render(args.duration, args.sr, 1, oversample=args.oversample)
    from physsynth.fd.membrane import membrane, render_membrane

    lx, ly = args.size
    # the design is cheap; render_membrane checks the grid's memory and time before allocating
    sch = membrane(
        (lx, ly),
        tension=args.tension,
        areal_density=args.areal_density,
        wave_speed=args.wave_speed,
        t60=args.t60,
        bc=args.bc,
        sr=args.sr,
        oversample=args.oversample,
        grid=args.grid,
    )
    with step(f"membrane: {args.duration:g} s on a {sch.nx} x {sch.ny} grid at {sch.fs:g} Hz"):
        audio = render_membrane(
            sch,
            duration=args.duration,
            strike=args.strike,
            pickups=None if args.pickup is None else [args.pickup],
            contact_time=args.contact_time,
            quantity=args.quantity,
        )
    _write(args, audio, out)
    return 0


def _common(p, duration=3.0):
    g = p.add_argument_group("rendering")
    common.add_duration(g, duration)
    common.add_sr(g)
    g.add_argument(
        "--quantity",
        choices=("velocity", "displacement"),
        default="velocity",
        help="what the pickup reads (default velocity)",
    )
    common.add_wav(g, headroom=False, fade=False)
    common.add_output(p)


def _xy(p, what, default):
    p.add_argument(f"--{what}", type=common.vector(2), metavar="X,Y", help=f"{what} point, m (default {default})")


def _oversample(p, default, help):
    p.add_argument("--oversample", type=common.whole(lo=1, hi=common.MAX_OVERSAMPLE), default=default, help=help)


def register(sub) -> None:
    """Add ``fd string|plate|membrane`` to the ``physsynth`` parser."""
    fd = sub.add_parser("fd", help="finite-difference string, plate or membrane (time domain)")
    fsub = fd.add_subparsers(dest="fd_command", metavar="MODEL", parser_class=type(fd))
    fsub.required = True

    p = fsub.add_parser("string", help="plucked stiff string (simply supported ends)")
    p.add_argument("--f0", type=common.positive("Hz"), required=True, help="fundamental, Hz")
    p.add_argument(
        "--inharmonicity",
        type=common.nonnegative(),
        default=0.0,
        metavar="B",
        help="f_n = n f0 sqrt(1 + B n^2) (piano A3: about 2.15e-4; default 0)",
    )
    p.add_argument("--t60", type=common.t60_type(), default=4.0, metavar="S", help="decay time at f0, s (default 4)")
    p.add_argument(
        "--t60-high",
        type=common.t60_type(),
        metavar="S",
        help="decay time at min(8 f0, 0.4 sr), s (default: as --t60)",
    )
    p.add_argument(
        "--pluck",
        type=common.fraction(),
        default=0.137,
        metavar="POS",
        help="pluck position, fraction of the length (default 0.137)",
    )
    p.add_argument(
        "--pickup",
        type=common.fraction(),
        default=0.83,
        metavar="POS",
        help="pickup position, fraction of the length (default 0.83)",
    )
    _oversample(p, None, f"scheme rate = sr x this (default: automatic; at most {common.MAX_OVERSAMPLE})")
    _common(p)
    p.set_defaults(func=cmd_string)

    p = fsub.add_parser("plate", help="struck Kirchhoff plate")
    p.add_argument("--size", type=common.dims(3), required=True, metavar="LXxLYxH", help="sides and thickness, m")
    p.add_argument(
        "--bc",
        default="supported",
        metavar="BC",
        help="supported, clamped or free on all four edges (default supported), or "
        "four comma-separated for the edges x=0, x=LX, y=0, y=LY, e.g. "
        "clamped,free,free,free (a cantilever); the rigid-body motion of a "
        "free or hinged plate is subtracted from the output",
    )
    _xy(p, "strike", "0.37 LX, 0.29 LY")
    _xy(p, "pickup", "0.71 LX, 0.63 LY")
    p.add_argument(
        "--contact-time",
        type=common.positive("s", hi=1.0),
        default=5e-4,
        metavar="S",
        help="duration of the raised-cosine force, s (default 0.0005)",
    )
    p.add_argument(
        "--grid", type=common.positive("m"), metavar="H", help="grid spacing, m (default: the stability limit)"
    )
    _oversample(p, 1, f"scheme rate = sr x this (default 1; at most {common.MAX_OVERSAMPLE})")
    p.add_argument(
        "--precision",
        choices=("double", "single"),
        default="double",
        help="float type of the grid (default double; single runs ~1.3x faster in "
        "cache and drifts ~-60 dB from double in a second)",
    )
    common.add_material(p, default="steel")
    _common(p)
    p.set_defaults(func=cmd_plate)

    p = fsub.add_parser("membrane", help="struck rectangular membrane (fixed or free edges)")
    p.add_argument("--size", type=common.dims(2), required=True, metavar="LXxLY", help="sides, m")
    p.add_argument("--tension", type=common.positive("N/m"), metavar="N_PER_M", help="tension, N/m")
    p.add_argument("--areal-density", type=common.positive("kg/m^2"), metavar="KG_M2", help="mass per area, kg/m^2")
    p.add_argument("--wave-speed", type=common.positive("m/s"), metavar="M_S", help="instead of --tension, m/s")
    p.add_argument(
        "--t60",
        type=common.t60_type(lo=common.MIN_T60),
        default=3.0,
        metavar="S",
        help=f"decay time, s (default 3; at least {common.MIN_T60:g}; inf: lossless)",
    )
    p.add_argument(
        "--bc",
        default="fixed",
        metavar="BC",
        help="fixed or free for all edges, or four comma-separated values for the "
        "edges x=0, x=LX, y=0, y=LY (e.g. free,fixed,free,free); default fixed. "
        "An all-free membrane's rigid translation is subtracted from the output",
    )
    _xy(p, "strike", "0.37 LX, 0.29 LY")
    _xy(p, "pickup", "0.71 LX, 0.63 LY")
    p.add_argument(
        "--contact-time",
        type=common.positive("s", hi=1.0),
        default=1e-3,
        metavar="S",
        help="duration of the raised-cosine force, s (default 0.001)",
    )
    p.add_argument(
        "--grid", type=common.positive("m"), metavar="H", help="grid spacing, m (default: the stability limit)"
    )
    _oversample(p, 1, f"scheme rate = sr x this (default 1; at most {common.MAX_OVERSAMPLE})")
    _common(p)
    p.set_defaults(func=cmd_membrane)
