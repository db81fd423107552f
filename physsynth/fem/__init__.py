"""Finite-element discretisation with scikit-fem: solids (solid.py), plates and membranes
(sheet.py), region selectors (selectors.py) and counts from the connectivity (topology.py).

Nothing is imported here, so that the selectors and counts load without scikit-fem.
"""
