"""A 4-camera school from nothing to signable minutes with ONE typed command: `kitchencam handover`
on a terminal, in Vietnamese, answering its questions (issue 17).

    .venv/bin/python benchmarks/handover_terminal.py  # writes benchmarks/results/handover_terminal.json

A simulated school on loopback (kitchencam.sim: the centre on 127.0.72.1, four cameras on .2-.5:
two factory Dahua, one ready Dahua, one Amcrest that is not in the model catalogue), fresh config
and data folders, no saved login or token, LANG=vi_VN.UTF-8 and no --lang. The command runs in a
pty (pexpect) and every question it asks is answered as a technician would (the school, the
camera login, the centre's token, "apply?", each camera's place, what only the technician can
attest, the names the minutes print). Measured: the wall time to the PDF, the commands typed (1),
the answers typed and which questions were asked, the exit code, and that the PDF is not a draft.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _results import stamp, write

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bep-An-2024-an-toan"
TOKEN = "bench-terminal-token-51c2"
BASE = "127.0.72.1"
SUBNET = "127.0.72.0/29"
PERSONAS = ["dahua-wizsense2", "dahua-wizsense2", "dahua-wizsense2-ready", "amcrest-ip2m-841"]

#: (what the question is, its Vietnamese prompt as a pattern, the answer typed); the first match wins.
ANSWERS: list[tuple[str, str, str]] = [
    ("school name", r"Tên trường, như trên con dấu[^\n]*: $", "Trường Mầm non Tả Thanh Oai"),
    ("school code", r"Mã trường ngắn[^\n]*: $", "MN-TTO"),
    ("centre URL", r"Địa chỉ URL gốc của API Trung tâm huyện[^\n]*: $", "{centre}"),
    ("school address", r"Địa chỉ trường[^\n]*: $", ""),
    ("camera user", r"Tên đăng nhập camera[^\n]*: $", "admin"),
    ("camera password", r"Mật khẩu của admin[^\n]*: $", PASSWORD),
    ("centre token", r"Mã truy cập \(token\) của Trung tâm huyện[^\n]*: $", TOKEN),
    ("apply the plan", r"Áp dụng các thay đổi này\? \[y/N\]: $", "y"),
    ("save the login", r"\[Y/n\]: $", ""),
    ("camera place", r"Camera \d+ lắp ở đâu[^\n]*: $", "Bếp ăn tầng 1"),
    ("who attests", r"Người xác nhận các câu trả lời này[^\n]*: $", "Nguyễn Văn An"),
    ("position", r"Chức vụ[^\n]*: $", "Kỹ thuật viên"),
    ("organisation", r"Đơn vị cung cấp[^\n]*: $", "Công ty TNHH Thực phẩm An Khang"),
    ("representative", r"Người đại diện[^\n]*: $", "Trần Thị Bích Ngọc"),
    ("attestation", r"\?: $", "có"),
]


def main() -> dict[str, Any]:
    import pexpect

    sys.path.insert(0, str(ROOT))
    from kitchencam.sim.school import SimulatedSchool

    school = SimulatedSchool(personas=PERSONAS, bind_base=BASE, http_port=0, rtsp_port=0, user="admin",
                             password=PASSWORD, centre=True, centre_port=0, centre_token=TOKEN)
    with tempfile.TemporaryDirectory(prefix="handover-terminal-") as tmp, school:
        assert school.centre_server is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KITCHENCAM_", "LC_", "LANG"))}
        env.update({"KITCHENCAM_CONFIG_DIR": f"{tmp}/config", "KITCHENCAM_DATA_DIR": f"{tmp}/data",
                    "KITCHENCAM_KEYRING": "file", "LANG": "vi_VN.UTF-8", "TERM": "xterm", "COLUMNS": "120"})
        patterns = [re.compile(p) for _what, p, _a in ANSWERS]
        asked: list[str] = []
        started = time.perf_counter()
        child = pexpect.spawn(sys.executable, ["-m", "kitchencam", "handover", "--subnet", SUBNET, "--expect", "4",
                                               "-o", f"{tmp}/minutes"], env=env, cwd=tmp, timeout=300,
                              encoding="utf-8", dimensions=(50, 120))
        try:
            for _turn in range(80):  # bounded: a question asked again and again ends the run
                index = child.expect([*patterns, pexpect.EOF])
                if index == len(patterns):
                    break
                what, _pattern, answer = ANSWERS[index]
                asked.append(what)
                child.sendline(answer.format(centre=school.centre_server.base_url))
            child.expect(pexpect.EOF)
        finally:
            child.close()
        wall = time.perf_counter() - started
        pdfs = sorted(Path(tmp, "minutes").glob("*.pdf"))
        draft = None
        if pdfs:
            text = subprocess.run(["pdftotext", str(pdfs[0]), "-"], capture_output=True, text=True,
                                  check=False).stdout
            draft = "BẢN NHÁP" in text
    return write("handover_terminal", {
        **stamp(),
        "cameras": len(PERSONAS),
        "commands_typed": 1,
        "answers_typed": len(asked),
        "questions": {what: asked.count(what) for what in dict.fromkeys(asked)},
        "wall_s": round(wall, 2),
        "exit": child.exitstatus,
        "pdf_written": pdfs[0].name if pdfs else None,
        "pdf_is_draft": draft,
        "targets": {"commands_typed_max": 6, "wall_s_max": 600},
    })


if __name__ == "__main__":
    print(json.dumps(main(), indent=2, ensure_ascii=False))
