"""What every sub-command of ``physsynth`` shares: the parser, argument types, option groups,
the checks made before any work, model loading and the writers.

Argument types wrap :mod:`physsynth.validate`, so an option and the API argument it feeds give
the same message. A bad value is refused by argparse itself (one line, exit 2); checks that
need several options (the length of a render, a grid's size) run at the start of the command,
before a mesh is read or a model computed. Nothing here imports numba, scipy or scikit-fem:
the heavy modules are imported inside the functions that use them, after the checks.

Output paths: a regular file (or a new name) is written atomically; a device or FIFO is
written through (``/dev/null`` works, ``/dev/full`` fails with exit 1); ``-o -`` writes a
WAV to standard output, where progress never goes (see :mod:`physsynth._io`).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import re
import sys

from physsynth import validate
from physsynth._io import check_writable, is_stdout, output_target
from physsynth._progress import step
from physsynth.damping import LossFactor, Rayleigh
from physsynth.errors import PhyssynthError
from physsynth.materials import custom_material, get_material

log = logging.getLogger("physsynth")

#: Options whose value may start with a minus sign (``--at -0.09,0,0.08``).
VECTOR_OPTS = ("--at", "--direction", "--pickup", "--pickup-direction", "--normal", "--bridge", "--strike")
#: Stated bounds of options that have no physical limit but a practical one.
MAX_HEADROOM_DB = 60.0  # a peak at -60 dBFS leaves a 16-bit file 6 bits: more is no use for a render
DPI_RANGE = (10.0, 1200.0)  # pixels per inch of a figure: a sketch to print quality
MAX_PANEL_INCHES = 50.0
MAX_PANELS = 400  # mode panels in one gallery
MAX_FRAMES = 10_000  # frames of an animation or a strike response (7 min of GIF at 24 fps)
MAX_CYCLES = 1000
MAX_OVERSAMPLE = 64  # time steps per output sample of the FD and friction schemes
MAX_FMAX = validate.MAX_FREQUENCY  # Hz
MIN_T60 = 1e-3  # s: a decay shorter than a millisecond is a click, not a sound
#: Largest coordinate of a point option, m: ten times the largest mesh physsynth reads
#: (physsynth.mesh.MAX_EXTENT, 1 km); anything beyond is a typo or a unit slip.
MAX_COORDINATE = 1e4
STDOUT = "-"
WAV_FORMATS = ("pcm16", "pcm24", "float32")


def max_workers() -> int:
    """Most local worker processes a batch may ask for: twice the CPU count."""
    return 2 * (os.cpu_count() or 1)


class Parser(argparse.ArgumentParser):
    """argparse with our one-line error format (usage stays available with --help).

    ``help_hooks`` run before the help is formatted, so a sub-command can show defaults that
    live in a heavy module without importing it for every run.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.help_hooks = []

    def error(self, message):
        message = " ".join(str(message).split())
        # "argument --force: must be > 0 N" (a validate check without a name) reads as "--force must be ..."
        message = re.sub(r"^argument ([^:]+): (must |is )", r"\1 \2", message)
        self.exit(2, f"physsynth: error: {self.prog}: {message} (see `{self.prog} --help`)\n")

    def format_help(self):
        for hook in self.help_hooks:
            hook(self)
        self.help_hooks = []
        return super().format_help()


def join_negative_vectors(argv):
    """Let ``--at -0.09,0,0.08`` work: argparse would read the value as an option."""
    out = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in VECTOR_OPTS and i + 1 < len(argv) and re.match(r"^-[\d.]", argv[i + 1]):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
            continue
        out.append(a)
        i += 1
    return out


# ------------------------------------------------------------------ argument types
def _type(check, name: str):
    """An argparse ``type=`` from a validate check: PhyssynthError -> ArgumentTypeError."""

    def parse(text):
        try:
            return check(text)
        except PhyssynthError as exc:
            raise argparse.ArgumentTypeError(str(exc).strip()) from None

    parse.__name__ = name  # argparse names the type in "invalid <name> value"
    return parse


def real(unit: str = "", *, lo=None, hi=None, lo_open=False):
    """A finite number within [lo, hi] (``lo_open``: strictly above lo)."""
    return _type(lambda t: validate.finite(t, "", unit, lo=lo, hi=hi, lo_open=lo_open), "number")


def positive(unit: str = "", *, hi=None):
    """A finite number > 0 (and <= hi)."""
    return _type(lambda t: validate.positive(t, "", unit, hi=hi), "positive number")


def nonnegative(unit: str = "", *, hi=None):
    """A finite number >= 0 (and <= hi)."""
    return _type(lambda t: validate.nonnegative(t, "", unit, hi=hi), "number")


def whole(*, lo=None, hi=None):
    """A whole number within [lo, hi] ("3" and "3.0" are 3; "0.5" is refused)."""
    return _type(lambda t: validate.integer(t, "", lo=lo, hi=hi), "whole number")


def t60_type(lo: float = 0.0):
    """A decay time, s: > 0 (and >= ``lo``), or ``inf`` (lossless)."""

    def check(t):
        if str(t).strip().lower() in ("inf", "+inf", "infinity"):
            return math.inf
        v = validate.positive(t, "", "s")
        if v < lo:
            raise PhyssynthError(f" must be >= {lo:g} s (a shorter decay is a click), got {v:g}")
        return v

    return _type(check, "decay time")


def fraction(*, hi: float = 1.0, hi_closed: bool = False):
    """A position as a fraction of a length: in (0, hi) (``hi_closed``: (0, hi])."""

    def check(t):
        v = validate.finite(t, "")
        if not (0 < v < hi or (hi_closed and v == hi)):
            span = f"(0, {hi:g}]" if hi_closed else f"(0, {hi:g})"
            raise PhyssynthError(f"{v:g} is outside {span}; give a fraction of the length")
        return v

    return _type(check, "fraction")


def vector(dim: int = 3, *, nonzero: bool = False):
    """``dim`` finite numbers "x,y,z", each within +-:data:`MAX_COORDINATE` m (``nonzero``: a
    direction, which must not be 0)."""

    def check(t):
        v = validate.point(t, "", dim=dim)
        if nonzero:
            validate.direction(v, "", dim=dim)
        elif abs(v).max() > MAX_COORDINATE:
            raise PhyssynthError(
                f" must be within +-{MAX_COORDINATE:g} m of the origin (meshes are in metres), got {t!r}"
            )
        return v

    return _type(check, "vector")


def dims(n: int):
    """Side lengths "LXxLYxH" (or with commas): ``n`` finite numbers > 0, m."""

    def check(text):
        parts = [p for p in re.split(r"[xX,]", str(text).strip()) if p]
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

    return _type(check, "size")


sample_rate = _type(lambda t: validate.sample_rate(t, "sample rate"), "sample rate")
seed = whole(lo=0, hi=2**32 - 1)


def mode_list(text: str) -> list[int]:
    """Mode numbers "1,3,5" (from 1)."""
    try:
        out = [int(p) for p in text.replace(" ", "").split(",") if p]
    except ValueError:
        out = []
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError(f"expected mode numbers >= 1 like 1,3,5, got {text!r}")
    return out


# ------------------------------------------------------------------ option groups
def add_sr(g, default: int = 48000, help: str | None = None):
    """The one sample-rate option: a whole number of Hz in the range validate allows."""
    g.add_argument(
        "--sr",
        type=sample_rate,
        default=default,
        metavar="HZ",
        help=help or f"sample rate, Hz (default {default}; {validate.MIN_SAMPLE_RATE}..{validate.MAX_SAMPLE_RATE})",
    )


def add_duration(g, default, help: str | None = None):
    g.add_argument(
        "--duration",
        type=positive("s"),
        default=default,
        metavar="S",
        help=help or (f"seconds (default {default:g})" if default is not None else "seconds"),
    )


def add_wav(g, *, format=True, headroom=True, fade=True):
    """--format, --headroom and --fade of a WAV output."""
    if format:
        g.add_argument("--format", default="pcm24", choices=WAV_FORMATS, help="WAV sample format (default pcm24)")
    if headroom:
        g.add_argument(
            "--headroom",
            type=real("dB", lo=0.0, hi=MAX_HEADROOM_DB),
            default=1.0,
            help=f"peak level below full scale, dB (default 1; 0..{MAX_HEADROOM_DB:g})",
        )
    if fade:
        g.add_argument(
            "--fade",
            type=nonnegative("s"),
            default=0.05,
            metavar="S",
            help="fade-out at the end so a cut tail does not click, s (default 0.05; 0 off)",
        )


def add_output(p, metavar="OUT.wav", *, required=True, default=None, stdout=True, help=None):
    """``-o/--output``; ``stdout``: ``-`` writes to standard output."""
    if help is None and stdout:
        help = "output file; - writes it to standard output"
    p.add_argument("-o", "--output", required=required, default=default, metavar=metavar, help=help)


def add_material(p, default=None):
    g = p.add_argument_group("material (a library name, or E, nu and rho)")
    g.add_argument(
        "--material",
        help="library name, see `physsynth materials`" + (f" (default {default})" if default else " (default steel)"),
    )
    g.add_argument("--E", type=positive("Pa"), help="Young's modulus, Pa")
    g.add_argument("--nu", type=real(), help="Poisson's ratio")
    g.add_argument("--rho", type=positive("kg/m^3"), help="density, kg/m^3")
    g.add_argument(
        "--loss-factor",
        type=nonnegative(),
        help="constant loss factor eta (overrides the material's damping law)",
    )
    g.add_argument("--rayleigh", help="Rayleigh damping ALPHA,BETA (1/s, s)")
    p.set_defaults(default_material=default)


def add_fem(p):
    g = p.add_argument_group("finite elements")
    g.add_argument("--order", type=int, choices=(1, 2), default=2, help="element order (default 2, quadratic)")
    g.add_argument(
        "--clamp",
        action="append",
        metavar="SELECTOR",
        help="clamp a region name or a predicate like 'z<=0.001' (repeatable); "
        "'boundary' is the whole edge of a flat mesh",
    )
    g.add_argument(
        "--support",
        action="append",
        metavar="SELECTOR",
        help="plates and membranes: simply support a region (repeatable)",
    )
    g.add_argument(
        "--thickness",
        type=positive("m"),
        metavar="M",
        help="flat triangle mesh: a Kirchhoff plate of this thickness, m",
    )
    g.add_argument(
        "--tension",
        type=positive("N/m"),
        metavar="N_PER_M",
        help="flat triangle mesh: a membrane under this tension, N/m",
    )
    g.add_argument("--areal-density", type=positive("kg/m^2"), metavar="KG_M2", help="membrane mass per area, kg/m^2")
    g.add_argument(
        "--units", choices=("m", "cm", "mm", "in"), default="m", help="length unit of the mesh file (default m)"
    )
    g.add_argument("--solver", default="auto", help="factorisation backend: auto, cholmod, pardiso, superlu")
    add_surface(p)


def body_choice(text):
    """--body: largest, all or a body number (0 = largest)."""
    t = str(text).strip().lower()
    if t in ("largest", "all"):
        return t
    try:
        k = int(t)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--body takes largest, all or a body number (0 = largest), got {text!r}"
        ) from None
    if k < 0:
        raise argparse.ArgumentTypeError(f"--body N counts from 0 (the largest body), got {k}")
    return k


def add_surface(p):
    """Options for surface files (STL, OBJ, PLY, OFF, glTF): repair, sizing, mesher."""
    g = p.add_argument_group(
        "surface meshes (STL, OBJ, PLY, OFF, glTF: tetrahedralised, the result cached)",
        "--thickness T makes an open sheet (a bowl or bell as one surface) a closed wall T thick",
    )
    g.add_argument(
        "--thickness-side",
        choices=("mid", "in", "out"),
        default="mid",
        help="where the wall of an open sheet lies: the sheet as its mid-surface (default), "
        "its outer face (in) or its inner face (out)",
    )
    g.add_argument("--size", type=positive("m"), metavar="M", help="element edge length, m")
    g.add_argument(
        "--target-dofs",
        type=whole(lo=100, hi=50_000_000),
        metavar="N",
        help="an element size for about N elasticity DOFs (instead of --size)",
    )
    g.add_argument(
        "--repair",
        nargs="?",
        const="yes",
        default="auto",
        choices=("auto", "yes", "no"),
        help="auto (default): fix winding and orientation, drop degenerate faces, fill small holes; "
        "yes (or --repair alone): also fill large holes and rebuild non-manifold parts (MeshFix); "
        "no: refuse a surface that is not clean",
    )
    g.add_argument(
        "--body",
        type=body_choice,
        metavar="largest|N",
        help="which of several separate bodies to use (0 = the largest)",
    )
    g.add_argument(
        "--mesher",
        choices=("auto", "tetgen", "ftetwild", "gmsh"),
        default="auto",
        help="tetrahedraliser: auto (TetGen for a clean surface, fTetWild for a dirty one), or force one",
    )
    g.add_argument("--no-mesh-cache", action="store_true", help="re-tetrahedralise instead of using the cache")


def surface_kwargs(args, *, fmax=None, n_modes=None) -> dict:
    """The load_mesh options of a surface file from the CLI arguments (checked, no work done)."""
    if getattr(args, "size", None) is not None and getattr(args, "target_dofs", None) is not None:
        raise PhyssynthError("give either --size or --target-dofs, not both")
    kw = dict(
        thickness=getattr(args, "thickness", None),
        side=getattr(args, "thickness_side", "mid"),
        repair=getattr(args, "repair", "auto"),
        body=getattr(args, "body", None),
        size=getattr(args, "size", None),
        target_dofs=getattr(args, "target_dofs", None),
        fmax=fmax,
        n_modes=n_modes,
        order=getattr(args, "order", 2),
        mesher=getattr(args, "mesher", "auto"),
        cache=not getattr(args, "no_mesh_cache", False),
    )
    if hasattr(args, "E"):
        kw["material"] = material_from(args)
    return kw


def add_fmax(p, help):
    p.add_argument("--fmax", type=positive("Hz", hi=MAX_FMAX), help=help)


# ------------------------------------------------------------------ checks before work
def check_render(duration, sr, channels: int = 1, *, oversample: int = 1) -> int:
    """Refuse a render whose samples (x channels, x time steps per sample) exceed the budget."""
    n = validate.check_samples(duration, sr, channels)
    if oversample > 1:
        validate.check_memory(
            8.0 * n * oversample,
            f"a {duration:g} s render at {sr} Hz x {oversample} steps per sample",
            "lower --oversample, --sr or --duration",
        )
    return n


def check_t60(t60, f0, name="--t60"):
    """A decay time of at least one period of the fundamental."""
    if t60 is not None and t60 < 1.0 / f0:
        raise PhyssynthError(
            f"{name} {t60:g} s is shorter than one period of the {f0:g} Hz fundamental "
            f"({1.0 / f0:.3g} s); give a longer decay time"
        )


def output(path, *, stdout: bool = True, what: str = "a WAV file") -> str:
    """Check an output path before any work; returns the path the writers get.

    ``-`` is standard output (``/dev/stdout``) where ``stdout`` allows it.
    """

    if path == STDOUT:
        if not stdout:
            raise PhyssynthError(f"this output ({what}) cannot go to standard output; give a file name")
        return check_writable("/dev/stdout")
    return check_writable(path)


def model_output(path) -> str:
    """Check where a modal model goes (``.npz`` is appended, as ModalModel.save does)."""

    if path == STDOUT:
        raise PhyssynthError("a modal model (.npz) cannot go to standard output; give a file name")
    if not str(path).endswith(".npz") and os.path.exists(path) and output_target(path)[0] == "through":
        # save() would write PATH.npz beside the device: refuse rather than create it there
        raise PhyssynthError(f"{path} is a device or pipe; a modal model (.npz) needs a file name")
    return check_writable(path if str(path).endswith(".npz") else f"{path}.npz")


def announce(path) -> None:
    """Print the written path on stdout, unless the data itself went there."""

    log.info("wrote %s", "standard output" if is_stdout(path) else path)
    if not is_stdout(path):
        print(path)


def write_audio(out, audio, *, sr, fmt="pcm24", headroom=1.0, fade=0.0, duration=None):
    """Fade (at most half the length), write the WAV and announce it."""
    from physsynth.audio import fade_out, write_wav

    if fade and fade > 0:
        length = audio.shape[-1] / sr if duration is None else duration
        audio = fade_out(audio, sr=sr, seconds=min(fade, 0.5 * length))
    write_wav(out, audio, sr=sr, fmt=fmt, headroom_db=headroom)
    announce(out)


# ------------------------------------------------------------------ models
def material_from(args):
    """The Material of --material or --E/--nu/--rho, with --loss-factor or --rayleigh."""

    custom = [args.E, args.nu, args.rho]
    if args.material and any(v is not None for v in custom):
        raise PhyssynthError("give either --material or --E/--nu/--rho, not both")
    if any(v is not None for v in custom):
        if any(v is None for v in custom):
            raise PhyssynthError("a custom material needs all of --E (Pa), --nu and --rho (kg/m^3)")
        mat = custom_material(args.E, args.nu, args.rho)
    else:
        name = args.material or getattr(args, "default_material", None)
        if name is None:
            name = "steel"
            log.info("no material given: using steel (see `physsynth materials`)")
        mat = get_material(name)
    if args.loss_factor is not None and args.rayleigh is not None:
        raise PhyssynthError("give either --loss-factor or --rayleigh, not both")
    if args.loss_factor is not None:
        mat = mat.with_damping(LossFactor(args.loss_factor))
    if args.rayleigh is not None:
        a, b = rayleigh(args.rayleigh)
        mat = mat.with_damping(Rayleigh(a, b))
    return mat


def rayleigh(text) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in str(text).split(","))
    except ValueError:
        raise PhyssynthError(f"--rayleigh takes ALPHA,BETA (1/s, s), got {text!r}") from None
    if not (math.isfinite(a) and math.isfinite(b) and a >= 0 and b >= 0):
        raise PhyssynthError(f"--rayleigh ALPHA,BETA must be finite and >= 0 (1/s, s), got {text!r}")
    return a, b


def check_material(args):
    """The material checks that need no mesh: run before loading one."""
    if getattr(args, "rayleigh", None) is not None:
        rayleigh(args.rayleigh)
    if getattr(args, "loss_factor", None) is not None and getattr(args, "rayleigh", None) is not None:
        raise PhyssynthError("give either --loss-factor or --rayleigh, not both")
    custom = [getattr(args, k, None) for k in ("E", "nu", "rho")]
    if getattr(args, "material", None) and any(v is not None for v in custom):
        raise PhyssynthError("give either --material or --E/--nu/--rho, not both")
    if any(v is not None for v in custom) and any(v is None for v in custom):
        raise PhyssynthError("a custom material needs all of --E (Pa), --nu and --rho (kg/m^3)")

    if getattr(args, "material", None):
        get_material(args.material)
    elif all(v is not None for v in custom):
        custom_material(*custom)


def load_mesh(path, units, args=None, *, fmax=None, n_modes=None):
    """A mesh file, or a surface file tetrahedralised with the surface options of ``args``."""
    from physsynth.mesh import load_mesh as _load

    kw = surface_kwargs(args, fmax=fmax, n_modes=n_modes) if args is not None else {}
    with step(f"loading mesh {path}") as s:
        mesh = _load(path, units=units, **kw)
        s["result"] = mesh.describe()
    if mesh.info.get("summary"):
        log.info("made from the surface: %s; %s", mesh.info["report"], mesh.info["summary"])
    return mesh


def modal(args, mesh, *, fmax=None, n_modes=None):
    """The modal analysis of ``mesh`` with the material and FEM options of ``args``."""
    from physsynth.modal.analysis import modal_analysis

    membrane = mesh.dim == 2 and args.tension is not None
    if membrane and not (
        args.material or args.E is not None or args.loss_factor is not None or args.rayleigh is not None
    ):
        material = None  # a membrane needs no elastic constants; default damping
    else:
        material = material_from(args)
    return modal_analysis(
        mesh,
        material,
        n_modes=n_modes,
        fmax=fmax,
        order=args.order,
        clamp=args.clamp or (),
        support=args.support or (),
        # a wall made from an open sheet already has its thickness
        thickness=None if mesh.info.get("thickness") else args.thickness,
        tension=args.tension,
        areal_density=args.areal_density,
        solver=args.solver,
    )


def is_model_path(source) -> bool:
    from physsynth.modal.model import is_model_file

    return is_model_file(source) or str(source).endswith(".npz")


def model_from(args, source, *, n_modes=None, fmax=None):
    """A saved model (.npz) loaded, or a mesh's modes computed (default fmax min(10 kHz, 0.49 sr))."""
    from physsynth.modal.model import ModalModel

    if is_model_path(source):
        model = ModalModel.load(source)
        log.info("loaded modal model %s: %s", source, model.summary())
        if getattr(args, "material", None) or getattr(args, "E", None) is not None:
            log.info("note: the material of a saved model is fixed; --material is ignored")
        return model
    check_material(args)
    if fmax is None and n_modes is None:
        fmax = args.fmax if args.fmax is not None else min(10000.0, 0.49 * args.sr)
    mesh = load_mesh(source, args.units, args, fmax=fmax, n_modes=n_modes)
    return modal(args, mesh, fmax=fmax, n_modes=n_modes)


def print_err(message: str) -> None:
    print(f"physsynth: error: {' '.join(str(message).split())}", file=sys.stderr)


# ---------------------------------------------------------------- listeners (issue 15)
def _listener_point(text):
    if str(text).strip().lower() == "stereo":
        return "stereo"
    v = validate.point(text, "")
    if abs(v).max() > MAX_COORDINATE:
        raise PhyssynthError(
            f" must be within +-{MAX_COORDINATE:g} m of the origin (meshes are in metres), got {text!r}"
        )
    return v


def add_listener(p) -> None:
    """--listener X,Y,Z (repeatable; "stereo": a spaced pair 1 m in front of and above the object)
    and --radiation bem|fast|rayleigh|compact|none: the channels become sound pressure in Pa."""
    g = p.add_argument_group("listeners (sound pressure in air, Pa)")
    g.add_argument(
        "--listener",
        type=_type(_listener_point, "listener"),
        action="append",
        metavar="X,Y,Z|stereo",
        help="a listener in the air, m (repeatable, one channel each; 'stereo' for a spaced pair "
        "1 m in front of and above the object); replaces the pickups",
    )
    g.add_argument(
        "--radiation",
        choices=("bem", "fast", "rayleigh", "compact", "none"),
        help="how the modes radiate (default: the model's stored data, else rayleigh for a flat "
        "plate and fast, BEM-fitted, for a solid; none: contact pickups only)",
    )
    g.add_argument(
        "--floor",
        type=real("m"),
        metavar="Z",
        help="a rigid floor, the plane z = Z (m) below the object: image sources (not with rayleigh)",
    )
    g.add_argument(
        "--no-radiation-damping",
        dest="radiation_damping",
        action="store_false",
        help="do not add the radiated power to the modes' decay",
    )


def check_listener_args(args) -> None:
    """Refuse --listener with --radiation none before any work."""
    if getattr(args, "radiation", None) == "none" and getattr(args, "listener", None):
        raise PhyssynthError("--listener needs radiation; drop --radiation none or the --listener options")


def apply_listeners(args, model):
    """(model, listeners or None): the model with its radiation (computed when needed, cached)
    and the listener list from --listener; refused before any work on a bad combination."""
    points = getattr(args, "listener", None)
    method = getattr(args, "radiation", None)
    check_listener_args(args)
    if method == "none":
        return model, None
    if not points and method is None:
        return model, None
    from physsynth.pickups import as_listeners

    floor = getattr(args, "floor", None)
    rad = getattr(model, "radiation", None)
    if method is not None or rad is None or (floor is not None and floor != rad.floor):
        from physsynth.radiation import radiate

        model = radiate(
            model, method, damping=getattr(args, "radiation_damping", True), fmax=0.49 * args.sr, floor=floor
        )
    if not points:
        return model, None
    return model, as_listeners(model, points)


def listener_channels(args, channels: int) -> int:
    """The number of output channels with --listener (a stereo preset is two), else ``channels``;
    refuses --listener with --radiation none (before any work)."""
    check_listener_args(args)
    points = getattr(args, "listener", None)
    if not points:
        return channels
    return sum(2 if isinstance(p, str) else 1 for p in points)
