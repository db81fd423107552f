"""Errors raised by physsynth.

Every error a user can cause derives from :class:`PhyssynthError`; its message names the
problem and the fix, so the command line can print it as one line.
"""

from __future__ import annotations


class PhyssynthError(Exception):
    """Base class of every error physsynth raises on bad input or an impossible request."""


class MeshError(PhyssynthError):
    """The mesh file is missing, unreadable, or not a usable volume mesh."""


class MaterialError(PhyssynthError):
    """Unknown material name or non-physical material constants."""


class SelectorError(PhyssynthError):
    """A region selector (clamp, support) does not parse or selects nothing."""


class SolverError(PhyssynthError):
    """The eigen-solver or linear solver failed or is unavailable."""


class StabilityError(PhyssynthError):
    """A time-stepping request violates the scheme's stability condition."""


class RenderError(PhyssynthError):
    """Rendering would produce silent, non-finite or otherwise unusable audio."""


class AudioError(PhyssynthError):
    """An audio file cannot be written or read."""


class ModelFileError(PhyssynthError):
    """A saved ModalModel file is missing, corrupt or of an unknown version."""
