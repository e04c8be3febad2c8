"""The contributor's scripts (run as `python scripts/NAME.py`; the tests import them)."""
