"""Excitations: force sources and the contact and friction laws, not their time stepping.

- ``strike``: a half-sine contact pulse (soft, medium, hard presets);
- ``mallet``: physical mallets (mass, Hertz or felt tip) and their contact laws;
- ``signals``: recorded forces, noise bursts;
- ``score``: timed events from CSV, JSON or MIDI, and where on the object they act;
- ``friction``: friction laws, contact paths (a rim ring, a bowed point), linear theory.

The time stepping that turns these into sound is ``physsynth.simulate`` (``render``,
``render_score``, ``mallet_strike``, ``rub``, ``bow_modal``).
"""

from __future__ import annotations

import importlib

# name -> (module, name there); submodules load on first use, so that importing one excitation
# (a strike) does not load scipy.signal for the noise bursts.
_NAMES = {
    "PUJA_DAMPING": ("friction", "PUJA_DAMPING"),
    "ContactPath": ("friction", "ContactPath"),
    "FrictionLaw": ("friction", "FrictionLaw"),
    "detune_doublets": ("friction", "detune_doublets"),
    "linear_stability": ("friction", "linear_stability"),
    "point_contact": ("friction", "point_contact"),
    "rim_path": ("friction", "rim_path"),
    "MALLET_PRESETS": ("mallet", "MALLETS"),
    "ContactLaw": ("mallet", "ContactLaw"),
    "Mallet": ("mallet", "Mallet"),
    "MalletError": ("mallet", "MalletError"),
    "get_mallet": ("mallet", "get_mallet"),
    "Event": ("score", "Event"),
    "Score": ("score", "Score"),
    "ScoreError": ("score", "ScoreError"),
    "read_score": ("score", "read_score"),
    "resolve_position": ("score", "resolve_position"),
    "force_from_wav": ("signals", "force_from_wav"),
    "force_strike": ("signals", "force_strike"),
    "noise_burst": ("signals", "noise_burst"),
    "MALLETS": ("strike", "MALLETS"),
    "Strike": ("strike", "Strike"),
    "contact_pulse": ("strike", "contact_pulse"),
    "strike": ("strike", "strike"),
}

__all__ = sorted(_NAMES)


def __getattr__(name):
    if name not in _NAMES:
        raise AttributeError(f"module 'physsynth.excitation' has no attribute {name!r}")
    module, attr = _NAMES[name]
    value = getattr(importlib.import_module(f"physsynth.excitation.{module}"), attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
