"""The exact discretisation of damped modes, and the modal state it advances.

Every mode of a ModalModel obeys (mass-normalised shapes, see ``ModalModel``)

    q_k'' + 2 sigma_k q_k' + omega_k^2 q_k = p_k(t),   p_k(t) = sum_j g_jk F_j(t),
    g_jk = phi_k(x_j) . d_j   (1/sqrt(kg)),

where F_j is the force (N) of source j at node x_j along d_j. Between samples the force is
taken as a straight line (first-order hold), and each mode is discretised so that its samples
are *exactly* those of the continuous response to that piecewise-linear force (the
ramp-invariant transform; docs/theory.md, "Resonators"). Three forms of the same
discretisation, for the three kinds of time stepping:

- :func:`resonator_coefficients`: the two-pole recursion of a mode read at fixed pickups, for
  a prescribed force (``physsynth.simulate.render``, ``kernels.resonators``);
- :func:`step_coefficients`: the same update in state-space form (q, v), so that the step
  size can change from one step to the next and a contact force can be solved implicitly at
  the end of a step (mallets and scores, ``kernels.modal_step`` and ``kernels.contact``);
- :func:`hold_coefficients`: its special case of a force held constant over the step (the
  friction kernel, ``kernels.friction``).

With p = -sigma + i omega_d, x = p h, phi2(x) = (e^x - 1 - x) / x^2 and
psi(x) = 1 + (x - 1) phi2(x) = ((x - 1) e^x + 1) / x^2, the state-space update over a step h,

    q(t + h) = P11 q + P12 v + G0q p0 + G1q p1
    v(t + h) = P21 q + P22 v + G0v p0 + G1v p1

for a modal force going linearly from p0 to p1, has

    P11 = e^{-sigma h} (cos omega_d h + sigma sin(omega_d h) / omega_d)
    P12 = e^{-sigma h} sin(omega_d h) / omega_d
    P21 = -omega^2 P12
    P22 = e^{-sigma h} (cos omega_d h - sigma sin(omega_d h) / omega_d)
    G0q = Im(h psi(x)) / omega_d,      G1q = Im(h phi2(x)) / omega_d
    G0v = Im(p h psi(x)) / omega_d,    G1v = Im(p h phi2(x)) / omega_d

(the impulse response q(t) = Im(e^{pt}) / omega_d integrated against the ramps tau / h and
1 - tau / h; docs/contact-theory.md, "Time stepping"). G1q and G1v are the one-step
admittances: how far and how fast a mode moves by the end of a step per newton of force at
its end. Their weighted sums over the modes give a contact point's admittance, which is what
an implicit contact or friction solve needs (``kernels.modal_step.point_admittance``)::

    from physsynth.simulate.modal import step_coefficients
    from physsynth.kernels.modal_step import modal_point_step, point_admittance
    c = step_coefficients(model.omegas, model.decay_rates, h=1 / sr)   # (8, n_modes)
    modal_point_step(c, q, v, g, f0, f1)                               # in place
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physsynth import validate
from physsynth._progress import log
from physsynth.errors import PhyssynthError, RenderError

#: Physical quantity a pickup reads, and the derivative order of the modal coordinate it is.
QUANTITIES = {"displacement": 0, "velocity": 1, "acceleration": 2}
#: Row names of :func:`step_coefficients`'s result.
ROWS = ("P11", "P12", "P21", "P22", "G0q", "G1q", "G0v", "G1v")
#: Modes are kept below this fraction of the sample rate (the recursions need omega T < pi).
NYQUIST_FRACTION = 0.49


def _phi2(x):
    """(exp(x) - 1 - x) / x^2, accurate for small |x| (complex)."""
    x = np.asarray(x, dtype=complex)
    out = np.empty_like(x)
    small = np.abs(x) < 0.05
    xs = x[small]
    # Taylor series: sum x^k / (k + 2)!, 8 terms reach 1e-17 at |x| = 0.05
    acc = np.zeros_like(xs)
    term = np.full_like(xs, 0.5)
    for k in range(9):
        acc += term
        term = term * xs / (k + 3)
    out[small] = acc
    xl = x[~small]
    out[~small] = (np.expm1(xl) - xl) / xl**2
    return out


def check_quantity(quantity: str, allowed=QUANTITIES) -> int:
    """The derivative order of a pickup quantity (0, 1, 2), or PhyssynthError."""
    if not isinstance(quantity, str) or quantity not in allowed:
        raise PhyssynthError(f"unknown pickup quantity {quantity!r}; use one of {', '.join(allowed)}")
    return QUANTITIES[quantity]


def _underdamped(omega, sigma):
    """Refuse modes that are not 0 <= sigma < omega (RenderError naming the first)."""
    bad = (sigma < 0) | (sigma >= omega)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        how = "is overdamped by the damping law" if sigma[k] >= omega[k] else "grows (a negative decay rate)"
        raise RenderError(
            f"mode {k} ({omega[k] / 2 / np.pi:.3g} Hz) {how}: decay rate {sigma[k]:.3g}/s, but a mode "
            "must be underdamped (0 <= sigma < omega); lower the damping"
        )


def resonator_coefficients(omega0, sigma, *, sr: float, quantity: str = "displacement"):
    """Recursion coefficients of damped resonators, exact for piecewise-linear input.

    Parameters
    ----------
    omega0 : ndarray, shape (n,), rad/s
        Undamped angular frequencies.
    sigma : ndarray, shape (n,), 1/s
        Decay rates, 0 <= sigma < omega0 (underdamped).
    sr : float, Hz
    quantity : {"displacement", "velocity", "acceleration"}
        Which derivative of the modal coordinate the output is.

    Returns
    -------
    a1, a2, b0, b1, b2 : ndarrays, shape (n,)
        y[n] = a1 y[n-1] + a2 y[n-2] + b0 u[n] + b1 u[n-1] + b2 u[n-2].
    """
    m = check_quantity(quantity)
    omega0 = np.asarray(omega0, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    _underdamped(omega0, sigma)
    T = 1.0 / sr
    wd = np.sqrt(omega0**2 - sigma**2)
    p = -sigma + 1j * wd
    pm = p**m
    # Discrete impulse response of the mode to one "hat" of the first-order hold:
    # h[0] = int_0^T (1 - t/T) h(t) dt,  h[n>=1] = int_{-T}^{T} (1 - |tau|/T) h(nT - tau) dtau,
    # with h(t) = Im(p^m e^{pt}) / wd, which give T phi2(pT) and T (phi2(pT) + phi2(-pT)).
    c0 = T * _phi2(p * T)
    c1 = T * (_phi2(p * T) + _phi2(-p * T))
    z = np.exp(p * T)
    h0 = np.imag(pm * c0) / wd
    h1 = np.imag(pm * z * c1) / wd
    h2 = np.imag(pm * z * z * c1) / wd
    if m == 2:
        h0 = h0 + 1.0  # s^2 / (s^2 + ...) has a unit direct term: the hat's value at 0
    a1 = 2.0 * np.real(z)
    a2 = -(np.abs(z) ** 2)
    b0 = h0
    b1 = h1 - a1 * h0
    b2 = h2 - a1 * h1 - a2 * h0
    return a1, a2, b0, b1, b2


def step_coefficients(omega, sigma, *, h: float) -> np.ndarray:
    """Exact one-step update coefficients of damped modes under a piecewise-linear force.

    Parameters
    ----------
    omega : array_like, shape (n_modes,), rad/s
        Undamped angular frequencies, > 0.
    sigma : array_like, shape (n_modes,), 1/s
        Decay rates, 0 <= sigma < omega.
    h : float, s
        Step length.

    Returns
    -------
    ndarray, shape (8, n_modes), C-contiguous
        Rows P11, P12, P21, P22, G0q, G1q, G0v, G1v (see the module docstring). Units: P11 and
        P22 1, P12 s, P21 1/s^2, G0q and G1q s^2, G0v and G1v s.

    Examples
    --------
    An undamped 100 Hz mode after a quarter period starting from q = 1, v = 0:

    >>> import numpy as np
    >>> c = step_coefficients(np.array([2 * np.pi * 100]), np.array([0.0]), h=2.5e-3)
    >>> round(float(c[0, 0]), 12), round(float(c[2, 0]), 3)
    (0.0, -628.319)
    """
    omega = np.atleast_1d(np.asarray(omega, dtype=float))
    sigma = np.atleast_1d(np.asarray(sigma, dtype=float))
    if omega.shape != sigma.shape or omega.ndim != 1:
        raise PhyssynthError("omega and sigma must be 1D arrays of the same length")
    if not (np.isfinite(h) and h > 0):
        raise PhyssynthError(f"the step length must be > 0 s, got {h}")
    if omega.size and (np.any(~np.isfinite(omega)) or np.any(omega <= 0)):
        raise RenderError("modal frequencies must be finite and > 0")
    _underdamped(omega, sigma)
    wd = np.sqrt(omega**2 - sigma**2)
    p = -sigma + 1j * wd
    x = p * h
    e = np.exp(-sigma * h)
    c, s = np.cos(wd * h), np.sin(wd * h)
    f2 = _phi2(x)
    psi = 1.0 + (x - 1.0) * f2
    out = np.empty((8, omega.size))
    out[0] = e * (c + sigma * s / wd)
    out[1] = e * s / wd
    out[2] = -(omega**2) * out[1]
    out[3] = e * (c - sigma * s / wd)
    out[4] = np.imag(h * psi) / wd
    out[5] = np.imag(h * f2) / wd
    out[6] = np.imag(p * h * psi) / wd
    out[7] = np.imag(p * h * f2) / wd
    return np.ascontiguousarray(out)


def hold_coefficients(omega, sigma, *, h: float):
    """Exact one-step update of damped modes under a force held constant over the step.

    For q'' + 2 sigma q' + omega^2 q = u (u constant on [0, h]):
    q(h) = a11 q + a12 v + b1 u,  v(h) = a21 q + a22 v + a12 u (docs/friction-theory.md,
    eq. (3)). It is :func:`step_coefficients` with p0 = p1 = u (b1 = G0q + G1q and
    G0v + G1v = P12), written in closed form.

    Parameters
    ----------
    omega : ndarray, shape (n,), rad/s
        Undamped angular frequencies (> 0).
    sigma : ndarray, shape (n,), 1/s
        Decay rates, 0 <= sigma < omega.
    h : float, s

    Returns
    -------
    a11, a12, a21, a22, b1 : ndarrays, shape (n,)
        a12 (s) is also the velocity response to a unit force over the step; b1 (s^2) the
        displacement response.
    """
    omega = np.asarray(omega, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    if np.any(~(omega > 0)) or np.any(~np.isfinite(omega)):
        raise RenderError("modal frequencies must be finite and > 0")
    _underdamped(omega, sigma)
    # The closed form of the step, not the sum of step_coefficients' rows: the friction kernel
    # chains blocks bit-exactly on these values (tests/test_friction.py).
    wd = np.sqrt((omega - sigma) * (omega + sigma))
    e = np.exp(-sigma * h)
    c = np.cos(wd * h)
    s = np.sin(wd * h)
    a12 = e * s / wd
    a11 = e * c + sigma * a12
    a22 = e * c - sigma * a12
    a21 = -(omega**2) * a12
    # b1 = (1 - a11) / omega^2 without the cancellation of 1 - a11 for omega h << 1:
    # 1 - a11 = (1 - e) + 2 e sin^2(wd h / 2) - sigma a12.
    one_minus = -np.expm1(-sigma * h) + 2.0 * e * np.sin(0.5 * wd * h) ** 2 - sigma * a12
    b1 = one_minus / omega**2
    return a11, a12, a21, a22, b1


def check_modes(frequencies, decay_rates) -> None:
    """Refuse a model whose modes cannot be rendered (RenderError naming the first bad one).

    Frequencies must be finite and > 0 Hz, decay rates finite and >= 0 1/s: a NaN, an infinite
    or a negative value comes from a corrupt model file or a wrong damping law, and would give
    silent, growing or non-finite audio.
    """
    f = np.asarray(frequencies, dtype=float)
    s = np.asarray(decay_rates, dtype=float)
    if f.shape != s.shape:
        raise RenderError(f"the model has {f.size} frequencies but {s.size} decay rates; recompute it")
    if f.size == 0:
        raise RenderError("the model has no modes to render")
    bad = ~(np.isfinite(f) & (f > 0))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise RenderError(
            f"mode {k} has frequency {f[k]} Hz; a model's frequencies must be finite and > 0 (recompute it)"
        )
    bad = ~(np.isfinite(s) & (s >= 0))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise RenderError(
            f"mode {k} ({f[k]:.4g} Hz) has decay rate {s[k]}/s; decay rates must be finite and >= 0 "
            "(a negative one grows without bound): recompute the model with a valid damping law"
        )


def check_model(model) -> None:
    """Refuse what is not a ModalModel (PhyssynthError), before its attributes are read."""
    if not all(hasattr(model, a) for a in ("frequencies", "decay_rates", "shapes", "mesh")):
        raise PhyssynthError(
            f"expected a ModalModel (physsynth.modal_analysis or ModalModel.load), got {type(model).__name__}"
        )


def modes_below(model, *, sr: float, fmax: float | None = None):
    """(omega (rad/s), sigma (1/s), shapes) of the modes a render at ``sr`` keeps: those below
    0.49 sr (the resonators need omega T < pi) and below ``fmax``; the rest are logged.

    Raises
    ------
    RenderError
        If the model's modes are not renderable (:func:`check_modes`) or none is kept.
    """
    check_model(model)
    check_modes(model.frequencies, model.decay_rates)
    limit = NYQUIST_FRACTION * sr
    if fmax is not None:
        limit = min(validate.positive(fmax, "fmax", "Hz"), limit)
    keep = model.frequencies < limit
    if not keep.any():
        raise RenderError(f"no mode below {limit:.0f} Hz; raise the sample rate (or fmax)")
    if (~keep).any():
        log.info("leaving out %d modes above %.0f Hz", int((~keep).sum()), limit)
    return model.omegas[keep], model.decay_rates[keep], model.shapes[keep]


@dataclass(frozen=True)
class ModalState:
    """The state of a model's modes at one instant, to continue a render where one ended.

    Attributes
    ----------
    q : ndarray, shape (n_modes,), m sqrt(kg)
        Modal displacements (mass-normalised coordinates).
    v : ndarray, shape (n_modes,), m sqrt(kg) / s
        Modal velocities.
    p : ndarray, shape (n_modes,), N / sqrt(kg)
        Modal force of the prescribed sources at that instant (non-zero only if a force
        signal was still running when the render ended; it then ramps to zero over the next
        step).
    """

    q: np.ndarray
    v: np.ndarray
    p: np.ndarray

    @staticmethod
    def rest(n_modes: int) -> ModalState:
        """All modes at rest."""
        return ModalState(np.zeros(n_modes), np.zeros(n_modes), np.zeros(n_modes))

    def energy(self, omega) -> float:
        """Vibrational energy (J): sum over modes of (v^2 + omega^2 q^2) / 2."""
        return modal_energy(self.q, self.v, omega)


def modal_energy(q, v, omega) -> float:
    """Energy (J) of mass-normalised modes: sum_k (v_k^2 + omega_k^2 q_k^2) / 2."""
    q, v, omega = (np.asarray(a, dtype=float) for a in (q, v, omega))
    return float(0.5 * np.sum(v**2 + omega**2 * q**2))


def pluck_state(omega, g, force: float) -> ModalState:
    """Modal state of a point held by a static force and released.

    The static deflection solves K u = f; projected on the mass-normalised modes (K phi_k =
    omega_k^2 M phi_k) its modal coordinates are q_k(0) = g_k F / omega_k^2 with zero velocity
    (docs/contact-theory.md, "Plucks"). Only the modes kept contribute, so the local deflection
    under the finger is smoothed, not its far field.

    Parameters
    ----------
    omega : array_like, shape (n_modes,), rad/s
    g : array_like, shape (n_modes,), 1/sqrt(kg)
        The point's modal weights phi_k . d.
    force : float, N
        The static force holding the point (along d).

    Returns
    -------
    ModalState
        q_k = g_k F / omega_k^2, v = 0.
    """
    try:
        omega = np.asarray(omega, dtype=float)
        g = np.asarray(g, dtype=float)
    except (TypeError, ValueError):
        raise PhyssynthError("omega and g must be arrays of numbers") from None
    if omega.shape != g.shape:
        raise PhyssynthError(f"omega and g must have the same shape, got {omega.shape} and {g.shape}")
    if not (np.isfinite(omega).all() and (omega > 0).all()):
        raise PhyssynthError("the modes' angular frequencies must be finite and > 0 rad/s")
    force = validate.finite(force, "pluck force", "N")
    if force == 0:
        raise PhyssynthError("the pluck force must be a non-zero number of newtons, got 0")
    q = g * force / omega**2
    return ModalState(q, np.zeros_like(q), np.zeros_like(q))
