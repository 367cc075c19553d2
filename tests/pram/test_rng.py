"""The one seed -> generator conversion: determinism and typed errors."""

from __future__ import annotations

import numpy as np
import pytest

from pram.errors import InvalidSeed, PramError
from pram.rng import as_generator


def test_same_seed_same_stream_and_generator_passthrough() -> None:
    assert as_generator(7).integers(0, 2**62, 5).tolist() == as_generator(7).integers(0, 2**62, 5).tolist()
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    assert as_generator(None).integers(0, 2**62) == as_generator(0).integers(0, 2**62)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_bad_seed_is_a_typed_error(bad: object) -> None:
    with pytest.raises(InvalidSeed) as exc:
        as_generator(bad)  # type: ignore[arg-type]
    assert isinstance(exc.value, PramError) and isinstance(exc.value, ValueError)
