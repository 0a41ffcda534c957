"""The vendors' own HTTP APIs: what a camera's maker lets us read and set beyond ONVIF.

``base`` holds the adapter interface and its result models, ``registry`` chooses the adapter for
a camera, and one module per API speaks it (``dahua``: Dahua's HTTP API; ``hikvision``: ISAPI).
Only this package names the vendors' API paths (tests/unit/test_vendor_api_paths.py).
"""
