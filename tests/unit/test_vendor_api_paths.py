"""Only kitchencam/vendors speaks the vendors' own HTTP APIs (issue 13): no other module names
their paths. The simulator under kitchencam/sim serves those APIs as a test peer (issue 14), so it
may name them too; everything else sees only kitchencam.vendors' models."""

from __future__ import annotations

import re
from pathlib import Path

import kitchencam

ROOT = Path(kitchencam.__file__).parent
#: Folders (first part under kitchencam/) allowed to name the paths: the adapters and the peer.
ALLOWED = frozenset({"vendors", "sim"})
#: What names a vendor API path: Dahua's CGI interface and Hikvision's ISAPI.
MARKERS = re.compile(r"configManager\.cgi|magicBox\.cgi|/cgi-bin/|/?ISAPI/", re.IGNORECASE)


def vendor_paths_named(path: Path) -> list[str]:
    """Each line of ``path`` naming a vendor API path, as "LINE: text" (comments and strings alike)."""
    return [f"{n}: {line.strip()}" for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if MARKERS.search(line)]


def test_no_module_outside_vendors_names_a_vendor_api_path() -> None:
    offenders = {str(p.relative_to(ROOT)): found for p in sorted(ROOT.rglob("*.py"))
                 if p.relative_to(ROOT).parts[0] not in ALLOWED and (found := vendor_paths_named(p))}
    assert offenders == {}, "move these calls into kitchencam/vendors/"


def test_the_scan_sees_each_vendors_paths(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        'DAHUA = "/cgi-bin/configManager.cgi?action=getConfig&name=SmartEncode"\n'
        "# reads magicBox.cgi?action=getSystemInfo\n"
        'HIK = "/ISAPI/Streaming/channels/101"\n'
        'also = f"{base}isapi/System/deviceInfo"\n'
        'fine = "Hikvision ISAPI and the Dahua HTTP API, by name only"\n',
        encoding="utf-8")
    assert [line.split(":")[0] for line in vendor_paths_named(planted)] == ["1", "2", "3", "4"]


def test_the_allowed_folders_exist() -> None:
    assert all((ROOT / name / "__init__.py").is_file() for name in ALLOWED)
