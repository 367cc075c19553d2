"""Generation machines: vocabularies, the AP-MDM transition g, and the five paradigms as exact machines."""

__version__ = "0.1.0"
