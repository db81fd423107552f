"""Radiation damping: the power a mode radiates is energy it loses.

A mass-normalised mode of velocity amplitude V holds the energy E = V^2 / 2 (J) and radiates
W = w V^2 (w the power per unit modal velocity squared, ``RadiationData.power``), so its
energy decays at dE/dt = -W = -2 w E: the amplitude decay rate grows by exactly

    sigma_rad = w   (1/s).

Added to the structural decay rate sigma_s (the damping law's), the share of each T60 the air
accounts for is sigma_rad / (sigma_s + sigma_rad): the T60 is 6 ln 10 / (sigma_s + sigma_rad).
Light radiation loading of the frequency (the added mass of the air, a fraction rho_air /
rho_solid x (a / h) of a percent for metal objects) is left out.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from physsynth.errors import PhyssynthError


def radiation_decay_rates(data, n_modes: int) -> np.ndarray:
    """sigma_rad of the model's first ``n_modes`` modes (0 beyond the data), 1/s."""
    out = np.zeros(n_modes)
    m = min(n_modes, data.n_modes)
    out[:m] = data.power[:m]
    return out


def t60_share(structural_decay, radiation_decay) -> np.ndarray:
    """Fraction of each mode's T60 loss due to radiation, sigma_rad / (sigma_s + sigma_rad)."""
    s = np.asarray(structural_decay, dtype=float)
    r = np.asarray(radiation_decay, dtype=float)
    tot = s + r
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, r / tot, 0.0)


def with_radiation_damping(model, data=None):
    """The model with radiation damping added to its decay rates.

    The structural rates are kept in ``provenance["structural_decay_rates"]`` so that adding it
    twice does not count it twice; ``provenance["radiation_t60_share"]`` holds each mode's share.
    """
    data = model.radiation if data is None else data
    if data is None:
        raise PhyssynthError("the model has no radiation data; compute it first (physsynth.radiation.radiate)")
    prov = dict(model.provenance)
    base = np.asarray(prov.get("structural_decay_rates", model.decay_rates), dtype=float)
    if base.shape != model.decay_rates.shape:
        base = model.decay_rates
    sig = radiation_decay_rates(data, model.n_modes)
    prov["structural_decay_rates"] = base.tolist()
    prov["radiation_t60_share"] = t60_share(base, sig).tolist()
    total = base + sig
    omega = model.omegas
    if np.any(total >= omega):
        k = int(np.flatnonzero(total >= omega)[0])
        raise PhyssynthError(
            f"radiation damping would overdamp mode {k} ({model.frequencies[k]:.4g} Hz); check the air parameters"
        )
    return replace(model, decay_rates=total, provenance=prov)
