"""Stable hashing for the simulator's determinism.

Python's built-in ``hash()`` is salted per process, so nothing here uses it: every seed is derived
with BLAKE2b from the parts that identify what is generated (seed, bot, day, conversation...), so the
same parts give the same data in every process, on every machine.
"""

from __future__ import annotations

import hashlib
import random


def stable_int(*parts: object) -> int:
    """A 64-bit integer that depends only on ``parts`` (their ``str`` forms, in order)."""
    key = "\x1f".join(str(part) for part in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def stable_fraction(*parts: object) -> float:
    """A number in ``[0, 1)`` that depends only on ``parts``."""
    return stable_int(*parts) / 2**64


def rng_for(*parts: object) -> random.Random:
    """A private random stream seeded from ``parts`` (``random.Random`` seeding with an int is stable)."""
    return random.Random(stable_int(*parts))  # noqa: S311 - reproducible test data, not secrets
