"""Region selectors: a named region of the mesh or a safe coordinate predicate.

Grammar (parsed, never ``eval``'d)::

    selector   := region-name | "boundary" | "all" | predicate
    predicate  := comparison (("and" | "&" | "or" | "|") comparison)*
    comparison := VAR OP NUMBER | NUMBER OP VAR
    VAR        := x | y | z | r | R      (r = sqrt(x^2 + y^2), R = sqrt(x^2 + y^2 + z^2), metres)
    OP         := <= | >= | < | > | == | =

"and" binds tighter than "or". ``==`` holds within a tolerance of 1e-6 times the mesh size.
Examples: ``"z<=0.001"``, ``"r>=0.089"``, ``"x<0.001 or x>0.299"``.
"""

from __future__ import annotations

import re

import numpy as np

from physsynth.errors import SelectorError
from physsynth.fem.topology import unique_edges
from physsynth.mesh import characteristic_length

_TOKEN = re.compile(
    r"\s*(?:(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<op><=|>=|==|<|>|=)"
    r"|(?P<bool>and\b|or\b|&&?|\|\|?)|(?P<var>[A-Za-z_]\w*))"
)
_VARS = ("x", "y", "z", "r", "R")


def _tokens(text: str):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise SelectorError(
                f"cannot parse selector {text!r} at {text[pos:]!r}; write e.g. 'z<=0.001' or 'r>=0.089 and z>0.05'"
            )
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "bool":
            val = "and" if val in ("and", "&", "&&") else "or"
        out.append((kind, val))
        pos = m.end()
    return out


def parse_predicate(text: str):
    """Parse a coordinate predicate into a function ``points (n, 3) -> bool mask (n,)``.

    >>> import numpy as np
    >>> on_rim = parse_predicate("r>=0.089 and z>0.07")
    >>> on_rim(np.array([[0.09, 0.0, 0.08], [0.0, 0.05, 0.08], [0.0, 0.09, 0.01]]))
    array([ True, False, False])
    >>> parse_predicate("R<=1")(np.array([[0.6, 0.0, 0.8], [0.6, 0.6, 0.6]]))  # distance from the origin
    array([ True, False])

    Raises
    ------
    SelectorError
        If the text is not a predicate of the grammar above.
    """
    toks = _tokens(text)
    if not toks:
        raise SelectorError("empty selector")
    comps, bools = [], []
    i = 0
    while True:
        if i + 3 > len(toks):
            raise SelectorError(f"incomplete comparison in selector {text!r}")
        (k1, v1), (k2, v2), (k3, v3) = toks[i : i + 3]
        if k2 != "op":
            raise SelectorError(f"expected a comparison operator in {text!r}, found {v2!r}")
        if k1 == "var" and k3 == "num":
            var, op, num = v1, v2, float(v3)
        elif k1 == "num" and k3 == "var":  # 0.1 < z  ->  z > 0.1
            flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "=": "="}
            var, op, num = v3, flip[v2], float(v1)
        else:
            raise SelectorError(f"a comparison needs one variable and one number: {text!r}")
        if var not in _VARS:
            raise SelectorError(
                f"unknown variable {var!r} in {text!r}; use x, y, z, r (radius "
                "about the z axis) or R (distance from the origin)"
            )
        comps.append((var, op, num))
        i += 3
        if i == len(toks):
            break
        if toks[i][0] != "bool":
            raise SelectorError(f"expected 'and' or 'or' in {text!r}, found {toks[i][1]!r}")
        bools.append(toks[i][1])
        i += 1

    def evaluate(points: np.ndarray, tol: float = 0.0) -> np.ndarray:
        p = np.asarray(points, dtype=float)
        vals = {"x": p[:, 0], "y": p[:, 1], "z": p[:, 2]}
        vals["r"] = np.hypot(p[:, 0], p[:, 1])
        vals["R"] = np.linalg.norm(p, axis=1)
        masks = []
        for var, op, num in comps:
            v = vals[var]
            if op == "<=":
                m = v <= num + tol
            elif op == ">=":
                m = v >= num - tol
            elif op == "<":
                m = v < num
            elif op == ">":
                m = v > num
            else:
                m = np.abs(v - num) <= max(tol, 1e-12)
            masks.append(m)
        # "and" binds tighter than "or": OR together runs of AND-ed comparisons.
        result = masks[0]
        terms = []
        for b, m in zip(bools, masks[1:]):
            if b == "and":
                result = result & m
            else:
                terms.append(result)
                result = m
        terms.append(result)
        out = terms[0]
        for t in terms[1:]:
            out = out | t
        return out

    return evaluate


def is_predicate(text: str) -> bool:
    """True if ``text`` reads as a coordinate predicate (it holds a comparison)."""
    return bool(re.search(r"[<>=]", text))


def resolve(mesh, selector, *, keywords=("all", "boundary"), option: str = "selector"):
    """What a selector names on ``mesh``, without selecting anything yet.

    Parameters
    ----------
    mesh : Mesh
    selector : str
        A region name of the mesh, one of ``keywords``, or a predicate of the grammar above.
    keywords : tuple of str
        The whole-mesh names this caller accepts (solids: "all" and "boundary"; plates and
        membranes: "boundary").
    option : str
        The option it came from ("--clamp"), for messages.

    Returns
    -------
    (kind, value) : ("region", Region) or ("keyword", str) or ("predicate", callable)

    Raises
    ------
    SelectorError
        Not a string, an unknown name (the message lists the mesh's regions), or a predicate
        that does not parse.
    """
    if not isinstance(selector, str):
        raise SelectorError(f"{option} takes region names or predicates as text, got {selector!r}")
    name = selector.strip()
    if name in mesh.regions:
        return "region", mesh.regions[name]
    if name in keywords:
        return "keyword", name
    if not is_predicate(name):
        known = ", ".join(sorted(mesh.regions)) or "(the mesh has no named regions)"
        words = " or ".join(repr(k) for k in keywords)
        raise SelectorError(
            f"{option} {selector!r} is neither a region of the mesh, {words}, nor a coordinate predicate; "
            f"regions: {known}; predicates look like 'z<=0.001' or 'r>=0.089'"
        )
    return "predicate", parse_predicate(name)


def select_among(mesh, selector, nodes, *, option: str = "selector", words=()) -> np.ndarray:
    """The nodes among ``nodes`` that a region name or a predicate selects (for positions).

    For strike points, pickups and sweep positions, which pick among the surface nodes: the
    caller handles its own words first ("rim", "surface", ...) and names them in ``words``
    for the message.

    Parameters
    ----------
    mesh : Mesh
    selector : str
        A region name of the mesh or a predicate of the grammar above.
    nodes : ndarray of int
        Candidate node indices (e.g. the surface nodes).

    Returns
    -------
    ndarray of int
        The selected candidates, sorted; never empty.

    Raises
    ------
    SelectorError
        Unknown name (the message lists the regions and ``words``), a predicate that does not
        parse, or nothing selected.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    kind, value = resolve(mesh, selector, keywords=tuple(words), option=option)
    if kind == "keyword":
        raise SelectorError(f"{option} {selector!r} is a word the caller handles, not a region or predicate")
    if kind == "region":
        out = np.intersect1d(value.nodes, nodes)
    else:
        out = np.sort(nodes[value(mesh.points[nodes], 1e-6 * characteristic_length(mesh))])
    if len(out) == 0:
        raise SelectorError(f"{option} {selector!r} selects none of the {len(nodes)} candidate nodes (surface nodes)")
    return out


def check_selectors(
    mesh, selectors, *, keywords=("all", "boundary"), option: str = "selector", points=None, midpoints=False
):
    """Refuse, before any assembly, selectors that name nothing on ``mesh``.

    Every selector is resolved (:func:`resolve`) and every predicate must hold at one point at
    least of ``points`` (default: the mesh nodes), or with ``midpoints`` of the cell edges'
    midpoints (where quadratic elements on a linear mesh have DOFs), within 1e-6 of the mean
    edge length, the tolerance the selection itself uses.

    Raises
    ------
    SelectorError
    """
    if isinstance(selectors, str):
        selectors = [selectors]
    pts = np.asarray(mesh.points if points is None else points, dtype=float)
    tol = None
    for sel in selectors:
        kind, value = resolve(mesh, sel, keywords=keywords, option=option)
        if kind != "predicate":
            continue
        if tol is None:
            tol = 1e-6 * characteristic_length(mesh)
        hit = value(pts, tol).any()
        if not hit and midpoints and mesh.order == 1:
            e = unique_edges(mesh)
            hit = value(0.5 * (mesh.points[e[:, 0]] + mesh.points[e[:, 1]]), tol).any()
        if not hit:
            lo, hi = mesh.bounding_box
            raise SelectorError(
                f"{option} {sel!r} selects no node of the mesh (its bounding box is "
                f"x {lo[0]:.4g}..{hi[0]:.4g}, y {lo[1]:.4g}..{hi[1]:.4g}, z {lo[2]:.4g}..{hi[2]:.4g} m)"
            )
