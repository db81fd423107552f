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
from physsynth.kernels.resonators import resonator_bank
from physsynth.pickups import Pickup, as_pickups, output_weights, point_weights
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
    # listeners (Pa) are two rows each, combined by finish (physsynth.pickups.output_weights)
    w, finish = output_weights(model, shapes, pickups, omega=omega, sigma=sigma, sr=sr, quantity=qcode)
    if not np.any(g):
        raise RenderError(
            f"node {excitation.node} drives none of the modes kept (a nodal point): the render would be "
            "silent; strike elsewhere"
        )
    if not np.any(w):
        raise RenderError(
            "the pickups read none of the modes kept (nodal points): the render would be silent; move them"
        )
    a1, a2, b0, b1, b2 = resonator_coefficients(omega, sigma, sr=sr, quantity=quantity)
    out = np.empty((len(w), n))
    c = [np.ascontiguousarray(x, dtype=np.float64) for x in (a1, a2, b0 * g, b1 * g, b2 * g)]
    s1 = np.zeros(len(omega))
    s2 = np.zeros(len(omega))
    resonator_bank(*c, w, force, s1, s2, out)
    out = finish(out)
    if not np.isfinite(out).all():
        raise RenderError("the render produced non-finite samples; check the model's frequencies and damping")
    return out
