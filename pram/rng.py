"""The one place where a seed becomes a random generator (cf. networkx's ``py_random_state``)."""

from __future__ import annotations

import numpy as np

from pram.errors import InvalidSeed

SeedLike = int | np.random.Generator | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``seed``.

    ``seed`` may be an int (a fresh PCG64 generator seeded with it), an existing generator (returned as is, so
    callers can share one stream), or ``None`` (seed 0: powergen never draws entropy from the OS, so every run is
    reproducible).

    Examples
    --------
    >>> bool(as_generator(3).integers(0, 100) == as_generator(3).integers(0, 100))
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        seed = 0
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise InvalidSeed(f"seed must be an int or a numpy Generator, got {type(seed).__name__}")
    if seed < 0:
        raise InvalidSeed(f"seed must be non-negative, got {seed}")
    return np.random.default_rng(int(seed))
