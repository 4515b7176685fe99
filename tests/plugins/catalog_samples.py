"""Small catalog inputs shared by the catalog tests: a snapshot with every shape a catalog must show."""
from __future__ import annotations

from pathlib import Path

from capxl10n.core.model import Capacity, Snapshot, Term, TermKey


def small_snapshot(**meta: object) -> Snapshot:
    """Two roots, a child, a capacity without English; pt-br/pt/ar/zh-hans with fuzzy and fallbacks."""
    k = TermKey
    caps = (Capacity("Q759524", item="Q100"), Capacity("Q11024", item="Q101"),
            Capacity("Q3", item="Q102", parent="Q759524"), Capacity("Q4", parent="Q759524"))
    terms = {
        k("Q759524", "label", "en"): Term("organizational structure", timestamp="2025-11-02T10:00:00Z"),
        k("Q759524", "description", "en"): Term('How groups "organize" \\ themselves'),
        k("Q11024", "label", "en"): Term("communications"),
        k("Q11024", "description", "en"): Term("The exchange of information"),
        k("Q3", "label", "en"): Term("event planning"),
        k("Q3", "description", "en"): Term("Planning events 🎉"),
        k("Q4", "label", "pt-br"): Term("sem inglês"),           # no English: no entry anywhere
        k("Q759524", "label", "qqq"): Term("Name of a capacity: a root.\nSecond line."),
        k("Q759524", "label", "pt-br"): Term("estrutura da organização", author="Ana", side="metawiki",
                                             timestamp="2025-11-03T09:00:00Z"),
        k("Q11024", "label", "pt-br"): Term("comunicação", fuzzy=True, author="Bia", side="metawiki"),
        k("Q11024", "description", "pt-br"): Term("A troca de informações", side="metabase"),
        k("Q3", "label", "pt"): Term("planeamento de eventos"),
        k("Q759524", "label", "ar"): Term("الهيكل التنظيمي"),
        k("Q3", "description", "ar"): Term("تخطيط", fuzzy=True),
        k("Q759524", "label", "zh-hans"): Term("组织结构"),
    }
    return Snapshot("metawiki", caps, terms, meta=dict(meta))


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
