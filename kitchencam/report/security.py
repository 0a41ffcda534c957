"""The handover minutes' security section (issue 16): for each camera, what was checked against
Viet Nam's rules (QCVN 135:2024/BTTTT, QĐ 724/QĐ-BTTTT, Nghị định 13/2023/NĐ-CP, Luật
91/2025/QH15), what was found, and what the school must still do, in the report's language.

Read from the verdicts the store keeps (the security rules by their ids, a contract of issue
16); kept apart from the rest of the report so other sections grow without touching it. Pure.
"""

from __future__ import annotations

from typing import Any

from kitchencam.i18n import normalise, translator
from kitchencam.report.model import Subsection, Table

#: The security rule ids (issue 16): the minutes, the JSON and the tests rely on them.
SECURITY_RULES = ("password-strength", "login-lockout", "anonymous-access", "extra-admins", "https",
                  "known-vulnerabilities", "cloud-exposure", "privacy-notice")


def security_texts(lang: str) -> dict[str, str]:
    _ = translator(normalise(lang)).gettext
    return {
        "heading": _("Security and privacy (QCVN 135:2024/BTTTT, QĐ 724/QĐ-BTTTT, Decree 13/2023/NĐ-CP, "
                     "Law 91/2025/QH15)"),
        "none": _("The check did not include the security rules (the profile has none): nothing was checked."),
        "checked": _("Checked: {rules}."),
        "all_clear": _("Found: no security rule fails or warns."),
        "found": _("Found: {count} rule(s) fail or warn."),
        "todo": _("The school must still:"),
        "nothing_to_do": _("The school has nothing left to do for the security rules."),
        "col_rule": _("Rule"),
        "col_found": _("Found"),
        "col_todo": _("What to do"),
        "unknown_todo": _("Not known yet: {detail}"),
        "manual_todo": _("Confirm on site: {detail}"),
    }


def security_section(lang: str, verdicts: list[dict[str, Any]], names: dict[str, str] | None = None,
                     statuses: dict[str, str] | None = None) -> Subsection:
    """The camera's security subsection from its stored verdicts (each with its words by language);
    ``names``: each rule's name in ``lang`` for the list of what was checked (else its id);
    ``statuses``: a verdict status's words in ``lang`` ("Chưa xác định (UNKNOWN)"), else the status."""
    t = security_texts(lang)
    part = Subsection(heading=t["heading"])
    mine = [v for v in verdicts if v.get("rule") in SECURITY_RULES]
    if not mine:
        part.paragraphs.append(t["none"])
        return part
    named = names or {}
    part.paragraphs.append(t["checked"].format(rules=", ".join(named.get(str(v.get("rule")), str(v.get("rule")))
                                                               for v in mine)))
    flagged = [v for v in mine if v.get("status") in ("FAIL", "WARN")]
    part.paragraphs.append(t["found"].format(count=len(flagged)) if flagged else t["all_clear"])
    rows = []
    for v in mine:
        status = str(v.get("status"))
        if status == "PASS":
            continue
        words = (v.get("texts") or {}).get(lang) or v
        detail = str(words.get("detail") or "")
        if status == "UNKNOWN":
            detail = t["unknown_todo"].format(detail=detail)
        elif status == "MANUAL":
            detail = t["manual_todo"].format(detail=words.get("required") or detail)
        title = (v.get("title_vi") if lang == "vi" and v.get("title_vi") else v.get("title")) or ""
        shown = (statuses or {}).get(status, status)
        rows.append([f"{v.get('rule')}\n{title}", f"{shown}: {words.get('seen') or '-'}", detail])
    if rows:  # said before the table it introduces (a note would follow it)
        part.paragraphs.append(t["todo"])
        part.table = Table(headings=[t["col_rule"], t["col_found"], t["col_todo"]], rows=rows, widths=[25, 30, 45])
    else:
        part.paragraphs.append(t["nothing_to_do"])
    return part
