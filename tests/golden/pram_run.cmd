# Getting started, step 2: one PRAM program with its exact counters.
# mode: schema
# pin: schema, program, policy, n
powergen pram run prefix-sums --n 8 --seed 0 --json
