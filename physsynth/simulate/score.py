"""Rendering a score: its events resolved to modal sources and time-stepped as one simulation.

Every event of a :class:`~physsynth.excitation.score.Score` acts on the same modal state,
time-stepped once from start to end (:func:`physsynth.simulate.contact.run_sources`): a mallet
that strikes a ringing bowl meets a moving surface, and the result is one continuous
simulation, not a sum of separate renders. Each event starts on the sample round(time * sr).
:func:`mallet_strike` is the one-event score of a physical mallet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physsynth import validate
from physsynth._progress import log
from physsynth.errors import PhyssynthError, RenderError
from physsynth.excitation.mallet import MALLETS as PHYSICAL
from physsynth.excitation.mallet import get_mallet
from physsynth.excitation.score import Event, Score, ScoreError, event_error, event_from_fields, resolve_position
from physsynth.excitation.signals import force_from_wav, noise_burst
from physsynth.excitation.strike import MALLETS as PULSES
from physsynth.excitation.strike import contact_pulse
from physsynth.pickups import Pickup, as_pickups, output_weights, point_weights, surface_index
from physsynth.simulate.contact import ForceSource, KickSource, MalletSource, run_sources
from physsynth.simulate.modal import QUANTITIES, ModalState, check_quantity, modes_below


@dataclass(frozen=True)
class ScoreResult:
    """A rendered score.

    Attributes
    ----------
    audio : ndarray, shape (n_channels, n)
    force : ndarray, shape (n,), N
        Total mallet contact force at each sample.
    sr : float, Hz
    mallets : list of dict
        Per mallet event, in score order: time, node, contact_time (first contact, s),
        total_contact_time (s), peak_force (N), contacts, rebound_velocity (m/s),
        max_compression (m).
    nodes : list of int
        Node of each event (score order).
    directions : list of ndarray
    n_sub : int
        Sub-steps per sample during contacts.
    state : ModalState
        The modes at the last sample: pass as ``state=`` to continue.
    dropped : int
        Events after the end of the render (not played).
    """

    audio: np.ndarray
    force: np.ndarray
    sr: float
    mallets: list
    nodes: list
    directions: list
    n_sub: int
    state: object
    dropped: int = 0


def _signal(ev: Event, sr: int):
    """The force signal of a strike, noise or force event (N at ``sr``); None for the others."""
    p = ev.params
    try:
        if ev.kind == "strike":
            ct = p.get("contact_time", PULSES[p.get("mallet", "medium")])
            return contact_pulse(ct, sr=sr, impulse=p.get("impulse", 1e-2))
        if ev.kind == "noise":
            return noise_burst(
                p.get("duration", 0.1), sr=sr, rms=p.get("force", 0.1), band=p.get("band"), seed=p.get("seed", 0)
            )
        if ev.kind == "force":
            return force_from_wav(p["file"], sr=sr, gain=p.get("gain", 1.0), channel=p.get("channel", 0))
    except PhyssynthError as exc:
        key = {"strike": "contact_time", "noise": "band" if "band" in str(exc) else "duration", "force": "file"}[
            ev.kind
        ]
        raise event_error(ev.origin, key, str(exc)) from None
    return None


def render_score(
    model,
    score,
    pickups=None,
    *,
    sr: float,
    duration: float | None = None,
    tail: float = 2.0,
    quantity: str = "velocity",
    fmax: float | None = None,
    state=None,
    n_sub: int | None = None,
) -> ScoreResult:
    """Render a score of events on a ModalModel, in one continuous simulation.

    Parameters
    ----------
    model : ModalModel
    score : Score or sequence of Event
    pickups : Pickup or sequence of Pickup, optional
        Default: one pickup at the first event's point, along its direction.
    sr : float, Hz
    duration : float, optional, s
        Default: the last event's end plus ``tail``.
    tail : float, s
    quantity : {"displacement", "velocity", "acceleration"}
    fmax : float, optional, Hz
        Leave out modes above this (always those at or above 0.49 sr).
    state : ModalState, optional
        Start from this modal state (e.g. a previous render's ``state``) instead of rest.
    n_sub : int, optional
        Sub-steps per sample during contacts (default: 64 per shortest possible contact).

    Returns
    -------
    ScoreResult
    """
    if isinstance(score, Event):
        score = [score]
    try:
        events = list(score.events if isinstance(score, Score) else score)
    except TypeError:
        raise ScoreError(f"a score is a Score or a list of Event objects, got {type(score).__name__}") from None
    if not events:
        raise ScoreError("the score has no events")
    for ev in events:
        if not isinstance(ev, Event):
            raise ScoreError(f"a score holds Event objects, got {type(ev).__name__}")
    check_quantity(quantity)
    sr = validate.sample_rate(sr)
    tail = validate.nonnegative(tail, "tail", "s")
    omega, sigma, shapes = modes_below(model, sr=sr, fmax=fmax)
    if state is not None:
        if not isinstance(state, ModalState):
            raise PhyssynthError(f"state must be a ModalState (a previous render's .state), got {type(state).__name__}")
        if state.q.shape != omega.shape:
            raise PhyssynthError(
                f"the state has {state.q.shape[0]} modes, the render {omega.size} "
                "(use the same model, fmax and sample rate)"
            )

    # signals first (their lengths set the default duration), then the sources
    signals = [_signal(ev, sr) for ev in events]
    if duration is None:
        duration = max(ev.time + (0.0 if sig is None else len(sig) / sr) for ev, sig in zip(events, signals)) + tail
    pickups = None if pickups is None else as_pickups(pickups, None)
    n = validate.check_samples(duration, sr, 1 if pickups is None else len(pickups))

    forces, kicks, mallets = [], [], []
    nodes, dirs, mallet_events = [], [], []
    dropped = 0
    index = surface_index(model)
    laws = {}
    for ev, sig in zip(events, signals):
        try:
            node, d = resolve_position(model, ev.at, ev.angle, ev.direction, index=index)
        except PhyssynthError as exc:
            raise event_error(ev.origin, "at", str(exc)) from None
        nodes.append(node)
        dirs.append(d)
        start = int(round(ev.time * sr))
        if start >= n:
            dropped += 1
            continue
        g = point_weights(shapes, node, d, ev.origin)
        p = ev.params
        if ev.kind == "mallet":
            m = p.get("mallet", "rubber")
            m = PHYSICAL[m] if isinstance(m, str) else m
            if "mass" in p:
                m = m.with_(mass=p["mass"])
            try:
                law = laws[m] if m in laws else laws.setdefault(m, m.law(model.material))
            except PhyssynthError as exc:
                raise event_error(ev.origin, "mallet", str(exc)) from None
            mallets.append(MalletSource(start, g, law, m.mass, p.get("velocity", m.velocity)))
            mallet_events.append((ev, node))
        elif ev.kind == "pluck":
            f = p.get("force", 1.0)
            kicks.append(KickSource(start, g * f / omega**2, np.zeros_like(g)))
        else:
            forces.append(ForceSource(start, g, sig))
    if dropped:
        log.info("%d event(s) start after the end of the render (%.3g s) and are left out", dropped, duration)
    if not (forces or kicks or mallets) and state is None:
        raise ScoreError(f"no event starts within the render's {duration:g} s")
    drives = [np.any(s.g) for s in (*forces, *mallets)] + [np.any(s.dq) for s in kicks]
    if state is None and not any(drives):
        raise RenderError("every event is on a nodal point of the modes kept: the render would be silent")

    if pickups is None:
        pickups = [Pickup(nodes[0], dirs[0], model.mesh.points[nodes[0]])]
    # listeners (Pa) are two rows each, combined by finish (physsynth.pickups.output_weights)
    w, finish = output_weights(model, shapes, pickups, omega=omega, sigma=sigma, sr=sr, quantity=QUANTITIES[quantity])
    sim = run_sources(
        omega,
        sigma,
        w,
        sr=sr,
        n_samples=n,
        quantity=quantity,
        forces=forces,
        kicks=kicks,
        mallets=mallets,
        state=state,
        n_sub=n_sub,
    )
    stats = []
    for (ev, node), row in zip(mallet_events, sim.stats):
        stats.append(
            {
                "time": ev.time,
                "node": node,
                "peak_force": float(row[0]),
                "total_contact_time": float(row[1]),
                "contacts": int(row[2]),
                "contact_time": float(row[3] if row[3] > 0 else row[1]),
                "rebound_velocity": float(row[4]),
                "max_compression": float(row[5]),
            }
        )
    return ScoreResult(finish(sim.audio), sim.force, float(sr), stats, nodes, dirs, sim.n_sub, sim.state, dropped)


@dataclass(frozen=True)
class MalletHit:
    """The result of one mallet strike.

    Attributes
    ----------
    audio : ndarray, shape (n_channels, n)
        The pickups, in the units of the quantity asked for.
    force : ndarray, shape (n,), N
        Contact force at each sample.
    contact_time : float, s
        Duration of the first contact.
    total_contact_time : float, s
        All contacts together (several when the mallet bounces).
    peak_force : float, N
    contacts : int
        Number of separate contacts (1 + bounces).
    rebound_velocity : float, m/s
        Mallet velocity along the strike direction at the end of its last contact (negative:
        away from the surface).
    max_compression : float, m
    node : int
        Mesh node struck.
    direction : ndarray, shape (3,)
    n_sub : int
        Sub-steps per sample used during contact.
    """

    audio: np.ndarray
    force: np.ndarray
    contact_time: float
    total_contact_time: float
    peak_force: float
    contacts: int
    rebound_velocity: float
    max_compression: float
    node: int
    direction: np.ndarray
    n_sub: int


def mallet_strike(
    model,
    at,
    *,
    mallet="rubber",
    velocity=None,
    direction=None,
    pickups=None,
    sr: float,
    duration: float,
    quantity: str = "velocity",
    fmax: float | None = None,
) -> MalletHit:
    """Strike a ModalModel with a physical mallet and render its pickups.

    Parameters
    ----------
    model : ModalModel
    at : array_like, shape (3,), m, or str
        Strike point (snapped to the nearest surface node) or a position name understood by
        :func:`physsynth.excitation.score.resolve_position` (a region, a selector, "rim").
    mallet : str or Mallet
        A preset name (:data:`MALLETS`) or a Mallet.
    velocity : float, optional, m/s
        Impact velocity (default: the mallet's).
    direction : array_like, shape (3,), optional
        Stroke direction (default: into the surface).
    pickups : Pickup or sequence of Pickup, optional
        Default: the strike point along the stroke direction.
    sr : float, Hz
    duration : float, s
    quantity : {"displacement", "velocity", "acceleration"}
    fmax : float, optional, Hz
        Leave out modes above this frequency (default: below 0.49 sr).

    Returns
    -------
    MalletHit
    """
    m = get_mallet(mallet)
    ev = event_from_fields(
        {
            "time": 0.0,
            "kind": "mallet",
            "at": at,
            "direction": direction,
            "mallet": m,
            "velocity": m.velocity if velocity is None else velocity,
        },
        "mallet strike",
    )
    res = render_score(model, [ev], pickups, sr=sr, duration=duration, quantity=quantity, fmax=fmax)
    st = res.mallets[0]
    return MalletHit(
        res.audio,
        res.force,
        st["contact_time"],
        st["total_contact_time"],
        st["peak_force"],
        st["contacts"],
        st["rebound_velocity"],
        st["max_compression"],
        res.nodes[0],
        res.directions[0],
        res.n_sub,
    )
