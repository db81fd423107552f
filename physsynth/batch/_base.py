"""Shared pieces of the batch engine: the spec error, canonical JSON and hashes."""

from __future__ import annotations

import hashlib
import json

from physsynth.errors import PhyssynthError


class SpecError(PhyssynthError):
    """A sweep spec is malformed: the message names the key and what it must be."""


def canonical_json(obj) -> str:
    """JSON with sorted keys and no spaces: the same parameters give the same text, so their
    hash is stable across runs and machines (floats are written by ``repr``, exactly)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def short_hash(obj, n: int = 16) -> str:
    """First ``n`` hex digits of the SHA-256 of ``canonical_json(obj)``.

    16 digits are 64 bits: by the birthday bound, two of N items collide with probability
    about N^2 / 2^65, 3e-8 for a million items."""
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()[:n]
