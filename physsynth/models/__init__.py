"""Fast string models: Karplus-Strong (Jaffe-Smith) and a digital waveguide string.

Each has a pure function (one note), a streaming class (``process(n)``) and, for
Karplus-Strong, a many-voice renderer; all run on the kernels in physsynth/kernels/fastpaths.py.
Also: a 2-D waveguide-mesh membrane (mesh2d) and a waveguide string on a modal body (hybrid).
"""

import inspect

from physsynth.models._design import LoopDesign, ModelParameterError, design_loop, loss_filter
from physsynth.models.banded import BandedWaveguide, banded_from_model, banded_strike
from physsynth.models.bowed import BowedString, bow
from physsynth.models.hybrid import StringOnBody, string_on_body, string_on_modes
from physsynth.models.ks import KarplusStrong, KSVoices, ks_excitation, ks_pluck
from physsynth.models.mesh2d import (
    WaveguideMesh,
    membrane_mode_frequencies,
    mesh_mode_frequencies,
    waveguide_mesh_strike,
)
from physsynth.models.waveguide import Waveguide, waveguide_pluck


def pluck(f0, *, sr, duration, model="ks", **kwargs):
    """Render one plucked note with ``model`` "ks" (:func:`ks_pluck`) or "waveguide"
    (:func:`waveguide_pluck`); keyword arguments go to that function."""
    models = {"ks": ks_pluck, "waveguide": waveguide_pluck}
    if not isinstance(model, str) or model not in models:
        raise ModelParameterError(f"model must be 'ks' or 'waveguide', got {model!r}")
    fn = models[model]
    accepted = set(inspect.signature(fn).parameters) - {"f0", "sr", "duration"}
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise ModelParameterError(
            f"the {model} string takes no {', '.join(unknown)}; it takes {', '.join(sorted(accepted))}"
        )
    return fn(f0, sr=sr, duration=duration, **kwargs)


__all__ = [
    "BandedWaveguide",
    "BowedString",
    "KSVoices",
    "KarplusStrong",
    "LoopDesign",
    "ModelParameterError",
    "StringOnBody",
    "Waveguide",
    "WaveguideMesh",
    "banded_from_model",
    "banded_strike",
    "bow",
    "design_loop",
    "ks_excitation",
    "ks_pluck",
    "loss_filter",
    "membrane_mode_frequencies",
    "mesh_mode_frequencies",
    "pluck",
    "string_on_body",
    "string_on_modes",
    "waveguide_mesh_strike",
    "waveguide_pluck",
]
