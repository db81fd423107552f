"""Excitations: force signals over time and where they act.

- ``strike``: a half-sine contact pulse (soft, medium, hard presets);
- ``mallet``: a physical mallet (mass, Hertz or felt tip) time-stepped with the object;
- ``signals``: recorded forces, noise bursts, plucks;
- ``score``: timed events from CSV, JSON or MIDI rendered in one simulation;
- ``modal_state``: the modal state and its exact one-step update (shared with friction).
"""

from physsynth.excitation.mallet import MALLETS as MALLET_PRESETS
from physsynth.excitation.mallet import ContactLaw, Mallet, MalletError, get_mallet, mallet_strike
from physsynth.excitation.modal_state import ModalState, step_coefficients
from physsynth.excitation.score import Event, Score, ScoreError, read_score, render_score
from physsynth.excitation.signals import force_from_wav, force_strike, noise_burst, pluck_state
from physsynth.excitation.strike import MALLETS, Strike, contact_pulse, strike

__all__ = [
    "MALLETS",
    "MALLET_PRESETS",
    "ContactLaw",
    "Event",
    "Mallet",
    "MalletError",
    "ModalState",
    "Score",
    "ScoreError",
    "Strike",
    "contact_pulse",
    "force_from_wav",
    "force_strike",
    "get_mallet",
    "mallet_strike",
    "noise_burst",
    "pluck_state",
    "read_score",
    "render_score",
    "step_coefficients",
    "strike",
]

# Rubbing and bowing: friction excitation of a modal object (physsynth/excitation/friction.py).
from physsynth.excitation.friction import (  # noqa: E402
    ContactPath,
    FrictionExciter,
    FrictionLaw,
    FrictionRender,
    bow_modal,
    detune_doublets,
    linear_stability,
    point_contact,
    rim_path,
    rub,
)

__all__ += [
    "ContactPath",
    "FrictionExciter",
    "FrictionLaw",
    "FrictionRender",
    "bow_modal",
    "detune_doublets",
    "linear_stability",
    "point_contact",
    "rim_path",
    "rub",
]
