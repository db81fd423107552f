"""From a recording to a calibrated model.

- ``esprit``: the partials of a recording (:func:`analyse`): frequencies, decay rates,
  amplitudes and phases with their uncertainties, doublets and their beats;
- ``fit``: a ModalModel fitted to them (:func:`fit_model`): modes paired with partials, the
  material scale, a damping law and the gain, with a report before and after.
"""

from __future__ import annotations

from physsynth.calibrate.esprit import Analysis, RecordingError, analyse, check_recording
from physsynth.calibrate.fit import Fit, FitError, fit_model, locate_strike, pair_modes, resynthesise, scaled, score

__all__ = [
    "Analysis",
    "Fit",
    "FitError",
    "RecordingError",
    "analyse",
    "check_recording",
    "fit_model",
    "locate_strike",
    "pair_modes",
    "resynthesise",
    "scaled",
    "score",
]
