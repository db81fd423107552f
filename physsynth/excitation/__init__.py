"""Excitations: force sources and the contact and friction laws, not their time stepping.

- ``strike``: a half-sine contact pulse (soft, medium, hard presets);
- ``mallet``: physical mallets (mass, Hertz or felt tip) and their contact laws;
- ``signals``: recorded forces, noise bursts;
- ``score``: timed events from CSV, JSON or MIDI, and where on the object they act;
- ``friction``: friction laws, contact paths (a rim ring, a bowed point), linear theory.

The time stepping that turns these into sound is ``physsynth.simulate`` (``render``,
``render_score``, ``mallet_strike``, ``rub``, ``bow_modal``).
"""

from physsynth.excitation.friction import (
    PUJA_DAMPING,
    ContactPath,
    FrictionLaw,
    detune_doublets,
    linear_stability,
    point_contact,
    rim_path,
)
from physsynth.excitation.mallet import MALLETS as MALLET_PRESETS
from physsynth.excitation.mallet import ContactLaw, Mallet, MalletError, get_mallet
from physsynth.excitation.score import Event, Score, ScoreError, read_score, resolve_position
from physsynth.excitation.signals import force_from_wav, force_strike, noise_burst
from physsynth.excitation.strike import MALLETS, Strike, contact_pulse, strike

__all__ = [
    "MALLETS",
    "MALLET_PRESETS",
    "PUJA_DAMPING",
    "ContactLaw",
    "ContactPath",
    "Event",
    "FrictionLaw",
    "Mallet",
    "MalletError",
    "Score",
    "ScoreError",
    "Strike",
    "contact_pulse",
    "detune_doublets",
    "force_from_wav",
    "force_strike",
    "get_mallet",
    "linear_stability",
    "noise_burst",
    "point_contact",
    "read_score",
    "resolve_position",
    "rim_path",
    "strike",
]
