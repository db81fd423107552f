"""``physsynth rub``: rub a bowl's rim with a puja, or bow a modal object at a point.

    physsynth rub bowl.npz --force 10 --speed 0.15 --duration 8 -o sing.wav
    physsynth rub meshes/tibetan_bowl_180.msh --material bell_bronze --fmax 3000 \\
        --force 10 --speed 0.15 --duration 8 -o sing.wav
    physsynth rub bar.npz --at 0,0.006,0.003 --direction 0,0,1 --force 2 --speed 0.2 \\
        --duration 3 -o bowed_bar.wav

Without ``--at`` the puja runs round the ring where the plane z = ``--height`` cuts the surface
region ``--region`` (default ``outer``; the object must be axisymmetric about z). With ``--at``
the contact is fixed (bowing) and ``--speed`` is the bow's speed along ``--direction``. The
model is a saved ModalModel (.npz) or a mesh with a material, as for ``physsynth strike``.
Theory: docs/friction-theory.md.
"""

from __future__ import annotations

import logging
import math

log = logging.getLogger("physsynth")


def _positive(name, value, unit, allow_zero=False):
    from physsynth.errors import PhyssynthError

    ok = value is not None and math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise PhyssynthError(f"{name} must be a finite number {bound}{unit}, got {value}")
    return float(value)


def _check_args(args):
    """Every check that needs no model: done before any work or output."""
    from physsynth.errors import PhyssynthError
    from physsynth.excitation.friction import FrictionLaw

    _positive("--force", args.force, " N")
    _positive("--speed", args.speed, " m/s")
    _positive("--duration", args.duration, " s")
    if not (args.sr > 0 and float(args.sr).is_integer()):
        raise PhyssynthError(f"--sr must be a positive whole number of Hz, got {args.sr}")
    _positive("--attack", args.attack, " s", allow_zero=True)
    _positive("--contact-damping", args.contact_damping, " N s/m", allow_zero=True)
    if not math.isfinite(args.detune):
        raise PhyssynthError(f"--detune must be a finite number of cents, got {args.detune}")
    if args.oversample is not None and args.oversample < 1:
        raise PhyssynthError(f"--oversample must be >= 1, got {args.oversample}")
    if args.at is None and (args.direction is not None or args.normal is not None):
        raise PhyssynthError("--direction and --normal set a bowing point: give --at X,Y,Z too")
    if args.at is not None and args.direction is None:
        raise PhyssynthError("bowing a point (--at) needs the bow's sliding direction: --direction DX,DY,DZ")
    if args.at is not None and (args.height is not None or args.region != "outer"):
        raise PhyssynthError(
            "--height and --region choose the rubbed ring; with --at the contact "
            "is a fixed point (give one or the other)"
        )
    if args.duration * args.sr > 2**31:
        raise PhyssynthError("--duration too long for one render")
    return FrictionLaw(mu_s=args.mu_s, mu_d=args.mu_d, v_c=args.vc, kind=args.law)


def cmd_rub(args, check_out):
    import numpy as np

    from physsynth import cli
    from physsynth._progress import step
    from physsynth.audio import fade_out, write_wav
    from physsynth.excitation.friction import bow_modal, rub
    from physsynth.render import pickup

    out = check_out(args.output)
    if args.save_model:
        check_out(args.save_model)
    law = _check_args(args)
    model = cli._model_from(args, args.model)
    if args.save_model:
        model.save(args.save_model)
    sr = int(args.sr)
    pks = [pickup(model, p) for p in args.pickup] if args.pickup else None
    common = dict(
        force=args.force,
        speed=args.speed,
        duration=args.duration,
        sr=sr,
        law=law,
        pickups=pks,
        attack=args.attack,
        oversample=args.oversample,
        quantity=args.quantity,
        fmax=args.fmax_render,
        contact_damping=args.contact_damping,
    )
    what = f"bowing at {args.at.tolist()} m" if args.at is not None else f"rubbing the rim ({args.region})"
    with step(
        f"{what}: {args.force:g} N at {args.speed:g} m/s for {args.duration:g} s ({model.n_modes} modes)"
    ) as info:
        if args.at is not None:
            if args.detune:
                from physsynth.excitation.friction import detune_doublets

                model = detune_doublets(model, args.detune)
            r = bow_modal(model, args.at, direction=args.direction, normal=args.normal, **common)
        else:
            r = rub(model, height=args.height, region=args.region, detune_cents=args.detune, **common)
        info["result"] = f"{r.oversample} step(s) per sample"
    log.info("contact: %s", r.path.description)
    k = int(r.growth.argmax())
    if not np.isfinite(r.threshold).any():
        log.warning(
            "at %g m/s the friction curve is flat (mu' = 0): friction cannot feed any "
            "mode; expect no sustained tone (raise --vc or lower --speed)",
            args.speed,
        )
    elif r.growth[k] <= 0:
        log.warning(
            "%g N is below the threshold force (%.3g N, the %.2f Hz mode) at which "
            "sliding at %g m/s makes any mode grow: expect no sustained tone (raise "
            "--force or lower --speed)",
            args.force,
            float(r.threshold.min()),
            r.frequencies[int(r.threshold.argmin())],
            args.speed,
        )
    else:
        log.info(
            "most unstable mode %.2f Hz: threshold %.3g N, linear growth %.3g 1/s",
            r.frequencies[k],
            r.threshold[k],
            r.growth[k],
        )
    audio = r.audio
    if args.fade > 0:
        audio = fade_out(audio, sr, min(args.fade, 0.5 * args.duration))
    write_wav(out, audio, sr=sr, fmt=args.format, headroom_db=args.headroom)
    log.info("wrote %s", out)
    print(out)
    return 0


def register(subparsers, helpers):
    """Add ``rub`` to the ``physsynth`` command."""
    from physsynth import cli
    from physsynth.excitation.friction import PUJA_DAMPING, FrictionLaw

    check_out = helpers["check_out"]
    d = FrictionLaw()
    p = subparsers.add_parser(
        "rub",
        help="rub a bowl's rim with a puja (or bow a point): friction-driven modes",
        description="Rub an axisymmetric object round its rim (the singing bowl), or bow a "
        "modal object at a fixed point with --at and --direction. See docs/friction-theory.md.",
    )
    p.add_argument("model", metavar="MESH|MODEL", help="mesh file or saved model (.npz)")
    p.add_argument("--force", type=float, required=True, metavar="N", help="normal force of the puja or bow, N (> 0)")
    p.add_argument(
        "--speed",
        type=float,
        required=True,
        metavar="M/S",
        help="sliding speed of the puja along the rim (or of the bow), m/s (> 0)",
    )
    p.add_argument("--duration", type=float, default=6.0, metavar="S", help="seconds (default 6)")
    g = p.add_argument_group("contact")
    g.add_argument(
        "--height",
        type=float,
        metavar="Z",
        help="z of the rubbed ring, m (default: 4 %% of the region's height below its top)",
    )
    g.add_argument("--region", default="outer", help="surface region holding the ring (default outer)")
    g.add_argument(
        "--at",
        type=cli._vector,
        metavar="X,Y,Z",
        help="bow a fixed point instead (snapped to the nearest surface node), m",
    )
    g.add_argument("--direction", type=cli._vector, metavar="DX,DY,DZ", help="with --at: the bow's sliding direction")
    g.add_argument(
        "--normal",
        type=cli._vector,
        metavar="NX,NY,NZ",
        help="with --at: outward direction the bow presses against (default: the "
        "surface normal); write --normal=-1,0,0 for negative values",
    )
    g.add_argument(
        "--contact-damping",
        type=float,
        default=None,
        metavar="N_S_PER_M",
        help=f"dashpot of the contact along the normal, N s/m (default {PUJA_DAMPING:g} for a puja, 0 for a bow)",
    )
    g.add_argument(
        "--detune",
        type=float,
        default=0.0,
        metavar="CENTS",
        help="split each near-degenerate doublet by this many cents (an imperfect bowl; default 0)",
    )
    g.add_argument(
        "--attack",
        type=float,
        default=None,
        metavar="S",
        help="force and speed rise from 0 over this time, s (default 0.3 rubbing, 0.05 bowing)",
    )
    f = p.add_argument_group("friction law")
    f.add_argument(
        "--law",
        choices=("exponential", "hyperbolic", "coulomb"),
        default=d.kind,
        help=f"friction curve (default {d.kind}: Inacio et al. 2006)",
    )
    f.add_argument("--mu-s", type=float, default=d.mu_s, help=f"static coefficient (default {d.mu_s})")
    f.add_argument("--mu-d", type=float, default=d.mu_d, help=f"dynamic coefficient (default {d.mu_d})")
    f.add_argument(
        "--vc",
        type=float,
        default=d.v_c,
        metavar="M/S",
        help=f"velocity scale of the friction curve, m/s (default {d.v_c})",
    )
    r = p.add_argument_group("rendering")
    r.add_argument(
        "--pickup",
        type=cli._vector,
        action="append",
        metavar="X,Y,Z",
        help="pickup point, m (repeatable; default: two on the ring at +-60 degrees, or the bowed point)",
    )
    r.add_argument("--sr", type=float, default=48000, metavar="HZ", help="sample rate, Hz (default 48000)")
    r.add_argument(
        "--oversample",
        type=int,
        default=None,
        metavar="K",
        help="time steps per sample (default: the least that keeps the friction solve unique)",
    )
    r.add_argument(
        "--quantity",
        choices=("velocity", "displacement"),
        default="velocity",
        help="what the pickups read (default velocity)",
    )
    r.add_argument(
        "--format", default="pcm24", choices=("pcm16", "pcm24", "float32"), help="WAV sample format (default pcm24)"
    )
    r.add_argument("--headroom", type=float, default=1.0, help="peak level below full scale, dB")
    r.add_argument("--fade", type=float, default=0.05, metavar="S", help="fade-out at the end, s (default 0.05; 0 off)")
    r.add_argument(
        "--fmax-render", type=float, default=None, metavar="HZ", help="leave out modes above this frequency, Hz"
    )
    helpers["add_material"](p)
    cli._add_fem(p)
    p.add_argument(
        "--fmax",
        type=float,
        help="modes below this frequency, Hz, when computing from a mesh (default min(10000, 0.49 sr))",
    )
    p.add_argument("--save-model", metavar="MODEL", help="also save the modal model (.npz)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.wav")

    def run(args):
        bowing = args.at is not None
        if args.contact_damping is None:
            args.contact_damping = 0.0 if bowing else PUJA_DAMPING
        if args.attack is None:
            args.attack = 0.05 if bowing else 0.3
        return cmd_rub(args, check_out)

    p.set_defaults(func=run)
