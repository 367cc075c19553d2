# Getting started, step 3: one PRAM program through the Theorem 4 construction, checked in lock step.
# Structure, and the values that must not change whatever the construction's details; the lead pins the rest.
# mode: schema
# pin: schema, theorem, program, lockstep, ok
powergen reduce thm4 --program prefix-sums --n 8 --seed 0 --json
