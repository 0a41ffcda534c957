"""What every benchmark script shares: when and on what it ran, and where its JSON result goes."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def stamp() -> dict[str, str]:
    """The Python version and the UTC time of the run, for the result."""
    return {"python": platform.python_version(), "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def write(name: str, result: dict[str, Any]) -> dict[str, Any]:
    """Write ``benchmarks/results/<name>.json`` and return the result."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result
