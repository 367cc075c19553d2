"""The paper's constructions, one module per theorem, and tasks as AP-MDM processes (reductions.tasks)."""

__version__ = "0.1.0"
