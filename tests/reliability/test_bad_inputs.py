"""The bad-input catalogue: every bad input capxl10n knows, each driven through the CLI.

Each row says what the input is, the command that meets it, the exit code and the message it gets
(README.md, "Exit codes"); the test runs it and checks the code, the message, that there is no
traceback, and that nothing was written: the wikis' revisions, the state file (bytes, or the rows of
every table the row does not allow), the catalogs and every other file of the row's directory
(tests/plugins/bad_inputs.py). docs/bad-inputs.md's table is generated from these rows
(``python tests/reliability/test_bad_inputs.py`` refreshes it; a test keeps it current).
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python tests/reliability/test_bad_inputs.py`

from plugins.bad_inputs import (CONFLICT, GLOBAL, PENDING, Answer, Case, Row, bad_input_case,  # noqa: F401
                                run_row, shared_world)
from plugins.world import BUNDLE

DOC = Path(__file__).resolve().parents[2] / "docs" / "bad-inputs.md"
BEGIN, END = "<!-- bad-inputs:begin -->", "<!-- bad-inputs:end -->"
G = GLOBAL
#: The runs' own records: a failed plan/apply/sync is in the run history (`capxl10n runs`), and a run that
#: read a wiki keeps what it read (the read cache) so the next run reads only what changed.
RUN_RECORD = frozenset({"runs"})
READ_AND_RUN = frozenset({"runs", "read_cache", "history", "history_runs", "history_totals", "history_outdated",
                          "history_fixes", "coverage", "meta", "capacities"})
#: ... and what a plan records: its conflicts (with the time each was last seen) and the plan.
PLAN_RECORD = READ_AND_RUN | {"conflicts", "plans"}
#: A sync rebuilds the catalogs from what it read (their headers carry the newest edit's time): only rows whose
#: check then looks for the bad value in them may.
CATALOGS = frozenset({"catalogs"})


# -- makers ------------------------------------------------------------------------------------------------
def file(name: str, data: str | bytes) -> Callable[[Case], None]:
    return lambda case: case.write(name, data) and None


def edited(source: str, name: str, change: Callable[[str], str]) -> Callable[[Case], None]:
    """``name``: a copy of the world's ``source`` file (plan.json, de.po…) changed by ``change``."""
    def setup(case: Case) -> None:
        text = case.read(source)
        new = change(text)
        assert new != text, f"{name}: the change changed nothing"
        case.write(name, new)
    return setup


def json_edit(source: str, name: str, change: Callable[[Any], None]) -> Callable[[Case], None]:
    def setup(case: Case) -> None:
        data = json.loads(case.read(source))
        change(data)
        case.write(name, json.dumps(data, ensure_ascii=False, indent=1))
    return setup


def profile_edit(name: str, change: Callable[[str], str]) -> Callable[[Case], None]:
    return edited("profile.toml", name, change)


def both(*setups: Callable[[Case], None]) -> Callable[[Case], None]:
    def setup(case: Case) -> None:
        for step in setups:
            step(case)
    return setup


def sample_text() -> str:
    from capxl10n.sample.generate import generate

    return json.dumps(generate(capacities=8, languages=4, seed=3).to_json(), ensure_ascii=False, indent=1)


def snapshot(name: str, change: Callable[[Any], None] | None = None, *, raw: Callable[[str], str | bytes] | None = None
             ) -> Callable[[Case], None]:
    def setup(case: Case) -> None:
        text = sample_text()
        if change is not None:
            data = json.loads(text)
            change(data)
            text = json.dumps(data, ensure_ascii=False, indent=1)
        case.write(name, raw(text) if raw is not None else text)
    return setup


def set_term(data: Any, index: int, **values: Any) -> None:
    data["terms"][index].update(values)


def translation_index(data: Any) -> int:
    return next(i for i, t in enumerate(data["terms"]) if t["lang"] not in ("en", "qqq"))


def first_empty_entry(text: str) -> str:
    """The first entry of de.po with an empty msgstr (msgctxt to msgstr)."""
    blocks = text.split("\n\n")
    for block in blocks[1:]:
        if block.rstrip().endswith('msgstr ""') and "msgctxt" in block:
            return block[block.index("msgctxt"):]
    raise AssertionError("no empty entry")


def po(name: str, msgstr: str, *, header: Callable[[str], str] | None = None,
       entry: Callable[[str], str] | None = None, source: str = "de.po") -> Callable[[Case], None]:
    """A copy of the world's export with one empty entry translated as ``msgstr`` (and more changes)."""
    def setup(case: Case) -> None:
        text = case.read(source)
        block = first_empty_entry(text)
        filled = block[: -len('msgstr ""')] + f'msgstr "{msgstr}"'
        if entry is not None:
            filled = entry(filled)
        new = text.replace(block, filled, 1)
        if header is not None:
            new = header(new)
        case.write(name, new)
    return setup


def conflicts_po(name: str, msgstr: str, *, change: Callable[[str], str] | None = None) -> Callable[[Case], None]:
    """The world's conflicts export of Japanese with its entry decided as ``msgstr``."""
    def setup(case: Case) -> None:
        text = case.read("conflicts-ja.po")
        assert text.rstrip().endswith('msgstr ""'), text[-300:]
        new = text.rstrip()[: -len('msgstr ""')] + f'msgstr "{msgstr}"\n'
        case.write(name, change(new) if change is not None else new)
    return setup


def sqlite_foreign(case: Case) -> None:
    import sqlite3

    with sqlite3.connect(case.path("foreign.sqlite")) as db:
        db.execute("CREATE TABLE notes (text TEXT)")


def state_version(version: int) -> Callable[[Case], None]:
    def setup(case: Case) -> None:
        import sqlite3

        db = sqlite3.connect(case.state)
        db.execute(f"PRAGMA user_version = {version}")
        db.commit()
        db.close()
    return setup


def truncate_state(case: Case) -> None:
    data = case.state.read_bytes()
    case.state.write_bytes(data[: len(data) // 3])


# -- checks after a row -----------------------------------------------------------------------------------------
def hint_command_works(case: Case, result: Result) -> None:
    """The corrupt index.json's hint: delete it, build again — and the check then passes."""
    (case.catalogs / "json" / "index.json").unlink()
    rebuilt = case.cli(*G, "catalogs")
    assert rebuilt.exit_code == 0, rebuilt.output
    check = case.cli(*G, "catalogs", "--check")
    assert check.exit_code == 0, check.output


def latin1_hint_works(case: Case, result: Result) -> None:
    """The Latin-1 profile's hint is a command that gives a profile capxl10n reads."""
    import shlex
    import subprocess

    line = next(part for part in result.output.split("hint: ", 1)[1].split(": ", 1)[1:])
    command = line.split(" (then", 1)[0].strip()
    assert command.startswith("iconv "), command
    subprocess.run(command, shell=True, check=True, cwd=case.dir)
    converted = shlex.split(command)[-1]
    ok = case.cli("--profile", converted, "--state", str(case.state), "languages", "de")
    assert ok.exit_code == 0, ok.output


def nowhere(text: str) -> Callable[[Case, Result], None]:
    """The bad value reached neither wiki's page texts nor any catalog file."""
    def check(case: Case, result: Result) -> None:
        for name in ("metawiki",):
            wiki = case.sandbox.site(name).wiki
            bot = [p.title for p in wiki.pages.values() if any(r.user == "CapxBot" and text in r.content
                                                                 for r in p.revisions)]
            assert not bot, f"{text!r} written to {name}: {bot}"
        for path in case.catalogs.rglob("*"):
            if path.is_file():
                assert text.encode("utf-8") not in path.read_bytes(), f"{text!r} in {path}"
    return check


def catalogs_lack(text: str) -> Callable[[Case, Result], None]:
    def check(case: Case, result: Result) -> None:
        out = case.path("out")
        assert (out / "json" / "index.json").exists()
        for path in out.rglob("*"):
            if path.is_file():
                assert text.encode("utf-8") not in path.read_bytes(), f"{text!r} in {path}"
    return check


# -- remote answers ---------------------------------------------------------------------------------------------
def bundle_deleted(case: Case) -> None:
    """An administrator deleted the bundle page on Meta-Wiki (its units stay, hidden)."""
    wiki = case.sandbox.site("metawiki").wiki
    wiki.delete_page(BUNDLE, user=wiki.user("Admin") or wiki.add_user("Admin"), reason="cleanup")


def bundle_with(change: Callable[[str], str]) -> Callable[[Case], None]:
    """The bundle page on Meta-Wiki saved by a human (Peer2) with ``change`` applied to its JSON text."""
    def setup(case: Case) -> None:
        text = case.bundle_text()
        case.save_page("metawiki", BUNDLE, change(text))
    return setup


def duplicate_english(text: str) -> str:
    qid = PENDING[0]
    end = text.rindex("}")
    return text[:end].rstrip() + f',\n\t"{qid}-label": "Technology (a second value)"\n}}'


def metabase_label(lang: str, text: str, *, qid: str = PENDING[0], api: bool = True) -> Callable[[Case], None]:
    """A Metabase label set by a human: through the API, or straight into the store (what the API alters)."""
    def setup(case: Case) -> None:
        item = case.item(qid)
        if api:
            case.peer.set_term(item, "label", lang, text)
            return
        from capxl10n.sandbox.wikibase import entity as wbe

        repo = case.sandbox.extras["metabase_repo"]
        with repo.wiki.lock:
            found = repo.get(item)
            entity = wbe.from_storage_json(wbe.to_storage_json(found[0]))
            wbe.set_term(entity, "labels", lang, text)
            user = repo.wiki.user("Peer2")
            repo.save(entity, user=user, summary="test")
    return setup


def unit(key: tuple[str, str, str], text: str) -> Callable[[Case], None]:
    def setup(case: Case) -> None:
        from capxl10n.core.model import TermKey

        case.peer.edit_unit(TermKey(*key), text)  # type: ignore[arg-type]
    return setup


def unit_page(title_tail: str, text: str) -> Callable[[Case], None]:
    return lambda case: case.save_page("metawiki", f"Translations:{BUNDLE}/{title_tail}", text)


def delete_page(site: str, title: Callable[[Case], str]) -> Callable[[Case], None]:
    def setup(case: Case) -> None:
        wiki = case.sandbox.site(site).wiki
        wiki.delete_page(title(case), user=wiki.user("Admin") or wiki.add_user("Admin"), reason="test")
    return setup


def answer(site: str, match: Callable[[dict[str, str]], bool],
           doctor: Callable[[dict[str, str], Answer], Answer]) -> Callable[[Case], None]:
    return lambda case: case.answer(site, match, doctor)


def is_query(params: dict[str, str]) -> bool:
    """Every read but the login's and the tokens'."""
    return params.get("action") == "query" and params.get("meta") not in ("tokens", "userinfo", "siteinfo")


def truncated_json(_params: dict[str, str], got: Answer) -> Answer:
    status, headers, body = got
    return status, headers, body[: len(body) // 2]


def html_page(_params: dict[str, str], got: Answer) -> Answer:
    page = b"<!DOCTYPE html><html><body><h1>Please log in</h1></body></html>"
    return "200 OK", [("Content-Type", "text/html; charset=utf-8")], page


def html_as_json(_params: dict[str, str], got: Answer) -> Answer:
    page = b"<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>"
    return "200 OK", [("Content-Type", "application/json; charset=utf-8")], page


def json_list(_params: dict[str, str], got: Answer) -> Answer:
    return "200 OK", [("Content-Type", "application/json; charset=utf-8")], b"[]"


def api_error(code: str) -> Callable[[dict[str, str], Answer], Answer]:
    def doctor(_params: dict[str, str], got: Answer) -> Answer:
        body = json.dumps({"error": {"code": code, "info": "Something the sandbox never says."}}).encode()
        return "200 OK", [("Content-Type", "application/json; charset=utf-8"), ("MediaWiki-API-Error", code)], body
    return doctor


def not_found(_params: dict[str, str], got: Answer) -> Answer:
    return "404 Not Found", [("Content-Type", "text/html; charset=utf-8")], b"<html><body>Not Found</body></html>"


def move_api(path: str) -> Callable[[Case], None]:
    """The profile's Meta-Wiki API URL changed to another path on the same server (a typo)."""
    return profile_edit("profile.toml", lambda t: t.replace("/metawiki/w/api.php", path))


def dead_port(case: Case) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    text = case.read("profile.toml")
    case.write("profile.toml", text.replace(case.front.url + "/metawiki", f"http://127.0.0.1:{port}/metawiki"))


# -- the rows ------------------------------------------------------------------------------------------------
CRED = {"CAPXL10N_METABASE_USER": None, "CAPXL10N_METABASE_PASSWORD": None, "CAPXL10N_METAWIKI_USER": None,
        "CAPXL10N_METAWIKI_PASSWORD": None}
PLAN_SOURCE = "plan.json"
MARKUP = "~~~~ {{subst:PAGENAME}} [[Kategorie:X]]"

ROWS: list[Row] = [
    # command line ------------------------------------------------------------------------------------------
    Row("catalogs-lang-zz", "command line", "an unknown language code for `catalogs --lang`",
        (*G, "catalogs", "--lang", "zz"), 2, "--lang: unknown language code 'zz'", hint="closest known codes"),
    Row("conflicts-export-lang-xx", "command line", "an unknown language code for `conflicts export` (no empty .po)",
        (*G, "conflicts", "export", "--lang", "xx", "-o", "xx.po"), 2, "--lang: unknown language code 'xx'"),
    Row("conflicts-lang-xx", "command line", "an unknown language code for the conflict list",
        (*G, "conflicts", "--lang", "xx"), 2, "--lang: unknown language code 'xx'"),
    Row("resolve-lang-xx", "command line", "an unknown language code for `conflicts resolve`",
        (*G, "conflicts", "resolve", "--lang", "xx", "--take", "metabase", "--yes"), 2,
        "--lang: unknown language code 'xx'"),
    Row("coverage-lang-xx", "command line", "an unknown language code for `coverage --lang`",
        (*G, "coverage", "--lang", "xx"), 2, "--lang: unknown language code 'xx'"),
    Row("todo-lang-xx", "command line", "an unknown language code for `todo`",
        (*G, "todo", "--lang", "xx"), 2, "unknown language code 'xx'"),
    Row("export-lang-xx", "command line", "an unknown language code for `export` (no file written)",
        (*G, "export", "--lang", "xx", "-o", "xx.po"), 2, "unknown language code 'xx'"),
    Row("export-lang-en", "command line", "the source language for `export`",
        (*G, "export", "--lang", "en", "-o", "en.po"), 2, "'en' is not a translation language"),
    Row("todo-lang-qqq", "command line", "the documentation pseudo-language for `todo`",
        (*G, "todo", "--lang", "qqq"), 2, "'qqq' is not a translation language"),
    Row("credits-lang-xx", "command line", "an unknown language code for `credits`",
        (*G, "credits", "--since", "2025-06-01", "--lang", "xx"), 2, "unknown language code 'xx'"),
    Row("report-lang-xx", "command line", "an unknown language code for `report`",
        (*G, "report", "--since", "2025-06-01", "--lang", "xx", "-o", "report"), 2, "unknown language code 'xx'"),
    Row("languages-zz", "command line", "an unknown code for `languages`", (*G, "languages", "zz"), 2,
        "unknown language code 'zz'"),
    Row("credits-since-garbage", "command line", "a window start that is no date",
        (*G, "credits", "--since", "garbage"), 2, "--since 'garbage' is not a date or time"),
    Row("report-since-month-13", "command line", "a date with month 13",
        (*G, "report", "--since", "2025-13-45", "-o", "report"), 2, "--since '2025-13-45' is not a date or time"),
    Row("report-reversed-window", "command line", "a window that ends before it starts",
        (*G, "report", "--since", "2025-06-02", "--until", "2025-06-01", "-o", "report"), 2,
        "is after --until"),
    Row("report-watch-zero", "command line", "`report --watch 0`",
        (*G, "report", "--since", "2025-06-01", "--watch", "0", "-o", "report"), 2, "Invalid value for '--watch'"),
    Row("runs-since-garbage", "command line", "`runs --since` that is neither an age nor a date",
        (*G, "runs", "--since", "yesterdayish"), 2, "'yesterdayish' is neither a time ago nor a date"),
    Row("runs-limit-negative", "command line", "a negative `runs --limit`", (*G, "runs", "--limit", "-1"), 2,
        "Invalid value for '--limit'"),
    Row("unknown-command", "command line", "a misspelt command", (*G, "synk"), 2, "No such command 'synk'"),
    Row("format-xml", "command line", "an unknown output format", ("--format", "xml", *G, "coverage"), 2,
        "Invalid value for '--format'"),
    Row("log-format-xml", "command line", "an unknown log format", ("--log-format", "xml", *G, "sync"), 2,
        "Invalid value for '--log-format'"),
    Row("resolve-no-take", "command line", "`conflicts resolve` without a side or a text",
        (*G, "conflicts", "resolve"), 2, "say which side to keep: --take metabase|metawiki"),
    Row("resolve-unknown-key", "command line", "`conflicts resolve` of a term with no open conflict",
        (*G, "conflicts", "resolve", "Q1-label", "--lang", "de", "--take", "metabase"), 2,
        "no open conflict for Q1-label in de"),
    Row("resolve-text-many", "command line", "`conflicts resolve --text` without naming one conflict",
        (*G, "conflicts", "resolve", "--take", "metabase", "--text", "X"), 2,
        "--text decides one conflict: give its KEY and --lang"),
    Row("resolve-bad-text", "command line", "`conflicts resolve --text` with a signature in it",
        (*G, "conflicts", "resolve", f"{CONFLICT[0]}-{CONFLICT[1]}", "--lang", CONFLICT[2], "--text",
         "テクノロジー ~~~~"), 2, "~~~~"),
    Row("sample-zero", "command line", "`sample --capacities 0`", (*G, "sample", "--capacities", "0", "-o", "s.json"),
        2, "Invalid value for '--capacities'"),
    Row("coverage-side", "command line", "an unknown `coverage --side`", (*G, "coverage", "--side", "nowhere"), 2,
        "Invalid value for '--side'"),
    Row("check-severity", "command line", "an unknown `check --severity`", (*G, "check", "--severity", "fatal"), 2,
        "Invalid value for '--severity'"),
    Row("export-only", "command line", "an unknown `export --only`",
        (*G, "export", "--lang", "de", "--only", "some", "-o", "x.po"), 2, "Invalid value for '--only'"),
    Row("serve-port", "command line", "`sandbox serve` on port 70000", (*G, "sandbox", "serve", "--port", "70000"),
        2, "Invalid value for '--port'"),
    Row("serve-faults", "command line", "an unknown sandbox fault",
        (*G, "sandbox", "serve", "--port", "0", "--faults", "bogus=1"), 2, "--faults: unknown fault 'bogus'"),
    Row("snapshot-and-sample", "command line", "both `--snapshot` and `--sample`",
        (*G, "catalogs", "--snapshot", "de.po", "--sample"), 2, "give either --snapshot or --sample, not both"),
    Row("apply-directory", "command line", "a directory as the plan", (*G, "apply", "catalogs"), 2,
        "is a directory"),
    Row("apply-missing", "command line", "a plan file that does not exist", (*G, "apply", "nope.json"), 1,
        "cannot read plan nope.json"),
    Row("import-missing", "command line", "a .po file that does not exist", (*G, "import", "nope.po"), 1,
        "nope.po: cannot read it"),
    Row("conflicts-import-missing", "command line", "a conflicts .po that does not exist",
        (*G, "conflicts", "import", "nope.po"), 2, "does not exist"),
    Row("snapshot-missing", "command line", "a snapshot file that does not exist",
        (*G, "catalogs", "--snapshot", "missing.json"), 1, "snapshot file missing.json does not exist"),
    Row("todo-output-directory", "command line", "`todo -o` naming a directory",
        (*G, "todo", "--lang", "de", "-o", "catalogs"), 2, "is a directory"),

    # profiles -------------------------------------------------------------------------------------------------
    Row("profile-missing-path", "profile", "a profile path that does not exist",
        ("--profile", "nope.toml", "pull"), 1, "profile file nope.toml does not exist"),
    Row("profile-unknown-name", "profile", "a profile name that is neither in ./sync/ nor shipped",
        ("--profile", "nosuch", "pull"), 1, "no profile named 'nosuch'", hint="shipped profile: production, sandbox"),
    Row("profile-directory", "profile", "a directory given as the profile", ("--profile", "catalogs", "pull"), 1,
        "catalogs is a directory, not a profile file"),
    Row("profile-latin1", "profile", "a profile saved as Latin-1 (not UTF-8)",
        ("--profile", "latin1.toml", "pull"), 1, "latin1.toml:1:", hint="iconv -f latin1 -t utf-8",
        setup=lambda case: case.write("latin1.toml", ("# Café du coin\n" + case.read("profile.toml")).encode("latin-1")),
        after=latin1_hint_works, may_write=frozenset({"latin1.utf8.toml"})),
    Row("profile-binary", "profile", "random bytes as the profile", ("--profile", "binary.toml", "pull"), 1,
        "not UTF-8 text", setup=file("binary.toml", bytes(range(128, 256)) * 3)),
    Row("profile-bad-toml", "profile", "a profile that is not TOML (an unclosed table)",
        ("--profile", "bad.toml", "pull"), 1, "bad.toml: not valid TOML",
        setup=file("bad.toml", 'name = "x"\ncontact = "a"\n[metabase\n')),
    Row("profile-empty", "profile", "an empty profile", ("--profile", "empty.toml", "pull"), 1,
        "key 'contact' is missing", setup=file("empty.toml", "")),
    Row("profile-unknown-key", "profile", "an unknown key (a typo)", ("--profile", "typo.toml", "pull"), 1,
        "key 'metawiki.bundel_page' is not a known setting (typo?)",
        setup=profile_edit("typo.toml", lambda t: t.replace("bundle_page =", "bundel_page ="))),
    Row("profile-unknown-table", "profile", "an unknown table", ("--profile", "table.toml", "pull"), 1,
        "key 'wikipedia' is not a known setting",
        setup=profile_edit("table.toml", lambda t: t + '\n[wikipedia]\napi = "https://x.org"\n')),
    Row("profile-wrong-type", "profile", "a number given as a string", ("--profile", "type.toml", "pull"), 1,
        "key 'metabase.maxlag' must be int, got str '5'",
        setup=profile_edit("type.toml", lambda t: t.replace("maxlag = 5", 'maxlag = "5"', 1))),
    Row("profile-bool-as-int", "profile", "`true` where a number belongs", ("--profile", "bool.toml", "pull"), 1,
        "key 'pacing.max_attempts' must be int, got bool True",
        setup=profile_edit("bool.toml", lambda t: t.replace("max_attempts = 2", "max_attempts = true"))),
    Row("profile-not-url", "profile", "an API that is not an http(s) URL", ("--profile", "url.toml", "pull"), 1,
        "key 'metawiki.api' must be an http(s) URL",
        setup=profile_edit("url.toml", lambda t: t.replace('api = "http://127.0.0.1', 'api = "ftp://127.0.0.1', 2)
                           .replace('api = "ftp://127.0.0.1', 'api = "http://127.0.0.1', 1))),
    Row("profile-no-api", "profile", "a wiki without its API", ("--profile", "noapi.toml", "pull"), 1,
        "key 'wikidata.api' is missing",
        setup=profile_edit("noapi.toml", lambda t: "\n".join(
            line for line in t.split("\n") if not line.startswith('api = "http://127.0.0.1') or "wikidata" not in line))),
    Row("profile-blank-contact", "profile", "a blank User-Agent contact", ("--profile", "contact.toml", "pull"), 1,
        "key 'contact' must name a URL or e-mail address",
        setup=profile_edit("contact.toml", lambda t: t.replace('contact = "https://github.com/WikiMovimentoBrasil/capxl10n"',
                                                                'contact = "  "'))),
    Row("profile-policy", "profile", "an unknown first-contact policy", ("--profile", "policy.toml", "pull"), 1,
        "key 'policy.first_contact' must be one of",
        setup=profile_edit("policy.toml", lambda t: t.replace('first_contact = "metabase"', 'first_contact = "newest"'))),
    Row("profile-pacing-zero", "profile", "zero edits per minute", ("--profile", "pace.toml", "pull"), 1,
        "key 'pacing.edits_per_minute' must be positive",
        setup=profile_edit("pace.toml", lambda t: t.replace("edits_per_minute = 6000", "edits_per_minute = 0"))),
    Row("profile-unknown-language", "profile", "an unknown language in `languages.include`",
        ("--profile", "langs.toml", "pull"), 1, "key 'languages.include' names unknown language 'xx'",
        setup=profile_edit("langs.toml", lambda t: t.replace('include = "all"', 'include = ["de", "xx"]'))),
    Row("profile-include-word", "profile", "`languages.include` that is neither \"all\" nor a list",
        ("--profile", "some.toml", "pull"), 1, "must be \"all\" or a list of MediaWiki codes",
        setup=profile_edit("some.toml", lambda t: t.replace('include = "all"', 'include = "some"'))),
    Row("profile-removed-setting", "profile", "a setting that no longer exists (`sparql_lag_tolerance`)",
        ("--profile", "old.toml", "pull"), 1, "is no longer a setting",
        setup=profile_edit("old.toml", lambda t: t.replace("[metabase]\n", "[metabase]\nsparql_lag_tolerance = 60\n"))),
    Row("profile-env", "profile", "`CAPXL10N_PROFILE` naming a profile that does not exist", ("pull",), 1,
        "no profile named 'typo'", env={"CAPXL10N_PROFILE": "typo"}),

    # credentials -------------------------------------------------------------------------------------------------
    Row("credentials-none", "credentials", "`sync` with work to do and no bot password in the environment",
        (*G, "sync"), 1, "metabase: no bot-password credentials for writing",
        hint="set CAPXL10N_METABASE_USER (User@BotName) and CAPXL10N_METABASE_PASSWORD", env=CRED,
        may_change=PLAN_RECORD, note="read and planned first (a dry run needs none); refused before the first write"),
    Row("credentials-wrong-password", "credentials", "a wrong bot password", (*G, "sync"), 1,
        "metabase: login as 'CapxBot' failed", hint="create or reset the bot password on Special:BotPasswords",
        env={"CAPXL10N_METABASE_PASSWORD": "not-the-password"}, may_change=frozenset({"*"}),
        note="the plan and its conflict are recorded; nothing is written to a wiki"),
    Row("credentials-main-account", "credentials", "a main account name instead of `User@BotName`", (*G, "sync"), 1,
        "login as 'CapxBot' failed", env={"CAPXL10N_METABASE_USER": "CapxBot"}, may_change=frozenset({"*"})),
    Row("credentials-user-only", "credentials", "a user name without its password",
        (*G, "apply", "plan.json"), 1, "metabase: no bot-password credentials for writing",
        env={"CAPXL10N_METABASE_PASSWORD": ""}, may_change=PLAN_RECORD | {"journal"}),

    # snapshots ---------------------------------------------------------------------------------------------------
    Row("snapshot-duplicate-key", "snapshot", "a snapshot with a key repeated in one JSON object",
        (*G, "catalogs", "--snapshot", "dup.json", "--out", "out"), 1,
        "dup.json: duplicate key 'text' in the JSON object at line",
        setup=snapshot("dup.json", raw=lambda t: t.replace('"text":', '"text":"first","text":', 1))),
    Row("snapshot-duplicate-key-coverage", "snapshot", "the same, for `coverage`",
        (*G, "coverage", "--snapshot", "dup.json"), 1, "duplicate key 'text'",
        setup=snapshot("dup.json", raw=lambda t: t.replace('"text":', '"text":"first","text":', 1))),
    Row("snapshot-duplicate-key-check", "snapshot", "the same, for `check`",
        (*G, "check", "--snapshot", "dup.json"), 1, "duplicate key 'text'",
        setup=snapshot("dup.json", raw=lambda t: t.replace('"text":', '"text":"first","text":', 1))),
    Row("snapshot-truncated", "snapshot", "a truncated snapshot",
        (*G, "catalogs", "--snapshot", "cut.json", "--out", "out"), 1, "cut.json: malformed JSON at line",
        setup=snapshot("cut.json", raw=lambda t: t[: len(t) // 2])),
    Row("snapshot-empty", "snapshot", "an empty file", (*G, "todo", "--lang", "de", "--snapshot", "empty.json"), 1,
        "empty.json: malformed JSON at line 1 column 1", setup=file("empty.json", "")),
    Row("snapshot-list", "snapshot", "a JSON list instead of an object",
        (*G, "catalogs", "--snapshot", "list.json", "--out", "out"), 1, "expected a JSON object at the top level",
        setup=file("list.json", "[]")),
    Row("snapshot-format", "snapshot", "an unknown snapshot format",
        (*G, "catalogs", "--snapshot", "fmt.json", "--out", "out"), 1, "unknown snapshot format 'capxl10n-snapshot/7'",
        setup=snapshot("fmt.json", lambda d: d.update(format="capxl10n-snapshot/7"))),
    Row("snapshot-wrong-type", "snapshot", "a revision that is a string",
        (*G, "catalogs", "--snapshot", "rev.json", "--out", "out"), 1,
        "terms[0]: field 'revision' must be an integer, got str 'x'",
        setup=snapshot("rev.json", lambda d: set_term(d, 0, revision="x"))),
    Row("snapshot-unknown-language", "snapshot", "a term in a language nobody knows",
        (*G, "catalogs", "--snapshot", "lang.json", "--out", "out"), 1, "terms in unknown language 'xx-nope'",
        setup=snapshot("lang.json", lambda d: set_term(d, translation_index(d), lang="xx-nope"))),
    Row("snapshot-unknown-field", "snapshot", "a term of an unknown field",
        (*G, "catalogs", "--snapshot", "field.json", "--out", "out"), 1, "unknown field 'title'",
        setup=snapshot("field.json", lambda d: set_term(d, 1, field="title"))),
    Row("snapshot-bad-qid", "snapshot", "a capacity key that is no QID",
        (*G, "catalogs", "--snapshot", "qid.json", "--out", "out"), 1, "not a Wikidata QID: 'not-a-qid'",
        setup=snapshot("qid.json", lambda d: d["capacities"][0].update(qid="not-a-qid"))),
    Row("snapshot-duplicate-capacity", "snapshot", "a capacity listed twice",
        (*G, "catalogs", "--snapshot", "cap.json", "--out", "out"), 1, "duplicate capacity",
        setup=snapshot("cap.json", lambda d: d["capacities"].append(d["capacities"][0]))),
    Row("snapshot-duplicate-term", "snapshot", "a term listed twice",
        (*G, "catalogs", "--snapshot", "term.json", "--out", "out"), 1, "duplicate term",
        setup=snapshot("term.json", lambda d: d["terms"].append({**d["terms"][0], "text": "Other"}))),
    Row("snapshot-latin1", "snapshot", "a snapshot in Latin-1",
        (*G, "catalogs", "--snapshot", "latin1.json", "--out", "out"), 1, "latin1.json: not UTF-8 text",
        setup=snapshot("latin1.json", lambda d: set_term(d, 0, text="Café"),
                       raw=lambda t: t.encode("latin-1", errors="replace"))),
    Row("snapshot-control-character", "snapshot", "a translation with a control character (U+0007)",
        (*G, "catalogs", "--snapshot", "ctrl.json", "--out", "out"), 1,
        "left out of the catalogs: 1 term", hint="control character U+0007",
        setup=snapshot("ctrl.json", lambda d: set_term(d, translation_index(d), text="Tech\u0007nik")),
        may_write=frozenset({"out"}), after=catalogs_lack("Tech\u0007nik"),
        note="the rest is built; the term falls back as a missing one"),
    Row("snapshot-markup", "snapshot", f"a translation holding wikitext markup `{MARKUP}`",
        (*G, "catalogs", "--snapshot", "markup.json", "--out", "out"), 1,
        "left out of the catalogs: 1 term", hint="pre-save transform",
        setup=snapshot("markup.json", lambda d: set_term(d, translation_index(d), text=MARKUP)),
        may_write=frozenset({"out"}), after=catalogs_lack("{{subst:"),
        note="the rest is built; the term falls back as a missing one"),

    # plans ------------------------------------------------------------------------------------------------------------
    Row("plan-edited", "plan", "a plan edited by hand (a value changed)", (*G, "apply", "edited.json"), 1,
        "edited.json was changed after it was made (content hash",
        setup=edited(PLAN_SOURCE, "edited.json", lambda t: t.replace('"Technik (neu)"', '"Technik (NEU)"', 1))),
    Row("plan-truncated", "plan", "a truncated plan", (*G, "apply", "cut.json"), 1, "cut.json: malformed JSON at line",
        setup=edited(PLAN_SOURCE, "cut.json", lambda t: t[:-40])),
    Row("plan-empty", "plan", "an empty plan file", (*G, "apply", "empty.json"), 1,
        "empty.json: malformed JSON at line 1 column 1", setup=file("empty.json", "")),
    Row("plan-list", "plan", "a JSON list as the plan", (*G, "apply", "list.json"), 1,
        "expected a JSON object at the top level", setup=file("list.json", "[]")),
    Row("plan-duplicate-key", "plan", "a plan with a key repeated in one object", (*G, "apply", "dup.json"), 1,
        "dup.json: duplicate key 'new' in the JSON object at line",
        setup=edited(PLAN_SOURCE, "dup.json", lambda t: t.replace('"new":"Technik (neu)"',
                                                                  '"new":"Hacked",\n   "new":"Technik (neu)"', 1))),
    Row("plan-old-format", "plan", "a plan of the older format", (*G, "apply", "old.json"), 2,
        "plan format 'capxl10n-plan/1' is from an older capxl10n",
        setup=edited(PLAN_SOURCE, "old.json", lambda t: t.replace("capxl10n-plan/2", "capxl10n-plan/1"))),
    Row("plan-unknown-format", "plan", "a plan of an unknown format", (*G, "apply", "new.json"), 2,
        "unknown plan format 'capxl10n-plan/9'",
        setup=edited(PLAN_SOURCE, "new.json", lambda t: t.replace("capxl10n-plan/2", "capxl10n-plan/9"))),
    Row("plan-latin1", "plan", "a plan re-saved as Latin-1", (*G, "apply", "latin1.json"), 1,
        "latin1.json: not UTF-8 text",
        setup=lambda case: case.write("latin1.json", case.read(PLAN_SOURCE).replace("neu", "néu").encode("latin-1",
                                                                                                   "replace"))),
    Row("plan-other-profile", "plan", "a plan made for another profile", (*G, "apply", "other.json"), 2,
        "production",
        setup=lambda case: _replan(case, "other.json", profile="production")),
    Row("plan-unknown-target", "plan", "an operation with an unknown target (hash recomputed)",
        (*G, "apply", "target.json"), 1, "operations[0]: unknown target 'elsewhere'",
        setup=lambda case: _rehash(case, "target.json", lambda d: d["operations"][0].update(target="elsewhere"))),
    Row("plan-stale", "plan", "a plan whose base another apply has moved since", (*G, "apply", "stale.json"), 1,
        "stale plan: the base moved since it was made", setup=lambda case: _rehash(case, "stale.json", lambda d: d.update(base_generation=d["base_generation"] - 1))),

    # .po files -----------------------------------------------------------------------------------------------------
    Row("po-syntax", "po file", "a msgstr without its quotes", (*G, "import", "syntax.po"), 1,
        "a keyword without its quoted string", setup=po("syntax.po", "Software", entry=lambda e: e.replace(
            'msgstr "Software"', "msgstr Software"))),
    Row("po-unknown-escape", "po file", "an escape gettext does not know (`\\x07`)", (*G, "import", "esc.po"), 1,
        "unknown escape \\x", setup=po("esc.po", "Soft\\x07ware")),
    Row("po-control-character", "po file", "a translation with a control character (U+0007)",
        (*G, "import", "ctrl.po"), 1, "msgstr contains control character U+0007", setup=po("ctrl.po", "Soft\u0007ware")),
    Row("po-signature", "po file", "a translation holding `~~~~`", (*G, "import", "sig.po"), 1,
        "msgstr contains ~~~~", setup=po("sig.po", "Software ~~~~")),
    Row("po-markup", "po file", f"a translation holding `{MARKUP}`", (*G, "import", "markup.po"), 1,
        "(pre-save-transform)", setup=po("markup.po", MARKUP)),
    Row("po-fuzzy-marker", "po file", "a translation holding `!!FUZZY!!`", (*G, "import", "fuzzy.po"), 1,
        "Translate's fuzzy marker", setup=po("fuzzy.po", "!!FUZZY!!Software")),
    Row("po-too-long", "po file", "a translation of 300 characters", (*G, "import", "long.po"), 1,
        "Metabase allows at most 250", setup=po("long.po", "x" * 300)),
    Row("po-not-nfc", "po file", "a translation not in Unicode NFC", (*G, "import", "nfd.po"), 1,
        "is not in Unicode NFC", setup=po("nfd.po", "Softwa\u0301re")),
    Row("po-bidi", "po file", "a translation with a bidi override", (*G, "import", "bidi.po"), 1,
        "bidi control U+202E", setup=po("bidi.po", "Soft\u202eware")),
    Row("po-unknown-key", "po file", "an entry of a capacity the directory lacks", (*G, "import", "key.po"), 1,
        "an unknown key", setup=po("key.po", "Software", entry=lambda e: e.replace(
            "capacities.json/Q", "capacities.json/Q999", 1))),
    Row("po-duplicate-entry", "po file", "the same entry twice", (*G, "import", "dup.po"), 1,
        "the same key as line", setup=po("dup.po", "Software", entry=lambda e: e + "\n\n" + e.replace(
            'msgstr "Software"', 'msgstr "Anders"'))),
    Row("po-other-group", "po file", "an export of another message group", (*G, "import", "group.po"), 2,
        "exported for message group other-", setup=po("group.po", "Software", header=lambda t: t.replace(
            "X-Message-Group: messagebundle-", "X-Message-Group: other-"))),
    Row("po-language-relabelled", "po file", "a German export relabelled as French", (*G, "import", "fr.po"), 1,
        "was made for de",
        setup=po("fr.po", "Logiciel", header=lambda t: t.replace("Language: de", "Language: fr").replace(
            "X-Language-Code: de", "X-Language-Code: fr"))),
    Row("po-empty", "po file", "an empty file", (*G, "import", "empty.po"), 1, "no header naming a message group",
        setup=file("empty.po", "")),
    Row("po-no-header", "po file", "entries without a header", (*G, "import", "bare.po"), 1,
        "no header naming a message group",
        setup=lambda case: case.write("bare.po", first_empty_entry(case.read("de.po"))[:-2] + '"Software"\n')),
    Row("po-latin1", "po file", "a .po saved as Latin-1", (*G, "import", "latin1.po"), 1, "not UTF-8 (byte 0xfc)",
        setup=both(po("latin1.po", "Software für Daten"),
                   lambda case: case.write("latin1.po", case.read("latin1.po").encode("latin-1", "replace")))),
    Row("po-mo-file", "po file", "a compiled .mo given as a .po", (*G, "import", "capacities.mo"), 1,
        "not UTF-8",
        setup=lambda case: case.write("capacities.mo", (case.catalogs / "de/LC_MESSAGES/capacities.mo").read_bytes())),
    Row("conflicts-import-translations", "po file", "a translations export given to `conflicts import`",
        (*G, "conflicts", "import", "de.po"), 1, "not a capxl10n conflicts export"),
    Row("conflicts-import-signature", "po file", "a conflict decided with `~~~~` in a conflicts .po",
        (*G, "conflicts", "import", "decided.po"), 1, "~~~~", setup=conflicts_po("decided.po", "テクノロジー ~~~~")),
    Row("conflicts-import-relabelled", "po file", "a conflicts export relabelled as another language",
        (*G, "conflicts", "import", "fr.po"), 1, "fr",
        setup=conflicts_po("fr.po", "Technologie", change=lambda t: t.replace("Language: ja", "Language: fr")
                           .replace("X-Language-Code: ja", "X-Language-Code: fr"))),

    # state files -----------------------------------------------------------------------------------------------------
    Row("state-random", "state file", "random bytes as the state", ("--state", "random.sqlite", *G[:2], "conflicts"),
        1, "random.sqlite is not an SQLite database", hint="it is never overwritten",
        setup=file("random.sqlite", bytes(range(256)) * 20)),
    Row("state-text", "state file", "a text file as the state", ("--state", "notes.txt", *G[:2], "sync", "--dry-run"),
        1, "notes.txt is not an SQLite database", setup=file("notes.txt", "my notes\n")),
    Row("state-foreign", "state file", "another application's SQLite database",
        ("--state", "foreign.sqlite", *G[:2], "sync", "--dry-run"), 1, "is an SQLite file of another application",
        setup=sqlite_foreign),
    Row("state-newer", "state file", "a state written by a newer capxl10n (schema 99)", (*G, "sync"), 1,
        "was written by a newer capxl10n (schema 99", hint="upgrade capxl10n", setup=state_version(99)),
    Row("state-truncated", "state file", "a state cut to a third of its size", (*G, "conflicts"), 1,
        "is not a readable capxl10n state database", setup=truncate_state),
    Row("state-directory", "state file", "a directory as the state", ("--state", "catalogs", *G[:2], "runs"), 1,
        "cannot read the state file"),
    Row("state-none-coverage", "state file", "`coverage` with no state and no snapshot", (*G, "coverage"), 2,
        "no snapshot given and no sync state at", state=False),
    Row("state-none-export", "state file", "`conflicts export` with no state",
        (*G, "conflicts", "export", "--lang", "de", "-o", "de-conflicts.po"), 1, "no state database at", state=False),

    # catalogs directories ------------------------------------------------------------------------------------------------
    Row("catalogs-index-corrupt-check", "catalogs", "a corrupt `json/index.json`, checked",
        (*G, "catalogs", "--check"), 1, "1 damaged or not ours", hint="delete what is a damaged catalog",
        setup=lambda case: case.write("catalogs/json/index.json", '{"bad'), after=hint_command_works),
    Row("catalogs-index-corrupt-build", "catalogs", "a corrupt `json/index.json`, rebuilt", (*G, "catalogs"), 1,
        "json/index.json: damaged: not valid JSON", hint="rm ",
        setup=lambda case: case.write("catalogs/json/index.json", '{"bad'), after=hint_command_works),
    Row("catalogs-foreign-po", "catalogs", "a .po capxl10n did not write where it writes one", (*G, "catalogs"), 1,
        "not written by capxl10n",
        setup=lambda case: case.write("catalogs/de/LC_MESSAGES/capacities.po", 'msgid ""\nmsgstr ""\n'
                                      '"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "x"\nmsgstr "y"\n')),
    Row("catalogs-is-file", "catalogs", "a file where the catalogs directory should be",
        ("--catalogs", "notes.txt", *G[:4], "catalogs"), 1, "catalogs directory notes.txt is a file",
        setup=file("notes.txt", "notes\n")),
    Row("catalogs-directory-corrupt", "catalogs", "a corrupt `directory.json` and no state, checked",
        ("--catalogs", "catalogs", "catalogs", "--check"), 1, "directory.json: malformed JSON",
        hint="restore", state=False, setup=lambda case: case.write("catalogs/directory.json", '{"format": ')),
    Row("catalogs-directory-duplicate", "catalogs", "a `directory.json` with a repeated key, no state",
        ("--catalogs", "catalogs", "catalogs", "--check"), 1, "duplicate key", state=False,
        setup=edited("catalogs/directory.json", "catalogs/directory.json",
                     lambda t: t.replace('"format": ', '"format": "x", "format": ', 1))),
    Row("catalogs-directory-foreign", "catalogs", "a `directory.json` that is a plain snapshot, no state",
        ("--catalogs", "catalogs", "catalogs", "--check"), 1, "is a snapshot but not the one capxl10n wrote",
        state=False, setup=lambda case: case.write("catalogs/directory.json", sample_text())),
    Row("catalogs-edited-json", "catalogs", "an app JSON edited by hand, checked", (*G, "catalogs", "--check"), 1,
        "are out of date: 1 differ",
        setup=edited("catalogs/json/de.json", "catalogs/json/de.json", lambda t: t.replace('"de"', '"de" ', 1))),

    # remote answers --------------------------------------------------------------------------------------------------------
    Row("bundle-duplicate-key", "remote answer", "the bundle JSON on Meta-Wiki repeats a key with other English",
        (*G, "sync"), 1, f"duplicate key '{PENDING[0]}-label' in the JSON object at line 1 column 1, repeated at line",
        hint="fix the page on the wiki", world="fresh",
        setup=bundle_with(duplicate_english), may_change=READ_AND_RUN,
        note="no English changes on Metabase: the bundle is not read at all until it is fixed"),
    Row("bundle-deleted", "remote answer", "the bundle page deleted on Meta-Wiki after its English was agreed",
        (*G, "sync"), 1, f"the bundle page {BUNDLE} is missing on Meta-Wiki", hint="--recreate-bundle",
        world="fresh", setup=bundle_deleted, may_change=READ_AND_RUN,
        note="making it anew would put every key back (Translate outdates their translations): a human restores "
             "the page, or runs `sync --recreate-bundle` once"),
    Row("bundle-not-object", "remote answer", "the bundle page holds a JSON list", (*G, "sync"), 1,
        "expected a JSON object", world="fresh", setup=bundle_with(lambda t: "[]"), may_change=READ_AND_RUN),
    Row("bundle-not-json", "remote answer", "the bundle page is not JSON", (*G, "sync"), 1, "malformed JSON at line",
        world="fresh", setup=bundle_with(lambda t: t[: len(t) // 2]), may_change=READ_AND_RUN),
    Row("label-markup", "remote answer", f"a Metabase English label `{MARKUP}`", (*G, "sync"), 3,
        "MediaWiki's pre-save transform", world="fresh", setup=metabase_label("en", MARKUP),
        may_change=frozenset({"*"}), may_write=CATALOGS, after=nowhere("{{subst:"),
        note="a conflict: the bundle, units and catalogs keep the agreed English until a human fixes the label"),
    Row("label-markup-new-language", "remote answer", f"a Metabase label `{MARKUP}` in a language Meta-Wiki lacks",
        (*G, "sync"), 3, "MediaWiki's pre-save transform", world="fresh",
        setup=metabase_label("fr", MARKUP), may_change=frozenset({"*"}), may_write=CATALOGS, after=nowhere("{{subst:"),
        note="a conflict; the term stays out of the app's catalogs"),
    Row("label-control-character", "remote answer", "a Metabase label holding a control character (U+0007)",
        (*G, "sync"), 3, "control character U+0007", world="fresh",
        setup=metabase_label("fr", "Tech\u0007nologie", api=False), may_change=frozenset({"*"}), may_write=CATALOGS,
        after=nowhere("Tech\u0007nologie")),
    Row("unit-c1-control", "remote answer", "a Meta-Wiki unit holding a C1 control (U+0085 inside)", (*G, "sync"), 3,
        "control character U+0085", world="fresh", setup=unit(PENDING, "Tech\u0085nik"), may_change=frozenset({"*"}), may_write=CATALOGS),
    Row("unit-too-long", "remote answer", "a Meta-Wiki unit of 300 characters", (*G, "sync"), 3,
        "Metabase allows at most 250", world="fresh", setup=unit(PENDING, "T" * 300), may_change=frozenset({"*"}), may_write=CATALOGS),
    Row("unit-unknown-language", "remote answer", "a unit page in a language Translate does not know",
        (*G, "sync"), 0, "xx-fake", world="fresh",
        setup=unit_page(f"{PENDING[0]}-label/xx-fake", "Fake"), may_change=READ_AND_RUN,
        note="skipped with a warning: one odd page must not stop every sync"),
    Row("label-unknown-language", "remote answer", "a Metabase label in a language code nobody knows (`xx-fake`)",
        (*G, "sync"), 0, "metabase: terms in language codes capxl10n does not know are not synced: xx-fake",
        world="fresh", setup=metabase_label("xx-fake", "Fake", api=False), may_change=frozenset({"*"}),
        may_write=CATALOGS, after=nowhere("Fake"),
        note="warned and never merged: no unit page in a language Translate does not list"),
    Row("item-missing", "remote answer", "a capacity's item deleted on Metabase", (*G, "sync"), 0, "Q1282669",
        world="fresh", setup=delete_page("metabase", lambda case: f"Item:{case.item(PENDING[0])}"),
        may_change=frozenset({"*"}), may_write=frozenset({"catalogs"}), note="reported; its keys stay in the bundle (`remove_from_bundle`)"),
    Row("answer-truncated-json", "remote answer", "Meta-Wiki answers with truncated JSON", (*G, "sync"), 5,
        "expected JSON from 127.0.0.1", world="fresh", setup=answer("metawiki", is_query, truncated_json),
        may_change=READ_AND_RUN, note="retried, then \"try again later\""),
    Row("answer-html", "remote answer", "an HTML login page with HTTP 200 (text/html)", (*G, "sync"), 5,
        "expected JSON from 127.0.0.1", world="fresh", setup=answer("metabase", is_query, html_page),
        may_change=READ_AND_RUN, note="retried, then \"try again later\""),
    Row("answer-html-as-json", "remote answer", "an HTML page sent as application/json", (*G, "sync"), 5,
        "expected JSON from 127.0.0.1", world="fresh", setup=answer("metawiki", is_query, html_as_json),
        may_change=READ_AND_RUN),
    Row("answer-json-list", "remote answer", "a JSON list where an object belongs", (*G, "sync"), 5,
        "expected JSON from 127.0.0.1", world="fresh", setup=answer("metawiki", is_query, json_list),
        may_change=READ_AND_RUN),
    Row("answer-unknown-error", "remote answer", "an API error code capxl10n does not know", (*G, "sync"), 1,
        "unknownerror-of-tomorrow", world="fresh",
        setup=answer("metawiki", is_query, api_error("unknownerror-of-tomorrow")), may_change=READ_AND_RUN),
    Row("answer-404", "remote answer", "the profile's API URL answers 404", (*G, "sync"), 1, "HTTP 404", hint="no API answers at this URL", world="fresh",
        setup=move_api("/metawiki/w/api.phpx"), may_change=READ_AND_RUN),
    Row("answer-connection-refused", "remote answer", "nothing listens at the API's port", (*G, "sync"), 1,
        "cannot reach 127.0.0.1", hint="check the profile's URL", world="fresh", setup=dead_port,
        may_change=READ_AND_RUN),
]


def _replan(case: Case, name: str, **changes: Any) -> None:
    from dataclasses import replace

    from capxl10n.core.plan import dumps, loads

    case.write(name, dumps(replace(loads(case.read(PLAN_SOURCE)), **changes)))


def _rehash(case: Case, name: str, change: Callable[[Any], None]) -> None:
    """A plan changed and its content hash recomputed (what a plan made by another tool would look like)."""
    from capxl10n.core.plan import content_hash

    data = json.loads(case.read(PLAN_SOURCE))
    change(data)
    data.pop("id")
    data["id"] = content_hash(data)
    case.write(name, json.dumps(data, ensure_ascii=False, indent=1))


# -- the doc table ---------------------------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("\u0007", "\\u0007").replace("\u0085", "\\u0085")


def render() -> str:
    lines = ["| # | area | bad input | command | exit | message (and hint) |", "|---|---|---|---|---|---|"]
    for n, row in enumerate(ROWS, 1):
        message = f"`{_cell(row.message)}`" + (f" … hint: `{_cell(row.hint)}`" if row.hint else "")
        if row.note:
            message += f" — {_cell(row.note)}"
        lines.append(f"| {n} | {row.area} | {_cell(row.what)} | `{_cell(row.command())}` | {row.code} | {message} |")
    return "\n".join(lines)


def doc_section(text: str) -> str:
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


# -- the tests -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_bad_input(row: Row, bad_input_case: Callable[[Row], Case]) -> None:
    run_row(row, bad_input_case(row))


def test_catalogue_size_and_ids() -> None:
    assert len(ROWS) >= 80
    assert len({row.id for row in ROWS}) == len(ROWS)
    assert all(row.code != 0 or row.note for row in ROWS), "a row that succeeds says why in its note"


def test_doc_table_is_the_catalogue() -> None:
    assert doc_section(DOC.read_text(encoding="utf-8")) == render(), \
        "docs/bad-inputs.md is stale: run python tests/reliability/test_bad_inputs.py"


if __name__ == "__main__":
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{BEGIN}\n{render()}\n{END}{tail}", encoding="utf-8")
    print(f"{DOC}: {len(ROWS)} rows")
