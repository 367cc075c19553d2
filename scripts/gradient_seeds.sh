#!/usr/bin/env bash
# Run the neural gradient checks N times (default 200) under hypothesis seeds 1..N and count the failing runs.
#
#   scripts/gradient_seeds.sh [N [FIRST]]      (seeds FIRST..FIRST+N-1, default 1..200; with .venv set up)
#
# Profile `repeat` (tests/conftest.py): 10 examples per test (3 for the whole-model check), no example database,
# so every run is independent. Exit code 0 iff no run failed.
set -u
cd "$(dirname "$0")/.."
n="${1:-200}"
first="${2:-1}"
failed=0
for seed in $(seq "$first" $((first + n - 1))); do
    if ! HYPOTHESIS_PROFILE=repeat .venv/bin/python -m pytest -p no:xdist -p no:cacheprovider -q --no-header \
            --hypothesis-seed="$seed" tests/test_neural_layers.py tests/test_neural_model.py::test_whole_model_gradient \
            > /tmp/gradient_seeds.$$.log 2>&1; then
        failed=$((failed + 1))
        echo "seed $seed FAILED:"
        tail -n 30 /tmp/gradient_seeds.$$.log
    fi
done
rm -f /tmp/gradient_seeds.$$.log
echo "gradient checks: $((n - failed)) of $n seeded runs (seeds $first..$((first + n - 1))) passed, $failed failed"
[ "$failed" -eq 0 ]
