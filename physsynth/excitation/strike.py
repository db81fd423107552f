"""A strike: a contact-force pulse at a surface point, in a direction.

The pulse is a half-sine of duration ``contact_time``, the classical approximation of a
Hertzian impact (Goldsmith, *Impact*, 1960; Chaigne & Doutaut, JASA 101, 1997): its spectrum
is flat below about 1 / (2 contact_time) and falls off at 12 dB/octave above its first zero at
1.5 / contact_time, so a shorter contact sounds brighter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physsynth import validate
from physsynth.errors import PhyssynthError
from physsynth.excitation.mallet import MALLETS as PHYSICAL
from physsynth.pickups import snap, surface_index, surface_normal

#: Contact-time presets (s). Soft: felt or leather-wrapped mallet; medium: hard rubber or
#: wrapped wood; hard: bare wood or plastic on metal (orders of magnitude from Fletcher &
#: Rossing 1998, sec. 19.5 and 21.9, where mallet contact times on bars and bells range from
#: about 0.2 to a few ms).
MALLETS = {"soft": 3.0e-3, "medium": 1.0e-3, "hard": 0.25e-3}


def contact_pulse(contact_time: float, *, sr: float, impulse: float = 1e-2) -> np.ndarray:
    """Samples of a half-sine contact force.

    Parameters
    ----------
    contact_time : float, s
        Duration of the contact.
    sr : float, Hz
        Sample rate.
    impulse : float, N s
        Time integral of the force (mallet mass times its change of velocity).

    Returns
    -------
    ndarray, shape (n,), N
        Force at t = 0, 1/sr, ..., ending with the zero after the contact.
    """
    contact_time = validate.positive(contact_time, "contact time", "s")
    sr = validate.sample_rate(sr)
    impulse = validate.positive(impulse, "impulse", "N s")
    if contact_time > 0.5:
        raise PhyssynthError(f"contact time {contact_time} s is not a strike; use <= 0.5 s")
    n = int(math.ceil(contact_time * sr)) + 1
    t = np.arange(n + 1) / sr
    f = np.where(t < contact_time, np.sin(np.pi * t / contact_time), 0.0)
    # Scale so that the piecewise-linear force the renderer integrates carries ``impulse``.
    area = np.trapezoid(f, dx=1.0 / sr)
    if area <= 0:  # contact shorter than a sample: a single-sample triangle
        f = np.zeros(2)
        f[0] = 1.0
        area = 0.5 / sr
    return f * (impulse / area)


@dataclass(frozen=True)
class Strike:
    """Force at one mesh node.

    Attributes
    ----------
    node : int
        Mesh node where the force acts.
    direction : ndarray, shape (3,)
        Unit vector of the force.
    force : ndarray, shape (n,), N
        Force samples at ``sr``.
    sr : float, Hz
    point : ndarray, shape (3,), m
        The requested point (before snapping to the node).
    """

    node: int
    direction: np.ndarray
    force: np.ndarray
    sr: float
    point: np.ndarray


def strike(
    model,
    at,
    *,
    direction=None,
    mallet: str | None = "medium",
    contact_time: float | None = None,
    impulse: float = 1e-2,
    sr: float,
) -> Strike:
    """A strike on a ModalModel's surface.

    Parameters
    ----------
    model : ModalModel
    at : array_like, shape (3,), m
        Strike point; snapped to the nearest surface node.
    direction : array_like, shape (3,), optional
        Force direction; default: into the surface (minus the outward normal).
    mallet : {"soft", "medium", "hard"}
        Contact-time preset, used when ``contact_time`` is not given.
    contact_time : float, optional, s
    impulse : float, N s
    sr : float, Hz
    """
    sr = validate.sample_rate(sr)
    idx = surface_index(model)
    node, point = snap(model, at, "strike point", index=idx)
    d = -surface_normal(idx, node) if direction is None else validate.direction(direction, "strike direction")
    if contact_time is None:
        if not isinstance(mallet, str) or mallet not in MALLETS:
            if isinstance(mallet, str) and mallet in PHYSICAL:
                raise PhyssynthError(
                    f"the {mallet} mallet is a physical mallet whose force comes out of the "
                    "contact simulation: use physsynth.mallet_strike(model, at, "
                    f"mallet={mallet!r}, velocity=...) (strike() takes the half-sine presets "
                    f"{', '.join(MALLETS)} or a contact time)"
                )
            raise PhyssynthError(f"unknown mallet {mallet!r}; use one of {', '.join(MALLETS)} or give a contact time")
        contact_time = MALLETS[mallet]
    return Strike(node, d, contact_pulse(contact_time, sr=sr, impulse=impulse), float(sr), point)
