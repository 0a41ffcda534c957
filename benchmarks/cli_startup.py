"""How fast does `kitchencam --help` answer? Target: under 0.3 s (no zeep import on that path).

    .venv/bin/python benchmarks/cli_startup.py        # writes benchmarks/results/cli_startup.json

Runs the installed entry point as a technician would, several times, and reports the median
and the worst wall-clock time, plus whether zeep or pydantic were imported.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from _results import stamp, write

RUNS = 15
TARGET_S = 0.3


def main() -> dict[str, object]:
    cmd = [sys.executable, "-m", "kitchencam", "--help"]
    subprocess.run(cmd, check=True, capture_output=True)  # warm the file cache
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; from kitchencam import cli; "
         "print(int('zeep' in sys.modules), int('pydantic' in sys.modules))"],
        check=True, capture_output=True, text=True,
    )
    zeep, pydantic = (bool(int(x)) for x in probe.stdout.split())
    result = {
        "benchmark": "cli_startup",
        "command": "kitchencam --help",
        "runs": RUNS,
        "median_s": round(statistics.median(samples), 4),
        "max_s": round(max(samples), 4),
        "target_s": TARGET_S,
        "meets_target": statistics.median(samples) < TARGET_S,
        "imports_zeep": zeep,
        "imports_pydantic": pydantic,
        **stamp(),
    }
    return write("cli_startup", result)


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
