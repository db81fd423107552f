"""The coupled time stepping of modes, prescribed forces, plucks and mallets.

The sources a score is made of, each already reduced to the modes:

- :class:`ForceSource`: a prescribed force signal (N) at a point from a sample on;
- :class:`KickSource`: a sudden change of the modal state (a released pluck);
- :class:`MalletSource`: a mallet arriving at a point with a velocity.

:func:`run_sources` builds the kernel's arrays, picks the number of sub-steps a contact needs
and runs ``physsynth.kernels.contact.score_block`` once over the whole duration (the modal
state is shared by every source, so events overlap physically rather than by adding renders).
:func:`impact` is one mallet on a bare bank of modes (no mesh), for analysis and tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physsynth import validate
from physsynth.errors import PhyssynthError, RenderError
from physsynth.excitation.mallet import ContactLaw, MalletError, check_velocity
from physsynth.kernels.contact import N_CUR, N_MPAR, N_MSTATE, N_STATS, score_block
from physsynth.simulate.modal import ModalState, check_quantity, step_coefficients

#: Largest number of sub-steps per sample (a steel ball on steel at 48 kHz needs ~50).
MAX_SUB = 2048


@dataclass(frozen=True)
class ForceSource:
    """A force signal (N, one sample per output sample from ``start`` on) along g."""

    start: int
    g: np.ndarray
    signal: np.ndarray


@dataclass(frozen=True)
class KickSource:
    """Add dq, dv (shape (n_modes,)) to the modal state at sample ``start``."""

    start: int
    dq: np.ndarray
    dv: np.ndarray


@dataclass(frozen=True)
class MalletSource:
    """A mallet (mass kg, law) arriving at sample ``start`` with ``velocity`` (m/s) along the
    direction whose modal weights are g; it is taken away once ``release_gap`` (m) clear of
    the surface or ``release_time`` (s) after its last contact."""

    start: int
    g: np.ndarray
    law: ContactLaw
    mass: float
    velocity: float
    release_gap: float = 2e-3
    release_time: float = 0.5


@dataclass(frozen=True)
class Simulation:
    """What :func:`run_sources` returns.

    Attributes
    ----------
    audio : ndarray, shape (n_out, n)
    force : ndarray, shape (n,), N
        Total contact force at each sample.
    stats : ndarray, shape (n_mallets, 6)
        Per mallet (input order): peak force N, total contact time s, number of contacts,
        first contact's duration s, mallet velocity at the end of its last contact m/s
        (negative: away from the surface), largest compression m.
    state : ModalState
        The modes at the last sample (to continue with ``state=``).
    n_sub : int
    trace : ndarray, shape (n * n_sub,) or (0,), N
        Force of the traced mallet at every sub-step.
    trace_times : ndarray, same shape, s
    """

    audio: np.ndarray
    force: np.ndarray
    stats: np.ndarray
    state: ModalState
    n_sub: int
    trace: np.ndarray
    trace_times: np.ndarray


def _hereditary(law: ContactLaw, h: float):
    """E = exp(-h/tau) and the weights a0, a1 of s at a step's start and end in the exact
    update Z1 = E Z0 + a0 s0 + a1 s1 of Z' = (s - Z)/tau for s linear over the step."""
    if law.eps == 0.0:
        return 1.0, 0.0, 0.0
    r = h / law.tau
    one_m_e = -math.expm1(-r)
    if r < 1e-4:  # series, to avoid cancellation in 1 - (1 - E) / r
        a1 = r / 2 - r * r / 6
        a0 = r / 2 - r * r / 3
    else:
        a1 = 1.0 - one_m_e / r
        a0 = one_m_e / r - (1.0 - one_m_e)
    return 1.0 - one_m_e, a0, a1


def choose_substeps(mallets, sr: float, points_per_contact: int = 64) -> int:
    """Sub-steps per sample so that the shortest possible contact (each mallet's elastic
    law against an immobile body, at its impact velocity) spans ``points_per_contact``."""
    n_sub = 1
    for m in mallets:
        t = m.law.rigid_contact_time(m.mass, m.velocity)
        n_sub = max(n_sub, math.ceil(points_per_contact / (t * sr)))
    if n_sub > MAX_SUB:
        raise RenderError(
            f"a contact of {1e6 * points_per_contact / (n_sub * sr):.3g} us is too "
            f"short to resolve at {sr:g} Hz (more than {MAX_SUB} sub-steps per sample); "
            "use a softer mallet, a slower stroke or a higher sample rate"
        )
    return n_sub


def run_sources(
    omega,
    sigma,
    w,
    *,
    sr: float,
    n_samples: int,
    quantity: str = "velocity",
    forces=(),
    kicks=(),
    mallets=(),
    state: ModalState | None = None,
    n_sub: int | None = None,
    points_per_contact: int = 64,
    trace_mallet: int | None = None,
) -> Simulation:
    """Time-step modes driven by forces, plucks and mallets; read them at pickups.

    Parameters
    ----------
    omega, sigma : array_like, shape (n_modes,)
        Angular frequencies (rad/s) and decay rates (1/s).
    w : array_like, shape (n_out, n_modes)
        Pickup weights phi_k(pickup) . d.
    sr : float, Hz
    n_samples : int
    quantity : {"displacement", "velocity", "acceleration"}
    forces, kicks, mallets : sequences of ForceSource, KickSource, MalletSource
    state : ModalState, optional
        Initial modal state (default: at rest).
    n_sub : int, optional
        Sub-steps per sample during contact (default from :func:`choose_substeps`).
    trace_mallet : int, optional
        Index (in ``mallets``) of a mallet whose force is recorded at every sub-step.

    Returns
    -------
    Simulation
    """
    qcode = check_quantity(quantity)
    omega = np.ascontiguousarray(omega, dtype=np.float64).reshape(-1)
    sigma = np.ascontiguousarray(sigma, dtype=np.float64).reshape(-1)
    nm = omega.size
    w = np.ascontiguousarray(np.atleast_2d(np.asarray(w, dtype=np.float64)))
    if w.shape[1] != nm:
        raise PhyssynthError(f"pickup weights must have shape (n_out, {nm}), got {w.shape}")
    sr = validate.sample_rate(sr)
    n_samples = validate.integer(n_samples, "the number of samples", lo=1)
    validate.check_samples(n_samples / sr, sr, w.shape[0] + 1)
    h = 1.0 / sr
    mallets = list(mallets)
    if n_sub is None:
        n_sub = choose_substeps(mallets, sr, points_per_contact)
    n_sub = validate.integer(n_sub, "n_sub (sub-steps per sample)", lo=1, hi=MAX_SUB)
    if trace_mallet is not None:
        validate.check_memory(
            8.0 * n_samples * n_sub, f"a force trace of {n_samples} x {n_sub} sub-steps", "shorten the render"
        )
    if nm:
        cA = step_coefficients(omega, sigma, h=h)
        cS = step_coefficients(omega, sigma, h=h / n_sub)
    else:
        cA = np.zeros((8, 0))
        cS = np.zeros((8, 0))
    hs = h / n_sub

    forces = sorted(forces, key=lambda s: s.start)
    n_ext = len(forces)
    ext_start = np.array([s.start for s in forces], dtype=np.int64)
    ext_len = np.array([len(s.signal) for s in forces], dtype=np.int64)
    ext_off = np.zeros(n_ext, dtype=np.int64)
    if n_ext:
        ext_off[1:] = np.cumsum(ext_len)[:-1]
        ext_buf = np.ascontiguousarray(np.concatenate([np.asarray(s.signal, float) for s in forces]))
        ext_g = np.ascontiguousarray(np.stack([s.g for s in forces]), dtype=np.float64)
    else:
        ext_buf = np.zeros(0)
        ext_g = np.zeros((0, nm))
    ext_wg = np.ascontiguousarray(ext_g @ w.T)

    kicks = sorted(kicks, key=lambda s: s.start)
    kick_start = np.array([s.start for s in kicks], dtype=np.int64)
    kick_dq = np.ascontiguousarray(np.stack([s.dq for s in kicks]) if kicks else np.zeros((0, nm)))
    kick_dv = np.ascontiguousarray(np.stack([s.dv for s in kicks]) if kicks else np.zeros((0, nm)))

    order = sorted(range(len(mallets)), key=lambda i: mallets[i].start)
    n_m = len(mallets)
    m_start = np.array([mallets[i].start for i in order], dtype=np.int64)
    m_g = np.ascontiguousarray(np.stack([mallets[i].g for i in order]) if n_m else np.zeros((0, nm)), dtype=np.float64)
    m_wg = np.ascontiguousarray(m_g @ w.T)
    m_par = np.zeros((n_m, N_MPAR))
    for r, i in enumerate(order):
        s = mallets[i]
        law = s.law
        es, a0, a1 = _hereditary(law, hs)
        ea = _hereditary(law, h)[0]
        gg = m_g[r] ** 2
        m_par[r] = [
            s.mass,
            law.K,
            law.alpha,
            law.lam,
            law.eps,
            es,
            a0,
            a1,
            ea,
            float(gg @ cS[5]),
            float(gg @ cS[7]),
            s.velocity,
            s.release_gap,
            s.release_time * sr,
        ]
    m_state = np.zeros((n_m, N_MSTATE))
    m_stats = np.zeros((n_m, N_STATS))

    if state is None:
        state = ModalState.rest(nm)
    if not isinstance(state, ModalState):
        raise PhyssynthError(f"state must be a ModalState (a previous render's .state), got {type(state).__name__}")
    if state.q.shape != (nm,):
        raise PhyssynthError(f"the initial state has {state.q.shape[0]} modes, the model {nm}")
    q = np.array(state.q, dtype=np.float64)
    v = np.array(state.v, dtype=np.float64)
    pext = np.array(state.p, dtype=np.float64)
    cur = np.zeros(N_CUR, dtype=np.int64)
    cur[5] = 1 if np.any(pext != 0) else 0
    out = np.empty((w.shape[0], n_samples))
    force = np.empty(n_samples)
    trace_m = -1 if trace_mallet is None else order.index(trace_mallet)
    trace = np.zeros(n_samples * n_sub if trace_m >= 0 else 0)
    work = np.zeros((5, nm))
    owork = np.zeros(w.shape[0])
    act = np.zeros(max(n_m, 1), dtype=np.int64)
    fw = np.zeros((3, max(n_m, 1)))
    score_block(
        cA,
        cS,
        n_sub,
        h,
        np.ascontiguousarray(omega**2),
        np.ascontiguousarray(2 * sigma),
        w,
        qcode,
        ext_start,
        ext_off,
        ext_len,
        ext_buf,
        ext_g,
        ext_wg,
        kick_start,
        kick_dq,
        kick_dv,
        m_start,
        m_g,
        m_wg,
        m_par,
        m_state,
        m_stats,
        q,
        v,
        pext,
        cur,
        0,
        out,
        force,
        trace,
        trace_m,
        work,
        owork,
        act,
        fw,
    )
    if not (np.isfinite(out).all() and np.isfinite(q).all()):
        raise RenderError(
            "the simulation produced non-finite values; check the model's "
            "frequencies, damping and the mallet parameters"
        )
    stats = np.zeros_like(m_stats)
    stats[order] = m_stats
    times = (np.arange(trace.size) + 1) * hs - h
    return Simulation(out, force, stats, ModalState(q, v, pext), n_sub, trace, times)


def impact(
    law: ContactLaw,
    mass: float,
    velocity: float,
    *,
    omega=(),
    sigma=(),
    g=(),
    sr: float,
    duration: float = 0.01,
    n_sub: int | None = None,
    points_per_contact: int = 64,
    release_gap: float = 2e-3,
    release_time: float = 0.5,
) -> Simulation:
    """One mallet hitting a point of an arbitrary bank of modes (or an immobile body).

    The low-level form of :func:`physsynth.simulate.score.mallet_strike`, for analysis and
    tests: no mesh needed.

    Parameters
    ----------
    law : ContactLaw
    mass : float, kg
    velocity : float, m/s
    omega, sigma : array_like, shape (n_modes,)
        Angular frequencies (rad/s) and decay rates (1/s) of the object's modes; empty for an
        immobile body (a rigid wall behind the contact spring).
    g : array_like, shape (n_modes,), 1/sqrt(kg)
        The contact point's modal weights phi_k . d.
    sr : float, Hz
        Output rate (the contact is sub-stepped).
    duration : float, s
    n_sub : int, optional
        Sub-steps per sample during contact (default: ``points_per_contact`` per rigid-wall
        contact time).

    Returns
    -------
    Simulation
        Its ``trace`` holds the force at every sub-step (``trace_times`` its times, s) and
        ``audio`` the contact point's velocity.
    """
    try:
        omega, sigma, g = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (omega, sigma, g))
    except (TypeError, ValueError):
        raise MalletError("omega, sigma and g must be arrays of numbers") from None
    if not (omega.shape == sigma.shape == g.shape and omega.ndim == 1):
        raise MalletError("omega, sigma and g must be 1D arrays of the same length")
    if not (np.isfinite(g).all() and np.isfinite(omega).all() and np.isfinite(sigma).all()):
        raise MalletError("omega, sigma and g must be finite")
    mass = validate.positive(mass, "mallet mass", "kg", error=MalletError)
    src = MalletSource(0, g, law, mass, check_velocity(velocity), release_gap, release_time)
    sr = validate.sample_rate(sr)
    n = validate.check_samples(duration, sr)
    return run_sources(
        omega,
        sigma,
        g[None, :],
        sr=sr,
        n_samples=n,
        quantity="velocity",
        mallets=[src],
        n_sub=n_sub,
        points_per_contact=points_per_contact,
        trace_mallet=0,
    )
