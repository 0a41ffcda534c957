"""The ONVIF layer: the only package that imports zeep (client, faults, read, write).

Importing this package is cheap; ``client`` loads zeep when it is imported.
"""
