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

import numpy as np

from physsynth._progress import step
from physsynth.cli import common
from physsynth.errors import PhyssynthError

log = logging.getLogger("physsynth")

#: Friction-law options, filled from physsynth.excitation.friction.FrictionLaw() when given
#: none (the module is imported only when the command runs, or for --help).
_LAW_OPTIONS = {"law": "kind", "mu_s": "mu_s", "mu_d": "mu_d", "vc": "v_c"}


def _check_args(args):
    """Every check that needs no model: done before any work or output."""
    if args.at is None and (args.direction is not None or args.normal is not None):
        raise PhyssynthError("--direction and --normal set a bowing point: give --at X,Y,Z too")
    if args.at is not None and args.direction is None:
        raise PhyssynthError("bowing a point (--at) needs the bow's sliding direction: --direction DX,DY,DZ")
    if args.at is not None and (args.height is not None or args.region != "outer"):
        raise PhyssynthError(
            "--height and --region choose the rubbed ring; with --at the contact "
            "is a fixed point (give one or the other)"
        )
    # two pickups on the ring by default; the contact runs --oversample steps per sample
    channels = len(args.pickup) if args.pickup else (1 if args.at is not None else 2)
    channels = common.listener_channels(args, channels)
    common.check_render(args.duration, args.sr, channels, oversample=args.oversample or 1)
    common.check_material(args)
    from physsynth.excitation.friction import PUJA_DAMPING, FrictionLaw

    d = FrictionLaw()
    for opt, name in _LAW_OPTIONS.items():
        if getattr(args, opt) is None:
            setattr(args, opt, getattr(d, name))
    if args.contact_damping is None:
        args.contact_damping = 0.0 if args.at is not None else PUJA_DAMPING
    return FrictionLaw(mu_s=args.mu_s, mu_d=args.mu_d, v_c=args.vc, kind=args.law)


def cmd_rub(args):
    out = common.output(args.output)
    if args.save_model:
        common.model_output(args.save_model)
    if args.attack is None:
        args.attack = 0.05 if args.at is not None else 0.3
    law = _check_args(args)

    from physsynth.pickups import pickup
    from physsynth.simulate.friction import bow_modal, rub

    model = common.model_from(args, args.model)
    model, listeners = common.apply_listeners(args, model)
    if args.save_model:
        model.save(args.save_model)
    sr = args.sr
    pks = listeners or ([pickup(model, p) for p in args.pickup] if args.pickup else None)
    kw = dict(
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
            r = bow_modal(model, args.at, direction=args.direction, normal=args.normal, **kw)
        else:
            r = rub(model, height=args.height, region=args.region, detune_cents=args.detune, **kw)
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
    common.write_audio(
        out, r.audio, sr=sr, fmt=args.format, headroom=args.headroom, fade=args.fade, duration=args.duration
    )
    return 0


def _friction_help(parser) -> None:
    """Show the friction law's and the puja's defaults in ``rub --help`` (imports the module)."""
    from physsynth.excitation.friction import PUJA_DAMPING, FrictionLaw

    d = FrictionLaw()
    for action in parser._actions:
        if action.dest in _LAW_OPTIONS and action.help:
            action.help = action.help.replace("%(law_default)s", str(getattr(d, _LAW_OPTIONS[action.dest])))
        elif action.dest == "contact_damping":
            action.help = action.help.replace("%(puja_default)s", f"{PUJA_DAMPING:g}")


def register(subparsers) -> None:
    """Add ``rub`` to the ``physsynth`` command."""
    p = subparsers.add_parser(
        "rub",
        help="rub a bowl's rim with a puja (or bow a point): friction-driven modes",
        description="Rub an axisymmetric object round its rim (the singing bowl), or bow a "
        "modal object at a fixed point with --at and --direction. See docs/friction-theory.md.",
    )
    p.help_hooks.append(_friction_help)
    p.add_argument("model", metavar="MESH|MODEL", help="mesh file or saved model (.npz)")
    p.add_argument(
        "--force",
        type=common.positive("N"),
        required=True,
        metavar="N",
        help="normal force of the puja or bow, N (> 0)",
    )
    p.add_argument(
        "--speed",
        type=common.positive("m/s"),
        required=True,
        metavar="M/S",
        help="sliding speed of the puja along the rim (or of the bow), m/s (> 0)",
    )
    p.add_argument("--duration", type=common.positive("s"), default=6.0, metavar="S", help="seconds (default 6)")
    g = p.add_argument_group("contact")
    g.add_argument(
        "--height",
        type=common.real("m"),
        metavar="Z",
        help="z of the rubbed ring, m (default: 4 %% of the region's height below its top)",
    )
    g.add_argument("--region", default="outer", help="surface region holding the ring (default outer)")
    g.add_argument(
        "--at",
        type=common.vector(),
        metavar="X,Y,Z",
        help="bow a fixed point instead (snapped to the nearest surface node), m",
    )
    g.add_argument(
        "--direction",
        type=common.vector(nonzero=True),
        metavar="DX,DY,DZ",
        help="with --at: the bow's sliding direction",
    )
    g.add_argument(
        "--normal",
        type=common.vector(nonzero=True),
        metavar="NX,NY,NZ",
        help="with --at: outward direction the bow presses against (default: the "
        "surface normal); write --normal=-1,0,0 for negative values",
    )
    g.add_argument(
        "--contact-damping",
        type=common.nonnegative("N s/m"),
        default=None,
        metavar="N_S_PER_M",
        help="dashpot of the contact along the normal, N s/m (default %(puja_default)s for a puja, 0 for a bow)",
    )
    g.add_argument(
        "--detune",
        type=common.real("cents", lo=-1200.0, hi=1200.0),
        default=0.0,
        metavar="CENTS",
        help="split each near-degenerate doublet by this many cents (an imperfect bowl; default 0)",
    )
    g.add_argument(
        "--attack",
        type=common.nonnegative("s"),
        default=None,
        metavar="S",
        help="force and speed rise from 0 over this time, s (default 0.3 rubbing, 0.05 bowing)",
    )
    f = p.add_argument_group("friction law")
    f.add_argument(
        "--law",
        choices=("exponential", "hyperbolic", "coulomb"),
        default=None,
        help="friction curve (default %(law_default)s: Inacio et al. 2006)",
    )
    f.add_argument(
        "--mu-s", type=common.nonnegative(), default=None, help="static coefficient (default %(law_default)s)"
    )
    f.add_argument(
        "--mu-d", type=common.nonnegative(), default=None, help="dynamic coefficient (default %(law_default)s)"
    )
    f.add_argument(
        "--vc",
        type=common.positive("m/s"),
        default=None,
        metavar="M/S",
        help="velocity scale of the friction curve, m/s (default %(law_default)s)",
    )
    r = p.add_argument_group("rendering")
    r.add_argument(
        "--pickup",
        type=common.vector(),
        action="append",
        metavar="X,Y,Z",
        help="pickup point, m (repeatable; default: two on the ring at +-60 degrees, or the bowed point)",
    )
    common.add_sr(r)
    r.add_argument(
        "--oversample",
        type=common.whole(lo=1, hi=common.MAX_OVERSAMPLE),
        default=None,
        metavar="K",
        help="time steps per sample (default: the least that keeps the friction solve unique; "
        f"at most {common.MAX_OVERSAMPLE})",
    )
    r.add_argument(
        "--quantity",
        choices=("velocity", "displacement"),
        default="velocity",
        help="what the pickups read (default velocity)",
    )
    common.add_wav(r)
    r.add_argument(
        "--fmax-render",
        type=common.positive("Hz"),
        default=None,
        metavar="HZ",
        help="leave out modes above this frequency, Hz",
    )
    common.add_listener(p)
    common.add_material(p)
    common.add_fem(p)
    common.add_fmax(p, "modes below this frequency, Hz, when computing from a mesh (default min(10000, 0.49 sr))")
    p.add_argument("--save-model", metavar="MODEL", help="also save the modal model (.npz)")
    common.add_output(p)

    p.set_defaults(func=cmd_rub)
