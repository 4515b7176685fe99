"""How long the Meta-Wiki client takes to turn ``messagecollection`` answers into terms (no HTTP, no JSON).

Usage: python bench/translate_parse.py [--capacities 2000] [--languages 300] [--profile FILE]

Builds answers shaped as Translate's (``mcprop=translation|tags|properties``: key, definition, translation,
properties with revision, status and last translator, title, target language, primary group; every
twentieth unit outdated with the fuzzy marker and tag) for every capacity's label and description in each
language, 5,000 rows a page, and times ``MetawikiClient._mc_terms`` over all of them, as a full read of
the fully translated world does (``bench/scale.py``'s plan: 1.2 M units at 2,000 x 300). Prints one JSON
line: units, CPU seconds, microseconds per unit. Figures, not tests.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capxl10n.core.model import paused_gc  # noqa: E402
from capxl10n.profile import MetawikiProfile  # noqa: E402
from capxl10n.wikis.translate import FUZZY_MARKER, MetawikiClient  # noqa: E402


def pages(capacities: int, languages: int, bundle: str, group: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    langs = [f"l{n:03d}" for n in range(languages)]
    for lang in langs:
        rows = []
        for q in range(1, capacities + 1):
            for fld in ("label", "description"):
                key = f"{bundle}/Q{q}-{fld}"
                outdated = (q + len(rows)) % 20 == 0
                text = f"{lang} text of Q{q} {fld} with some words"
                rows.append({"key": key, "definition": f"English of Q{q} {fld}",
                             "translation": f"{FUZZY_MARKER}{text}" if outdated else text,
                             "tags": ["fuzzy"] if outdated else [],
                             "properties": {"revision": str(1000 + q), "status": "fuzzy" if outdated else "translated",
                                            "last-translator-text": "Translator", "last-translator-id": "7"},
                             "title": f"Translations:{key}/{lang}", "targetLanguage": lang, "primaryGroup": group})
        for at in range(0, len(rows), 5000):
            out.append((lang, {"query": {"messagecollection": rows[at:at + 5000]}}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacities", type=int, default=2000)
    parser.add_argument("--languages", type=int, default=300)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the parsing here")
    args = parser.parse_args()
    profile = MetawikiProfile(name="metawiki", api="http://127.0.0.1:1/w/api.php")
    client = MetawikiClient(None, profile)  # type: ignore[arg-type]  # no request is made
    answers = pages(args.capacities, args.languages, profile.bundle_page, profile.message_group)
    units = sum(len(page["query"]["messagecollection"]) for _lang, page in answers)
    profiler = cProfile.Profile() if args.profile else None
    started = time.process_time()
    with paused_gc():  # as the pull runs it
        if profiler is not None:
            profiler.enable()
        terms = {}
        for lang, page in answers:
            terms.update(client._mc_terms(page, lang))
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(args.profile))
    seconds = time.process_time() - started
    assert len(terms) == units
    print(json.dumps({"units": units, "cpu_s": round(seconds, 2), "us_per_unit": round(seconds / units * 1e6, 2),
                      "outdated": sum(1 for t in terms.values() if t.fuzzy)}))


if __name__ == "__main__":
    main()
