"""kitchencam: install, audit and hand over school-kitchen IP cameras."""

__version__ = "0.1.0"
