"""How many mutated real replies escape as something other than a classified KitchencamError?

    .venv/bin/python benchmarks/fuzz_replies.py --seconds 300   # writes benchmarks/results/fuzz_replies.json

The same cases as tests/unit/test_reply_fuzz.py (captured replies mutated, then fed through
OnvifCamera.call with a canned transport, zeep's parse, the fault classifier and the read.py
converters, in-process), drawn from a seeded random source for a set time. Target: 0 unclassified.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from collections import Counter
from pathlib import Path

from _results import stamp, write

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.unit.test_reply_fuzz import corpus, mutate, run_case


def main() -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=20241115)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # zeep logs every unparsable number it meets
    rng = random.Random(args.seed)
    replies = corpus()
    cases = 0
    escaped: Counter[str] = Counter()
    examples: dict[str, str] = {}
    ends = time.monotonic() + args.seconds
    started = time.perf_counter()
    while time.monotonic() < ends:
        key, body = rng.choice(replies)
        exc = run_case(key, mutate(body, rng))
        cases += 1
        if exc is not None:
            name = type(exc).__name__
            escaped[name] += 1
            examples.setdefault(name, f"{key}: {exc}"[:300])
    wall = time.perf_counter() - started
    result = {"cases": cases, "unclassified": sum(escaped.values()), "by_exception_type": dict(escaped),
              "examples": examples, "seconds": round(wall, 1), "cases_per_second": round(cases / wall, 1),
              "seed": args.seed, "replies_in_corpus": len(replies), **stamp()}
    return write("fuzz_replies", result)


if __name__ == "__main__":
    print(main())
