"""Fill Vietnamese msgstr entries from a JSON mapping {msgid: msgstr}: python scripts/fill_vi.py FILE.json"""

from __future__ import annotations

import json
import sys

from catalogues import load, save

mapping = json.load(open(sys.argv[1], encoding="utf-8"))  # noqa: SIM115
catalog = load("vi")
catalog.fuzzy = False
done = 0
for message in catalog:
    if message.id and message.id in mapping:
        message.string = mapping[message.id]
        done += 1
save("vi", catalog)
print(f"filled {done}")
