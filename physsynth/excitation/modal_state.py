"""The modal state (q, v) and its exact one-step update under a point force.

Every mode of a ModalModel obeys (mass-normalised shapes, see ``ModalModel``)

    q_k'' + 2 sigma_k q_k' + omega_k^2 q_k = p_k(t),   p_k(t) = sum_j g_jk F_j(t),
    g_jk = phi_k(x_j) . d_j   (1/sqrt(kg)),

where F_j is the force (N) of source j at node x_j along d_j. Over one step of length h the
forces are taken as straight lines from p0 (start) to p1 (end); for that input the update

    q(t + h) = P11 q + P12 v + G0q p0 + G1q p1
    v(t + h) = P21 q + P22 v + G0v p0 + G1v p1

is *exact* (the same first-order-hold / ramp-invariant discretisation that ``physsynth.render``
uses, written in state-space form so that the step size can change from one step to the
next). :func:`step_coefficients` returns the eight rows; the Numba kernels in
``physsynth.kernels.modal_step`` apply them. With p = -sigma + i omega_d, x = p h,
phi2(x) = (e^x - 1 - x) / x^2 and psi(x) = 1 + (x - 1) phi2(x) = ((x - 1) e^x + 1) / x^2:

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
an implicit contact or friction solve needs (``kernels.modal_step.point_admittance``).

For part B and later users::

    from physsynth.excitation.modal_state import step_coefficients
    from physsynth.kernels.modal_step import modal_point_step, point_admittance
    c = step_coefficients(model.omegas, model.decay_rates, h=1 / sr)   # (8, n_modes)
    modal_point_step(c, q, v, g, f0, f1)                               # in place
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physsynth.errors import PhyssynthError, RenderError

#: Row names of :func:`step_coefficients`'s result.
ROWS = ("P11", "P12", "P21", "P22", "G0q", "G1q", "G0v", "G1v")


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
    from physsynth.render import _phi2

    omega = np.atleast_1d(np.asarray(omega, dtype=float))
    sigma = np.atleast_1d(np.asarray(sigma, dtype=float))
    if omega.shape != sigma.shape or omega.ndim != 1:
        raise PhyssynthError("omega and sigma must be 1D arrays of the same length")
    if not (np.isfinite(h) and h > 0):
        raise PhyssynthError(f"the step length must be > 0 s, got {h}")
    if omega.size and (np.any(~np.isfinite(omega)) or np.any(omega <= 0)):
        raise PhyssynthError("modal frequencies must be finite and > 0")
    if np.any(sigma < 0) or np.any(sigma >= omega):
        k = int(np.flatnonzero((sigma < 0) | (sigma >= omega))[0])
        raise RenderError(
            f"mode {k} ({omega[k] / 2 / np.pi:.3g} Hz) has decay rate {sigma[k]:.3g}/s: "
            "a mode must be underdamped (0 <= sigma < omega); lower the damping"
        )
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
        omega = np.asarray(omega, dtype=float)
        return float(0.5 * np.sum(self.v**2 + omega**2 * self.q**2))


def modal_energy(q, v, omega) -> float:
    """Energy (J) of mass-normalised modes: sum_k (v_k^2 + omega_k^2 q_k^2) / 2."""
    q, v, omega = (np.asarray(a, dtype=float) for a in (q, v, omega))
    return float(0.5 * np.sum(v**2 + omega**2 * q**2))
