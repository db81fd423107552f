"""Finite-element discretisation with scikit-fem."""

from physsynth.fem.solid import SolidDiscretisation, assemble_solid

__all__ = ["SolidDiscretisation", "assemble_solid"]
