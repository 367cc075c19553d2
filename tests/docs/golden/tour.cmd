# `powergen tour` (README, getting started): the table's header is there and no row says FAIL. The lead pins the
# whole table once the tour is complete (text mode, COLUMNS=120).
# mode: regex
# exit: 0
# slow
powergen tour
