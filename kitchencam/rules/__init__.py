"""The audit by rules: the engine (:mod:`.engine`), the evidence a check reads (:mod:`.context`),
the registry of checks (:mod:`.registry`) and one module per family of checks (media, imaging,
timekeeping, identity, hardware, platform, site), each check registered under the name a profile
rule gives as ``check:``, with the parameters it takes.

This package's ``__init__`` imports nothing: the profile schema (:mod:`kitchencam.profile`) reads
the registry, and the engine reads the profile, so re-exporting the engine here would tie the
two into a loop. Import from the modules: ``from kitchencam.rules.engine import audit``. The
families load when a profile is validated or an audit asks for a check (``kitchencam --help``
never loads them).
"""
