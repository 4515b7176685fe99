"""GNU gettext's and translate-toolkit's own counts, to hold ours to them."""
from __future__ import annotations

import csv
import io
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from capxl10n.core.coverage import Counts
from plugins.common import need_tool


def _msgfmt_stats(msgfmt: str, po: Path) -> tuple[int, int, int]:
    out = subprocess.run([msgfmt, "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True,
                         check=True, env={"LC_ALL": "C"}).stderr
    def number(word: str) -> int:
        match = re.search(rf"(\d+) {word}", out)
        return int(match.group(1)) if match else 0
    return number("translated"), number("fuzzy"), number("untranslated")


def agree_with_tools(counts: Mapping[str, Counts], files: Mapping[str, Path]) -> None:
    """Each language's counts are what msgfmt --statistics and pocount say of its .po (and msgfmt -c is clean)."""
    msgfmt, pocount = need_tool("msgfmt"), need_tool("pocount")
    wanted = {lang: files[lang] for lang in counts}
    csv_text = subprocess.run([pocount, "--csv", *map(str, wanted.values())], capture_output=True, text=True,
                              check=True).stdout
    counted = {row["Filename"]: row for row in csv.DictReader(io.StringIO(csv_text))}
    for lang, po in wanted.items():
        check = subprocess.run([msgfmt, "-c", "-o", "/dev/null", str(po)], capture_output=True, text=True)
        assert check.returncode == 0, (lang, check.stderr)
        assert "error" not in check.stderr.lower(), (lang, check.stderr)
        ours = (counts[lang].translated, counts[lang].fuzzy, counts[lang].missing)
        assert _msgfmt_stats(msgfmt, po) == ours, lang
        pc = counted[str(po)]
        assert (int(pc["Translated Messages"]), int(pc["Fuzzy Messages"]), int(pc["Untranslated Messages"]),
                int(pc["Total Message"])) == (*ours, counts[lang].total), lang
