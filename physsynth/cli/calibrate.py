"""``physsynth analyse`` and ``physsynth fit``: a recording's partials, and a model calibrated to them."""

from __future__ import annotations

import json
import logging
import os
import sys

from physsynth._io import atomic_path
from physsynth._progress import step
from physsynth.cli import common
from physsynth.errors import AudioError, PhyssynthError

log = logging.getLogger("physsynth")

#: What --vary accepts (physsynth.calibrate.fit.SCALES and nu; kept here so that a refusal
#: needs no numerical import).
VARY = ("E", "rho", "thickness", "size", "nu")
DAMPING = ("loss", "rayleigh", "per-mode")


def _vary(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in str(text).split(",") if p.strip())
    bad = [p for p in parts if p not in VARY]
    if bad or not parts:
        raise PhyssynthError(f"--vary takes a comma list of {', '.join(VARY)}, got {text!r}")
    scales = [p for p in parts if p != "nu"]
    if len(scales) > 1:
        raise PhyssynthError(
            f"--vary {','.join(scales)}: these all scale every frequency alike, so a recording fixes only their "
            "combination; vary one of them (e.g. --vary E, keeping rho)"
        )
    return parts


def _check_outputs(args, names) -> None:
    """Every output path checked before any work (a figure's format too)."""
    for attr, what in names:
        path = getattr(args, attr, None)
        if path:
            common.output(path, stdout=False, what=what)
    if getattr(args, "plot", None):
        from physsynth.viz._mpl import check_image_path

        check_image_path(args.plot)


def _read(path: str, channel):
    if not os.path.exists(path):
        raise AudioError(f"recording not found: {path}")
    from physsynth.audio import read_wav

    x, sr = read_wav(path)
    if channel is not None:
        if not 0 <= channel < x.shape[0]:
            raise AudioError(f"--channel {channel} does not exist: {path} has {x.shape[0]} channel(s), numbered from 0")
        x = x[channel]
    return x, sr


def _write_text(path: str, text: str) -> None:
    with atomic_path(path, PhyssynthError) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    log.info("wrote %s", path)


def _analysis(args, x, sr):
    from physsynth.calibrate.esprit import analyse

    with step(f"analysing {args.recording} ({x.shape[-1] / sr:.2f} s at {sr} Hz)"):
        return analyse(
            x,
            sr=sr,
            fmin=args.fmin,
            fmax=args.fmax_partials,
            threshold_db=args.threshold,
            max_partials=args.max_partials,
        )


def cmd_analyse(args):
    _check_outputs(args, (("csv", "a CSV table"), ("plot", "a figure")))
    x, sr = _read(args.recording, args.channel)
    an = _analysis(args, x, sr)
    if args.csv:
        _write_text(args.csv, an.to_csv())
    if args.plot:
        from physsynth.calibrate.report import plot_analysis
        from physsynth.viz import save_figure

        save_figure(plot_analysis(x, an, sr=sr), args.plot)
        log.info("wrote %s", args.plot)
    for w in an.warnings:
        log.warning("warning: %s", w)
    if args.json:
        sys.stdout.write(an.dumps() + "\n")
    else:
        print(an.table())
    return 0


def cmd_fit(args):
    vary = _vary(args.vary)
    if args.output:
        common.model_output(args.output)
    _check_outputs(args, (("report", "a JSON report"), ("resynth", "a WAV file"), ("plot", "a figure")))
    common.check_material(args)
    x, sr = _read(args.recording, args.channel)
    an = _analysis(args, x, sr)
    fmax = args.fmax if args.fmax is not None or args.n_modes is not None else min(10000.0, 0.49 * sr)
    model = common.model_from(args, args.model, n_modes=args.n_modes, fmax=fmax)
    from physsynth.calibrate.fit import fit_model, resynthesise, score

    with step(f"fitting {model.n_modes} modes to {an.n_partials} partials"):
        fit = fit_model(model, an, vary=vary, damping=args.damping, force=args.force)
    at = args.at
    if at is None:
        from physsynth.calibrate.fit import locate_strike

        at = locate_strike(fit)
        log.warning(
            "warning: no --at given: scoring with a strike at (%.4g, %.4g, %.4g) m, the surface point whose "
            "response best explains the partials' levels; give the point where the recording was struck",
            *at,
        )
    with step("resynthesis before and after, and its spectral loss"):
        fit = score(fit, x, sr=sr, at=at, mallet=args.mallet)
    if args.output:
        path = fit.model.save(args.output)
        log.info("saved the calibrated model to %s", path)
    if args.report:
        _write_text(args.report, fit.dumps() + "\n")
    if args.resynth:
        y = resynthesise(fit.model, at=at, sr=sr, n=x.shape[-1], onset=an.onset, mallet=args.mallet)
        from physsynth.audio import fade_out, write_wav

        # written beside the table, not announced on stdout (which --json keeps for the report)
        write_wav(args.resynth, fade_out(y, sr=sr, seconds=0.05), sr=sr, fmt="pcm24", headroom_db=1.0)
        log.info("wrote %s", args.resynth)
    if args.plot:
        from physsynth.calibrate.report import plot_fit
        from physsynth.viz import save_figure

        save_figure(plot_fit(fit), args.plot)
        log.info("wrote %s", args.plot)
    for w in fit.warnings:
        log.warning("warning: %s", w)
    if args.json:
        sys.stdout.write(json.dumps(fit.report()) + "\n")
    else:
        print(fit.table())
    return 0


def _add_analysis(p, fmax_flag: str) -> None:
    g = p.add_argument_group("analysis")
    g.add_argument("--fmin", type=common.positive("Hz"), default=20.0, help="lowest partial, Hz (default 20)")
    g.add_argument(
        fmax_flag,
        dest="fmax_partials",
        type=common.positive("Hz", hi=common.MAX_FMAX),
        help="highest partial, Hz (default min(20000, 0.45 sr))",
    )
    g.add_argument(
        "--threshold",
        type=common.positive("dB", hi=200.0),
        default=20.0,
        metavar="DB",
        help="how far a peak must stand above the noise floor, dB (default 20)",
    )
    g.add_argument(
        "--max-partials", type=common.whole(lo=1, hi=10000), default=100, help="most partials analysed (default 100)"
    )
    g.add_argument("--channel", type=common.whole(lo=0), help="analyse one channel (default: all summed)")


def register(sub) -> None:
    """Add ``analyse`` and ``fit``."""
    p = sub.add_parser("analyse", help="partials of a recording: frequency, T60, level, phase, doublets (ESPRIT)")
    p.add_argument("recording", metavar="REC.wav", help="recording of a struck or rubbed object")
    _add_analysis(p, "--fmax")
    p.add_argument("--json", action="store_true", help="print only a JSON object on stdout")
    p.add_argument("--csv", metavar="OUT.csv", help="also write the table as CSV")
    p.add_argument("--plot", metavar="OUT.png", help="also draw the partials over the spectrogram")
    p.set_defaults(func=cmd_analyse)

    p = sub.add_parser("fit", help="calibrate a mesh's or model's material and damping to a recording")
    p.add_argument("model", metavar="MESH|MODEL", help="mesh file or saved model (.npz)")
    p.add_argument("recording", metavar="REC.wav", help="recording of the object struck")
    p.add_argument(
        "--vary",
        default="E",
        metavar="LIST",
        help="what may change: one of E, rho, thickness, size (each scales every frequency alike), and/or nu "
        "(default E)",
    )
    p.add_argument("--damping", choices=DAMPING, default="loss", help="damping law fitted (default loss)")
    p.add_argument(
        "--at", type=common.vector(), metavar="X,Y,Z", help="where the recording was struck, m (for the resynthesis)"
    )
    p.add_argument(
        "--mallet",
        choices=("soft", "medium", "hard"),
        default="medium",
        help="strike pulse of the resynthesis (default medium, 1 ms)",
    )
    p.add_argument("--force", action="store_true", help="fit even a recording that pairs poorly (doubts as warnings)")
    _add_analysis(p, "--fmax-partials")
    common.add_material(p)
    common.add_fem(p)
    p.add_argument("--n-modes", type=common.whole(lo=1), help="modes computed from a mesh")
    common.add_fmax(p, "modes below this frequency, Hz, when computing from a mesh (default min(10000, 0.49 sr))")
    p.add_argument("-o", "--output", metavar="MODEL", help="save the calibrated model (.npz)")
    p.add_argument("--report", metavar="REPORT.json", help="write the report (pairs, errors, losses) as JSON")
    p.add_argument("--resynth", metavar="OUT.wav", help="write the calibrated model's resynthesis")
    p.add_argument("--plot", metavar="OUT.png", help="draw cents and T60 errors before and after")
    p.add_argument("--json", action="store_true", help="print only the JSON report on stdout")
    p.set_defaults(func=cmd_fit)
