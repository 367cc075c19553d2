"""Sections of ``powergen tour`` (see :mod:`proofs_check.tour`)."""
