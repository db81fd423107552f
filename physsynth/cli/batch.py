"""``physsynth batch``: render a sweep spec into a dataset, on Dask or serially."""

from __future__ import annotations

import sys

from physsynth.cli import common
from physsynth.errors import PhyssynthError


def cmd_batch(args):
    from physsynth.batch import EXCITATIONS, load_spec, run_batch
    from physsynth.batch.dataset import Dataset
    from physsynth.batch.excitations import REQUIRED

    if args.kinds:
        for name, kind in sorted(EXCITATIONS.items()):
            state = "" if kind.available() else f" (needs {kind.requires}: not installed)"
            params = ", ".join(p.name if p.default is REQUIRED else f"{p.name}={p.default!r}" for p in kind.params)
            print(f"{name}: {kind.doc}{state}; parameters: {params}")
        return 0
    if args.spec is None or args.output is None:
        raise PhyssynthError("physsynth batch needs a SPEC file and -o DATASET/ (see `physsynth batch --help`)")
    workers = 0 if args.serial else args.workers
    if args.serial and args.workers not in (None, 0):
        raise PhyssynthError("give --serial or --workers N, not both")
    if args.scheduler is not None and workers is not None:
        raise PhyssynthError(
            "--workers and --serial are for the local cluster; with --scheduler the cluster's own workers are used"
        )
    pickups = None
    if args.listener:  # --listener: every item heard at these points instead of the spec's pickups
        common.check_listener_args(args)
        table = {"name": "listener", "listen": [p if isinstance(p, str) else list(p) for p in args.listener]}
        if args.radiation is not None:
            table["radiation"] = args.radiation
        if args.floor is not None:
            table["floor"] = args.floor
        table["radiation_damping"] = args.radiation_damping
        pickups = [table]
    elif args.radiation is not None or args.floor is not None or not args.radiation_damping:
        raise PhyssynthError(
            "--radiation, --floor and --no-radiation-damping go with --listener X,Y,Z (or a spec's listen = [...])"
        )
    sweep = load_spec(args.spec, pickups=pickups)  # a bad spec stops here, before the dataset is touched
    Dataset(args.output).check()
    if args.dry_run:
        print(f"items: {len(sweep)}")
        print(f"models: {len(sweep.models)}")
        for it in sweep.items:
            e = it.params["excitation"]
            print(
                f"{it.id}  {it.params['mesh']['name']}  {it.params['material']['name']}  "
                f"{e['kind']}  {it.params['duration']:g} s  {it.params['sr']} Hz"
            )
        return 0
    report = run_batch(
        sweep, args.output, scheduler=args.scheduler, workers=workers, progress=not args.quiet, chunk=args.chunk
    )
    for line in report.lines():
        print(line)
    if report.failed or report.unfinished:
        print(
            f"physsynth: {report.failed} item(s) failed and {report.unfinished} are unfinished "
            f"(status and error are in {report.table}); run the same command again to retry "
            "them",
            file=sys.stderr,
        )
        return 1
    return 0


def register(subparsers) -> None:
    """Add ``batch`` to the ``physsynth`` command."""
    p = subparsers.add_parser(
        "batch",
        help="render a sweep (meshes x materials x excitations ...) into a dataset",
        description="Render every item of a sweep spec (TOML, YAML or JSON; see docs/batch.md) "
        "into DATASET/: wav/<id>.wav, meta/<id>.json and metadata.csv. Runs on a local Dask "
        "cluster by default; re-running finishes only what is missing.",
    )
    p.add_argument("spec", nargs="?", metavar="SPEC", help="sweep spec (.toml, .yaml, .json)")
    p.add_argument("-o", "--output", metavar="DATASET", help="dataset directory (created)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running Dask scheduler, e.g. tcp://10.0.0.1:8786 (default: a local cluster)",
    )
    p.add_argument(
        "--workers",
        type=common.whole(lo=0, hi=common.max_workers()),
        metavar="N",
        help="local cluster size, processes of one thread (default: the CPU count; at most twice it); "
        "0 runs serially without Dask",
    )
    p.add_argument(
        "--serial", action="store_true", help="run in this process, without Dask (the same bytes; for debugging)"
    )
    p.add_argument(
        "--chunk",
        type=common.whole(lo=1, hi=100_000),
        metavar="K",
        help="items per Dask task (default: about four tasks per worker and model, at most 16 items each)",
    )
    p.add_argument("--dry-run", action="store_true", help="list the items and their IDs, render nothing")
    p.add_argument("--kinds", action="store_true", help="list the excitation kinds and exit")
    common.add_listener(p)
    p.set_defaults(func=cmd_batch)
