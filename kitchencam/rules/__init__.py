"""The audit by rules: the engine (:mod:`.engine`), the registry of checks (:mod:`.registry`) and
one module per family of checks (media, imaging, timekeeping, identity, hardware, platform, site),
each check registered under the name a profile rule gives as ``check:``.

Importing this package loads the engine only; the families load when the first audit asks for a
check (``kitchencam --help`` never loads them).
"""

from __future__ import annotations

from kitchencam.rules.context import main_encoder, main_options
from kitchencam.rules.engine import (
    STATUSES,
    TEXT_FIELDS,
    audit,
    credential_facts,
    credentials_of,
    has_failures,
    stored_verdicts,
    summarise,
    verdict_texts,
)

__all__ = [
    "STATUSES",
    "TEXT_FIELDS",
    "audit",
    "credential_facts",
    "credentials_of",
    "has_failures",
    "main_encoder",
    "main_options",
    "stored_verdicts",
    "summarise",
    "verdict_texts",
]
