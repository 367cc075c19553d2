# `powergen tour --json` (README, index, getting started): every row pinned -- section, claim, measured value,
# bound and status -- for seed 0. The tour is deterministic (no timings), so any change in a measured number shows
# here; regenerate with POWERGEN_GOLDEN_UPDATE=1 and review the diff.
# mode: json
# exit: 0
powergen tour --json
