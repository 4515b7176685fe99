"""Real-wiki peer fixtures: one real MediaWiki 1.39 + Translate + Wikibase per test session.

The real-wiki tier (marker ``realwiki``, tests in ``tests/realwiki/``) holds
the sandbox and the clients to the real software. ``../shared/tools/mediawiki-peer``
runs it on loopback; this module starts ONE peer per session in a temporary
data dir on a free port (``MW_PEER_EXTENSIONS="translate wikibase"``, about
9 s from nothing), hands out its API URL and its two bot users, and stops it
at the end of the session.

A fresh data dir costs ~9 s, so clean slates are cheap copies instead: right
after the seed the SQLite files are saved, and :meth:`Peer.reset` stops the
server, puts them back and starts it again (about a second). Tests should
prefer creating their own pages, keys and items so that they need no reset.

Locally the tier skips with a reason when PHP or MediaWiki are missing (or
the peer cannot be started); with ``CI=true`` it never skips: it fails.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from plugins.common import IN_CI, SHARED

PEER_TOOL = SHARED / "tools" / "mediawiki-peer"
MEDIAWIKI_DIR = Path("/usr/share/mediawiki")
EXTENSIONS = "translate wikibase"
SQLITE_FILES = ("my_wiki.sqlite", "my_wiki_jobqueue.sqlite", "wikicache.sqlite", "my_wiki_l10n_cache.sqlite")
_LOG_REQUEST = re.compile(r"\[\d{3}\]: (GET|POST) (/api\.php|/index\.php)")


def _unavailable(reason: str) -> None:
    """Skip locally, fail in CI (the tier must never be skipped there)."""
    if IN_CI:
        pytest.fail(f"real-wiki tier cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"real-wiki tier skipped: {reason}")


def peer_missing_reason() -> str | None:
    """Why the peer cannot run here (None when it can), without installing anything."""
    if not PEER_TOOL.is_file():
        return f"{PEER_TOOL} not found (set CAPXL10N_SHARED to the shared dir)"
    can_install = os.geteuid() == 0 and shutil.which("apt-get") is not None
    if shutil.which("php") is None and not can_install:
        return "PHP is not installed (run .ci/install-peer as root, or apt-get install mediawiki php-sqlite3)"
    if not (MEDIAWIKI_DIR / "maintenance" / "install.php").is_file() and not can_install:
        return "MediaWiki is not installed (run .ci/install-peer as root, or apt-get install mediawiki)"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def parse_env_lines(text: str) -> dict[str, str]:
    """The ``NAME=value`` lines ``mediawiki-peer start`` prints (other lines ignored)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"^(MW_PEER_[A-Z0-9_]+)=(.*)$", line.strip())
        if match:
            out[match.group(1)] = match.group(2)
    return out


@dataclass(frozen=True)
class PeerUser:
    """A bot password of the peer: ``login`` is ``User@app`` (lgname), ``name`` the wiki user."""

    login: str
    password: str = field(repr=False)

    @property
    def name(self) -> str:
        return self.login.split("@", 1)[0]


@dataclass
class Peer:
    """A running real wiki (Meta-Wiki's Translate and Metabase's Wikibase on one site)."""

    port: int
    datadir: Path
    api: str
    bot: PeerUser
    bot2: PeerUser
    env: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def base(self) -> str:
        return self.api.rsplit("/", 1)[0]

    @property
    def index(self) -> str:
        return f"{self.base}/index.php"

    def wikibase_seed(self) -> dict:
        """Ids and terms of the seeded Metabase-like items (``DATADIR/wikibase-seed.json``)."""
        return json.loads((self.datadir / "wikibase-seed.json").read_text(encoding="utf-8"))

    # --- faults -----------------------------------------------------------------------
    def set_maxlag(self, lag: int) -> None:
        """Every request with ``maxlag`` < ``lag`` now gets MediaWiki's own maxlag error."""
        (self.datadir / "fake-maxlag").write_text(f"{int(lag)}\n", encoding="ascii")

    def clear_maxlag(self) -> None:
        (self.datadir / "fake-maxlag").unlink(missing_ok=True)

    # --- accounting -------------------------------------------------------------------
    def request_count(self) -> int:
        """API and index requests served so far (from php -S's access log)."""
        log = self.datadir / "php-server.log"
        if not log.exists():
            return 0
        with log.open(encoding="utf-8", errors="replace") as fh:
            return sum(1 for line in fh if _LOG_REQUEST.search(line))

    def requests_since(self, mark: int) -> list[str]:
        """The request lines logged after the first ``mark`` ones (for counting a run's calls)."""
        log = self.datadir / "php-server.log"
        lines = [ln for ln in log.read_text(encoding="utf-8", errors="replace").splitlines()
                 if _LOG_REQUEST.search(ln)]
        return lines[mark:]

    # --- lifecycle --------------------------------------------------------------------
    def _tool(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "MW_PEER_EXTENSIONS": EXTENSIONS, "MW_PEER_BOT_FLAG": "1",
               "MW_PEER_BOT_PASSWORD": self.bot.password, "MW_PEER_BOT2_PASSWORD": self.bot2.password}
        return subprocess.run([str(PEER_TOOL), *args, str(self.port), str(self.datadir)], env=env,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def stop(self) -> None:
        self._tool("stop", timeout=60)

    def snapshot(self) -> None:
        """Remember the current database as the clean slate :meth:`reset` returns to."""
        self.stop()
        saved = self.datadir / ".clean-slate"
        saved.mkdir(exist_ok=True)
        for name in SQLITE_FILES:
            if (self.datadir / name).exists():
                shutil.copy2(self.datadir / name, saved / name)
        self._start_again()

    def reset(self) -> None:
        """Back to the seeded wiki (about a second): stop, restore the saved databases, start."""
        saved = self.datadir / ".clean-slate"
        if not saved.is_dir():
            raise RuntimeError("Peer.reset() needs Peer.snapshot() first")
        self.stop()
        self.clear_maxlag()
        for name in SQLITE_FILES:
            if (saved / name).exists():
                shutil.copy2(saved / name, self.datadir / name)
        self._start_again()

    def _start_again(self) -> None:
        result = self._tool("start")
        if result.returncode != 0:
            raise RuntimeError(f"mediawiki-peer start failed: {result.stderr[-2000:]}")


def start_peer(datadir: Path, port: int | None = None) -> Peer:
    """Start a peer (installing packages when missing and allowed) and return it."""
    port = port or free_port()
    env = {**os.environ, "MW_PEER_EXTENSIONS": EXTENSIONS, "MW_PEER_BOT_FLAG": "1"}
    result = subprocess.run([str(PEER_TOOL), "start", str(port), str(datadir)], env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"mediawiki-peer start failed (exit {result.returncode}): {result.stderr[-3000:]}")
    values = parse_env_lines(result.stdout)
    missing = [k for k in ("MW_PEER_API", "MW_PEER_BOT_USER", "MW_PEER_BOT_PASSWORD",
                           "MW_PEER_BOT2_USER", "MW_PEER_BOT2_PASSWORD") if k not in values]
    if missing:
        raise RuntimeError(f"mediawiki-peer start printed no {', '.join(missing)}")
    return Peer(port=port, datadir=datadir, api=values["MW_PEER_API"],
                bot=PeerUser(values["MW_PEER_BOT_USER"], values["MW_PEER_BOT_PASSWORD"]),
                bot2=PeerUser(values["MW_PEER_BOT2_USER"], values["MW_PEER_BOT2_PASSWORD"]),
                env=values)


@pytest.fixture(scope="session")
def peer() -> Iterator[Peer]:
    """The session's real wiki (Translate + Wikibase), seeded; stopped and removed at the end.

    Set ``CAPXL10N_PEER_KEEP=1`` to leave its data dir behind for inspection.
    """
    reason = peer_missing_reason()
    if reason:
        _unavailable(reason)
    datadir = Path(tempfile.mkdtemp(prefix="capxl10n-peer-"))
    started = time.monotonic()
    try:
        instance = start_peer(datadir)
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(datadir, ignore_errors=True)
        _unavailable(str(exc))
        raise  # unreachable: _unavailable raises
    try:
        instance.snapshot()
        instance.env["startup_seconds"] = f"{time.monotonic() - started:.1f}"
        yield instance
    finally:
        instance.stop()
        if os.environ.get("CAPXL10N_PEER_KEEP") != "1":
            shutil.rmtree(datadir, ignore_errors=True)


@pytest.fixture
def peer_reset(peer: Peer) -> Peer:
    """The session peer returned to its seeded state before the test (≈1 s; use sparingly)."""
    peer.reset()
    return peer


@pytest.fixture
def peer_maxlag(peer: Peer) -> Iterator[Peer]:
    """The peer with fake replication lag cleared after the test, whatever happens."""
    try:
        yield peer
    finally:
        peer.clear_maxlag()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/realwiki/ carries the ``realwiki`` marker (select with -m)."""
    for item in items:
        if f"{os.sep}realwiki{os.sep}" in str(item.fspath):
            item.add_marker(pytest.mark.realwiki)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sandbox_difference(id): a known difference between the sandbox and the real wiki "
        "(docs/sandbox-differences.md); the sandbox run is xfail(strict=True)")
