"""The ``dia3`` command line."""
