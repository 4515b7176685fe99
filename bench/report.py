"""Bench: what a translat-a-thon report costs (time, requests) on the sandbox, at the sample's size and larger.

Usage: python bench/report.py [--sizes 250x42,2000x300] [--translators 12] [--saves 600] [--edits 150]

For each size: a sandbox seeded with the sample directory (two days ago, on a clock the bench moves),
a pull (the baseline: a history snapshot), a four-hour event — ``--saves`` new translations on
Meta-Wiki's unit pages spread over 30 languages and ``--translators`` people, ``--edits`` Metabase
terms by the same people — then a pull (the last snapshot) and ``build_report`` for the window, every
language, over real HTTP on loopback. Prints one JSON object per size: the report's seconds and
requests per wiki, the page's bytes and the seconds to lay it out, what the report counted.
Figures, not tests; docs/reports.md quotes them.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capxl10n.cli.report_page import report_page  # noqa: E402
from capxl10n.core.model import TermKey  # noqa: E402
from capxl10n.engine.history import record_history  # noqa: E402
from capxl10n.engine.pull import pull  # noqa: E402
from capxl10n.engine.report import build_report, report_csv, report_json  # noqa: E402
from capxl10n.engine.state import open_state  # noqa: E402
from capxl10n.engine.sync import sync_profile  # noqa: E402
from capxl10n.profile import load_profile  # noqa: E402
from capxl10n.sandbox.server import Sandbox, credentials_env  # noqa: E402


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def human(sb: Sandbox, name: str) -> None:
    for site in ("metabase", "metawiki"):
        sb.site(site).wiki.add_user(name, groups=("*", "user", "autoconfirmed"),
                                    bot_passwords={"capxl10n": f"{name}-password-0123456789abcdef"})


def session(sb: Sandbox, site: str, name: str) -> tuple[object, str]:
    s = sb.session()
    url = sb.api_url(site)
    token = s.get(url, params={"action": "query", "meta": "tokens", "type": "login", "format": "json"}).json()
    s.post(url, data={"action": "login", "lgname": f"{name}@capxl10n", "lgpassword": f"{name}-password-0123456789abcdef",
                      "lgtoken": token["query"]["tokens"]["logintoken"], "format": "json"})
    csrf = s.get(url, params={"action": "query", "meta": "tokens", "format": "json"}).json()
    return s, csrf["query"]["tokens"]["csrftoken"]


def run(capacities: int, languages: int, translators: int, saves: int, edits: int) -> dict[str, object]:
    os.environ.update(credentials_env())
    start = int(datetime.now(timezone.utc).timestamp()) - 2 * 86400
    clock = Clock(start - 3600)
    built = time.perf_counter()
    sb = Sandbox(seed=1, capacities=capacities, languages=languages, clock=clock).start()
    seeded = time.perf_counter() - built
    rng = random.Random(20)
    with tempfile.TemporaryDirectory() as tmp:
        profile = load_profile("sandbox").rebase(sb.url).with_paths(state=Path(tmp) / "state.sqlite",
                                                                    catalogs=Path(tmp) / "catalogs")
        began = time.perf_counter()
        with open_state(profile.state) as state:
            first = pull(sync_profile(profile), cache=state)
            record_history(state, command="pull")
            items = {c.qid: c.item for c in first.metabase.capacities if c.item}
            have = set(first.metabase.terms) | set(first.metawiki.terms)
            english = [k for k in first.metawiki.terms if k.lang == "en"]
        baseline = time.perf_counter() - began
        langs = sorted({k.lang for k in have} - {"en", "qqq"})
        event_langs = rng.sample(langs, min(30, len(langs)))
        missing = [TermKey(k.qid, k.field, lang) for lang in event_langs for k in english
                   if TermKey(k.qid, k.field, lang) not in have and k.qid in items]
        rng.shuffle(missing)
        people = [f"Translator{i}" for i in range(translators)]
        for name in people:
            human(sb, name)
        sessions = {(site, name): session(sb, site, name) for site in ("metabase", "metawiki") for name in people}
        clock.now = start + 60
        bundle = "Module:CapacityExchange/capacities.json"
        accepted = {"metawiki": 0, "metabase": 0}
        for i, key in enumerate(missing[:saves]):
            clock.now = start + 60 + i * (3 * 3600 // max(saves, 1))
            s, token = sessions[("metawiki", people[i % translators])]
            accepted["metawiki"] += "error" not in s.post(sb.api_url("metawiki"), data={"action": "edit", "title": f"Translations:{bundle}/{key.message_key}/"
                                                 f"{key.lang}", "text": f"translation {i}", "token": token,
                                                 "format": "json"}).json()
        for i, key in enumerate(missing[saves:saves + edits]):
            clock.now = start + 120 + i * (3 * 3600 // max(edits, 1))
            s, token = sessions[("metabase", people[i % translators])]
            kind = "labels" if key.field == "label" else "descriptions"
            accepted["metabase"] += "error" not in s.post(sb.api_url("metabase"), data={"action": "wbeditentity", "id": items[key.qid], "token": token,
                                                 "format": "json", "data": json.dumps(
                                                     {kind: {key.lang: {"language": key.lang,
                                                                        "value": f"Metabase {i}"}}})}).json()
        clock.now = start + 4 * 3600 - 60
        with open_state(profile.state) as state:
            pull(sync_profile(profile), cache=state)
            record_history(state, command="pull")
        sb.stats.reset()
        began = time.perf_counter()
        report = build_report(profile, start, start + 4 * 3600)
        seconds = time.perf_counter() - began
        laid = time.perf_counter()
        page = report_page(report.report, seconds=report.seconds)
        json_text, csv_text = report_json(report), report_csv(report.report)
        layout = time.perf_counter() - laid
    sb.stop()
    summary = report.report.summary()
    return {"capacities": capacities, "languages": languages, "translators": translators,
            "saves_metawiki": accepted["metawiki"], "edits_metabase": accepted["metabase"],
            "report_seconds": round(seconds, 2), "report_parts": report.parts, "requests": report.requests,
            "requests_total": sum(report.requests.values()), "sandbox_requests_seen": sb.stats.total,
            "page_bytes": len(page.encode()), "json_bytes": len(json_text.encode()), "csv_bytes": len(csv_text.encode()),
            "layout_seconds": round(layout, 2), "gained": summary["gained"],
            "translators_found": summary["translators"], "languages_reported": summary["languages"],
            "sandbox_seed_seconds": round(seeded, 1), "baseline_pull_seconds": round(baseline, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250x42,2000x300")
    parser.add_argument("--translators", type=int, default=12)
    parser.add_argument("--saves", type=int, default=600)
    parser.add_argument("--edits", type=int, default=150)
    args = parser.parse_args()
    for size in args.sizes.split(","):
        capacities, languages = (int(x) for x in size.split("x"))
        print(json.dumps(run(capacities, languages, args.translators, args.saves, args.edits)), flush=True)


if __name__ == "__main__":
    main()
