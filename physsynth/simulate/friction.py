"""Friction time stepping: a modal object driven by a sliding contact (a rubbed rim, a bow).

A slider presses on the object with a normal force N and slides along it at speed V; the
friction law (:class:`~physsynth.excitation.friction.FrictionLaw`) acts along the contact path
(:class:`~physsynth.excitation.friction.ContactPath`). The coupled system is time-stepped in
``physsynth.kernels.friction`` with each mode advanced exactly over a step
(:func:`physsynth.simulate.modal.hold_coefficients`) and the friction force solved implicitly
at the end of it: there is no stability limit on the step, which only has to keep the step's
friction equation to one root (eq. (7) of docs/friction-theory.md; the step is chosen so).

Three layers: :func:`rub` and :func:`bow_modal` (arrays in, a :class:`FrictionRender` out),
:class:`FrictionExciter` (streaming, ``process(n)``), and ``physsynth rub`` on the command
line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from physsynth import validate
from physsynth.errors import PhyssynthError, RenderError, StabilityError
from physsynth.excitation.friction import (
    PUJA_DAMPING,
    ContactPath,
    FrictionLaw,
    detune_doublets,
    linear_stability,
    point_contact,
    rim_path,
)
from physsynth.kernels.friction import friction_block
from physsynth.pickups import Pickup, as_pickups, output_weights, pickup
from physsynth.simulate.modal import (
    NYQUIST_FRACTION,
    ModalState,
    check_model,
    check_modes,
    check_quantity,
    hold_coefficients,
    modal_energy,
)

#: The quantities a friction render reads (the kernel has no acceleration output).
QUANTITIES = ("displacement", "velocity")
#: The implicit friction equation of a step has one root when Y N max|mu'| < 1 (eq. (7));
#: the step is shortened (oversampling) until this is at most UNIQUE_MARGIN.
UNIQUE_MARGIN = 0.5
#: Refuse (rather than crawl) when eq. (7) would need more steps per output sample than this.
MAX_OVERSAMPLE = 256
#: Largest normal force of a render, N. A bow presses a string or a bar with 0.01-10 N and a
#: hand holds a puja against a bowl with a few to tens of newtons; 1 kN is more than a person
#: leaning on the object with their whole weight. Beyond it the request is a mistake (units).
MAX_NORMAL_FORCE = 1000.0
#: Largest sliding speed of a render, m/s (a violin bow moves at up to about 2 m/s, a puja at
#: tenths of a metre per second).
MAX_SLIDING_SPEED = 20.0


# ------------------------------------------------------------------ streaming
class FrictionExciter:
    """A modal object driven by a sliding contact, processed in blocks.

    Normal force and sliding speed start at 0; :meth:`set_contact` sets new targets, reached
    at the end of the next block (linear across it), so changes are smooth.

    Parameters
    ----------
    frequencies, decay_rates : ndarray, shape (n_modes,), Hz and 1/s
    path : ContactPath
        Mode shapes along the contact (n_modes columns).
    weights : ndarray, shape (n_out, n_modes)
        Output weight of each mode (its shape at a pickup along the pickup's direction).
    sr : float, Hz
        Output sample rate.
    law : FrictionLaw
    oversample : int
        Steps per output sample.
    quantity : {"velocity", "displacement"}
    start_angle : float, rad
        Initial angle of a ring contact.
    contact_damping : float, N s/m
        Dashpot along the normal at the contact (>= 0).

    Examples
    --------
    >>> import numpy as np
    >>> path = ContactPath(np.array([[1.0]]), np.array([[0.0]]), radius=0.0, height=0.0)
    >>> ex = FrictionExciter(np.array([100.0]), np.array([1.0]), path, np.array([[1.0]]), sr=8000)
    >>> ex.set_contact(force=1.0, speed=0.1)
    >>> ex.process(800).shape
    (1, 800)
    """

    def __init__(
        self,
        frequencies,
        decay_rates,
        path: ContactPath,
        weights,
        *,
        sr: float,
        law: FrictionLaw | None = None,
        oversample: int = 1,
        quantity: str = "velocity",
        start_angle: float = 0.0,
        contact_damping: float = 0.0,
    ):
        f = np.asarray(frequencies, dtype=float)
        K = f.size
        if K == 0:
            raise PhyssynthError("no modes to drive")
        if path.tangential.shape[1] != K or path.normal.shape != path.tangential.shape:
            raise PhyssynthError("the contact path's shapes do not match the modes")
        w = np.atleast_2d(np.asarray(weights, dtype=float))
        if w.shape[1] != K:
            raise PhyssynthError(f"weights must have shape (n_out, {K})")
        self._qcode = check_quantity(quantity, QUANTITIES)
        self.sr = validate.sample_rate(sr)
        self.contact_damping = validate.nonnegative(contact_damping, "contact damping", "N s/m")
        osf = validate.integer(oversample, "oversample", lo=1, hi=MAX_OVERSAMPLE)
        self.oversample = osf
        self.law = law or FrictionLaw()
        self.path = path
        self.quantity = quantity
        self.omega = 2 * np.pi * f
        self.sigma = np.asarray(decay_rates, dtype=float)
        h = 1.0 / (self.sr * osf)
        self._h = h
        self._coef = tuple(np.ascontiguousarray(x) for x in hold_coefficients(self.omega, self.sigma, h=h))
        self._w = np.ascontiguousarray(w)
        self._tg = np.ascontiguousarray(path.tangential, dtype=np.float64)
        self._tn = np.ascontiguousarray(path.normal, dtype=np.float64)
        self.q = np.zeros(K)
        self.v = np.zeros(K)
        self._g = np.zeros(K)
        self._gn = np.zeros(K)
        self._fin = np.zeros(K)
        self._st = np.array([float(start_angle) % (2 * np.pi), 0.0, 0.0, 0.0])
        self._force = self._speed = 0.0
        self._target = (0.0, 0.0)
        # largest one-step admittance along the path (eq. (5)): sets the uniqueness bound
        self.admittance = float(np.max(self._tg**2 @ self._coef[1]))
        self.relative_velocity = np.zeros(0)
        self.friction_force = np.zeros(0)

    def max_unique_force(self) -> float:
        """Largest normal force (N) for which every step's friction equation has one root,
        with the margin UNIQUE_MARGIN (eq. (7))."""
        return UNIQUE_MARGIN / (self.admittance * self.law.max_slope) if self.law.max_slope > 0 else math.inf

    def set_contact(self, *, force: float | None = None, speed: float | None = None):
        """New normal force (N, >= 0) and sliding speed (m/s), reached at the end of the next
        block."""
        fN, V = self._target
        if force is not None:
            fN = validate.nonnegative(force, "normal force", "N")
        if speed is not None:
            V = validate.finite(speed, "sliding speed", "m/s")
        if fN > self.max_unique_force():
            need = math.ceil(self.oversample * fN / self.max_unique_force())
            raise StabilityError(
                f"normal force {fN:g} N is too large for the time step: the "
                f"friction solve is not unique; use oversample >= {need}"
            )
        self._target = (fN, V)

    def process(self, n: int) -> np.ndarray:
        """The next ``n`` output samples, shape (n_out, n), in m/s (or m)."""
        n = int(n)
        out = np.empty((self._w.shape[0], n))
        rel = np.empty(n)
        frc = np.empty(n)
        if n == 0:
            return out
        (f0, v0), (f1, v1) = (self._force, self._speed), self._target
        R = self.path.radius
        om0, om1 = (v0 / R, v1 / R) if R > 0 else (0.0, 0.0)
        dth = 2 * np.pi / max(self.path.n_angles, 1)
        a11, a12, a21, a22, b1 = self._coef
        law = self.law
        friction_block(
            a11,
            a12,
            a21,
            a22,
            b1,
            self._tg,
            self._tn,
            self._w,
            self.q,
            self.v,
            self._g,
            self._gn,
            self._fin,
            self._st,
            self._h,
            f0,
            f1,
            v0,
            v1,
            om0,
            om1,
            dth,
            self.contact_damping,
            law.code,
            float(law.mu_s),
            float(law.mu_d),
            float(law.v_c),
            self.oversample,
            self._qcode,
            out,
            rel,
            frc,
        )
        self._force, self._speed = f1, v1
        if not (np.isfinite(out).all() and np.isfinite(self.v).all()):
            raise RenderError(
                "the friction simulation produced non-finite values; check the model's frequencies and damping"
            )
        self.relative_velocity = rel
        self.friction_force = frc
        return out

    @property
    def angle(self) -> float:
        """Contact angle on a ring (rad)."""
        return float(self._st[0])

    @property
    def state(self) -> ModalState:
        """The modes now, as the other renders' :class:`~physsynth.simulate.modal.ModalState`
        (the friction force is held over a step, so no force ramp is pending: p = 0)."""
        return ModalState(self.q.copy(), self.v.copy(), np.zeros_like(self.q))

    @property
    def energy(self) -> float:
        """Vibrational energy of the modes, 1/2 sum (v^2 + omega^2 q^2) (J)."""
        return modal_energy(self.q, self.v, self.omega)

    @property
    def work(self) -> tuple[float, float, float]:
        """Work done on the object so far by the friction force, the normal load and the
        contact dashpot (J)."""
        return float(self._st[1]), float(self._st[2]), float(self._st[3])


# ------------------------------------------------------------------ one-call renders
@dataclass(frozen=True)
class FrictionRender:
    """The result of :func:`rub` or :func:`bow_modal`.

    Attributes
    ----------
    audio : ndarray, shape (n_channels, n), m/s (or m)
        The pickups' velocity (or displacement).
    sr : float, Hz
    relative_velocity : ndarray, shape (n,), m/s
        v_c - V at the contact (0 while sticking).
    friction_force : ndarray, shape (n,), N
        Friction force on the object along the sliding direction.
    path : ContactPath
    threshold : ndarray, shape (n_modes,), N
        Linear threshold force of each mode at the final force and speed (eq. (10)).
    growth : ndarray, shape (n_modes,), 1/s
        Linear growth rate of each mode at the final force and speed (eq. (10)).
    frequencies : ndarray, shape (n_modes,), Hz
        The modes simulated (after any detuning).
    oversample : int
    work : tuple of float, J
        Work done on the object by friction, by the normal load and by the contact dashpot.
    """

    audio: np.ndarray
    sr: float
    relative_velocity: np.ndarray
    friction_force: np.ndarray
    path: ContactPath
    threshold: np.ndarray
    growth: np.ndarray
    frequencies: np.ndarray
    oversample: int
    work: tuple = field(default=(0.0, 0.0, 0.0))


def _auto_oversample(omega, sigma, path, law, force, sr):
    a12 = hold_coefficients(omega, sigma, h=1.0 / sr)[1]
    y = float(np.max(path.tangential**2 @ a12))
    if law.max_slope == 0 or force == 0:
        return 1
    # Y scales with the step (a12 ~ h), so osf steps per sample divide it by about osf
    return max(1, math.ceil(force * y * law.max_slope / UNIQUE_MARGIN * 1.05))


def _stroke(force, speed, duration, sr, attack, quantity, pickups, n_default: int):
    """The checked stroke of :func:`rub` or :func:`bow_modal`, before any work: (force N,
    speed m/s, sr Hz, attack s, number of samples)."""
    force = validate.finite(force, "normal force", "N", hi=MAX_NORMAL_FORCE)
    if force <= 0:
        raise RenderError(
            f"normal force {force:g} N: with no force the slider does not drive the object and the "
            f"render would be silent; give a force > 0 N (up to {MAX_NORMAL_FORCE:g} N)"
        )
    speed = validate.positive(speed, "sliding speed", "m/s", hi=MAX_SLIDING_SPEED)
    sr = validate.sample_rate(sr)
    attack = validate.nonnegative(attack, "attack", "s")
    check_quantity(quantity, QUANTITIES)
    n_out = n_default if pickups is None else len(as_pickups(pickups, None))
    return force, speed, sr, attack, validate.check_samples(duration, sr, n_out)


def _render(model, path, pickups, stroke, law, oversample, quantity, start_angle, fmax, damping):
    force, speed, sr, attack, n = stroke
    check_modes(model.frequencies, model.decay_rates)
    if law is not None and not isinstance(law, FrictionLaw):
        raise PhyssynthError(f"law must be a FrictionLaw, got {type(law).__name__}")
    pickups = as_pickups(pickups, None)
    law = law or FrictionLaw()
    if fmax is not None:
        fmax = validate.positive(fmax, "fmax", "Hz")
    keep = np.ones(model.n_modes, bool) if fmax is None else model.frequencies < fmax
    if not keep.any():
        raise RenderError(f"no mode below fmax = {fmax:g} Hz")
    f = model.frequencies[keep]
    sigma = model.decay_rates[keep]
    path = path.select(keep)
    if not np.any(path.tangential):
        raise RenderError(f"the contact ({path.description}) drives none of the modes kept: the render would be silent")
    # listeners (Pa) are two rows each, combined by finish (physsynth.pickups.output_weights)
    w, finish = output_weights(
        model, model.shapes[keep], pickups, omega=2 * np.pi * f, sigma=sigma, sr=sr, quantity=QUANTITIES.index(quantity)
    )
    # modes above the output's Nyquist frequency still act at the contact but are not heard
    w[:, f >= NYQUIST_FRACTION * sr] = 0.0
    if not np.any(w):
        raise RenderError("the pickups read none of the modes kept (nodal points): the render would be silent")
    if oversample is None:
        oversample = _auto_oversample(2 * np.pi * f, sigma, path, law, force, sr)
        if oversample > MAX_OVERSAMPLE:
            raise StabilityError(
                f"the friction curve is too steep for {force:g} N: a unique "
                f"friction solve needs {oversample} steps per sample (eq. (7)); "
                "raise v_c (--vc), lower mu_s - mu_d or the force"
            )
    ex = FrictionExciter(
        f,
        sigma,
        path,
        w,
        sr=sr,
        law=law,
        oversample=oversample,
        quantity=quantity,
        start_angle=start_angle,
        contact_damping=damping,
    )
    na = min(n, max(1, int(round(attack * sr))))
    ex.set_contact(force=force, speed=speed)
    blocks = [ex.process(na)]
    rel = [ex.relative_velocity]
    frc = [ex.friction_force]
    if n > na:
        blocks.append(ex.process(n - na))
        rel.append(ex.relative_velocity)
        frc.append(ex.friction_force)
    audio = finish(np.concatenate(blocks, axis=1))
    growth, thr = linear_stability(f, sigma, path, law, force=force, speed=speed, contact_damping=damping)
    return FrictionRender(
        audio, sr, np.concatenate(rel), np.concatenate(frc), path, thr, growth, f, ex.oversample, ex.work
    )


def rub(
    model,
    *,
    force: float,
    speed: float,
    duration: float,
    sr: float,
    law: FrictionLaw | None = None,
    height: float | None = None,
    region: str = "outer",
    pickups=None,
    detune_cents: float = 0.0,
    attack: float = 0.3,
    oversample: int | None = None,
    quantity: str = "velocity",
    start_angle: float = 0.0,
    fmax: float | None = None,
    n_angles: int = 1024,
    contact_damping: float = PUJA_DAMPING,
) -> FrictionRender:
    """Rub an axisymmetric object (a singing bowl) around its rim with a puja.

    The puja presses radially inwards with ``force`` and slides round the ring
    :func:`rim_path` at ``speed`` (counter-clockwise seen from +z for speed > 0); its contact
    point turns at speed / radius. Force and speed rise linearly from 0 over ``attack`` (a
    player starting the stroke), then stay.

    Parameters
    ----------
    model : ModalModel
        Its mesh axisymmetric about z (the bundled bowl, or a saved model of it).
    force : float, N
        Normal force (> 0). Below the threshold (``FrictionRender.threshold``, eq. (10)) the
        bowl does not sing.
    speed : float, m/s
        Puja speed along the rim (> 0).
    duration : float, s
    sr : float, Hz
    law : FrictionLaw, optional
    height, region, n_angles
        The ring (see :func:`rim_path`).
    pickups : Pickup or sequence of Pickup, optional
        Default: two pickups on the ring at +-60 degrees reading the surface-normal velocity
        (a spaced stereo pair, as ``physsynth demo``).
    detune_cents : float
        Split each doublet by this much (see :func:`detune_doublets`).
    attack : float, s
    oversample : int, optional
        Steps per sample; default the least that keeps the friction solve unique (eq. (7)).
    quantity : {"velocity", "displacement"}
    start_angle : float, rad
        Where the puja starts on the ring.
    fmax : float, optional, Hz
        Leave out modes above this.
    contact_damping : float, N s/m
        Dashpot of the puja's contact along the normal (its leather or felt and the hand):
        it damps the bowl's motion into the puja, so that the singing pattern keeps its radial
        node at the puja and turns with it (docs/friction-theory.md, "The moving contact").

    Returns
    -------
    FrictionRender

    Raises
    ------
    RenderError
        For a force of 0 N (the render would be silent), a contact or pickups on nodal points,
        or a model whose modes hold NaN, infinite or negative values.
    PhyssynthError
        Before any work, for a force above ``MAX_NORMAL_FORCE`` (1 kN), a speed outside
        (0, ``MAX_SLIDING_SPEED``] m/s, a sample rate outside 1000..768000 Hz, or a duration
        whose samples exceed the memory budget.
    """
    check_model(model)
    stroke = _stroke(force, speed, duration, sr, attack, quantity, pickups, 2)
    model = detune_doublets(model, detune_cents)
    path = rim_path(model, height=height, region=region, n_angles=n_angles)
    if pickups is None:
        R, z = path.radius, path.height
        pickups = [pickup(model, (R * math.cos(a), R * math.sin(a), z)) for a in np.radians([60.0, -60.0])]
    return _render(model, path, pickups, stroke, law, oversample, quantity, start_angle, fmax, contact_damping)


def bow_modal(
    model,
    at,
    *,
    direction,
    force: float,
    speed: float,
    duration: float,
    sr: float,
    normal=None,
    law: FrictionLaw | None = None,
    pickups=None,
    attack: float = 0.05,
    oversample: int | None = None,
    quantity: str = "velocity",
    fmax: float | None = None,
    contact_damping: float = 0.0,
) -> FrictionRender:
    """Bow a modal object (a bar, a plate edge) at a fixed point.

    Parameters
    ----------
    model : ModalModel
    at : sequence of 3 floats, m
        Bowing point (snapped to the nearest surface node).
    direction : sequence of 3 floats
        The bow's sliding direction.
    force : float, N
        Bow force (normal, > 0).
    speed : float, m/s
        Bow speed (> 0).
    normal : sequence of 3 floats, optional
        See :func:`point_contact`.
    pickups : Pickup or sequence of Pickup, optional
        Default: the bowed point's velocity along the sliding direction.
    attack, oversample, quantity, fmax, law, duration, sr, contact_damping
        As in :func:`rub` (no contact dashpot by default: a bow's hair is light).

    Returns
    -------
    FrictionRender

    Raises
    ------
    RenderError, PhyssynthError
        As :func:`rub`.
    """
    check_model(model)
    stroke = _stroke(force, speed, duration, sr, attack, quantity, pickups, 1)
    path = point_contact(model, at, direction, normal=normal)
    if pickups is None:
        pickups = [Pickup(path.node, path.direction.copy(), model.mesh.points[path.node].copy())]
    return _render(model, path, pickups, stroke, law, oversample, quantity, 0.0, fmax, contact_damping)
