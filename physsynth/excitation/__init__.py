"""Excitations: force signals over time and where they act."""

from physsynth.excitation.strike import MALLETS, Strike, contact_pulse, strike

__all__ = ["MALLETS", "Strike", "contact_pulse", "strike"]
