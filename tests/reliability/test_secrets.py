"""Secrets never in output: a canary bot password, and the session cookies and tokens the wikis hand out.

The bot logs in to the sandbox with a canary bot password taken from the environment, as a profile takes
credentials (README.md, "Profiles and credentials"). Every command then runs — succeeding and failing
ones, with ``-vv`` (every HTTP request) and with JSON logs, plans, the state, the run history, catalogs,
exports, reports, a run that hits faults, a login with a wrong (also canary) password, and a crash (an
unexpected exception in a real process, whose message carries the client's credentials, cookies and
token, as a library's error may) — and each secret is looked for everywhere: stdout, stderr, every file
under the working directory (state file bytes and its SQLite side files, catalogs, plans, logs, .po
files, reports). The secrets the sandbox handed out (each session's cookie, login token and csrf token)
are read from the sandbox itself after the runs.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from capxl10n.sandbox.server import Sandbox
from plugins.bad_inputs import SMALL, Front, cli, profile_text
from plugins.world import BUNDLE, REPO, Peer

CANARY = "canary-bot-password-7c1e5b9a0d"
WRONG = "canary-wrong-password-3f8e21"
BOT = "CapxBot@canary"
SINCE = "2000-01-01"


def canary_env(password: str = CANARY) -> dict[str, str | None]:
    return {"CAPXL10N_METABASE_USER": BOT, "CAPXL10N_METABASE_PASSWORD": password,
            "CAPXL10N_METAWIKI_USER": BOT, "CAPXL10N_METAWIKI_PASSWORD": password,
            "CAPXL10N_PROFILE": None, "CAPXL10N_STATE": None, "CAPXL10N_CATALOGS": None}


class Run:
    """The directory, the sandbox, and every output so far (command → text)."""

    def __init__(self, front: Front, directory: Path) -> None:
        self.front = front
        self.dir = directory
        self.outputs: list[tuple[str, str]] = []
        self.codes: dict[str, int] = {}

    @property
    def sandbox(self) -> Sandbox:
        return self.front.sandbox

    def args(self, *args: str) -> list[str]:
        return ["--profile", "profile.toml", "--state", "state.sqlite", "--catalogs", "catalogs", *args]

    def cli(self, *args: str, password: str = CANARY, label: str | None = None) -> int:
        result = cli(self.dir, self.args(*args), canary_env(password))
        name = label or " ".join(args)
        self.outputs.append((name, result.output + (result.stderr if result.stderr not in result.output else "")))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            self.outputs.append((name + " (exception)", repr(result.exception)))
        self.codes[name] = result.exit_code
        return result.exit_code

    def process(self, args: list[str], *, label: str, prelude: str = "", password: str = CANARY) -> int:
        """The CLI in a real process (its own stderr: what Python prints for a crash included)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAPXL10N_")}
        env.update({k: v for k, v in canary_env(password).items() if v is not None})
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        code = prelude + "\nfrom capxl10n.cli.main import main\nmain()\n"
        done = subprocess.run([sys.executable, "-c", code, *self.args(*args)], cwd=self.dir, env=env,
                              capture_output=True, text=True, timeout=300)
        self.outputs.append((label, done.stdout + done.stderr))
        self.codes[label] = done.returncode
        return done.returncode

    def secrets(self) -> dict[str, str]:
        """Every secret of this world: the canaries, and each session's cookie and tokens on every wiki."""
        found = {"canary bot password": CANARY, "wrong canary password": WRONG}
        for name, site in self.sandbox.sites.items():
            for session in list(site.wiki.sessions.values()):
                found[f"{name} session cookie {session.id[:6]}…"] = session.id
                if session.login_token:
                    found[f"{name} login token {session.login_token[:6]}…"] = session.login_token.split("+")[0]
                if session.csrf_token:
                    found[f"{name} csrf token {session.csrf_token[:6]}…"] = session.csrf_token.split("+")[0]
        return found

    def files(self) -> Iterator[tuple[str, bytes]]:
        for path in sorted(self.dir.rglob("*")):
            if path.is_file():
                yield path.relative_to(self.dir).as_posix(), path.read_bytes()


# -- the world ----------------------------------------------------------------------------------------------------
@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    sandbox = Sandbox(**SMALL).start()
    for name in ("metabase", "metawiki"):
        bot = sandbox.site(name).wiki.user("CapxBot")
        assert bot is not None
        bot.bot_passwords["canary"] = CANARY
    front = Front(sandbox)
    directory = tmp_path / "work"
    directory.mkdir()
    (directory / "profile.toml").write_text(profile_text(front.url), encoding="utf-8")
    try:
        yield Run(front, directory)
    finally:
        front.stop()


def item_of(run: Run, qid: str) -> str:
    import sqlite3

    with sqlite3.connect(run.dir / "state.sqlite") as db:
        return str(db.execute("SELECT item FROM capacities WHERE qid = ?", (qid,)).fetchone()[0])


def human_edits(run: Run, n: int) -> None:
    """A translator's unit edit (a copy to Metabase) and a term changed on both sides (a conflict)."""
    from capxl10n.core.model import TermKey

    peer = Peer(run.sandbox)
    peer.edit_unit(TermKey("Q1282669", "label", "de"), f"Technik {n}")
    peer.edit_unit(TermKey("Q1282669", "description", "ja"), f"テクノロジー（メタ {n}）")
    peer.set_term(item_of(run, "Q1282669"), "description", "ja", f"テクノロジー（メタベース {n}）")


def fill_conflicts_po(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.rstrip().endswith('msgstr ""'), text[-200:]
    path.write_text(text.rstrip()[: -len('msgstr ""')] + 'msgstr "テクノロジー（決定）"\n', encoding="utf-8")


CRASH = """
from capxl10n.wikis import http
_real = http.ApiClient.csrf_token
def _crash(self, *args, **kwargs):
    token = _real(self, *args, **kwargs)
    raise RuntimeError(f"simulated bug after login: credentials={getattr(self.mw, 'credentials', None)!r} "
                       f"cookies={self.session.cookies.get_dict()!r} token={token!r}")
http.ApiClient.csrf_token = _crash
"""


def every_command(run: Run) -> None:
    """Every command of the CLI (sandbox serve and demo start sandboxes of their own: not ours to log in to)."""
    assert run.cli("-vv", "sync") == 0
    human_edits(run, 1)
    assert run.cli("-vv", "pull") == 0
    assert run.cli("-vv", "plan", "-o", "plan.json") == 3
    assert run.cli("-vv", "apply", "plan.json") == 3
    human_edits(run, 2)
    assert run.cli("-vv", "sync", "--dry-run") == 3
    assert run.cli("--log-format", "json", "-vv", "sync", "-o", "plan-2.json") == 3
    run.cli("-vv", "conflicts")
    assert run.cli("-vv", "conflicts", "--format", "json") == 3
    assert run.cli("-vv", "conflicts", "export", "--lang", "ja", "-o", "conflicts-ja.po") == 0
    fill_conflicts_po(run.dir / "conflicts-ja.po")
    assert run.cli("-vv", "conflicts", "import", "conflicts-ja.po") == 0
    assert run.cli("-vv", "--log-format", "json", "sync") == 0
    human_edits(run, 3)
    assert run.cli("-vv", "sync") == 3
    assert run.cli("-vv", "conflicts", "resolve", "--all", "--take", "metawiki", "--yes") == 0
    assert run.cli("-vv", "export", "--lang", "de", "--only", "all", "-o", "de.po") == 0
    assert run.cli("-vv", "import", "de.po") == 0
    assert run.cli("-vv", "sync", "--full") == 0
    assert run.cli("-vv", "runs") == 0
    assert run.cli("-vv", "runs", "--format", "json") == 0
    assert run.cli("-vv", "catalogs") == 0
    assert run.cli("-vv", "catalogs", "--check") == 0
    assert run.cli("-vv", "coverage") == 0
    assert run.cli("-vv", "coverage", "--format", "html") == 0
    assert run.cli("-vv", "report", "--since", SINCE, "-o", "report") == 0
    assert run.cli("-vv", "credits", "--since", SINCE) == 0
    run.cli("-vv", "check")
    assert run.cli("-vv", "todo", "--lang", "de", "--format", "html", "-o", "todo-de.html") == 0
    assert run.cli("-vv", "languages", "de") == 0
    assert run.cli("-vv", "sample", "-n", "10", "-l", "3", "-o", "sample.json") == 0


def failing_commands(run: Run) -> None:
    """Runs that fail, each where secrets are at hand: a wrong password, a refused plan, faults, a crash."""
    human_edits(run, 4)
    assert run.cli("-vv", "sync", password=WRONG, label="sync with a wrong password") == 1
    assert run.cli("--log-format", "json", "-vv", "sync", password=WRONG, label="json sync, wrong password") == 1
    assert run.cli("-vv", "plan", "-o", "plan-3.json") == 3
    plan = json.loads((run.dir / "plan-3.json").read_text(encoding="utf-8"))
    plan["operations"][0]["new"] = "tampered"
    (run.dir / "tampered.json").write_text(json.dumps(plan), encoding="utf-8")
    assert run.cli("-vv", "apply", "tampered.json", label="apply a tampered plan") == 1
    run.sandbox.faults.configure("badtoken=0.5,5xx=0.3,429=0.2:retry_after=0")
    run.cli("-vv", "sync", label="sync through badtoken, 5xx and 429 faults")
    run.sandbox.faults.configure("readonly=on")
    assert run.cli("-vv", "--log-format", "json", "sync", label="sync on a read-only wiki") != 0
    run.sandbox.faults.configure(None)
    code = run.process(["-vv", "sync"], label="a crash after login (real process)", prelude=CRASH)
    assert code == 1
    code = run.process(["--log-format", "json", "-vv", "sync"], label="a crash, JSON logs (real process)",
                       prelude=CRASH)
    assert code == 1
    assert run.process(["-vv", "sync"], label="sync (real process)") in (0, 3)


def test_no_secret_in_any_output_or_file(run: Run) -> None:
    every_command(run)
    failing_commands(run)
    secrets = run.secrets()
    logged_in = [s for site in ("metabase", "metawiki") for s in run.sandbox.site(site).wiki.sessions.values()
                 if s.user is not None and s.user.name == "CapxBot"]
    assert len(logged_in) >= 4, "the canary bot password was not used to log in"
    assert sum(1 for _ in run.files()) > 20
    leaks = []
    for command, text in run.outputs:
        leaks += [f"{what} in the output of `{command}`" for what, secret in secrets.items() if secret in text]
    for name, data in run.files():
        leaks += [f"{what} in {name}" for what, secret in secrets.items() if secret.encode("utf-8") in data]
    assert not leaks, "\n".join(leaks)
    crash = dict(run.outputs)["a crash after login (real process)"]
    assert "simulated bug after login" in crash and "***" in crash, crash  # it did print the crash, redacted


def test_the_search_finds_a_secret(run: Run) -> None:
    """The check above can fail: a secret printed on purpose is found where it was printed."""
    run.outputs.append(("echo", f"login with {CANARY}"))
    (run.dir / "note.txt").write_text(f"password {CANARY}\n", encoding="utf-8")
    secrets = run.secrets()
    assert [c for c, text in run.outputs if secrets["canary bot password"] in text] == ["echo"]
    assert [n for n, data in run.files() if CANARY.encode() in data] == ["note.txt"]
