#!/usr/bin/env python3
"""Run the neural gradient checks N times under hypothesis seeds FIRST..FIRST+N-1 and count the failing runs.

Usage (from the repository root, with ``.venv`` set up)::

    .venv/bin/python scripts/gradient_seeds.py [N] [FIRST]      # default: 200 runs, seeds 1..200

Each run is one ``pytest --hypothesis-seed=S`` of tests/machines/test_neural_layers.py and the whole-model gradient
test,
in this process (no start-up cost per run), under the ``repeat`` profile of tests/conftest.py: 10 examples per test
(3 for the whole-model check) and no example database, so every run is independent.

Exit codes: 0 every run passed, 1 some run failed (its seed is printed).
"""

from __future__ import annotations

import os
import sys

import pytest

TESTS = ["tests/machines/test_neural_layers.py", "tests/machines/test_neural_model.py::test_whole_model_gradient"]


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 200
    first = int(argv[1]) if len(argv) > 1 else 1
    os.environ["HYPOTHESIS_PROFILE"] = "repeat"
    failed = []
    for seed in range(first, first + n):
        code = pytest.main(["-p", "no:xdist", "-p", "no:cacheprovider", "-q", "--no-header", "--no-summary",
                            f"--hypothesis-seed={seed}", *TESTS])
        if code != 0:
            failed.append(seed)
            print(f"seed {seed} FAILED (exit {code})", flush=True)
    print(f"gradient checks: {n - len(failed)} of {n} seeded runs (seeds {first}..{first + n - 1}) passed, "
          f"{len(failed)} failed{': ' + str(failed) if failed else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
