"""The one time-stepping layer: a modal state, force sources and pickups in, samples out.

- ``modal``: the exact discretisation of damped modes (resonator recursions, state-space
  steps for forces linear or constant over a step), the :class:`ModalState`, mode selection;
- ``linear``: :func:`render`, a prescribed force read at pickups (the resonator bank);
- ``contact``: modes, prescribed forces, plucks and mallets stepped together
  (:func:`run_sources`, :func:`impact`);
- ``score``: a score's events resolved to those sources (:func:`render_score`,
  :func:`mallet_strike`);
- ``friction``: a sliding contact (:func:`rub`, :func:`bow_modal`, :class:`FrictionExciter`).

The force sources and contact and friction laws themselves live in ``physsynth.excitation``,
the pickups in ``physsynth.pickups``, the Numba loops in ``physsynth.kernels``. Submodules are
imported on first use of one of their names, so that importing this package stays cheap.
"""

from __future__ import annotations

import importlib

_NAMES = {
    "QUANTITIES": "modal",
    "ModalState": "modal",
    "check_modes": "modal",
    "hold_coefficients": "modal",
    "modal_energy": "modal",
    "modes_below": "modal",
    "pluck_state": "modal",
    "resonator_coefficients": "modal",
    "step_coefficients": "modal",
    "render": "linear",
    "ForceSource": "contact",
    "KickSource": "contact",
    "MalletSource": "contact",
    "Simulation": "contact",
    "choose_substeps": "contact",
    "impact": "contact",
    "run_sources": "contact",
    "MalletHit": "score",
    "ScoreResult": "score",
    "mallet_strike": "score",
    "render_score": "score",
    "FrictionExciter": "friction",
    "FrictionRender": "friction",
    "bow_modal": "friction",
    "rub": "friction",
}

__all__ = sorted(_NAMES)


def __getattr__(name):
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'physsynth.simulate' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"physsynth.simulate.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
