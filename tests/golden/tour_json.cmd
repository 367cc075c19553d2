# `powergen tour --json` (README, index, getting started): the structure only for now -- every row has the five
# string fields, every row is "ok", and the whole tour passes. The lead pins the values once the tour is complete
# (switch to "# mode: json" and regenerate the .out with POWERGEN_GOLDEN_UPDATE=1).
# mode: schema
# pin: schema, seed, ok, rows[*].status
# exit: 0
# slow
powergen tour --json
