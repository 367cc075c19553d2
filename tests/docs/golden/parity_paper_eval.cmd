# Getting started, step 5: train on inputs of length 2 only (the paper's seven moves with EOS, plus two halting
# steps of powergen's), then evaluate the 204-parameter model as an AP-MDM at lengths 100 and 1000. Pinned: it is
# exact (exit 0), with 204 parameters, in at most 4 steps (the pairwise schedule), reproducing all 9 training
# transitions.
# setup: powergen train parity --seed 0 --out runs/parity
# mode: schema
# pin: schema, task, seed, ok, n_params, fidelity, lengths[*].accuracy, lengths[*].steps_max
# ignore: steps_growth, lengths[*].failures
# exit: 0
powergen eval parity --checkpoint runs/parity --json
