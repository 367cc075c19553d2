# Getting started, step 2: one PRAM program with its exact counters.  Every value is pinned: the output and the
# counters are also recomputed by a plain Python reference in tests/docs/test_docs_golden.py
# (test_pram_run_golden_matches_a_plain_reference), so this file is not a copy of the code's output.
# mode: json
powergen pram run prefix-sums --n 8 --seed 0 --json
