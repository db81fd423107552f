"""The fast representation: per-mode outgoing multipole expansions (equivalent sources at the
object's centre), fitted to a reference solution, evaluated at render time.

As in Precomputed Acoustic Transfer (James, Barbic & Pai 2006, ACM TOG 25, 987) each mode's
exterior field is stored as a few coefficients of outgoing sources fitted by least squares to
the reference (here the BEM) on a sphere of fit points; PAT places several multipole sources,
we use one multipole at the centre of order L = ka + 4 (at most 16), which converges outside
the sphere that holds the object (the addition theorem). Evaluating (L + 1)^2 terms at a
listener is microseconds a mode, done once per render, not per sample.

What a listener hears of mode k is then a complex gain H_k (Pa per unit modal velocity), applied
in the time domain to the mode's own signal (:func:`listener_gains`,
``physsynth.pickups.Listener``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from physsynth.radiation._base import RadiationData, fit_expansion


def refit(data: RadiationData, field=None, *, max_order: int = 16) -> RadiationData:
    """A ``fast`` copy of ``data``: the expansion (refitted to ``field`` if given), no surface data."""
    e = data.expansion
    if field is not None:
        e = fit_expansion(field, e.k, e.center, e.radius, max_order=max_order, baffle=e.baffle)
    return replace(data, method="fast", expansion=e, surface_pressure=None)


def listener_gains(data: RadiationData, points, model=None) -> np.ndarray:
    """Complex pressure per unit modal velocity at listener points, shape (n_points, n_modes).

    e^{-i omega t} convention (the conjugate is the gain on e^{+i omega t} analytic signals).
    """
    return data.pressure(points, model if data.method == "bem" else None).T
