# The version line (README, getting started). Pinned by pattern so that a release bump does not need an edit.
# mode: regex
powergen --version
