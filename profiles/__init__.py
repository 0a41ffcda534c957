"""The spec profiles and model catalogue shipped with kitchencam (data, no code).

This folder is installed as the ``kitchencam.profiles`` package (pyproject.toml maps it), so a
wheel and an editable install both find the YAML files through the import system. The file makes
it a regular package: setuptools' editable install maps only folders that have one.
"""
