# Getting started, step 5: train the numpy f_theta on parity (length 2 only), then evaluate it as an AP-MDM at
# lengths 100 and 1000. Structure, plus what the docs promise: the evaluation passes (exit 0, "ok": true).
# setup: powergen train parity --seed 0 --out runs/parity
# mode: schema
# pin: schema, task, seed, ok
# ignore: steps_growth, lengths[*].failures
# exit: 0
powergen eval parity --checkpoint runs/parity --json
