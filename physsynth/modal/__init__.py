"""Modal analysis: the eigen pipeline (pipeline.py, linsolve.py) with its front ends for solids
(solid_analysis.py) and plates and membranes (sheet_analysis.py), the public entry
(analysis.modal_analysis) and the ModalModel (model.py). Damping laws live in physsynth.damping."""
