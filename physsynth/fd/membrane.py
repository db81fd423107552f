"""Rectangular membrane, 5-point explicit scheme (Bilbao, Numerical Sound Synthesis (NSS), 2009,
ch. 11 (2D wave equation); docs/fd-theory.md sec. 2). Fixed edges use the stencil kernel;
free (Neumann) edges, on all four sides or per edge, the energy-built closed-grid scheme of
``physsynth.fd.free`` (trapezoid-weighted mass, an even mirror at a free edge; docs/fd-theory.md
sec. 5) with a CSR kernel. An all-free membrane's rigid translation is subtracted from the
output.

PDE: u_tt = c^2 Lap u - 2 sigma0 u_t + f delta(x - x_f) / rho_a,  c = sqrt(T / rho_a).
Scheme (NSS eq. 11.8 with loss): d_tt u = c^2 (d_xx + d_yy) u - 2 sigma0 d_t. u + J f / rho_a.
Stability (NSS eq. 11.9 for hx = hy): c^2 k^2 (1/hx^2 + 1/hy^2) <= 1, i.e. lambda = c k / h <= 1/sqrt(2).
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass

import numpy as np

from physsynth import validate
from physsynth.errors import PhyssynthError
from physsynth.fd._common import (
    EDGE_ORDER,
    OPERATOR_BYTES_PER_POINT,
    FDCost,
    check_cost,
    check_duration,
    check_grid,
    grid_taps,
    make_cost,
    render_2d,
    scheme_rate,
    split_edges,
    stability_message,
    t60_value,
)
from physsynth.fd.free import FreeOperator, active_mask, laplacian_stiffness, run_free
from physsynth.kernels.fd import membrane_steps

log = logging.getLogger("physsynth")

LN1000 = 3.0 * math.log(10.0)
#: Fastest transverse wave (m/s): ten times the speed of sound in steel; beyond it the
#: "membrane" is a mistake in units.
MAX_WAVE_SPEED = 1e5
MEMBRANE_BCS = ("fixed", "free")


def parse_edges(bc) -> tuple[str, str, str, str]:
    """ "fixed", "free", or four comma-separated values (edges x=0, x=lx, y=0, y=ly), or a
    sequence of four; "clamped" and "supported" mean fixed for a membrane."""
    out = []
    for q in split_edges(bc):
        key = str(q).strip().lower()
        if key in ("fixed", "clamped", "supported", "simply_supported"):
            out.append("fixed")
        elif key == "free":
            out.append("free")
        else:
            raise PhyssynthError(
                f"unknown membrane edge condition {q!r}; use fixed or free (one for all edges, or four: {EDGE_ORDER})"
            )
    return tuple(out)


def _axis_orders(n_modes: int, a: str, b: str) -> list[float]:
    """Mode orders along one axis: sin (fixed-fixed) m = 1, 2..; cos (free-free) 0, 1, ..;
    fixed-free m - 1/2."""
    if a == b == "fixed":
        return [float(m) for m in range(1, n_modes + 1)]
    if a == b == "free":
        return [float(m) for m in range(0, n_modes + 1)]
    return [m - 0.5 for m in range(1, n_modes + 1)]


@dataclass(frozen=True)
class MembraneScheme:
    """A stable membrane scheme.

    Attributes
    ----------
    lx, ly : float, m
    c : float, m/s
        Wave speed sqrt(T / rho_a).
    rho_a : float, kg/m^2
        Areal density.
    sigma0 : float, 1/s
    fs : float, Hz
    sr : int, Hz
    oversample : int
    nx, ny : int
        Grid intervals.
    edges : (str, str, str, str)
        "fixed" or "free" at x = 0, x = lx, y = 0, y = ly.
    """

    lx: float
    ly: float
    c: float
    rho_a: float
    sigma0: float
    fs: float
    sr: int
    oversample: int
    nx: int
    ny: int
    edges: tuple = ("fixed", "fixed", "fixed", "fixed")

    @property
    def free(self) -> bool:
        """Any free edge (then the closed-grid CSR scheme of ``physsynth.fd.free`` runs)."""
        return "free" in self.edges

    @property
    def k(self) -> float:
        return 1.0 / self.fs

    @property
    def hx(self) -> float:
        return self.lx / self.nx

    @property
    def hy(self) -> float:
        return self.ly / self.ny

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the state arrays: grid points 0..nx x 0..ny, the edge rows stay 0; with a
        free edge flat ((nx + 1)(ny + 1),), index l (ny + 1) + m, fixed points stay 0."""
        if self.free:
            return ((self.nx + 1) * (self.ny + 1),)
        return (self.nx + 1, self.ny + 1)

    def estimate(self, duration: float, *, n_pickups: int = 1, precision: str = "double") -> FDCost:
        """Grid points, memory (bytes), updates (points x steps) and seconds of a ``duration`` s
        render, from the sizes alone (cheap: nothing is allocated). ``precision`` is accepted
        for symmetry with the plate; the membrane runs in double precision."""
        duration = check_duration(duration)
        pts = (self.nx + 1) * (self.ny + 1)
        what = f"a {duration:g} s membrane render on a {self.nx} x {self.ny} grid at {self.fs:g} Hz"
        if self.free:
            state = pts * (3 * 8 + OPERATOR_BYTES_PER_POINT)
            return make_cost(what, "membrane (free edges)", pts, state, duration, self.sr, self.oversample, n_pickups)
        return make_cost(what, "membrane", pts, 2 * pts * 8, duration, self.sr, self.oversample, n_pickups)

    def check_budget(self, duration: float, *, n_pickups: int = 1, precision: str = "double") -> FDCost:
        """:meth:`estimate`, refused over the memory or time budget with what would get under it."""
        return check_cost(
            self.estimate(duration, n_pickups=n_pickups, precision=precision),
            "use a smaller membrane (--size) or a faster wave (more tension: fewer grid points), a coarser --grid, "
            "a lower --sr or --oversample, or a shorter --duration",
        )

    def coefficients(self) -> np.ndarray:
        """[u1 centre, u1 x-neighbours, u1 y-neighbours, u0 centre] for membrane_steps."""
        k = self.k
        lx2 = (self.c * k / self.hx) ** 2
        ly2 = (self.c * k / self.hy) ** 2
        den = 1.0 + self.sigma0 * k
        return np.array([2 - 2 * lx2 - 2 * ly2, lx2, ly2, -(1 - self.sigma0 * k)]) / den

    def closed_form(self, n: int = 10) -> np.ndarray:
        """Lowest n non-zero frequencies (Hz), f_mn = (c/2) sqrt((m/a)^2 + (n/b)^2) (reference
        README), m, n = 1, 2, .. between fixed edges, 0, 1, .. between free ones, 1/2, 3/2, ..
        for fixed-free."""
        e = self.edges
        f = sorted(
            0.5 * self.c * math.hypot(m / self.lx, q / self.ly)
            for m in _axis_orders(n, e[0], e[1])
            for q in _axis_orders(n, e[2], e[3])
            if m or q
        )
        return np.array(f[:n])


def membrane_h_min(c: float, k: float) -> float:
    """Smallest stable spacing (m) of a square grid: sqrt(2) c k."""
    return math.sqrt(2.0) * c * k


def membrane(
    size: tuple[float, float],
    *,
    tension: float | None = None,
    areal_density: float | None = None,
    wave_speed: float | None = None,
    t60: float = 3.0,
    bc: str = "fixed",
    sr: int = 48000,
    oversample: int = 1,
    grid: float | None = None,
) -> MembraneScheme:
    """Design a stable membrane scheme.

    Parameters
    ----------
    size : (float, float), m
    tension : float, N/m
    areal_density : float, kg/m^2
        With ``tension`` gives c = sqrt(T / rho_a); or give ``wave_speed`` (m/s) and
        optionally ``areal_density`` (default 1 kg/m^2; it only scales the force response).
    t60 : float, s
        Frequency-independent decay time (``inf``: lossless).
    bc : "fixed", "free", or "e1,e2,e3,e4"
        One condition for all edges, or one per edge (x = 0, x = lx, y = 0, y = ly);
        "clamped" and "supported" mean fixed for a membrane.
    sr : int, Hz
    oversample : int
    grid : float, m, optional
        Spacing; default the stability limit (least dispersion). Finer raises StabilityError.
    """
    edges = parse_edges(bc)
    # the closed grid's checkerboard mode sits exactly at 4/hx^2 + 4/hy^2: keep it strictly
    # inside the limit (equality would give a double root -1 and linear growth)
    q_max = 1.0 - 1e-9 if "free" in edges else 1.0 + 1e-12
    if isinstance(size, str) or not hasattr(size, "__len__") or len(size) != 2:
        raise PhyssynthError(f"membrane size must be two side lengths (lx, ly) in metres, got {size!r}")
    lx, ly = (validate.positive(v, f"membrane side {n}", "m", hi=1e4) for v, n in zip(size, ("lx", "ly")))
    if wave_speed is not None:
        if tension is not None:
            raise PhyssynthError("give the wave speed or the tension, not both")
        c = validate.positive(wave_speed, "wave speed", "m/s")
        rho_a = 1.0 if areal_density is None else validate.positive(areal_density, "areal density", "kg/m^2")
    else:
        if tension is None or areal_density is None:
            raise PhyssynthError("a membrane needs --tension (N/m) and --areal-density (kg/m^2)")
        tension = validate.positive(tension, "tension", "N/m")
        rho_a = validate.positive(areal_density, "areal density", "kg/m^2")
        c = math.sqrt(tension / rho_a)
    if not (0 < c <= MAX_WAVE_SPEED):
        raise PhyssynthError(
            f"the wave speed sqrt(T / rho_a) must be in (0, {MAX_WAVE_SPEED:g}] m/s, got {c:g} m/s; "
            "check the tension and areal density"
        )
    t60 = t60_value(t60)
    s0 = 0.0 if math.isinf(t60) else LN1000 / t60
    fs = scheme_rate(sr, oversample)
    k = 1.0 / fs
    h_min = membrane_h_min(c, k)
    fix = "use a smaller membrane, a faster wave, a coarser --grid, or a lower --sr/--oversample"
    if grid is None:
        check_grid(lx / h_min, ly / h_min, "the membrane", fix)
        nx, ny = int(lx / h_min), int(ly / h_min)
        if (c * k) ** 2 * ((nx / lx) ** 2 + (ny / ly) ** 2) > q_max:
            nx -= 1
    else:
        grid = validate.positive(grid, "grid spacing", "m")
        check_grid(lx / grid, ly / grid, "the membrane", fix)
        nx, ny = max(1, round(lx / grid)), max(1, round(ly / grid))
        q = (c * k) ** 2 * ((nx / lx) ** 2 + (ny / ly) ** 2)
        if q > q_max:
            raise stability_message("membrane", grid, h_min, fs * math.sqrt(q), oversample)
    if nx < 2 or ny < 2:
        raise PhyssynthError(
            f"the membrane grid would have {nx} x {ny} intervals (< 2); "
            "raise the sample rate or make the membrane larger"
        )
    sch = MembraneScheme(lx, ly, c, rho_a, s0, fs, int(sr), int(oversample), nx, ny, edges)
    log.info("membrane: %d x %d grid, h = %.4g x %.4g m (limit %.4g m), c = %.4g m/s", nx, ny, sch.hx, sch.hy, h_min, c)
    return sch


@functools.lru_cache(maxsize=8)
def free_operator(sch: MembraneScheme):
    """(FreeOperator, CSR step matrices) of a membrane with a free edge (``physsynth.fd.free``)."""

    nx, ny, hx, hy = sch.nx, sch.ny, sch.hx, sch.hy
    n_rigid = 1 if all(e == "free" for e in sch.edges) else 0
    op = FreeOperator(
        nx, ny, hx, hy, sch.c**2 * laplacian_stiffness(nx, ny, hx, hy), None, active_mask(nx, ny, sch.edges), n_rigid
    )
    return op, op.step_matrices(sch.k, sch.sigma0, 0.0)


def membrane_depth(ny: int) -> int:
    """Default time steps per sweep: 2 (depth + 2) rows of ny + 1 points in 512 kB, 1 .. 16
    (2000 x 2000 grid: 1 step 0.89, 4 1.70, 8 2.0, 16 2.2 G updates/s)."""
    return max(1, min(16, 32768 // (ny + 1) - 2))


def run_membrane(
    sch: MembraneScheme,
    u0,
    u1,
    n_steps: int,
    *,
    pickups=(),
    velocity=True,
    force=None,
    force_at=None,
    depth: int | None = None,
):
    """Advance ``n_steps``; returns (out (n_pk, n_steps), (prev, cur)) at the scheme rate.
    With a free edge the states are flat (``sch.shape``) and, if all edges are free, the
    pickups read the motion less the rigid translation. ``depth``: time steps per sweep of
    the fixed-edge kernel (:func:`physsynth.kernels.fd.membrane_steps`); default: as many as
    keep about 2 (depth + 2) rows of both states within 512 kB (L2), at most 16."""
    if sch.free:
        op, mats = free_operator(sch)
        return run_free(
            op,
            sch.k,
            sch.sigma0,
            0.0,
            sch.rho_a,
            sch.lx,
            sch.ly,
            u0,
            u1,
            n_steps,
            pickups=pickups,
            velocity=velocity,
            force=force,
            force_at=force_at,
            mats=mats,
        )
    c = sch.coefficients()
    pk_i, pk_j, pk_w, force, si, sj, sw = grid_taps(sch, pickups, force, force_at, ghost=0, mass_per_area=sch.rho_a)
    out = np.zeros((len(pickups), int(n_steps)))
    r = membrane_steps(
        u0,
        u1,
        c,
        si,
        sj,
        sw,
        force,
        pk_i,
        pk_j,
        pk_w,
        velocity,
        sch.fs,
        out,
        membrane_depth(sch.ny) if depth is None else max(1, int(depth)),
    )
    return out, ((u0, u1) if r == 0 else (u1, u0))


def render_membrane(
    sch: MembraneScheme,
    *,
    duration: float,
    strike=None,
    pickups=None,
    contact_time: float = 1e-3,
    force: float = 1.0,
    quantity: str = "velocity",
) -> np.ndarray:
    """Strike the membrane at rest and record the pickups.

    Parameters
    ----------
    sch : MembraneScheme
    duration : float, s
    strike : (float, float), m, optional
        Default (0.37 lx, 0.29 ly).
    pickups : sequence of (float, float), m, optional
        Default [(0.71 lx, 0.63 ly)].
    contact_time : float, s
    force : float, N
    quantity : {"velocity", "displacement"}

    Returns
    -------
    ndarray, shape (n_pickups, round(duration sr)), m/s or m
    """
    return render_2d(
        sch,
        run_membrane,
        duration=duration,
        strike=strike,
        pickups=pickups,
        contact_time=contact_time,
        force=force,
        quantity=quantity,
    )


def membrane_energy(sch: MembraneScheme, u_prev: np.ndarray, u_cur: np.ndarray) -> float:
    """Numerical energy (J) at step n - 1/2, NSS ch. 11 (the 2D form of the
    1D wave equation's energy, NSS ch. 6):

    H = rho_a [ 1/2 ||d_t- u||^2 + c^2/2 (<d_x+ u, e_t- d_x+ u> + <d_y+ u, e_t- d_y+ u>) ]

    Constant to round-off without loss; H^{n+1/2} - H^{n-1/2} = -2 k rho_a sigma0 ||d_t. u||^2.
    With a free edge: the trapezoid-weighted form of ``physsynth.fd.free``.
    """
    if sch.free:
        return sch.rho_a * free_operator(sch)[0].energy(sch.k, 0.0, u_prev, u_cur)
    k, hx, hy = sch.k, sch.hx, sch.hy
    dA = hx * hy
    kin = 0.5 * dA * np.sum(((u_cur - u_prev) / k) ** 2)
    pot = (
        0.5
        * sch.c**2
        * dA
        * (
            np.sum(np.diff(u_prev, axis=0) * np.diff(u_cur, axis=0)) / hx**2
            + np.sum(np.diff(u_prev, axis=1) * np.diff(u_cur, axis=1)) / hy**2
        )
    )
    return float(sch.rho_a * (kin + pot))


def membrane_step_numpy(sch: MembraneScheme, u0, u1):
    """One step in plain numpy (the reference the kernel is tested against)."""
    c = sch.coefficients()
    u2 = np.zeros_like(u1)
    u2[1:-1, 1:-1] = (
        c[0] * u1[1:-1, 1:-1]
        + c[1] * (u1[:-2, 1:-1] + u1[2:, 1:-1])
        + c[2] * (u1[1:-1, :-2] + u1[1:-1, 2:])
        + c[3] * u0[1:-1, 1:-1]
    )
    return u2
