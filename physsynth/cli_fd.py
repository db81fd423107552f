"""``physsynth fd ...``: finite-difference string, plate and membrane (docs/fd-theory.md)."""

from __future__ import annotations

import logging
import math
import re

from physsynth.errors import PhyssynthError

log = logging.getLogger("physsynth")


def _size(text: str, n: int) -> tuple[float, ...]:
    parts = [p for p in re.split(r"[xX,]", text.strip()) if p]
    try:
        v = tuple(float(p) for p in parts)
    except ValueError:
        v = ()
    if len(v) != n or not all(math.isfinite(x) and x > 0 for x in v):
        want = "LXxLYxH" if n == 3 else "LXxLY"
        raise PhyssynthError(
            f"--size takes {want} in metres (e.g. {'0.5x0.4x0.002' if n == 3 else '0.5x0.4'}), got {text!r}"
        )
    return v


def _point(text: str | None, name: str):
    if text is None:
        return None
    try:
        x, y = (float(p) for p in text.split(","))
    except ValueError:
        raise PhyssynthError(f"--{name} takes X,Y in metres, got {text!r}") from None
    return (x, y)


def _write(args, audio, out):
    from physsynth.audio import fade_out, write_wav

    audio = fade_out(audio, args.sr, min(0.05, 0.5 * args.duration))
    write_wav(out, audio, sr=args.sr, fmt=args.format)
    log.info("wrote %s", out)
    print(out)


def cmd_string(args, check_out):
    from physsynth._progress import step
    from physsynth.fd.string import render_string, stiff_string

    out = check_out(args.output)
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


def cmd_plate(args, check_out):
    from physsynth._progress import step
    from physsynth.cli import _material
    from physsynth.fd.plate import plate, render_plate

    out = check_out(args.output)
    lx, ly, H = _size(args.size, 3)
    sch = plate((lx, ly), H, _material(args), bc=args.bc, sr=args.sr, oversample=args.oversample, grid=args.grid)
    with step(f"plate: {args.duration:g} s on a {sch.nx} x {sch.ny} grid at {sch.fs:g} Hz"):
        audio = render_plate(
            sch,
            duration=args.duration,
            strike=_point(args.strike, "strike"),
            pickups=None if args.pickup is None else [_point(args.pickup, "pickup")],
            contact_time=args.contact_time,
            quantity=args.quantity,
            precision=args.precision,
        )
    _write(args, audio, out)
    return 0


def cmd_membrane(args, check_out):
    from physsynth._progress import step
    from physsynth.fd.membrane import membrane, render_membrane

    out = check_out(args.output)
    lx, ly = _size(args.size, 2)
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
            strike=_point(args.strike, "strike"),
            pickups=None if args.pickup is None else [_point(args.pickup, "pickup")],
            contact_time=args.contact_time,
            quantity=args.quantity,
        )
    _write(args, audio, out)
    return 0


def _common(p, duration=3.0):
    g = p.add_argument_group("rendering")
    g.add_argument("--duration", type=float, default=duration, help=f"seconds (default {duration:g})")
    g.add_argument("--sr", type=int, default=48000, help="sample rate, Hz (default 48000)")
    g.add_argument(
        "--quantity",
        choices=("velocity", "displacement"),
        default="velocity",
        help="what the pickup reads (default velocity)",
    )
    g.add_argument(
        "--format", default="pcm24", choices=("pcm16", "pcm24", "float32"), help="WAV sample format (default pcm24)"
    )
    p.add_argument("-o", "--output", required=True, metavar="OUT.wav")


def register(sub, helpers) -> None:
    """Add ``fd string|plate|membrane`` to the ``physsynth`` parser."""
    check_out = helpers["check_out"]
    fd = sub.add_parser("fd", help="finite-difference string, plate or membrane (time domain)")
    fsub = fd.add_subparsers(dest="fd_command", metavar="MODEL", parser_class=type(fd))
    fsub.required = True

    p = fsub.add_parser("string", help="plucked stiff string (simply supported ends)")
    p.add_argument("--f0", type=float, required=True, help="fundamental, Hz")
    p.add_argument(
        "--inharmonicity",
        type=float,
        default=0.0,
        metavar="B",
        help="f_n = n f0 sqrt(1 + B n^2) (piano A3: about 2.15e-4; default 0)",
    )
    p.add_argument("--t60", type=float, default=4.0, metavar="S", help="decay time at f0, s (default 4)")
    p.add_argument("--t60-high", type=float, metavar="S", help="decay time at min(8 f0, 0.4 sr), s (default: as --t60)")
    p.add_argument(
        "--pluck",
        type=float,
        default=0.137,
        metavar="POS",
        help="pluck position, fraction of the length (default 0.137)",
    )
    p.add_argument(
        "--pickup",
        type=float,
        default=0.83,
        metavar="POS",
        help="pickup position, fraction of the length (default 0.83)",
    )
    p.add_argument("--oversample", type=int, help="scheme rate = sr x this (default: automatic)")
    _common(p)
    p.set_defaults(func=lambda a: cmd_string(a, check_out))

    p = fsub.add_parser("plate", help="struck Kirchhoff plate")
    p.add_argument("--size", required=True, metavar="LXxLYxH", help="sides and thickness, m")
    p.add_argument(
        "--bc",
        default="supported",
        metavar="BC",
        help="supported, clamped or free on all four edges (default supported), or "
        "four comma-separated for the edges x=0, x=LX, y=0, y=LY, e.g. "
        "clamped,free,free,free (a cantilever); the rigid-body motion of a "
        "free or hinged plate is subtracted from the output",
    )
    p.add_argument("--strike", metavar="X,Y", help="strike point, m (default 0.37 LX, 0.29 LY)")
    p.add_argument("--pickup", metavar="X,Y", help="pickup point, m (default 0.71 LX, 0.63 LY)")
    p.add_argument(
        "--contact-time",
        type=float,
        default=5e-4,
        metavar="S",
        help="duration of the raised-cosine force, s (default 0.0005)",
    )
    p.add_argument("--grid", type=float, metavar="H", help="grid spacing, m (default: the stability limit)")
    p.add_argument("--oversample", type=int, default=1, help="scheme rate = sr x this (default 1)")
    p.add_argument(
        "--precision",
        choices=("double", "single"),
        default="double",
        help="float type of the grid (default double; single runs ~1.3x faster in "
        "cache and drifts ~-60 dB from double in a second)",
    )
    helpers["add_material"](p, default="steel")
    _common(p)
    p.set_defaults(func=lambda a: cmd_plate(a, check_out))

    p = fsub.add_parser("membrane", help="struck rectangular membrane (fixed or free edges)")
    p.add_argument("--size", required=True, metavar="LXxLY", help="sides, m")
    p.add_argument("--tension", type=float, metavar="N_PER_M", help="tension, N/m")
    p.add_argument("--areal-density", type=float, metavar="KG_M2", help="mass per area, kg/m^2")
    p.add_argument("--wave-speed", type=float, metavar="M_S", help="instead of --tension, m/s")
    p.add_argument("--t60", type=float, default=3.0, metavar="S", help="decay time, s (default 3)")
    p.add_argument(
        "--bc",
        default="fixed",
        metavar="BC",
        help="fixed or free for all edges, or four comma-separated values for the "
        "edges x=0, x=LX, y=0, y=LY (e.g. free,fixed,free,free); default fixed. "
        "An all-free membrane's rigid translation is subtracted from the output",
    )
    p.add_argument("--strike", metavar="X,Y", help="strike point, m (default 0.37 LX, 0.29 LY)")
    p.add_argument("--pickup", metavar="X,Y", help="pickup point, m (default 0.71 LX, 0.63 LY)")
    p.add_argument(
        "--contact-time",
        type=float,
        default=1e-3,
        metavar="S",
        help="duration of the raised-cosine force, s (default 0.001)",
    )
    p.add_argument("--grid", type=float, metavar="H", help="grid spacing, m (default: the stability limit)")
    p.add_argument("--oversample", type=int, default=1, help="scheme rate = sr x this (default 1)")
    _common(p)
    p.set_defaults(func=lambda a: cmd_membrane(a, check_out))
