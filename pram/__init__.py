"""Exact PRAM machine and a library of classical parallel programs.

This package imports nothing else from powergen.  See :mod:`pram.machine` for the synchronous machine and
:mod:`pram.programs` for the program library.
"""

__version__ = "0.1.0"
