"""Numba kernels: contiguous float64 arrays in, preallocated arrays out, nothing else.

Public wrappers elsewhere check inputs; these functions trust them.
"""

from physsynth.kernels.resonators import resonator_bank

__all__ = ["resonator_bank"]
