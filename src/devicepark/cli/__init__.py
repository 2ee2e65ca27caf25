"""The command-line face: one module per command group, registered in ``main``."""
