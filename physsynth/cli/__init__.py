"""The ``physsynth`` command: one module per family of sub-commands.

=================  ==============================================================
module             sub-commands
=================  ==============================================================
``cli.modal``      ``modes``, ``strike``, ``materials``, ``demo``
``cli.fd``         ``fd string``, ``fd plate``, ``fd membrane``
``cli.fast``       ``pluck``, ``bow``, ``hybrid``, ``mesh-drum``
``cli.viz``        ``plot-modes``, ``animate``, ``spectrum``, ``export``
``cli.score``      ``play``
``cli.batch``      ``batch``
``cli.rub``        ``rub``
``cli.calibrate``  ``analyse``, ``fit``
``cli.axisym``     ``tune``, and ``modes PROFILE`` for bodies of revolution
``cli.common``     the parser, argument types, option groups, checks, writers
=================  ==============================================================

``cli.export_cmd`` adds ``web``, and ``export`` to .lib, .dsp and .json.

Results go to stdout (a table, JSON with ``--json``, or the path written; a WAV itself with
``-o -``); progress and errors go to stderr. Errors are one line ``physsynth: error: ...``
and an exit status: 2 for bad input (refused before any work), 1 for I/O failures, 130 on
Ctrl-C, 3 for an internal error (a bug: ``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import threading

from physsynth._version import __version__
from physsynth.cli import axisym, batch, calibrate, export_cmd, fast, fd, mesh, modal, rub, score, viz
from physsynth.cli.common import Parser, join_negative_vectors, print_err
from physsynth.cli.modal import find_bundled_mesh
from physsynth.errors import PhyssynthError

log = logging.getLogger("physsynth")

#: The families, in the order their sub-commands appear in ``physsynth --help``.
FAMILIES = (modal, fd, fast, viz, score, batch, rub, mesh, export_cmd, axisym, calibrate)

__all__ = ["build_parser", "find_bundled_mesh", "main"]


def build_parser() -> argparse.ArgumentParser:
    ap = Parser(
        prog="physsynth", description="Physical-modelling sound synthesis: the sound of an object from its mesh."
    )
    ap.add_argument("--version", action="version", version=f"physsynth {__version__}")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    ap.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    modal.register(sub)
    for family in FAMILIES[1:]:
        family.register(sub)
    modal.register_demo(sub)  # last in the listing, as before
    return ap


class _HeldHandler(logging.Handler):
    """Progress to stderr, held back for the first ``HOLD_S`` seconds of a command.

    A refusal comes within well under a second and must be one line; progress matters for
    the long jobs. So records wait until the command has run ``HOLD_S`` seconds (a timer
    releases them even when no new record comes), or until it succeeds; on an error the
    held ones are dropped and the error line stands alone.
    """

    HOLD_S = 3.0  # s: refusals come well within it, even on a loaded machine; long jobs run far longer

    def __init__(self, stream):
        super().__init__()
        self.target = logging.StreamHandler(stream)
        self.target.setFormatter(logging.Formatter("physsynth: %(message)s"))
        self.held: list[logging.LogRecord] | None = []
        self.hold_lock = threading.Lock()
        self.timer = threading.Timer(self.HOLD_S, self.show)
        self.timer.daemon = True
        self.timer.start()

    def emit(self, record):
        with self.hold_lock:
            if self.held is not None:
                self.held.append(record)
                return
        self.target.handle(record)

    def show(self):
        """Show what was held (the command is long or finished) and pass records on from now."""
        self.timer.cancel()
        with self.hold_lock:
            held, self.held = self.held, None
        for record in held or ():
            self.target.handle(record)

    def forget(self):
        """Forget what was held (the command failed: its error line stands alone)."""
        self.timer.cancel()
        with self.hold_lock:
            self.held = None


def _setup_logging(quiet: bool) -> _HeldHandler:
    handler = _HeldHandler(sys.stderr)
    log.handlers[:] = [handler]
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    log.propagate = False
    logging.getLogger("skfem").setLevel(logging.WARNING)
    return handler


def main(argv=None) -> int:
    argv = join_negative_vectors(list(sys.argv[1:] if argv is None else argv))
    try:
        args = build_parser().parse_args(argv)
    except KeyboardInterrupt:
        print("physsynth: interrupted", file=sys.stderr)
        return 130
    saved = (list(log.handlers), log.level, log.propagate)
    held = _setup_logging(args.quiet)
    try:
        return _dispatch(args, held)
    finally:
        # in-process callers (tests, notebooks, scripts) get their logging set-up back
        held.forget()
        log.handlers[:] = saved[0]
        log.setLevel(saved[1])
        log.propagate = saved[2]


def _dispatch(args, held: _HeldHandler) -> int:
    """Run the sub-command; map errors to one line on stderr and an exit status."""
    try:
        try:
            status = int(args.func(args) or 0)
        except BaseException:
            held.forget()
            raise
        held.show()
        return status
    except PhyssynthError as exc:
        if args.debug:
            raise
        print_err(exc)
        return 2
    except BrokenPipeError:
        # stdout closed early (`physsynth modes ... | head`): not an error; keep Python from
        # complaining again when it flushes stdout at exit
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if args.debug:
            raise
        print_err(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        return 1
    except KeyboardInterrupt:
        print("physsynth: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        # the up-front estimates should refuse such a job; this is the last line
        if args.debug:
            raise
        print_err(
            "the job did not fit in memory and was stopped before writing anything; make it smaller "
            "(--duration, --sr, --n-modes, --fmax, a coarser mesh or grid)"
        )
        return 2
    except RecursionError:
        if args.debug:
            raise
        print_err("the input is nested too deeply to read (RecursionError); flatten it")
        return 2
    except Exception as exc:  # a bug: still one line, with the way to the traceback
        if args.debug:
            raise
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        print(
            f"physsynth: internal error: {message} (rerun with --debug for the traceback and report it)",
            file=sys.stderr,
        )
        return 3
