"""The event report of a window: history from the state, translators from the wikis' revisions.

:func:`build_report` gathers what :func:`capxl10n.core.report.event_report` needs:

* the coverage history (:mod:`capxl10n.engine.history`): counts at the window's
  start (the last snapshot at or before it) and end (the last at or before it, or
  now), the changes and fixes in between. When the history begins inside the
  window, the start is rebuilt from its first snapshot and the translators'
  contributions before it (marked as such); with no snapshot at or before the
  end, there are no coverage figures, only the translators;
* the translators' work (:mod:`capxl10n.engine.contributions`): both wikis'
  revisions in the window, read in batches, and the ``.po`` imports the state
  recorded;
* a short to-do list per language from the state's directory, linking to
  Special:Translate.

Nothing is written to a wiki or the state; the only requests are the revision reads
(their count is in the report). :func:`write_report` writes ``index.html``,
``report.json`` and ``report.csv`` into a directory, each whole or not at all.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from capxl10n.catalogs.build import CatalogOptions
from capxl10n.catalogs.translator import write_atomically
from capxl10n.core.model import FIELDS
from capxl10n.core.report import (CSV_COLUMNS, HEADLINE, Contribution, EventReport, TodoSummary, WindowHistory,
                                  event_report, iso, reconstruct_start, todo_summaries, translate_group_url)
from capxl10n.core.todo import Links
from capxl10n.engine.clients import Clients, SessionFactory
from capxl10n.engine.contributions import Revisions, read_revisions
from capxl10n.engine.state import State, open_state
from capxl10n.errors import CapxError, StateError, UsageError
from capxl10n.profile import Profile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Built:
    """A report and what making it cost."""

    report: EventReport
    seconds: float
    requests: dict[str, int]
    #: Seconds per part: reading the revisions, the history, the to-do lists (the state's directory).
    parts: dict[str, float] = field(default_factory=dict)


def now_seconds() -> int:
    return int(datetime.now(timezone.utc).timestamp())


def check_window(since: int, until: int, now: int) -> None:
    """Refuse a window nothing can be reported for: reversed, or wholly in the future (usage errors)."""
    if since > now:
        raise UsageError(f"the window starts in the future ({iso(since)}; it is {iso(now)} now)",
                         hint="nothing has happened in it yet: give a --since in the past")
    if since > until:
        raise UsageError(f"--since {iso(since)} is after --until {iso(until)}",
                         hint="give the window's start first: --since START --until END")


def _items(state: State) -> dict[str, str]:
    """Metabase item → capacity QID, from the state's capacity tree and the cached Metabase read."""
    out = {c.item: c.qid for c in state.capacities() if c.item}
    out.update({c.item: c.qid for c in state.cached_capacities("metabase") or () if c.item})
    return out


def window_history(state: State, since: int, until: int, contributions: Sequence[Contribution],
                   notes: list[str]) -> WindowHistory | None:
    """The history around ``[since, until]`` (None: no snapshot at or before ``until``), saying in ``notes``
    what is not as asked."""
    runs = [t for t, _command in state.history_runs()]
    if not runs:
        notes.append("the state holds no coverage history yet: `capxl10n pull` or `capxl10n sync` records "
                     "a snapshot each run; only the translators are shown")
        return None
    first, last = runs[0], runs[-1]
    inside = [t for t in runs if since < t <= until]
    if first > until:
        notes.append(f"the history begins at {iso(first)}, after the window: no coverage figures, only the "
                     f"translators (the history holds {iso(first)} to {iso(last)})")
        return None
    reconstructed = False
    if first > since:
        start_counts, start_totals = state.history_at(first)
        start_counts = reconstruct_start(start_counts, contributions, state.history_fixes(since, first), first)
        reconstructed = True
        notes.append(f"the history begins at {iso(first)}, inside the window: the figures at its start are "
                     "rebuilt from that snapshot and the translators' saves before it (an estimate)")
    else:
        start_counts, start_totals = state.history_at(since)
    end_counts, end_totals = state.history_at(until)
    if not inside:
        notes.append(f"no snapshot in the window: the last before its end is from {iso(max(t for t in runs if t <= until))}"
                     "; run `capxl10n pull` (or `report --watch`) during the event to see progress")
    elif last < until and until - last > 3600:
        notes.append(f"the last snapshot is from {iso(last)}: run `capxl10n pull` for figures up to now")
    return WindowHistory(since, until, start_counts, start_totals, end_counts, end_totals,
                         changes=state.history_changes(since, until), total_changes=state.history_total_changes(since, until),
                         fixes=state.history_fixes(since, until), runs=runs, reconstructed=reconstructed)


#: Languages up to which a report lists the first messages left in each (more: counts and links only).
LISTED_LANGUAGES = 12


def default_todo_limit(languages: int) -> int:
    """Messages listed per language: 50 for up to three languages, 10 up to :data:`LISTED_LANGUAGES`, else none
    (the counts and the Special:Translate link of each language; reading the whole directory of 300 languages
    costs more than the rest of the report)."""
    return 50 if languages <= 3 else 10 if languages <= LISTED_LANGUAGES else 0


def counted_todo(history: WindowHistory, languages: Sequence[str], links: Links) -> dict[str, TodoSummary]:
    """What is left per language as the history's last snapshot counts it (both wikis together), with the link
    that opens it in Special:Translate."""
    out = {}
    for lang in languages:
        missing = outdated = 0
        for fld in FIELDS:
            translated, fuzzy = history.after.get((HEADLINE, lang, fld), (0, 0))
            missing += history.totals_after.get((HEADLINE, fld), 0) - translated - fuzzy
            outdated += fuzzy
        out[lang] = TodoSummary(missing, outdated, translate_group_url(links, lang), ())
    return out


def build_report(profile: Profile, since: int, until: int, *, languages: Sequence[str] | None = None,
                 event: str | None = None, now: int | None = None, todo_limit: int | None = None,
                 session_factory: SessionFactory | None = None, sleep: Callable[[float], None] = time.sleep,
                 read_wikis: bool = True) -> Built:
    """The report of ``[since, until]`` (seconds since the epoch) for ``profile``'s state and wikis."""
    started = time.monotonic()
    now = now_seconds() if now is None else now
    check_window(since, until, now)
    notes: list[str] = []
    if until > now:
        notes.append(f"the window ends in the future ({iso(until)}): figures up to now ({iso(now)})")
    end = min(until, now)
    if not Path(profile.state).exists():
        raise StateError(f"no sync state at {profile.state}: nothing to report",
                         hint="run `capxl10n sync` (or `capxl10n pull`): each run records a coverage snapshot")
    parts: dict[str, float] = {}
    with open_state(profile.state, create=False) as state:
        wanted = list(languages) if languages else None
        revisions = Revisions()
        mark = time.monotonic()
        if read_wikis:
            clients = Clients(profile, sleep=sleep, session_factory=session_factory)
            exclude = CatalogOptions.from_profile(profile).exclude_authors
            later_fixes = state.history_fixes(since, now)
            revisions = read_revisions(clients, since, end, _items(state), exclude=exclude, fixes=later_fixes,
                                       languages=wanted, now=now)
        imported = [Contribution(user, "import", key, kind, taken, source=source)  # type: ignore[arg-type]
                    for taken, user, channel, key, kind, source in state.contributions(since, end)
                    if channel == "import" and (wanted is None or key.lang in wanted)]
        contributions = [*revisions.contributions, *imported]
        notes += revisions.notes
        parts["revisions"], mark = time.monotonic() - mark, time.monotonic()
        history = window_history(state, since, end, contributions, notes)
        if history is None:
            history = WindowHistory(since, end, {}, {}, {}, {})
        if wanted is None:
            seen = {lang for _side, lang, _fld in (*history.before, *history.after)}
            seen |= {c.key.lang for c in contributions}
            wanted = sorted(seen)
        limit = todo_limit if todo_limit is not None else default_todo_limit(len(wanted))
        options = CatalogOptions.from_profile(profile)
        links = Links.from_apis(profile.metawiki.api, profile.metabase.api, options.bundle_page, options.message_group)
        parts["history"], mark = time.monotonic() - mark, time.monotonic()
        if not history.after or todo_limit == 0:
            todo = {}
        elif limit:
            todo = todo_summaries(state.whole_directory(), wanted, links, limit)
        else:  # many languages: what is left per language from the history, and the link to it (no directory read)
            todo = counted_todo(history, wanted, links)
        parts["todo"], mark = time.monotonic() - mark, time.monotonic()
        report = event_report(replace(history, until=end), contributions, languages=wanted, event=event, todo=todo,
                              notes=notes, requests=revisions.requests, generated=now)
    parts["figures"] = time.monotonic() - mark
    seconds = time.monotonic() - started
    log.info("report %s–%s: %d languages, %d translators, %s requests, %.2f s", iso(since), iso(end),
             len(report.languages), len(report.translators), sum(revisions.requests.values()), seconds)
    return Built(report, seconds, dict(revisions.requests), {k: round(v, 3) for k, v in parts.items()})


def report_json(built: Built) -> str:
    data = built.report.to_json()
    data["cost"] = {"seconds": round(built.seconds, 2), "requests": built.requests,
                    "requests_total": sum(built.requests.values()), "seconds_by_part": built.parts}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def report_csv(report: EventReport) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    for row in report.csv_records():
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buffer.getvalue()


def write_report(built: Built, directory: Path, page: str) -> list[Path]:
    """``index.html`` (``page``), ``report.json`` and ``report.csv`` in ``directory`` (created if needed)."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CapxError(f"cannot write the report into {directory}: {exc.strerror or exc}",
                        hint="give -o a directory you can write to") from None
    written = []
    for name, text in (("report.json", report_json(built)), ("report.csv", report_csv(built.report)),
                       ("index.html", page)):
        write_atomically(directory / name, text.encode("utf-8"))
        written.append(directory / name)
    return written


def record_now(profile: Profile, *, session_factory: SessionFactory | None = None) -> dict[str, Any]:
    """An incremental pull into the state and a history snapshot (what ``report --watch`` does each round)."""
    from capxl10n.engine.history import record_history
    from capxl10n.engine.pull import pull
    from capxl10n.engine.sync import sync_profile

    with open_state(profile.state) as state:
        result = pull(sync_profile(profile), cache=state, session_factory=session_factory)
        taken = record_history(state, command="report")
    return {"requests": dict(result.requests), "taken": taken}


__all__ = ["Built", "build_report", "check_window", "now_seconds", "record_now", "report_csv", "report_json",
           "window_history", "write_report"]
