"""Kirchhoff thin plate on a rectangle, 13-point explicit scheme (Bilbao, Numerical Sound
Synthesis (NSS), 2009, ch. 12; docs/fd-theory.md sec. 3).

PDE (NSS eq. 12.1 with the loss of sec. 12.3):

    u_tt = -kappa^2 Lap Lap u - 2 sigma0 u_t + 2 sigma1 Lap u_t,   kappa^2 = D / (rho H),
    D = E H^3 / (12 (1 - nu^2))

Scheme: d_tt u = -kappa^2 Lap_h Lap_h u - 2 sigma0 d_t. u + 2 sigma1 d_t- Lap_h u + J f / (rho H),
with Lap_h the 5-point Laplacian (spacings hx, hy) and J the bilinear spreading of a point force.
Edges: simply supported (u = 0, Lap u = 0: odd ghost) or clamped (u = 0, u_n = 0: even ghost),
NSS sec. 12.2, or free on all four edges: an energy-built sparse operator with the free-edge
and free-corner conditions that follow from the discrete energy (``physsynth.fd.free``,
docs/fd-theory.md sec. 5), time-stepped by a CSR kernel; the output has the rigid-body
motion (translation and two rotations) subtracted.

Stability (von Neumann / energy, NSS eq. 12.10 with loss): with p = 4/hx^2 + 4/hy^2 the
largest eigenvalue of -Lap_h, the scheme is stable when kappa^2 k^2 p^2 + 4 sigma1 k p <= 4;
for hx = hy = h this is h >= 2 sqrt(k (sigma1 + sqrt(sigma1^2 + kappa^2))).
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
    state_dtype,
)
from physsynth.fd.free import (
    FreeOperator,
    active_mask,
    clamped_edge_stiffness,
    laplacian_stiffness,
    plate_stiffness,
    run_free,
)
from physsynth.kernels.fd import plate_block_buffers, plate_buffers, plate_steps, plate_steps_blocked
from physsynth.kernels.fd_simd import MIN_NY, plate_simd_buffers, plate_steps_simd

log = logging.getLogger("physsynth")

PLATE_BCS = ("supported", "clamped", "free")
_BC_ALIASES = {"simply_supported": "supported", "ss": "supported", "simply-supported": "supported"}


def check_bc(bc: str, allowed=PLATE_BCS, what="plate") -> str:
    key = _BC_ALIASES.get(str(bc).strip().lower(), str(bc).strip().lower())
    if key not in allowed:
        raise PhyssynthError(f"unknown boundary condition {bc!r}; use {', '.join(allowed)}")
    return key


def parse_plate_bc(bc) -> str:
    """One condition for all four edges, or four (comma-separated, or a sequence) for the
    edges x = 0, x = lx, y = 0, y = ly; returns the canonical string: the single name when all
    four agree, else the four names joined by commas."""
    edges = [check_bc(q) for q in split_edges(bc)]
    return edges[0] if len(set(edges)) == 1 else ",".join(edges)


def plate_h_min(kappa: float, sigma1: float, k: float) -> float:
    """Smallest stable spacing (m) of a square grid, h = 2 sqrt(k (sigma1 + sqrt(sigma1^2 + kappa^2)))."""
    return 2.0 * math.sqrt(k * (sigma1 + math.sqrt(sigma1 * sigma1 + kappa * kappa)))


def _plate_stable(kappa, sigma1, k, hx, hy):
    p = 4.0 / hx**2 + 4.0 / hy**2
    return kappa**2 * k**2 * p**2 + 4.0 * sigma1 * k * p <= 4.0 * (1.0 + 1e-12)


def _plate_fs_needed(kappa, sigma1, hx, hy):
    p = 4.0 / hx**2 + 4.0 / hy**2
    k_max = 2.0 * (math.sqrt(sigma1**2 + kappa**2) - sigma1) / (kappa**2 * p)
    return 1.0 / k_max


@dataclass(frozen=True)
class PlateScheme:
    """A stable plate scheme.

    Attributes
    ----------
    lx, ly : float, m
        Side lengths.
    thickness : float, m
    kappa : float, m^2/s
        sqrt(D / (rho H)).
    rho_h : float, kg/m^2
        Mass per area rho H.
    sigma0 : float, 1/s
    sigma1 : float, m^2/s
    bc : str
        "supported", "clamped" or "free" on all edges, or four of them joined by commas
        (edges x = 0, x = lx, y = 0, y = ly); see :attr:`edges`.
    fs : float, Hz
        Scheme rate.
    sr : int, Hz
    oversample : int
    nx, ny : int
        Grid intervals; hx = lx / nx, hy = ly / ny.
    nu : float
        Poisson's ratio (enters the free-edge operator only).
    """

    lx: float
    ly: float
    thickness: float
    kappa: float
    rho_h: float
    sigma0: float
    sigma1: float
    bc: str
    fs: float
    sr: int
    oversample: int
    nx: int
    ny: int
    nu: float = 0.3

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
    def edges(self) -> tuple[str, str, str, str]:
        """The condition on each edge: x = 0, x = lx, y = 0, y = ly."""
        parts = self.bc.split(",")
        return tuple(parts * 4 if len(parts) == 1 else parts)

    @property
    def uses_operator(self) -> bool:
        """True when the scheme runs on the energy-built sparse operator (free or mixed
        edges, ``physsynth.fd.free``), False for the stencil kernels (all four edges
        supported or all clamped)."""
        return self.bc not in ("supported", "clamped")

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the state arrays: padded (two ghost layers: index = grid index + 1) when
        all edges are supported or all clamped; flat ((nx + 1)(ny + 1),), index l (ny + 1) + m,
        for free or mixed edges."""
        if self.uses_operator:
            return ((self.nx + 1) * (self.ny + 1),)
        return (self.nx + 3, self.ny + 3)

    def estimate(self, duration: float, *, n_pickups: int = 1, precision: str = "double") -> FDCost:
        """Grid points, memory (bytes), updates (points x steps) and seconds of a ``duration`` s
        render, from the sizes alone (cheap: nothing is allocated)."""
        duration = check_duration(duration)
        pts = (self.nx + 1) * (self.ny + 1)
        what = f"a {duration:g} s plate render on a {self.nx} x {self.ny} grid at {self.fs:g} Hz"
        if self.uses_operator:
            state = pts * (3 * 8 + OPERATOR_BYTES_PER_POINT)
            return make_cost(
                what, "plate (free/mixed edges)", pts, state, duration, self.sr, self.oversample, n_pickups
            )
        item = np.dtype(state_dtype(precision)).itemsize
        state = 2 * (self.nx + 3) * (self.ny + 3) * item + 64 * (self.ny + 3) * 8  # states + kernel row buffers
        return make_cost(what, "plate", pts, state, duration, self.sr, self.oversample, n_pickups)

    def check_budget(self, duration: float, *, n_pickups: int = 1, precision: str = "double") -> FDCost:
        """:meth:`estimate`, refused over the memory or time budget
        (:func:`physsynth.fd._common.check_cost`) with what would get under it."""
        return check_cost(
            self.estimate(duration, n_pickups=n_pickups, precision=precision),
            "use a smaller or thicker plate (fewer grid points: --size), a coarser grid (--grid), "
            "a lower --sr or --oversample, or a shorter --duration",
        )

    def coefficients(self) -> tuple[np.ndarray, np.ndarray]:
        """(a, b) for :func:`physsynth.kernels.fd.plate_steps` (docs/fd-theory.md eq. P5)."""
        k = self.k
        ax, ay = 1.0 / self.hx**2, 1.0 / self.hy**2
        m = (self.kappa * k) ** 2
        s1 = 2.0 * self.sigma1 * k
        den = 1.0 + self.sigma0 * k
        # Lap Lap = d_xxxx + 2 d_xx d_yy + d_yyyy, each a product of 3-point differences
        a = (
            np.array(
                [
                    2.0 - m * (6 * ax * ax + 6 * ay * ay + 8 * ax * ay) + s1 * (-2 * ax - 2 * ay),
                    -m * (-4 * ax * ax - 4 * ax * ay) + s1 * ax,
                    -m * (-4 * ay * ay - 4 * ax * ay) + s1 * ay,
                    -m * 2 * ax * ay,
                    -m * ax * ax,
                    -m * ay * ay,
                    0.0,
                ]
            )
            / den
        )
        a[6] = 1.0 if self.bc == "clamped" else -1.0
        b = np.array([-(1.0 - self.sigma0 * k) + s1 * (2 * ax + 2 * ay), -s1 * ax, -s1 * ay]) / den
        return a, b

    def kernel_coefficients(self) -> np.ndarray:
        """Coefficients of :func:`physsynth.kernels.fd.plate_steps`, the same scheme as
        :meth:`coefficients` written as a Laplacian of Laplacians (docs/fd-theory.md sec. 3.6):
        [ax, ay, lc, cl0, clx, cly, g1, g0, gx, gy, ghost sign]."""
        k = self.k
        ax, ay = 1.0 / self.hx**2, 1.0 / self.hy**2
        lc = -2.0 * ax - 2.0 * ay
        m = (self.kappa * k) ** 2
        s1 = 2.0 * self.sigma1 * k
        den = 1.0 + self.sigma0 * k
        b = self.coefficients()[1]
        return np.array(
            [
                ax,
                ay,
                lc,
                (s1 - m * lc) / den,
                -m * ax / den,
                -m * ay / den,
                2.0 / den,
                b[0],
                b[1],
                b[2],
                1.0 if self.bc == "clamped" else -1.0,
            ]
        )

    def closed_form(self, n: int = 10) -> np.ndarray:
        """Lowest n frequencies (Hz) of the simply supported plate,
        f_mn = (pi/2) ((m/a)^2 + (n/b)^2) kappa (Navier; docs/references.md)."""
        if self.bc != "supported":
            raise PhyssynthError(f"the closed form is the simply supported plate's; this scheme's edges are {self.bc}")
        f = sorted(
            (math.pi / 2) * ((m / self.lx) ** 2 + (q / self.ly) ** 2) * self.kappa
            for m in range(1, n + 1)
            for q in range(1, n + 1)
        )
        return np.array(f[:n])


def plate_losses(material, kappa: float, sr: float) -> tuple[float, float]:
    """sigma0 (1/s), sigma1 (m^2/s) matching the material's decay rate at 100 Hz and
    min(5 kHz, 0.4 sr). A plate mode of wavenumber beta has omega = kappa beta^2 and
    decay sigma0 + sigma1 beta^2 = sigma0 + sigma1 omega / kappa: linear in omega, so a
    constant loss factor eta (sigma = eta omega / 2) maps exactly to sigma1 = eta kappa / 2."""
    w1, w2 = 2 * math.pi * 100.0, 2 * math.pi * min(5000.0, 0.4 * sr)
    d1, d2 = (float(material.damping.decay_rate(w)) for w in (w1, w2))
    s1 = kappa * (d2 - d1) / (w2 - w1)
    s0 = d1 - s1 * w1 / kappa
    return max(s0, 0.0), max(s1, 0.0)


def plate(
    size: tuple[float, float],
    thickness: float,
    material,
    *,
    bc: str = "supported",
    sr: int = 48000,
    oversample: int = 1,
    grid: float | None = None,
    loss: tuple[float, float] | None = None,
) -> PlateScheme:
    """Design a stable plate scheme.

    Parameters
    ----------
    size : (float, float), m
        Side lengths (lx, ly).
    thickness : float, m
    material : Material
        E, nu, rho; its damping law gives sigma0, sigma1 (:func:`plate_losses`).
    bc : str or sequence of 4 str
        "supported", "clamped" or "free": one for all four edges, or four, for the edges
        x = 0, x = lx, y = 0, y = ly ("clamped,free,free,free" is a cantilever plate). All
        supported or all clamped run on the 13-point stencil kernels; free or mixed edges on
        the energy-built sparse operator (``physsynth.fd.free``; a clamped edge adds its
        curvature energy, a supported one only fixes its points).
    sr : int, Hz
    oversample : int
        Scheme rate = sr x oversample.
    grid : float, m, optional
        Requested spacing; default the stability limit (least numerical dispersion).
        A spacing below the limit raises :class:`~physsynth.errors.StabilityError`.
    loss : (sigma0, sigma1), optional
        Override the material's damping (1/s, m^2/s); (0, 0) is lossless.
    """
    bc = parse_plate_bc(bc)
    if isinstance(size, str) or not hasattr(size, "__len__") or len(size) != 2:
        raise PhyssynthError(f"plate size must be two side lengths (lx, ly) in metres, got {size!r}")
    lx, ly = (validate.positive(v, f"plate side {n}", "m", hi=1e4) for v, n in zip(size, ("lx", "ly")))
    # thicker than its shorter side, a plate is a block (Kirchhoff theory long invalid)
    H = validate.positive(thickness, "plate thickness", "m", hi=min(lx, ly))
    if H > 0.1 * min(lx, ly):
        log.info(
            "thickness %.3g m is more than a tenth of the shorter side: Kirchhoff theory "
            "overestimates the higher frequencies of such a thick plate",
            H,
        )
    fs = scheme_rate(sr, oversample)
    k = 1.0 / fs
    D = material.E * H**3 / (12.0 * (1.0 - material.nu**2))
    rho_h = material.rho * H
    kappa = math.sqrt(D / rho_h)
    if loss is None:
        s0, s1 = plate_losses(material, kappa, sr)
    else:
        if isinstance(loss, str) or not hasattr(loss, "__len__") or len(loss) != 2:
            raise PhyssynthError(f"loss must be (sigma0 1/s, sigma1 m^2/s), got {loss!r}")
        s0 = validate.nonnegative(loss[0], "loss sigma0", "1/s")
        s1 = validate.nonnegative(loss[1], "loss sigma1", "m^2/s")
    if not (math.isfinite(kappa) and kappa > 0 and math.isfinite(s0) and math.isfinite(s1)):
        raise PhyssynthError(
            f"the plate's stiffness or losses are not finite (kappa {kappa:g} m^2/s); check the material"
        )
    h_min = plate_h_min(kappa, s1, k)
    fix = "use a smaller plate, a coarser --grid, or a lower --sr/--oversample"
    if grid is None:
        check_grid(lx / h_min, ly / h_min, "the plate", fix)
        nx, ny = int(lx / h_min), int(ly / h_min)
    else:
        grid = validate.positive(grid, "grid spacing", "m")
        check_grid(lx / grid, ly / grid, "the plate", fix)
        nx, ny = max(1, round(lx / grid)), max(1, round(ly / grid))
        if not _plate_stable(kappa, s1, k, lx / nx, ly / ny):
            raise stability_message("plate", grid, h_min, _plate_fs_needed(kappa, s1, lx / nx, ly / ny), oversample)
    if nx < 4 or ny < 4:
        raise PhyssynthError(
            f"the plate grid would have {nx} x {ny} intervals (< 4) at the "
            f"stability limit {h_min:.3g} m; raise the sample rate or oversample, "
            "or make the plate larger or thinner"
        )
    sch = PlateScheme(lx, ly, H, kappa, rho_h, s0, s1, bc, fs, int(sr), int(oversample), nx, ny, float(material.nu))
    log.info(
        "plate: %d x %d grid, h = %.4g x %.4g m (limit %.4g m), kappa = %.4g m^2/s, "
        "sigma0 = %.3g 1/s, sigma1 = %.3g m^2/s",
        nx,
        ny,
        sch.hx,
        sch.hy,
        h_min,
        kappa,
        s0,
        s1,
    )
    return sch


@functools.lru_cache(maxsize=8)
def free_operator(sch: PlateScheme):
    """(FreeOperator, CSR step matrices) of a plate with free or mixed edges
    (``physsynth.fd.free``); checks that
    Gershgorin's bound on M^{-1} K stays within the stability limit the grid was designed for."""

    nx, ny, hx, hy = sch.nx, sch.ny, sch.hx, sch.hy
    K = plate_stiffness(nx, ny, hx, hy, sch.nu)
    if "clamped" in sch.edges:
        K = K + clamped_edge_stiffness(nx, ny, hx, hy, sch.nu, sch.edges)
    rigid = 3 if sch.bc == "free" else None  # None: worked out from the fixed edges
    op = FreeOperator(
        nx, ny, hx, hy, sch.kappa**2 * K, laplacian_stiffness(nx, ny, hx, hy), active_mask(nx, ny, sch.edges), rigid
    )
    ga, gb = op.bound()
    k = sch.k
    if ga * k * k / 4 + sch.sigma1 * k * gb > 1.0 + 1e-9:  # pragma: no cover - by construction
        raise PhyssynthError(
            f"plate with edges {sch.bc}: the assembled operator exceeds the "
            "stability bound; use a coarser grid or oversample"
        )
    return op, op.step_matrices(k, sch.sigma0, sch.sigma1)


# both states in at most this many bytes: the in-cache kernel (this machine: 1 MB L2 per core;
# measured on the reverb grid, 2 x 251 kB: 1.2-1.35 G updates/s, the wavefront 0.8)
IN_CACHE_BYTES = 768 * 1024


def run_plate(
    sch: PlateScheme,
    u0,
    u1,
    n_steps: int,
    *,
    pickups=(),
    velocity=True,
    force=None,
    force_at=None,
    depth: int | None = None,
    block: int | None = None,
    kernel: str = "auto",
):
    """Advance ``n_steps``; returns (out (n_pk, n_steps), (prev, cur)) at the scheme rate.

    ``u0``, ``u1`` (shape ``sch.shape``, C-contiguous float64 or float32) are the states at n-1
    and n and are overwritten (the kernel updates in place, rotating the two). ``force`` (N,
    scheme rate) enters at ``force_at`` = (x, y) m, spread bilinearly. Free or mixed edges: the
    pickups read the elastic motion (the rigid-body part is subtracted, ``physsynth.fd.free``).

    Kernels (all the same scheme, equal to round-off):

    - ``"simd"`` (:func:`physsynth.kernels.fd_simd.plate_steps_simd`, explicit SIMD, float64,
      ny >= 21): the default where it applies; ``depth`` steps per sweep (default 1 when both
      states fit in L2, ``IN_CACHE_BYTES``, else 16);
    - ``"wavefront"`` (:func:`physsynth.kernels.fd.plate_steps`), ``depth`` default 8;
    - ``"blocked"`` (:func:`physsynth.kernels.fd.plate_steps_blocked`), ``block`` rows per block.

    ``kernel="auto"``: ``block`` given -> blocked; ``depth`` given -> wavefront; else simd where
    it applies, otherwise blocked in cache and the wavefront (depth 8) out of it.
    """
    if kernel not in ("auto", "simd", "wavefront", "blocked"):
        raise PhyssynthError(f"unknown plate kernel {kernel!r}; use auto, simd, wavefront or blocked")
    if sch.uses_operator:
        op, mats = free_operator(sch)
        return run_free(
            op,
            sch.k,
            sch.sigma0,
            sch.sigma1,
            sch.rho_h,
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
    # the kernels compile for float64 or float32 states (single precision: every coefficient,
    # buffer and weight in float32 too, so that nothing in the loops is promoted to float64)
    dt = u0.dtype.type
    if dt not in (np.float64, np.float32) or u1.dtype != u0.dtype:
        raise PhyssynthError(f"plate states must both be float64 or both float32, got {u0.dtype} and {u1.dtype}")
    c = sch.kernel_coefficients().astype(dt)
    pk_i, pk_j, pk_w, force, si, sj, sw = grid_taps(sch, pickups, force, force_at, ghost=1, mass_per_area=sch.rho_h)
    pk_w, force, sw = pk_w.astype(dt), force.astype(dt), sw.astype(dt)
    out = np.zeros((len(pickups), int(n_steps)))
    in_cache = 2 * u0.nbytes <= IN_CACHE_BYTES
    simd_ok = dt is np.float64 and sch.ny >= MIN_NY
    if kernel == "auto":
        kernel = (
            "blocked"
            if block is not None
            else "wavefront"
            if depth is not None
            else "simd"
            if simd_ok
            else "blocked"
            if in_cache
            else "wavefront"
        )
    if kernel == "simd" and not simd_ok:
        raise PhyssynthError(
            f"the simd plate kernel needs float64 states and ny >= {MIN_NY} "
            f"(this grid: ny = {sch.ny}, {u0.dtype}); use kernel='auto'"
        )
    if kernel == "simd":
        depth = max(1, int((1 if in_cache else 16) if depth is None else depth))
        # depth 1 in cache: the whole grid is one chunk (one intrinsic call per step)
        chunk = sch.nx + 1 if depth == 1 else 2
        r = plate_steps_simd(
            u0,
            u1,
            c,
            plate_simd_buffers(sch.ny, depth),
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
            depth,
            chunk,
        )
    elif kernel == "blocked":
        r = plate_steps_blocked(
            u0,
            u1,
            c,
            plate_block_buffers(sch.nx, sch.ny, block).astype(dt),
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
        )
    else:
        depth = max(1, int(8 if depth is None else depth))
        r = plate_steps(
            u0,
            u1,
            c,
            plate_buffers(sch.nx, sch.ny, depth).astype(dt),
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
            depth,
        )
    return out, ((u0, u1) if r == 0 else (u1, u0))


def render_plate(
    sch: PlateScheme,
    *,
    duration: float,
    strike=None,
    pickups=None,
    contact_time: float = 5e-4,
    force: float = 1.0,
    quantity: str = "velocity",
    precision: str = "double",
) -> np.ndarray:
    """Strike the plate at rest with a raised-cosine force and record the pickups.

    Parameters
    ----------
    sch : PlateScheme
    duration : float, s
    strike : (float, float), m, optional
        Strike point; default (0.37 lx, 0.29 ly), off every low mode's nodal lines.
    pickups : sequence of (float, float), m, optional
        Default one pickup at (0.71 lx, 0.63 ly).
    contact_time : float, s
    force : float, N
        Peak force.
    quantity : {"velocity", "displacement"}
    precision : {"double", "single"}
        Float type of the grid state (:func:`physsynth.fd._common.state_dtype`): single
        precision runs about 1.3x faster in cache (the plate-reverb case) at a drift of about
        -60 dB from double precision's waveform after a second, with the same partials.

    Returns
    -------
    ndarray, shape (n_pickups, round(duration sr)), m/s or m
    """
    if sch.uses_operator and state_dtype(precision) is not np.float64:
        raise PhyssynthError(
            "a plate with free or mixed edges runs in double precision only "
            "(its sparse operator path); drop --precision single or use the "
            "same supported or clamped condition on all four edges"
        )
    return render_2d(
        sch,
        run_plate,
        duration=duration,
        strike=strike,
        pickups=pickups,
        contact_time=contact_time,
        force=force,
        quantity=quantity,
        precision=precision,
    )


def plate_energy(sch: PlateScheme, u_prev: np.ndarray, u_cur: np.ndarray) -> float:
    """Numerical energy (J) at step n - 1/2, NSS sec. 12.1.3 and 12.3:

    H = rho H [ 1/2 ||d_t- u||^2 + kappa^2/2 <Lap_h u, e_t- Lap_h u>_e
                - sigma1 k / 2 ||d_t- grad_h u||^2 ]

    where <.,.>_e weights the edge points by 1/2 (there Lap_h u is 2 u_1 / h^2 for a clamped
    edge and 0 for a supported one). Without loss H is constant to round-off; with loss
    H^{n+1/2} - H^{n-1/2} = -2 k rho H (sigma0 ||d_t. u||^2 + sigma1 ||d_t. grad_h u||^2) <= 0.
    Free plate: the energy of ``physsynth.fd.free`` (same balance, M- and K-weighted).
    """
    if sch.uses_operator:
        return sch.rho_h * free_operator(sch)[0].energy(sch.k, sch.sigma1, u_prev, u_cur)
    k, hx, hy = sch.k, sch.hx, sch.hy
    nx, ny = sch.nx, sch.ny
    dA = hx * hy
    kin = 0.5 * dA * np.sum(((u_cur - u_prev)[2 : nx + 1, 2 : ny + 1] / k) ** 2)

    def lap(u):  # on grid points 0..nx x 0..ny (padded 1..nx+1), using the ghosts
        c = u[1 : nx + 2, 1 : ny + 2]
        return (u[2 : nx + 3, 1 : ny + 2] + u[0 : nx + 1, 1 : ny + 2] - 2 * c) / hx**2 + (
            u[1 : nx + 2, 2 : ny + 3] + u[1 : nx + 2, 0 : ny + 1] - 2 * c
        ) / hy**2

    w = np.ones((nx + 1, ny + 1))
    w[0, :] = w[-1, :] = w[:, 0] = w[:, -1] = 0.5
    # The corners' Laplacian vanishes (their neighbours are edge points, u = 0): weight moot.
    pot = 0.5 * sch.kappa**2 * dA * np.sum(w * lap(u_prev) * lap(u_cur))
    g0 = u_prev[1 : nx + 2, 1 : ny + 2]
    g1 = u_cur[1 : nx + 2, 1 : ny + 2]
    d = g1 - g0
    grad2 = np.sum((np.diff(d, axis=0) / hx) ** 2) + np.sum((np.diff(d, axis=1) / hy) ** 2)
    corr = -0.5 * sch.sigma1 * k * dA * grad2 / k**2
    return float(sch.rho_h * (kin + pot + corr))


def plate_step_numpy(sch: PlateScheme, u0, u1):
    """One step of the plate scheme in plain numpy (the reference the kernel is tested against)."""
    a, b = sch.coefficients()
    nx, ny = sch.nx, sch.ny
    u2 = np.zeros_like(u1)
    I, J = slice(2, nx + 1), slice(2, ny + 1)

    def s(arr, di, dj):
        return arr[2 + di : nx + 1 + di, 2 + dj : ny + 1 + dj]

    u2[I, J] = (
        a[0] * s(u1, 0, 0)
        + a[1] * (s(u1, -1, 0) + s(u1, 1, 0))
        + a[2] * (s(u1, 0, -1) + s(u1, 0, 1))
        + a[3] * (s(u1, -1, -1) + s(u1, -1, 1) + s(u1, 1, -1) + s(u1, 1, 1))
        + a[4] * (s(u1, -2, 0) + s(u1, 2, 0))
        + a[5] * (s(u1, 0, -2) + s(u1, 0, 2))
        + b[0] * s(u0, 0, 0)
        + b[1] * (s(u0, -1, 0) + s(u0, 1, 0))
        + b[2] * (s(u0, 0, -1) + s(u0, 0, 1))
    )
    sg = a[6]
    u2[:, 0] = sg * u2[:, 2]
    u2[:, ny + 2] = sg * u2[:, ny]
    u2[0, :] = sg * u2[2, :]
    u2[nx + 2, :] = sg * u2[nx, :]
    return u2
