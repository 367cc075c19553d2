# Getting started, step 5: train powergen's parallel parity process (inputs of at most 8 bits), then evaluate it as
# an AP-MDM at lengths 100 and 1000. Structure, plus what the docs promise: the evaluation passes (exit 0, "ok").
# setup: powergen train parity-parallel --seed 0 --out runs/parity-parallel
# mode: schema
# pin: schema, task, seed, ok, lengths[*].accuracy
# ignore: steps_growth, lengths[*].failures
# exit: 0
powergen eval parity-parallel --checkpoint runs/parity-parallel --json
