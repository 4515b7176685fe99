"""The bad-input catalogue's machinery (tests/reliability/test_bad_inputs.py, docs/bad-inputs.md).

A :class:`Row` is one bad input: what it is, the command line that meets it, the exit code and the
message it must get, and how to make it (``setup``: files in the row's directory, human edits on the
wikis, or a doctored answer of a wiki). :func:`run_row` makes a :class:`Case` (a directory holding a
synced state, catalogs, a plan, exports and a profile, and the sandbox behind a loopback server that can
doctor its answers), runs the CLI in it and checks the outcome: the exit code, the message (and hint),
no traceback, and that nothing was written: the wikis' revision counts, every file's bytes under the
directory (state, catalogs, plan, .po files, the profile) — or, for a row that may record something in the
state (a run summary, a read), every other table's rows.

Two kinds of world: ``shared`` rows run against one sandbox per test module (the rows write nothing to
it: that is what is checked), each on its own copy of one synced directory; ``fresh`` rows change a wiki
first (a human's edit, a page a test writes directly into the store) and get their own sandbox.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner, Result

from capxl10n.cli.main import main
from capxl10n.engine.lock import LOCK_SUFFIX
from capxl10n.sandbox.httpd import KeepAliveWSGIServer
from capxl10n.sandbox.server import Sandbox, credentials_env
from plugins.world import BUNDLE, REPO, Peer

#: Every row's global options: its own profile, state and catalogs (the doc's commands leave them out).
GLOBAL = ("--profile", "{profile}", "--state", "{state}", "--catalogs", "{catalogs}")
SMALL = {"seed": 1, "capacities": 20, "languages": 6}
#: The pending change and the conflict the shared world holds (a plan, an export and a conflicts export too).
PENDING = ("Q1282669", "label", "de")
CONFLICT = ("Q1282669", "description", "ja")
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class Row:
    """One bad input of the catalogue (the fields are the doc table's columns, then how to make it)."""

    id: str
    area: str
    what: str
    args: tuple[str, ...]
    code: int
    message: str
    hint: str | None = None
    setup: Callable[[Case], None] | None = None
    #: ``shared``: the module's sandbox and a copy of its synced directory; ``fresh``: a sandbox of its own.
    world: str = "shared"
    #: Start with the synced state (False: no state file at all).
    state: bool = True
    #: Environment changes: a credential variable set to a value, or removed (None).
    env: Mapping[str, str | None] = field(default_factory=dict)
    #: State tables the run may change (``"*"``: any; the wikis and every other file stay as they were).
    may_change: frozenset[str] = frozenset()
    #: Files or directories (relative to the row's directory) the run may write: ``out`` for a build's output…
    may_write: frozenset[str] = frozenset()
    #: Further checks after the run (the hint's command works, a value is nowhere in the catalogs...).
    after: Callable[[Case, Result], None] | None = None
    #: What the doc says beside the message (why this outcome, for the rows that are not plain refusals).
    note: str = ""

    def command(self) -> str:
        """The command line as the doc shows it: ``capxl10n`` and the arguments, global options left out."""
        args: list[str] = []
        pending = list(self.args)
        while pending:
            arg = pending.pop(0)
            if arg in GLOBAL[::2] and pending and pending[0] in GLOBAL[1::2]:
                pending.pop(0)  # the row's own profile, state or catalogs: every row has them
                continue
            args.append(arg)
        return "capxl10n " + " ".join(_shell(a) for a in args)


def _shell(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./{}-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


# -- doctored answers -------------------------------------------------------------------------------------
Answer = tuple[str, list[tuple[str, str]], bytes]
Doctor = Callable[[dict[str, Any], Answer], Answer]


class Answers:
    """A WSGI wrapper in front of the sandbox: requests a rule matches get a doctored answer.

    A rule is ``(site, match, doctor)``: ``match`` sees the query-string parameters of a GET (reads are
    GETs), ``doctor`` gets the sandbox's answer ``(status, headers, body)`` and returns another.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.rules: list[tuple[str, Callable[[dict[str, str]], bool], Doctor]] = []
        self.doctored = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        site = environ.get("PATH_INFO", "").strip("/").split("/", 1)[0]
        params = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        rule = next((r for r in self.rules if r[0] == site and environ.get("REQUEST_METHOD") == "GET"
                     and r[1](params)), None)
        if rule is None:
            return self.app(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = self.app(environ, capture)
        body = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        status, headers, body = rule[2](params, (captured["status"], captured["headers"], body))
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        self.doctored += 1
        start_response(status, headers)
        return [body]


# -- the world ----------------------------------------------------------------------------------------------
class Front:
    """A sandbox and the loopback server in front of it (the profile's URL)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.answers = Answers(sandbox.app)
        self.server = KeepAliveWSGIServer("127.0.0.1", 0, self.answers)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self.sandbox.stop()


def profile_text(url: str) -> str:
    """The shipped sandbox profile moved to ``url``, retrying quickly: tests never wait for real."""
    text = (REPO / "capxl10n" / "profiles" / "sandbox.toml").read_text(encoding="utf-8")
    return (text.replace("http://127.0.0.1:8765", url).replace("max_wait_seconds = 60", "max_wait_seconds = 1")
            .replace("max_attempts = 6", "max_attempts = 2").replace("backoff_base_seconds = 0.05",
                                                                      "backoff_base_seconds = 0.01"))


def cli(directory: Path, args: Iterable[str], env: Mapping[str, str | None]) -> Result:
    """The CLI in-process, in ``directory`` (relative paths land there), with exactly ``env``'s credentials."""
    old = Path.cwd()
    os.chdir(directory)
    try:
        return CliRunner().invoke(main, list(args), env=dict(env), catch_exceptions=True)
    finally:
        os.chdir(old)


def full_env(changes: Mapping[str, str | None] = {}) -> dict[str, str | None]:
    env: dict[str, str | None] = {**credentials_env(), "CAPXL10N_PROFILE": None, "CAPXL10N_STATE": None,
                                  "CAPXL10N_CATALOGS": None}
    env.update(changes)
    return env


def make_world(front: Front, directory: Path, *, extras: bool) -> None:
    """A synced directory: profile, state, catalogs; with ``extras`` also a pending change, a conflict, the
    plan holding both, a .po export of German and a conflicts export of Japanese."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "profile.toml").write_text(profile_text(front.url), encoding="utf-8")
    args = ["--profile", "profile.toml", "--state", "state.sqlite", "--catalogs", "catalogs"]
    first = cli(directory, [*args, "sync"], full_env())
    assert first.exit_code == 0, first.output
    if not extras:
        return
    peer = Peer(front.sandbox)
    item = item_of(directory / "state.sqlite", PENDING[0])
    peer.edit_unit(_key(*PENDING), "Technik (neu)")
    qid, fld, lang = CONFLICT
    peer.edit_unit(_key(*CONFLICT), "テクノロジー（メタ）")
    peer.set_term(item_of(directory / "state.sqlite", qid), fld, lang, "テクノロジー（メタベース）")
    assert item
    plan = cli(directory, [*args, "plan", "-o", "plan.json"], full_env())
    assert plan.exit_code == 3, plan.output
    export = cli(directory, [*args, "export", "--lang", "de", "--only", "all", "-o", "de.po"], full_env())
    assert export.exit_code == 0, export.output
    conflicts = cli(directory, [*args, "conflicts", "export", "--lang", "ja", "-o", "conflicts-ja.po"], full_env())
    assert conflicts.exit_code == 0, conflicts.output
    built = cli(directory, [*args, "catalogs"], full_env())  # the plan read the human's edits: catalogs in step
    assert built.exit_code == 0, built.output


def _key(qid: str, fld: str, lang: str) -> Any:
    from capxl10n.core.model import TermKey
    return TermKey(qid, fld, lang)  # type: ignore[arg-type]


def item_of(state: Path, qid: str) -> str:
    with sqlite3.connect(state) as db:
        row = db.execute("SELECT item FROM capacities WHERE qid = ?", (qid,)).fetchone()
    return str(row[0])


@dataclass
class Case:
    """One row's world: its directory (the working directory of the run), sandbox, front and paths."""

    row: Row
    dir: Path
    front: Front

    @property
    def sandbox(self) -> Sandbox:
        return self.front.sandbox

    @property
    def state(self) -> Path:
        return self.dir / "state.sqlite"

    @property
    def catalogs(self) -> Path:
        return self.dir / "catalogs"

    @property
    def profile(self) -> Path:
        return self.dir / "profile.toml"

    @property
    def peer(self) -> Peer:
        return Peer(self.sandbox)

    def path(self, name: str) -> Path:
        return self.dir / name

    def write(self, name: str, data: str | bytes) -> Path:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        return path

    def read(self, name: str) -> str:
        return (self.dir / name).read_text(encoding="utf-8")

    def item(self, qid: str) -> str:
        return item_of(self.state, qid)

    def answer(self, site: str, match: Callable[[dict[str, str]], bool], doctor: Doctor) -> None:
        """From now on, GETs to ``site`` that ``match`` get ``doctor``'s answer instead of the sandbox's."""
        self.front.answers.rules.append((site, match, doctor))

    def cli(self, *args: str, env: Mapping[str, str | None] | None = None) -> Result:
        return cli(self.dir, [self.fill(a) for a in args], full_env(env or {}))

    def fill(self, arg: str) -> str:
        return (arg.replace("{profile}", str(self.profile)).replace("{state}", str(self.state))
                .replace("{catalogs}", str(self.catalogs)).replace("{dir}", str(self.dir)))

    def save_page(self, site: str, title: str, text: str, *, user: str = "Peer2") -> None:
        """Put ``text`` on a page directly in the sandbox's store (what its API would refuse or alter)."""
        wiki = self.sandbox.site(site).wiki
        account = wiki.user(user) or wiki.add_user(user)
        wiki.save_page(title, text, user=account, summary="test")

    def bundle_text(self) -> str:
        return self.sandbox.site("metawiki").wiki.pages[BUNDLE].text


# -- what was written -----------------------------------------------------------------------------------------
def revisions(sandbox: Sandbox) -> dict[str, int]:
    return {name: len(site.wiki.revisions) for name, site in sandbox.sites.items()}


def tree(directory: Path, *, skip: Iterable[str] = ()) -> dict[str, str]:
    """Every file under ``directory``: relative path → SHA-256 (SQLite's side files, the state's empty lock
    file, and the files and directories named in ``skip`` left out)."""
    skipped = tuple(skip)
    out = {}
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).as_posix()
        if not path.is_file() or _under(rel, skipped) or rel.endswith(SQLITE_SIDE_FILES):
            continue
        if rel.endswith(LOCK_SUFFIX) and not path.stat().st_size:  # the state's lock file, nobody holding it
            continue
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _under(rel: str, names: tuple[str, ...]) -> bool:
    return any(rel == name or rel.startswith(name.rstrip("/") + "/") for name in names)


def tables(state: Path, *, skip: Iterable[str] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (sorted), but those in ``skip``."""
    if not state.exists():
        return {}
    skipped = set(skip)
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
            names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            return {n: sorted(db.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names
                    if n not in skipped}
    except sqlite3.DatabaseError:  # not a database (the rows about a damaged state): its bytes are compared
        return {}


def written(case: Case, before: tuple[dict[str, int], dict[str, str], dict[str, list[tuple[Any, ...]]]]) -> list[str]:
    """What the run wrote that its row does not allow, in words (empty: nothing)."""
    row = case.row
    wikis, files, rows = before
    problems = []
    now = revisions(case.sandbox)
    if now != wikis:
        problems.append(f"wiki revisions {wikis} -> {now}")
    state_rel = case.state.relative_to(case.dir).as_posix()
    skip = set(row.may_write) | ({state_rel} if row.may_change else set())
    after = tree(case.dir, skip=skip)
    expected = {k: v for k, v in files.items() if not _under(k, tuple(skip))}
    for rel in sorted(set(after) | set(expected)):
        if after.get(rel) != expected.get(rel):
            what = "new" if rel not in expected else "removed" if rel not in after else "changed"
            problems.append(f"{what}: {rel}")
    if row.may_change and "*" not in row.may_change:
        now_rows = tables(case.state, skip=row.may_change)
        for name in sorted(set(now_rows) | set(rows)):
            if name not in row.may_change and now_rows.get(name) != rows.get(name):
                problems.append(f"state table {name} changed")
    return problems


# -- the run ------------------------------------------------------------------------------------------------------
def run_row(row: Row, case: Case) -> Result:
    """Set the row up, run it, check everything; returns the result for the row's own checks."""
    if not row.state:
        for name in ("state.sqlite", *("state.sqlite" + s for s in SQLITE_SIDE_FILES)):
            case.path(name).unlink(missing_ok=True)
    if row.setup is not None:
        row.setup(case)
    before = (revisions(case.sandbox), tree(case.dir), tables(case.state, skip=row.may_change))
    result = case.cli(*row.args, env=row.env)
    output = result.output
    if os.environ.get("SHOW_ROWS"):
        print(f"\n##### {row.id} -> {result.exit_code}\n" + "\n".join(
            line for line in output.splitlines() if not line.startswith("progress:")))
    trouble = result.exception if not isinstance(result.exception, SystemExit) else None
    assert trouble is None and "Traceback" not in output, f"{row.id}: a traceback\n{output}\n{trouble!r}"
    assert result.exit_code == row.code, f"{row.id}: exit {result.exit_code}, expected {row.code}\n{output}"
    assert case.fill(row.message) in output, f"{row.id}: message {row.message!r} not in\n{output}"
    if row.hint is not None:
        assert case.fill(row.hint) in output, f"{row.id}: hint {row.hint!r} not in\n{output}"
    problems = written(case, before)
    assert not problems, f"{row.id}: written: {problems}\n{output}"
    if row.after is not None:
        row.after(case, result)
    return result


class SharedWorld:
    """The module's sandbox and synced template directory; rebuilt when a row wrote to the sandbox after all
    (that row fails; the next ones still start from a world in step)."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.front = Front(Sandbox(**SMALL).start())
        self.template = self._build()

    def _build(self) -> Path:
        template = self.factory.mktemp("bad-inputs-world")
        make_world(self.front, template, extras=True)
        self.revisions = revisions(self.front.sandbox)
        return template

    def get(self) -> tuple[Front, Path]:
        if revisions(self.front.sandbox) != self.revisions:
            self.front.sandbox.reset()
            self.template = self._build()
        return self.front, self.template


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedWorld]:
    world = SharedWorld(tmp_path_factory)
    try:
        yield world
    finally:
        world.front.stop()


@pytest.fixture
def bad_input_case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[Row], Case]]:
    """``make(row)``: the row's :class:`Case` (a copy of the shared world, or a fresh sandbox)."""
    fronts: list[Front] = []

    def make(row: Row) -> Case:
        directory = tmp_path / "run"
        if row.world == "fresh":
            front = Front(Sandbox(**SMALL).start())
            fronts.append(front)
            make_world(front, directory, extras=False)
            return Case(row, directory, front)
        front, template = request.getfixturevalue("shared_world").get()
        shutil.copytree(template, directory)
        return Case(row, directory, front)

    try:
        yield make
    finally:
        for front in fronts:
            front.stop()
