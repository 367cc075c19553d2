"""Experiments above the tasks: transition stores, batched decoders, training drivers and their runs."""
