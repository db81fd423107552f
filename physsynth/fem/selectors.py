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
    return bool(re.search(r"[<>=]", text))
