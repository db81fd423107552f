"""Acoustic radiation of a model's modes: the pressure at listeners, radiated power, damping.

- :func:`radiate`: a ModalModel with :class:`RadiationData` (method "bem", "fast", "rayleigh"
  or "compact") and its radiation damping;
- ``bem``: exterior Helmholtz BEM (Burton-Miller) through bempp-cl (extra ``bem``);
- ``fast``: multipole expansions fitted to the reference, for render time;
- ``rayleigh``: baffled flat plates; ``compact``: monopole + dipole moments for ka << 1;
- ``damping``: radiated power as decay rate, and its share of each T60.

Theory: docs/radiation-theory.md. Submodules load on first use of their names.
"""

from __future__ import annotations

import importlib

_NAMES = {
    "Air": "_base",
    "Expansion": "_base",
    "METHODS": "_base",
    "RadiationData": "_base",
    "Surface": "_base",
    "model_surface": "_base",
    "normal_velocity": "_base",
    "surface_from_arrays": "_base",
    "radiate": "solve",
    "default_method": "solve",
    "radiate_bem": "bem",
    "radiate_rayleigh": "rayleigh",
    "radiate_compact": "compact",
    "listener_gains": "fast",
    "with_radiation_damping": "damping",
    "t60_share": "damping",
}

__all__ = sorted(_NAMES)


def __getattr__(name):
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'physsynth.radiation' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"physsynth.radiation.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
