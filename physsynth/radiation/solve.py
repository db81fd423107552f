"""One entry point: the radiation of a ModalModel's modes by a chosen method."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from physsynth import validate
from physsynth._progress import step
from physsynth.errors import PhyssynthError
from physsynth.radiation._base import METHODS, Air, model_surface, normal_velocity
from physsynth.radiation.bem import check_memory, radiate_bem
from physsynth.radiation.compact import radiate_compact
from physsynth.radiation.damping import with_radiation_damping
from physsynth.radiation.fast import refit
from physsynth.radiation.rayleigh import radiate_rayleigh


def check_method(method) -> str:
    """The method name, or PhyssynthError listing the valid ones."""
    if method not in METHODS:
        raise PhyssynthError(f"unknown radiation method {method!r}; use one of {', '.join(METHODS)} (or none)")
    return method


def default_method(model) -> str:
    """rayleigh for a flat sheet, fast (BEM-fitted) for a solid."""
    return "rayleigh" if model.mesh.dim == 2 else "fast"


def radiate(
    model,
    method: str | None = None,
    *,
    air: Air | None = None,
    fmax: float | None = None,
    damping: bool = True,
    cache: bool = True,
    progress: bool = True,
    floor: float | None = None,
):
    """A ModalModel with the radiation of its modes (and, by default, their radiation damping).

    Parameters
    ----------
    model : ModalModel
    method : {"bem", "fast", "rayleigh", "compact"}, optional
        Default: "rayleigh" for a flat sheet (baffled), "fast" for a solid.
    air : Air, optional
    fmax : float, Hz, optional
        Only the modes below fmax (the rest are silent at listeners).
    floor : float, m, optional
        Height z0 of a rigid floor (the plane z = z0 below the object): image sources
        (``RadiationData.floor``); not with "rayleigh", whose baffle is already a rigid plane.
    damping : bool
        Add the radiated power to each mode's decay rate (:mod:`physsynth.radiation.damping`).

    Returns
    -------
    ModalModel
        With ``radiation`` set (a :class:`RadiationData`).
    """
    method = default_method(model) if method is None else check_method(method)
    air = Air() if air is None else air
    if not isinstance(air, Air):
        raise PhyssynthError(f"air must be a physsynth.radiation.Air, got {type(air).__name__}")
    n = model.n_modes
    if fmax is not None:
        fmax = validate.positive(fmax, "fmax", "Hz")
        n = int(np.searchsorted(model.frequencies, fmax))
        if n == 0:
            raise PhyssynthError(f"no mode below {fmax:g} Hz to radiate; raise fmax")
    surface = model_surface(model)
    vn = normal_velocity(model, surface)[:n]
    f = model.frequencies[:n]
    if floor is not None and method == "rayleigh":
        raise PhyssynthError(
            "a rigid floor is for a solid in the air (bem, fast, compact); the Rayleigh plate sits in its own baffle"
        )
    if method == "rayleigh":
        with step(f"Rayleigh radiation of {n} modes"):
            data = radiate_rayleigh(surface, vn, f, air)
    else:
        if not surface.closed:
            raise PhyssynthError(
                f"--radiation {method} needs a solid's closed surface; this model is a sheet: use --radiation rayleigh"
            )
        if method == "compact":
            data = radiate_compact(surface, vn, f, air, cache=cache, progress=progress, floor=floor)
        else:
            check_memory(surface, n, images=floor is not None)
            data = radiate_bem(surface, vn, f, air, cache=cache, progress=progress, floor=floor)
            if method == "fast":
                data = refit(data)
    out = replace(model, radiation=data)
    if damping:
        out = with_radiation_damping(out, data)
    return out
