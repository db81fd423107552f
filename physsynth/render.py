"""Modal synthesis: exactly discretised damped resonators driven by a force, read at pickups.

Each mode obeys q'' + 2 sigma q' + omega0^2 q = g F(t) with g = phi(x_s) . d_s. The force
samples are joined by straight lines (first-order hold), and each mode is discretised so that
its samples are exactly those of the continuous response to that piecewise-linear force (the
ramp-invariant transform). See docs/theory.md, "Resonators".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physsynth._progress import log
from physsynth.errors import PhyssynthError, RenderError
from physsynth.kernels.resonators import resonator_bank

QUANTITIES = {"displacement": 0, "velocity": 1, "acceleration": 2}


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
    m = QUANTITIES[quantity]
    omega0 = np.asarray(omega0, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    if np.any(sigma >= omega0):
        k = int(np.flatnonzero(sigma >= omega0)[0])
        raise RenderError(
            f"mode {k} ({omega0[k] / 2 / np.pi:.3g} Hz) is overdamped by the damping law "
            f"(decay rate {sigma[k]:.3g}/s); lower the damping"
        )
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


@dataclass(frozen=True)
class Pickup:
    """Where and how the vibration is read.

    Attributes
    ----------
    node : int
        Mesh node.
    direction : ndarray, shape (3,)
        Unit vector; the pickup reads the displacement component along it.
    point : ndarray, shape (3,)
        Requested point (before snapping).
    """

    node: int
    direction: np.ndarray
    point: np.ndarray


def pickup(model, at, direction=None) -> Pickup:
    """A pickup at the surface node nearest ``at`` (m), along ``direction`` (default normal)."""
    from physsynth.excitation.strike import _point

    point = _point(at, "pickup point")
    node = model.nearest_surface_node(point)
    if direction is None:
        d = model.surface_normal(node)
    else:
        d = _point(direction, "pickup direction")
        d = d / np.linalg.norm(d)
    return Pickup(node, d, point)


def modes_below(model, *, sr: float, fmax: float | None = None):
    """(omega (rad/s), sigma (1/s), shapes) of the modes a render at ``sr`` keeps: those below
    0.49 sr (the resonators need omega T < pi) and below ``fmax``; the rest are logged."""
    limit = 0.49 * sr if fmax is None else min(fmax, 0.49 * sr)
    keep = model.frequencies < limit
    if not keep.any():
        raise RenderError(f"no mode below {limit:.0f} Hz; raise the sample rate")
    if (~keep).any():
        log.info("leaving out %d modes above %.0f Hz", int((~keep).sum()), limit)
    return model.omegas[keep], model.decay_rates[keep], model.shapes[keep]


def render(
    model, excitation, pickups=None, *, duration: float, quantity: str = "velocity", fmax: float | None = None
) -> np.ndarray:
    """Render a ModalModel's response to an excitation.

    Parameters
    ----------
    model : ModalModel
    excitation : Strike
        Force samples at a node (its ``sr`` is the output sample rate).
    pickups : Pickup or sequence of Pickup, optional
        One (mono) or more (one channel each); default: the driving point itself.
    duration : float, s
    quantity : {"displacement", "velocity", "acceleration"}
        Physical quantity at the pickups (m, m/s, m/s^2).
    fmax : float, optional, Hz
        Leave out modes above this frequency (default: everything below 0.49 sr).

    Returns
    -------
    ndarray, shape (n_channels, n_samples)
        In the units of ``quantity``.
    """
    if quantity not in QUANTITIES:
        raise PhyssynthError(f"unknown pickup quantity {quantity!r}; use one of {', '.join(QUANTITIES)}")
    sr = excitation.sr
    if not (math.isfinite(duration) and duration > 0):
        raise PhyssynthError(f"duration must be > 0 s, got {duration}")
    if duration * sr > 2**31:
        raise PhyssynthError("duration too long for one render")
    if pickups is None:
        from physsynth.render import Pickup as _P

        pickups = [_P(excitation.node, excitation.direction.copy(), excitation.point)]
    elif isinstance(pickups, Pickup):
        pickups = [pickups]
    n = int(round(duration * sr))
    omega, sigma, shapes = modes_below(model, sr=sr, fmax=fmax)
    a1, a2, b0, b1, b2 = resonator_coefficients(omega, sigma, sr=sr, quantity=quantity)
    g = shapes[:, excitation.node, :] @ excitation.direction
    w = np.stack([shapes[:, p.node, :] @ p.direction for p in pickups])
    out = np.empty((len(pickups), n))
    c = [np.ascontiguousarray(x, dtype=np.float64) for x in (a1, a2, b0 * g, b1 * g, b2 * g)]
    s1 = np.zeros(len(omega))
    s2 = np.zeros(len(omega))
    resonator_bank(*c, np.ascontiguousarray(w), np.ascontiguousarray(excitation.force, dtype=np.float64), s1, s2, out)
    if not np.isfinite(out).all():
        raise RenderError("the render produced non-finite samples; check the model's frequencies and damping")
    return out
