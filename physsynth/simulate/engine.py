"""A streaming voice engine: strike a model live, block by block, on one modal state.

:class:`VoiceEngine` is the stateful layer over the score kernel
(``physsynth.kernels.contact.score_block``, the same time stepping as
:func:`physsynth.render_score`): every strike acts on the one set of modes, so a note struck
while the object rings meets a moving surface, and a block chain gives the samples of the
offline render of the same score, to round-off. ::

    eng = VoiceEngine(model, Pickup(...), sr=48000)
    eng.note_on((0.09, 0, 0.08), mallet="felt", velocity=1.5)
    block = eng.process(128)                   # shape (n_pickups, 128), m/s (Pa at a Listener)
    eng.midi(mido.Message("note_on", note=60, velocity=90))

Strikes are physical mallets (``felt``, ``rubber``, ``wood``, ``plastic``, ``metal``:
contact simulated with the object, velocity in m/s) or half-sine pulses (``soft``,
``medium``, ``hard``: the impulse is 0.01 N s per m/s of velocity, a 10 g head stopped dead,
unless given). Changes while sounding are click-free: the output gain and the pickups glide
linearly over ``ramp`` seconds, and a new damping changes the step coefficients of modes
whose state (q, v) is physical and carries over unchanged.
"""

from __future__ import annotations

import numpy as np

from physsynth import validate
from physsynth.errors import PhyssynthError, RenderError
from physsynth.excitation.mallet import MALLETS as PHYSICAL
from physsynth.excitation.mallet import check_velocity, get_mallet
from physsynth.excitation.score import resolve_position, spread_nodes
from physsynth.excitation.strike import MALLETS as PULSES
from physsynth.excitation.strike import contact_pulse
from physsynth.kernels.contact import CU_EXT, CU_EXTLO, CU_M, CU_MLO, N_CUR, N_MPAR, N_MSTATE, N_STATS, score_block
from physsynth.materials import Material
from physsynth.pickups import (
    ChannelStream,
    Listener,
    Pickup,
    output_rows,
    pickup_weights,
    point_weights,
    pressure_gains,
    surface_index,
    tap_rows,
)
from physsynth.simulate.contact import MAX_SUB, MalletSource, _hereditary, choose_substeps
from physsynth.simulate.modal import ModalState, check_quantity, modes_below, step_coefficients

#: Impulse (N s) of a half-sine pulse per m/s of note velocity: a 10 g head stopped dead.
PULSE_IMPULSE_PER_VELOCITY = 1e-2
#: Fastest stroke the default number of sub-steps resolves (m/s).
MAX_VELOCITY = 5.0
#: Default glide of gain and pickup changes (s).
RAMP = 0.01
#: MIDI velocity 127 means this impact velocity (m/s) unless told.
MIDI_VELOCITY_MAX = 2.0
#: Most strikes sounding (or waiting) at once; older ones are dropped past this.
MAX_VOICES = 256


def _mallet_parameters(mallets, cS, *, h: float, n_sub: int, sr: float) -> np.ndarray:
    """The kernel's per-mallet constants (rows of m_par), in the layout of
    ``physsynth.simulate.contact.run_sources``, which builds them once for a whole score; the
    engine rebuilds them whenever its strikes or its damping change."""
    par = np.zeros((len(mallets), N_MPAR))
    hs = h / n_sub
    for r, s in enumerate(mallets):
        law = s.law
        es, a0, a1 = _hereditary(law, hs)
        gg = s.g**2
        par[r] = [
            s.mass,
            law.K,
            law.alpha,
            law.lam,
            law.eps,
            es,
            a0,
            a1,
            _hereditary(law, h)[0],
            float(gg @ cS[5]),
            float(gg @ cS[7]),
            s.velocity,
            s.release_gap,
            s.release_time * sr,
        ]
    return par


class _Points:
    """Positions and pickups on a ModalModel or a PortableModel, as modal weights."""

    def __init__(self, model, sr, fmax):
        # a PortableModel (physsynth.export, a layer above this one): weights at exposed points
        # instead of mode shapes on a mesh
        self.portable = hasattr(model, "weights") and hasattr(model, "point_index") and not hasattr(model, "shapes")
        if self.portable:
            limit = 0.49 * sr if fmax is None else min(0.49 * sr, validate.positive(fmax, "fmax", "Hz"))
            keep = model.frequencies < limit
            if not keep.any():
                raise RenderError(f"no mode below {limit:.0f} Hz; raise the sample rate")
            self.omega = 2 * np.pi * model.frequencies[keep]
            self.sigma = model.decay_rates[keep].astype(float)
            self.keep = keep
            self.material = None
            mat = model.provenance.get("material")
            if isinstance(mat, dict):
                try:
                    self.material = Material.from_dict(mat)
                except Exception:  # a hand-written file: the mallet meets a rigid body locally
                    self.material = None
        else:
            self.omega, self.sigma, self.shapes = modes_below(model, sr=sr, fmax=fmax)
            self.material = model.material
            self.index = surface_index(model)
        self.model = model

    def weights(self, at, direction=None, angle=None) -> np.ndarray:
        if self.portable:
            if direction is not None or angle is not None:
                raise PhyssynthError("a portable model's points have fixed directions; give no direction or angle")
            return np.ascontiguousarray(self.model.weights[self.model.point_index(at), self.keep])
        node, d = resolve_position(self.model, at, angle, direction, index=self.index)
        return np.ascontiguousarray(point_weights(self.shapes, node, d))

    def outputs(self, pickups, *, sigma, sr: float, quantity: int):
        """(rows, stream): the kernel's output rows and the ChannelStream that makes channels
        of them when ``pickups`` holds listeners (a ModalModel with radiation data), else
        (:meth:`pickup_weights`, None)."""
        items = [pickups] if isinstance(pickups, Listener) else pickups
        if not (isinstance(items, (list, tuple)) and any(isinstance(p, Listener) for p in items)):
            return self.pickup_weights(pickups), None
        if self.portable:
            return self._portable_outputs(items, sigma=sigma, sr=sr, quantity=quantity)
        pks = []
        for p in items:
            if isinstance(p, (Pickup, Listener)):
                pks.append(p)
            else:
                node, d = resolve_position(self.model, p, None, None, index=self.index)
                pks.append(Pickup(node, d, self.model.mesh.points[node]))
        w, pairs, delays = output_rows(
            self.model, self.shapes, pks, omega=self.omega, sigma=sigma, sr=sr, quantity=quantity
        )
        return w, ChannelStream(pairs, delays)

    def _portable_outputs(self, items, *, sigma, sr: float, quantity: int):
        """A PortableModel's rows: its stored listeners (a Listener matched to the nearest of
        them, within 1 mm) and its exposed points."""
        pm = self.model
        if quantity != 1:
            raise PhyssynthError("a portable model's listeners hear velocity renders (quantity='velocity')")
        gains, delays = [], []
        for p in items:
            if isinstance(p, Listener):
                d = np.linalg.norm(pm.listeners - p.point, axis=1) if pm.n_listeners else np.zeros(0)
                if not d.size or d.min() > 1e-3:
                    raise PhyssynthError(
                        f"listener ({', '.join(f'{v:.4g}' for v in p.point)}) m is not one of the portable model's "
                        f"{pm.n_listeners} listeners; export the model with it (--listener X,Y,Z)"
                    )
                j = int(np.argmin(d))
                H = pm.pressures[j : j + 1, self.keep]
                G, dl = pressure_gains(H, pm.flight_times[j : j + 1], self.omega, sigma, sr=sr, quantity=1)
                gains.append(G[0])
                delays.append(int(dl[0]))
            else:
                gains.append(self.weights(p))
                delays.append(0)
        listening = [isinstance(p, Listener) for p in items]
        w, pairs = tap_rows(np.array(gains, dtype=complex), listening, self.omega, sigma, sr=sr)
        return w, ChannelStream(pairs, delays)

    def pickup_weights(self, pickups) -> np.ndarray:
        if pickups is None:
            if self.portable:
                return self.weights(0)[None, :].copy()
            pickups = [int(spread_nodes(self.model, 1)[0])]
        if isinstance(pickups, Pickup) or not isinstance(pickups, (list, tuple)):
            pickups = [pickups]
        if not pickups:
            raise PhyssynthError("give one pickup at least")
        if all(isinstance(p, Pickup) for p in pickups) and not self.portable:
            return pickup_weights(self.shapes, pickups)
        return np.ascontiguousarray(np.stack([self.weights(p) for p in pickups]))


class VoiceEngine:
    """A ModalModel (or PortableModel) played live: note-ons in, blocks of samples out.

    Parameters
    ----------
    model : ModalModel or PortableModel
    pickups : Pickup, Listener, position, or a list of them, optional
        Where the sound is read (one output channel each). Positions are as
        :func:`physsynth.excitation.score.resolve_position` takes them (points in m, "rim",
        "node:N", ...) or exposed-point indices of a PortableModel. Default: one surface point.
        A :class:`~physsynth.pickups.Listener` (a ModalModel with radiation data) hears the
        pressure in the air (Pa), as in :func:`physsynth.render_score`.
    sr : float, Hz
    quantity : {"displacement", "velocity", "acceleration"}
        What the pickups read (m, m/s, m/s^2).
    fmax : float, optional, Hz
        Leave out modes above this (always those at or above 0.49 sr).
    n_sub : int, optional
        Sub-steps per sample during a contact. Default: enough for every preset mallet at up
        to ``max_velocity`` (:func:`physsynth.simulate.contact.choose_substeps`).
    max_velocity : float, m/s
    ramp : float, s
        Glide time of gain and pickup changes.
    gain : float
        Output gain (linear).
    """

    def __init__(
        self,
        model,
        pickups=None,
        *,
        sr: float,
        quantity: str = "velocity",
        fmax: float | None = None,
        n_sub: int | None = None,
        max_velocity: float = MAX_VELOCITY,
        ramp: float = RAMP,
        gain: float = 1.0,
    ):
        self.sr = validate.sample_rate(sr)
        self.quantity = quantity
        self._qcode = check_quantity(quantity)
        self._pts = _Points(model, self.sr, fmax)
        self.omega = np.ascontiguousarray(self._pts.omega, dtype=np.float64)
        self._sigma0 = np.ascontiguousarray(self._pts.sigma, dtype=np.float64)
        self.ramp = validate.nonnegative(ramp, "ramp", "s", hi=10.0)
        self._gain = validate.nonnegative(gain, "gain")
        self._gain_from = self._gain
        self._gain_left = 0
        self.h = 1.0 / self.sr
        max_velocity = check_velocity(max_velocity)
        if n_sub is None:
            probe = np.zeros(1)
            laws = [MalletSource(0, probe, m.law(self._pts.material), m.mass, max_velocity) for m in PHYSICAL.values()]
            n_sub = choose_substeps(laws, self.sr)
        self.n_sub = validate.integer(n_sub, "n_sub (sub-steps per sample)", lo=1, hi=MAX_SUB)
        nm = self.omega.size
        self._pickups = pickups
        self._w, self._stream = self._pts.outputs(pickups, sigma=self._sigma0, sr=self.sr, quantity=self._qcode)
        self._w_from = None
        self._w_left = 0
        self._set_sigma(self._sigma0, rebuild=False)
        self.q = np.zeros(nm)
        self.v = np.zeros(nm)
        self.pext = np.zeros(nm)
        self.cur = np.zeros(N_CUR, dtype=np.int64)
        self.t = 0  # absolute index of the next sample
        self._forces = []  # (start, g, signal), sorted by start
        self._mallets = []  # (start, g, law, mass, velocity), sorted by start
        self._m_state = np.zeros((0, N_MSTATE))
        self._m_stats = np.zeros((0, N_STATS))
        self._laws = {}
        self._dirty = True
        self.midi_map: dict = {}
        self.midi_mallet = "rubber"
        self.midi_velocity_max = MIDI_VELOCITY_MAX
        self.dropped = 0

    # ------------------------------------------------------------------ state and settings
    @property
    def n_modes(self) -> int:
        return self.omega.size

    @property
    def n_outputs(self) -> int:
        """Output channels: one per pickup or listener."""
        return self._w.shape[0] if self._stream is None else self._stream.n_channels

    @property
    def state(self) -> ModalState:
        """The modes now (a copy), as a render's ``state``."""
        return ModalState(self.q.copy(), self.v.copy(), self.pext.copy())

    @property
    def voices(self) -> int:
        """Strikes still sounding or waiting to start (their contact or force not over)."""
        return len(self._forces) - int(self.cur[CU_EXTLO]) + len(self._mallets) - int(self.cur[CU_MLO])

    def _set_sigma(self, sigma, rebuild=True):
        self.sigma = np.ascontiguousarray(sigma, dtype=np.float64)
        self._cA = step_coefficients(self.omega, self.sigma, h=self.h)
        self._cS = step_coefficients(self.omega, self.sigma, h=self.h / self.n_sub)
        self._om2 = np.ascontiguousarray(self.omega**2)
        self._sig2 = np.ascontiguousarray(2 * self.sigma)
        if rebuild:
            self._dirty = True

    def set_damping(self, scale: float) -> None:
        """Decay rates = ``scale`` x the model's (T60s / scale), from the next sample on.

        Click-free: the modal displacements and velocities carry over; only how they evolve
        changes. Refused if a mode would become overdamped.
        """
        scale = validate.nonnegative(scale, "damping scale", hi=1e6)
        self._set_sigma(self._sigma0 * scale)
        if self._stream is not None:
            # a listener's taps hold the decay (its gain on the analytic signal at the pole)
            w, _ = self._pts.outputs(self._pickups, sigma=self.sigma, sr=self.sr, quantity=self._qcode)
            self._w = w

    def set_gain(self, gain: float) -> None:
        """Glide the output gain to ``gain`` over ``ramp`` seconds."""
        gain = validate.nonnegative(gain, "gain")
        self._gain_from = self._current_gain()
        self._gain = gain
        self._gain_left = int(round(self.ramp * self.sr))

    def _current_gain(self):
        if self._gain_left <= 0:
            return self._gain
        n = max(int(round(self.ramp * self.sr)), 1)
        r = 1.0 - self._gain_left / n
        return self._gain_from + (self._gain - self._gain_from) * r

    def set_pickups(self, pickups) -> None:
        """Move the pickups (same number of outputs), crossfading over ``ramp`` seconds
        (contact pickups only: an engine's listeners stay where they were made)."""
        items = pickups if isinstance(pickups, (list, tuple)) else [pickups]
        if self._stream is not None or any(isinstance(p, Listener) for p in items):
            raise PhyssynthError("listeners are fixed when the engine is made; make another engine to move them")
        w = self._pts.pickup_weights(pickups)
        if w.shape != self._w.shape:
            raise PhyssynthError(f"give {self.n_outputs} pickups (the engine's outputs), got {w.shape[0]}")
        self._w_from = self._w if self._w_left <= 0 else self._w_from
        self._w = w
        self._w_left = int(round(self.ramp * self.sr))
        self._ramp_len = max(self._w_left, 1)

    # ------------------------------------------------------------------ events
    def note_on(self, position, mallet="rubber", velocity=None, *, impulse=None, direction=None, angle=None, delay=0):
        """Strike at ``position``, ``delay`` samples after the next block starts.

        Parameters
        ----------
        position : array_like (3,) m, str, int
            As :func:`physsynth.excitation.score.resolve_position` (or an exposed-point index
            of a PortableModel).
        mallet : str or Mallet
            A physical mallet (felt, rubber, wood, plastic, metal, or a Mallet) or a half-sine
            pulse (soft, medium, hard).
        velocity : float, optional, m/s
            Impact velocity (default: the mallet's, 1 m/s).
        impulse : float, optional, N s
            Pulses only: the impulse (default 0.01 N s per m/s of velocity).
        direction : array_like (3,), optional
            Default: into the surface.
        angle : float, optional, degrees
            For a region or the rim (see resolve_position).
        delay : int
            Samples after the start of the next :meth:`process` block.
        """
        delay = validate.integer(delay, "delay (samples)", lo=0)
        g = self._pts.weights(position, direction, angle)
        start = self.t + delay
        if isinstance(mallet, str) and mallet in PULSES:
            v = 1.0 if velocity is None else validate.positive(velocity, "velocity", "m/s", hi=50.0)
            imp = v * PULSE_IMPULSE_PER_VELOCITY if impulse is None else validate.positive(impulse, "impulse", "N s")
            self._insert(self._forces, (start, g, contact_pulse(PULSES[mallet], sr=self.sr, impulse=imp)), CU_EXT)
        else:
            if impulse is not None:
                raise PhyssynthError("impulse is for the half-sine pulses (soft, medium, hard); give a velocity")
            m = get_mallet(mallet)
            v = check_velocity(m.velocity if velocity is None else velocity)
            law = self._laws.get(m)
            if law is None:
                law = self._laws.setdefault(m, m.law(self._pts.material))
            self._insert(self._mallets, (start, g, law, m.mass, v), CU_M)
        self._dirty = True

    def _insert(self, lst, item, started):
        # after every source already started (the kernel's cursor) and every one due before it
        k = len(lst)
        while k > int(self.cur[started]) and lst[k - 1][0] > item[0]:
            k -= 1
        lst.insert(k, item)
        if started == CU_M:
            self._m_state = np.insert(self._m_state, k, 0.0, axis=0)
            self._m_stats = np.insert(self._m_stats, k, 0.0, axis=0)
        if self.voices > MAX_VOICES:
            self._compact(force=True)

    def midi(self, message, *, delay: int = 0) -> None:
        """Handle a MIDI message (a ``mido.Message`` or anything with its attributes).

        note_on with velocity > 0: a strike at ``midi_map[note]`` (a position; default
        "note:N", the N-th of 128 surface points far apart) with ``midi_mallet``, at velocity
        ``velocity / 127 * midi_velocity_max`` m/s. Control change 7 (volume): gain
        (value / 127)^2. Control change 1 (modulation): damping scale 2^((value - 64) / 16).
        Other messages (note_off: these are struck objects) are ignored.
        """
        kind = getattr(message, "type", None)
        if kind == "note_on" and getattr(message, "velocity", 0) > 0:
            note = int(message.note)
            at = self.midi_map.get(note, note % self._pts.model.n_points if self._pts.portable else f"note:{note}")
            mallet = self.midi_mallet
            vel = message.velocity / 127.0 * self.midi_velocity_max
            self.note_on(at, mallet, vel, delay=delay)
        elif kind == "control_change" and message.control == 7:
            self.set_gain((message.value / 127.0) ** 2)
        elif kind == "control_change" and message.control == 1:
            self.set_damping(2.0 ** ((message.value - 64) / 16.0))

    # ------------------------------------------------------------------ the kernel's arrays
    def _compact(self, force=False):
        """Drop the sources the kernel has finished with (before its low cursors)."""
        lo_e, lo_m = int(self.cur[CU_EXTLO]), int(self.cur[CU_MLO])
        if lo_e:
            del self._forces[:lo_e]
            self.cur[CU_EXT] -= lo_e
            self.cur[CU_EXTLO] = 0
        if lo_m:
            del self._mallets[:lo_m]
            self._m_state = self._m_state[lo_m:]
            self._m_stats = self._m_stats[lo_m:]
            self.cur[CU_M] -= lo_m
            self.cur[CU_MLO] = 0
        if force:
            # too many voices: drop the oldest sounding ones (their energy stays in the modes)
            while len(self._forces) > MAX_VOICES // 2 and self.cur[CU_EXT] > 0:
                self._forces.pop(0)
                self.cur[CU_EXT] -= 1
                self.dropped += 1
            while len(self._mallets) > MAX_VOICES // 2 and self.cur[CU_M] > 0:
                self._mallets.pop(0)
                self._m_state = self._m_state[1:]
                self._m_stats = self._m_stats[1:]
                self.cur[CU_M] -= 1
                self.dropped += 1
        self._dirty = True

    def _build(self, w):
        nm = self.n_modes
        f = self._forces
        self._ext_start = np.array([s[0] for s in f], dtype=np.int64)
        self._ext_len = np.array([len(s[2]) for s in f], dtype=np.int64)
        self._ext_off = np.zeros(len(f), dtype=np.int64)
        if f:
            self._ext_off[1:] = np.cumsum(self._ext_len)[:-1]
            self._ext_buf = np.ascontiguousarray(np.concatenate([s[2] for s in f]))
            self._ext_g = np.ascontiguousarray(np.stack([s[1] for s in f]))
        else:
            self._ext_buf = np.zeros(0)
            self._ext_g = np.zeros((0, nm))
        m = self._mallets
        self._m_start = np.array([s[0] for s in m], dtype=np.int64)
        self._m_g = np.ascontiguousarray(np.stack([s[1] for s in m]) if m else np.zeros((0, nm)))
        self._m_par = _mallet_parameters(
            [MalletSource(*s) for s in m], self._cS, h=self.h, n_sub=self.n_sub, sr=self.sr
        )
        self._built_w = None
        self._dirty = False

    def _weights_for(self, w):
        if self._built_w is not w:
            self._ext_wg = np.ascontiguousarray(self._ext_g @ w.T)
            self._m_wg = np.ascontiguousarray(self._m_g @ w.T)
            self._built_w = w
        return self._ext_wg, self._m_wg

    def _run(self, w, n):
        out = np.empty((w.shape[0], n))
        force = np.empty(n)
        ext_wg, m_wg = self._weights_for(w)
        n_m = len(self._mallets)
        score_block(
            self._cA,
            self._cS,
            self.n_sub,
            self.h,
            self._om2,
            self._sig2,
            w,
            self._qcode,
            self._ext_start,
            self._ext_off,
            self._ext_len,
            self._ext_buf,
            self._ext_g,
            ext_wg,
            np.zeros(0, dtype=np.int64),
            np.zeros((0, self.n_modes)),
            np.zeros((0, self.n_modes)),
            self._m_start,
            self._m_g,
            m_wg,
            self._m_par,
            self._m_state,
            self._m_stats,
            self.q,
            self.v,
            self.pext,
            self.cur,
            self.t,
            out,
            force,
            np.zeros(0),
            -1,
            np.zeros((5, self.n_modes)),
            np.zeros(w.shape[0]),
            np.zeros(max(n_m, 1), dtype=np.int64),
            np.zeros((3, max(n_m, 1))),
        )
        return out

    # ------------------------------------------------------------------ audio
    def process(self, n: int) -> np.ndarray:
        """The next ``n`` samples at the pickups, shape (n_outputs, n), times the gain.

        Raises
        ------
        RenderError
            If the state became non-finite (a mallet too fast for ``n_sub``, say).
        """
        n = validate.integer(n, "the block length (samples)", lo=1, hi=1 << 22)
        if self.cur[CU_EXTLO] or self.cur[CU_MLO]:
            self._compact()
        if self._dirty:
            self._build(self._w)
        if self._w_left > 0:
            both = np.ascontiguousarray(np.vstack([self._w_from, self._w]))
            out2 = self._run(both, n)
            k = self.n_outputs
            done = self._ramp_len - self._w_left
            r = np.clip((done + 1 + np.arange(n)) / self._ramp_len, 0.0, 1.0)
            out = out2[:k] * (1.0 - r) + out2[k:] * r
            self._w_left = max(self._w_left - n, 0)
        else:
            out = self._run(self._w, n)
        if self._stream is not None:  # listeners: taps A[n] + B[n - 1], delayed (Pa)
            out = self._stream(out)
        if self._gain_left > 0:
            total = max(int(round(self.ramp * self.sr)), 1)
            done = total - self._gain_left
            r = np.clip((done + 1 + np.arange(n)) / total, 0.0, 1.0)
            out *= self._gain_from + (self._gain - self._gain_from) * r
            self._gain_left = max(self._gain_left - n, 0)
        elif self._gain != 1.0:
            out *= self._gain
        self.t += n
        if not (np.isfinite(out).all() and np.isfinite(self.q).all()):
            raise RenderError("the state became non-finite; use a softer mallet, a slower stroke or a larger n_sub")
        return out

    def reset(self) -> None:
        """Silence: every mode at rest, every strike forgotten (the clock keeps running)."""
        self.q[:] = 0.0
        self.v[:] = 0.0
        self.pext[:] = 0.0
        self.cur[:] = 0
        self._forces.clear()
        self._mallets.clear()
        self._m_state = np.zeros((0, N_MSTATE))
        self._m_stats = np.zeros((0, N_STATS))
        self._dirty = True
