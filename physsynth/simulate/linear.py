"""Modal synthesis of a prescribed force: exactly discretised resonators read at pickups.

Each mode obeys q'' + 2 sigma q' + omega0^2 q = g F(t) with g = phi(x_s) . d_s. The force
samples are joined by straight lines (first-order hold), and each mode is discretised so that
its samples are exactly those of the continuous response to that piecewise-linear force (the
ramp-invariant transform, :func:`physsynth.simulate.modal.resonator_coefficients`; see
docs/theory.md, "Resonators"). The bank runs in ``physsynth.kernels.resonators``.
"""

from __future__ import annotations

import numpy as np

from physsynth import validate
from physsynth.errors import PhyssynthError, RenderError
from physsynth.excitation.strike import Strike
from physsynth.kernels.resonators import resonator_bank, resonator_bank_iq
from physsynth.pickups import Listener, Pickup, as_pickups, channel_gains, point_weights, shift_channels
from physsynth.simulate.modal import check_quantity, modes_below, resonator_coefficients


def render(
    model, excitation, pickups=None, *, duration: float, quantity: str = "velocity", fmax: float | None = None
) -> np.ndarray:
    """Render a ModalModel's response to an excitation.

    Parameters
    ----------
    model : ModalModel
    excitation : Strike
        Force samples at a node (its ``sr`` is the output sample rate).
    pickups : Pickup, Listener or a sequence of them, optional
        One (mono) or more (one channel each); default: the driving point itself. A
        :class:`~physsynth.pickups.Listener` channel is the sound pressure (Pa) from the model's
        radiation data, whatever the quantity.
    duration : float, s
    quantity : {"displacement", "velocity", "acceleration"}
        Physical quantity at the pickups (m, m/s, m/s^2).
    fmax : float, optional, Hz
        Leave out modes above this frequency (default: everything below 0.49 sr).

    Returns
    -------
    ndarray, shape (n_channels, n_samples)
        In the units of ``quantity``.

    Raises
    ------
    PhyssynthError
        Before any work, for an unknown quantity, an empty pickup list, a sample rate outside
        1000..768000 Hz, a duration <= 0 or one whose samples exceed the memory budget.
    RenderError
        For a model whose modes hold NaN, infinite or negative values, and for a render that
        would be silent (a force of zeros, a point that drives or reads none of the modes).
    """
    qcode = check_quantity(quantity)
    if not isinstance(excitation, Strike):
        raise PhyssynthError(
            f"the excitation must be a Strike (physsynth.strike or force_strike), got {type(excitation).__name__}"
        )
    sr = validate.sample_rate(excitation.sr)
    pickups = as_pickups(pickups, Pickup(excitation.node, np.array(excitation.direction), excitation.point))
    n = validate.check_samples(duration, sr, len(pickups))
    force = np.ascontiguousarray(excitation.force, dtype=np.float64)
    if force.ndim != 1 or force.size == 0 or not np.isfinite(force).all():
        raise RenderError("the excitation's force must be a non-empty 1D array of finite newtons")
    if not np.any(force):
        raise RenderError("the excitation's force is zero everywhere: the render would be silent")
    omega, sigma, shapes = modes_below(model, sr=sr, fmax=fmax)
    g = point_weights(shapes, excitation.node, excitation.direction, "the excitation")
    if not np.any(g):
        raise RenderError(
            f"node {excitation.node} drives none of the modes kept (a nodal point): the render would be "
            "silent; strike elsewhere"
        )
    a1, a2, b0, b1, b2 = resonator_coefficients(omega, sigma, sr=sr, quantity=quantity)
    s1 = np.zeros(len(omega))
    s2 = np.zeros(len(omega))
    out = np.empty((len(pickups), n))
    if not any(isinstance(p, Listener) for p in pickups):
        w = np.ascontiguousarray(np.stack([point_weights(shapes, p.node, p.direction, "a pickup") for p in pickups]))
        _check_reads(w)
        c = [np.ascontiguousarray(x, dtype=np.float64) for x in (a1, a2, b0 * g, b1 * g, b2 * g)]
        resonator_bank(*c, w, force, s1, s2, out)
    else:
        # listeners (Pa): complex gains, one channel's folded into the numerators
        G, delays = channel_gains(model, shapes, pickups, omega=omega, sigma=sigma, sr=sr, quantity=qcode)
        _check_reads(G)
        render_gains(G, delays, omega, sigma, (a1, a2, b0 * g, b1 * g, b2 * g), force, out, sr=sr)
    if not np.isfinite(out).all():
        raise RenderError("the render produced non-finite samples; check the model's frequencies and damping")
    return out


def render_gains(G, delays, omega, sigma, coefficients, force, out, *, sr: float) -> np.ndarray:
    """Channels with complex gains on the modes' rendered signals, from rest: one channel's gains
    folded into the resonators' numerators (:func:`fold_gains`), the others read through the
    quadrature kernel, the direct taps added and each channel delayed by whole samples.

    Parameters
    ----------
    G : ndarray, complex, shape (n_channels, n_modes)
        Each channel's gain on each mode's analytic signal (:func:`physsynth.pickups.channel_gains`).
    delays : sequence of int, shape (n_channels,)
        Each channel's delay, samples.
    omega, sigma : ndarray, shape (n_modes,), rad/s and 1/s
    coefficients : (a1, a2, b0, b1, b2)
        The resonators (:func:`physsynth.simulate.modal.resonator_coefficients`), numerators
        already scaled by the driving point's weights.
    force : ndarray, shape (n_force,), N
    out : ndarray, shape (n_channels, n), overwritten and returned
    sr : float, Hz
    """
    a1, a2, b0, b1, b2 = coefficients
    f = fold_gains(G, omega, sigma, a1, a2, b0, b1, b2, sr=sr)
    c = [np.ascontiguousarray(x, dtype=np.float64) for x in (a1, a2, f.b0, f.b1, np.zeros_like(a1))]
    s1, s2 = np.zeros(len(omega)), np.zeros(len(omega))
    if G.shape[0] == 1:
        resonator_bank(*c, f.w, force, s1, s2, out)
    else:
        resonator_bank_iq(*c, f.w, f.wy, f.wz, force, s1, s2, out)
    n = out.shape[1]
    m = min(len(force), n)
    out[:, :m] += f.direct[:, :1] * force[:m]
    out[:, 1 : m + 1] += f.direct[:, 1:] * force[: min(m, n - 1)]
    return shift_channels(out, delays)


def _check_reads(w):
    if not np.any(w):
        raise RenderError(
            "the pickups read none of the modes kept (nodal points): the render would be silent; move them"
        )


class FoldedGains:
    """A resonator bank's numerators and output weights for channels with complex gains
    (:func:`fold_gains`).

    Attributes
    ----------
    b0, b1 : ndarray, shape (n_modes,)
        New numerators (b2 = 0).
    w : ndarray, shape (1, n_modes)
        Channel 0's real weights (1, or 0 for a mode it does not hear).
    wy, wz : ndarray, shape (n_channels - 1, n_modes)
        The other channels' weights on y_k[n] and on the second state s2_k = a2 y_k[n-1].
    direct : ndarray, shape (n_channels, 2)
        Each channel's direct terms on u[n] and u[n-1] (summed over the modes).
    """

    def __init__(self, b0, b1, w, wy, wz, direct):
        self.b0, self.b1, self.w, self.wy, self.wz, self.direct = b0, b1, w, wy, wz, direct


def _real_pair(v, x):
    """Real (alpha, beta) with alpha + beta x = v, for complex v and x (Im x != 0)."""
    beta = v.imag / x.imag
    return v.real - beta * x.real, beta


def fold_gains(G, omega, sigma, a1, a2, b0, b1, b2, *, sr: float) -> FoldedGains:
    """Fold complex output gains into a resonator bank, one channel for free.

    Mode k's signal is y = N(x) / D(x) u, x = z^-1, N = b0 + b1 x + b2 x^2,
    D = 1 - a1 x - a2 x^2, whose pole is lam = e^{p / sr}. Channel c hears
    Re(G_ck zeta_k), zeta_k y's analytic signal, i.e. P_ck(x) y with the real first-degree
    polynomial P_ck(1 / lam) = G_ck. With R_k = P_0k (channel 0's gain), the mode is rendered as
    y' = (N R mod D) / D u, whose numerator has degree 1 (b2 = 0); channel 0 is then y' itself
    (weight 1) plus the quotient (N R div D) u, a two-tap direct term; channel c >= 1 reads
    (P_c / R mod D) y' (the complex quotient G_c / G_0 at the pole: two weights) plus its own
    direct term. Exact: the polynomials mod D are the complex numbers at the pole.

    A mode channel 0 does not hear (|G_0k| below 1e-9 of its largest, -180 dB) keeps R = 1 and
    weight 0 on channel 0.
    """
    lam = np.exp((-sigma + 1j * np.sqrt(omega**2 - sigma**2)) / sr)
    x = 1.0 / lam
    G = np.atleast_2d(G)
    g0 = G[0]
    heard = np.abs(g0) > 1e-9 * np.max(np.abs(g0), initial=0.0)
    R = np.where(heard, g0, 1.0)
    A0, B0 = _real_pair(R, x)
    Nx = b0 + b1 * x + b2 * x * x
    r0, r1 = _real_pair(Nx * R, x)  # N R mod D
    # N R = (q0 + q1 x) D + r0 + r1 x, from the coefficients of x^0 and x^1
    q0 = b0 * A0 - r0
    q1 = b0 * B0 + b1 * A0 - r1 + a1 * q0
    direct = np.zeros((len(G), 2))
    direct[0] = [np.sum(np.where(heard, q0, 0.0)), np.sum(np.where(heard, q1, 0.0))]
    wy = np.zeros((len(G) - 1, len(g0)))
    wz = np.zeros_like(wy)
    for c in range(1, len(G)):
        Ac, Bc = _real_pair(G[c], x)
        al, be = _real_pair(G[c] / R, x)
        # (Ac + Bc x) N - (al + be x)(r0 + r1 x) = (f0 + f1 x) D
        f0 = Ac * b0 - al * r0
        f1 = Ac * b1 + Bc * b0 - al * r1 - be * r0 + a1 * f0
        direct[c] = [f0.sum(), f1.sum()]
        wy[c - 1] = al
        wz[c - 1] = be / a2
    w = np.ascontiguousarray(heard.astype(float)[None, :])
    return FoldedGains(r0, r1, w, np.ascontiguousarray(wy), np.ascontiguousarray(wz), direct)
