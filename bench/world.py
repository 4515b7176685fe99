"""The benchmarks' worlds: a fully translated directory and a sandbox that holds it on both sides.

The sample generator (:func:`capxl10n.sample.generate.generate`) deals each language a coverage shaped
like the real UI's (most of 300 languages nearly empty), and the sandbox's seeding makes the two wikis
drift apart (docs/sandbox.md). The issue's scale targets are for a directory **fully translated on both
sides**: every capacity's label and description in every language, on Metabase and on Meta-Wiki alike
(1.2 M terms at 2,000 x 300). This module builds that, for the benchmarks only: the generator with every
language's coverage at 100 % and no outdated unit, and a sandbox seeded with the same terms on both
wikis (``qqq`` on Meta-Wiki only, as always). Everything else (items, bundle, units, Wikidata, the
SPARQL store) is the sandbox's own seeding.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import random
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from capxl10n.core.model import DOC_LANGUAGE, SOURCE_LANGUAGE, Snapshot, Term, TermKey
from capxl10n.sample import generate as sample_generate
from capxl10n.sandbox import seed as sandbox_seed
from capxl10n.sandbox.server import PEER_PASSWORD, PEER_USER, BOT_NAME, Sandbox


@contextlib.contextmanager
def _patched(module: Any, name: str, value: Any) -> Iterator[None]:
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


def full_directory(capacities: int, languages: int, seed: int = 1) -> Snapshot:
    """The sample directory with every term translated in every language, none outdated."""
    with _patched(sample_generate, "_coverage", lambda lang, rng: 1.0):
        snapshot = sample_generate.generate(capacities=capacities, languages=languages, seed=seed)
    terms = {key: (Term(term.text, side=term.side) if term.fuzzy else term) for key, term in snapshot.terms.items()}
    return Snapshot(snapshot.side, snapshot.capacities, terms, snapshot.meta)


def _deal_identical(snapshot: Snapshot, seed: int) -> tuple[dict[TermKey, Term], dict[TermKey, Term],
                                                              sandbox_seed.SeedReport]:
    """Both wikis hold every term (``qqq``: Meta-Wiki only): a directory in step."""
    report = sandbox_seed.SeedReport(capacities=len(snapshot.capacities))
    metabase = {k: t for k, t in snapshot.terms.items() if k.lang != DOC_LANGUAGE}
    metawiki = dict(snapshot.terms)
    return metabase, metawiki, report


def sandbox(capacities: int, languages: int, *, full: bool, latency_ms: float = 0.0, seed: int = 1,
            **options: Any) -> Sandbox:
    """A sandbox (not started) with the sample (``full=False``: drifting, as the sandbox deals it) or the
    fully translated directory on both sides (``full=True``)."""
    if not full:
        return Sandbox(seed=seed, capacities=capacities, languages=languages, latency_ms=latency_ms, **options)
    directory = full_directory(capacities, languages, seed)
    with _patched(sandbox_seed, "deal", _deal_identical):
        return Sandbox(seed=seed, capacities=capacities, languages=languages, latency_ms=latency_ms,
                       snapshot=directory, **options)


def changed_terms(snapshot: Snapshot, count: int, items: int, seed: int = 7) -> dict[TermKey, str]:
    """``count`` translations over ``items`` capacities to change (new texts, neither English nor ``qqq``)."""
    rng = random.Random(seed)
    qids = rng.sample([c.qid for c in snapshot.capacities], min(items, len(snapshot.capacities)))
    keys = [k for k in snapshot.terms if k.qid in set(qids) and k.lang not in (SOURCE_LANGUAGE, DOC_LANGUAGE)]
    per_item = max(1, count // max(len(qids), 1))
    by_qid: dict[str, list[TermKey]] = {}
    for key in keys:
        by_qid.setdefault(key.qid, []).append(key)
    chosen: list[TermKey] = []
    for qid in qids:
        chosen.extend(rng.sample(by_qid.get(qid, []), min(per_item, len(by_qid.get(qid, [])))))
    return {key: f"{snapshot.terms[key].text[:200]} · {n}" for n, key in enumerate(chosen[:count])}


# -- a sandbox in a child process (its memory and CPU are not the client's) ----------------------------
class Served:
    """A sandbox served on loopback by a child process (``python bench/world.py serve …``).

    The benchmarks measure the client: its CPU time and peak RSS must not include the
    sandbox's, so the sandbox runs in a process of its own. Ends when closed (stdin closed).
    """

    def __init__(self, capacities: int, languages: int, *, full: bool, latency_ms: float = 0.0,
                 seed: int = 1) -> None:
        self.capacities, self.languages, self.full = capacities, languages, full
        command = [sys.executable, __file__, "serve", "--capacities", str(capacities), "--languages",
                   str(languages), "--latency", str(latency_ms), "--seed", str(seed)] + (["--full"] if full else [])
        self.child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = ""
        self.seconds = 0.0

    def wait(self) -> Served:
        """Until the child serves (seeding 2,000 x 300 takes minutes)."""
        if not self.url:
            assert self.child.stdout is not None
            line = self.child.stdout.readline().strip()
            if not line.startswith("{"):
                self.close()
                raise SystemExit(f"bench: the sandbox child did not start ({line!r})")
            ready = json.loads(line)
            self.url, self.seconds = ready["url"], ready["seconds"]
        return self

    def control(self, path: str, data: bytes | None = None) -> Any:
        with urllib.request.urlopen(urllib.request.Request(f"{self.wait().url}/_sandbox/{path}", data=data)) as answer:
            return json.loads(answer.read())

    def latency(self, ms: float) -> None:
        """Set the sandbox's latency per request (0: none); checked, since a mistyped spec would measure nothing."""
        spec = f"latency={ms:g}" if ms else "off"
        now = self.control("faults", urllib.parse.urlencode({"spec": spec}).encode())
        if float((now.get("spec") or {}).get("latency_ms", -1)) != float(ms):
            raise SystemExit(f"bench: the sandbox did not take the latency {ms:g} ms: {now}")

    def reset_stats(self) -> None:
        self.control("stats/reset", b"")

    def requests(self) -> dict[str, int]:
        """Requests the sandbox answered since the last reset, per site."""
        return {site: int(s["count"]) for site, s in self.control("stats")["sites"].items()}

    def close(self) -> None:
        if self.child.poll() is None:
            assert self.child.stdin is not None
            self.child.stdin.close()
            try:
                self.child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()

    def __enter__(self) -> Served:
        return self.wait()

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(capacities: int, languages: int, full: bool, latency_ms: float, seed: int) -> None:
    """Child mode: build the sandbox, print one JSON line with its URL, serve until stdin closes."""
    started = time.perf_counter()
    if full:  # the identical deal stays in force: a reset (POST /_sandbox/reset) seeds the same again
        sandbox_seed.deal = _deal_identical  # type: ignore[assignment]
        sb = Sandbox(seed=seed, capacities=capacities, languages=languages, latency_ms=latency_ms,
                     snapshot=full_directory(capacities, languages, seed))
    else:
        sb = Sandbox(seed=seed, capacities=capacities, languages=languages, latency_ms=latency_ms)
    sb.start()
    print(json.dumps({"url": sb.url, "seconds": round(time.perf_counter() - started, 1)}), flush=True)
    sys.stdin.read()
    sb.stop()


class Human:
    """Peer2 editing a sandbox over HTTP, as a translator would (not through capxl10n)."""

    def __init__(self, url: str) -> None:
        import requests
        self.url = url
        self.sessions: dict[str, tuple[Any, str]] = {}
        self._requests = requests

    def _session(self, site: str) -> tuple[Any, str]:
        if site not in self.sessions:
            s = self._requests.Session()
            api = f"{self.url}/{site}/w/api.php"
            token = s.get(api, params={"action": "query", "meta": "tokens", "type": "login",
                                       "format": "json"}).json()["query"]["tokens"]["logintoken"]
            s.post(api, data={"action": "login", "lgname": f"{PEER_USER}@{BOT_NAME}", "lgpassword": PEER_PASSWORD,
                              "lgtoken": token, "format": "json"}).raise_for_status()
            csrf = s.get(api, params={"action": "query", "meta": "tokens", "format": "json"}).json()
            self.sessions[site] = (s, csrf["query"]["tokens"]["csrftoken"])
        return self.sessions[site]

    def translate(self, bundle_page: str, key: TermKey, text: str) -> None:
        """Save a translation unit on Meta-Wiki."""
        s, token = self._session("metawiki")
        answer = s.post(f"{self.url}/metawiki/w/api.php", data={
            "action": "edit", "title": f"Translations:{bundle_page}/{key.message_key}/{key.lang}", "text": text,
            "token": token, "format": "json"}).json()
        if "error" in answer:
            raise SystemExit(f"bench: the human's edit of {key} was refused: {answer['error']}")


def main() -> None:
    parser = argparse.ArgumentParser(description="serve a bench world (child mode of the benchmarks)")
    parser.add_argument("mode", choices=("serve",))
    parser.add_argument("--capacities", type=int, default=300)
    parser.add_argument("--languages", type=int, default=42)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    serve(args.capacities, args.languages, args.full, args.latency, args.seed)


if __name__ == "__main__":
    main()
