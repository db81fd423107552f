"""Finite-difference schemes (Bilbao, Numerical Sound Synthesis, 2009): stiff string, membrane
and Kirchhoff plate, each with its stability limit and numerical energy. Theory and the
difference equations: docs/fd-theory.md. The time loops are in physsynth.kernels.fd.

    sch = stiff_string(220.0, inharmonicity=2.15e-4, t60=6.0, t60_high=2.0, sr=48000)
    audio = render_string(sch, duration=3.0, pluck=0.137, pickup=0.83)

Before any work, ``sch.estimate(duration)`` gives the cost of a render (grid points, memory,
updates = points x steps, seconds at the budgeted :data:`UPDATE_RATE`) from the sizes alone,
and ``sch.check_budget(duration)`` refuses it over the memory or time budget; the render
functions call it first.
"""

from physsynth.fd._common import (
    MAX_GRID_POINTS,
    MAX_OVERSAMPLE,
    UPDATE_RATE,
    FDCost,
    check_cost,
    raised_cosine_force,
)
from physsynth.fd.membrane import MembraneScheme, membrane, membrane_energy, render_membrane
from physsynth.fd.plate import PlateScheme, plate, plate_energy, render_plate
from physsynth.fd.string import StringScheme, render_string, stiff_string, string_energy

__all__ = [
    "MAX_GRID_POINTS",
    "MAX_OVERSAMPLE",
    "UPDATE_RATE",
    "FDCost",
    "check_cost",
    "MembraneScheme",
    "PlateScheme",
    "StringScheme",
    "membrane",
    "membrane_energy",
    "plate",
    "plate_energy",
    "raised_cosine_force",
    "render_membrane",
    "render_plate",
    "render_string",
    "stiff_string",
    "string_energy",
]
