"""Contract: every recording in translate-responses/ replayed against the sandbox has the same shape.

Each recording's ``_case`` says which request the real Translate REL1_39 answered;
the replay below makes the same request on a fresh small sandbox (setting up the
state the recording needed first) and compares normalised shapes with
tests/plugins/contract.py. Writes that the real recording made as a plain user
(``watched`` in the answer) are replayed as Peer2. Recordings that cannot be
replayed are listed in NOT_REPLAYED with the reason; a guard test fails when a
recording is in neither list.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from capxl10n.sandbox.server import BOT_PASSWORD, PEER_PASSWORD, Sandbox
from plugins.common import SHARED
from plugins.contract import SandboxCaller, compare, formatversion_of, load_recording

BUNDLE = "Module:CapacityExchange/capacities.json"
GROUP = f"messagebundle-{BUNDLE}"
RECORDINGS = SHARED / "reference" / "translate-responses"
MC_PROPS = ("definition", "translation", "tags", "revision", "properties")

#: recordings that are not replayed, with the reason (anything else must have a case)
NOT_REPLAYED = {
    "export-po-ar": "Special:ExportTranslations (index.php, a .po body): not an API answer; the sandbox has no index.php",
    "export-po-pt-br": "Special:ExportTranslations (index.php, a .po body): not an API answer; the sandbox has no index.php",
    "jobs-manual-before-runjobs": "needs MW_PEER_JOBS=manual: the sandbox runs Translate's jobs at once "
                                  "(docs/sandbox.md, knowingly not imitated)",
    "mc-new-bundle-before-jobs": "needs MW_PEER_JOBS=manual: a new bundle's group exists at once in the sandbox "
                                 "(docs/sandbox.md, knowingly not imitated)",
    "messagegroupstats-uncomputed": "needs stats rows deleted by hand from translate_groupstats; the sandbox "
                                    "computes a missing language on the first request, as this case's "
                                    "continuation (mgsoffset) shows",
}


class Client(SandboxCaller):
    """A requests client for Meta-Wiki on a sandbox (formatversion chosen per recording)."""

    def get(self, **params: Any) -> requests.Response:
        return self.call("GET", **params)

    def login(self, who: str = "bot") -> Client:
        name, password = (("CapxBot@capxl10n", BOT_PASSWORD) if who == "bot" else
                          ("Peer2@capxl10n", PEER_PASSWORD))
        token = self.get(action="query", meta="tokens", type="login").json()["query"]["tokens"]["logintoken"]
        assert self.call("POST", action="login", lgname=name, lgpassword=password,
                         lgtoken=token).json()["login"]["result"] == "Success"
        return self

    def edit(self, title: str, text: str, **params: Any) -> requests.Response:
        token = self.get(action="query", meta="tokens").json()["query"]["tokens"]["csrftoken"]
        return self.call("POST", action="edit", title=title, text=text, token=token, **params)

    # -- the seeded Translate state ---------------------------------------------
    @property
    def tr(self) -> Any:
        return self.sb.site("metawiki").translate  # type: ignore[attr-defined]

    def keys(self, lang: str, state: str) -> list[str]:
        """Bundle keys whose unit in ``lang`` is ``translated``, ``fuzzy`` or ``missing``."""
        group = self.tr.groups[BUNDLE]
        out = []
        for key in group.messages:
            page = self.tr.unit_page(group, key, lang)
            got = "missing" if page is None else "fuzzy" if self.tr.is_fuzzy(page) else "translated"
            if got == state:
                out.append(key)
        assert out, f"the seed has no {state} unit in {lang}"
        return out

    def unit(self, key: str, lang: str) -> str:
        return f"Translations:{BUNDLE}/{key}/{lang}"

    def bundle(self) -> dict[str, Any]:
        return dict(json.loads(self.sb.site("metawiki").wiki.page(BUNDLE).text))

    def save_bundle(self, data: Any, title: str = BUNDLE, **params: Any) -> requests.Response:
        return self.edit(title, json.dumps(data, ensure_ascii=False, indent="\t"), **params)

    def mc(self, rec: dict[str, Any], **params: Any) -> requests.Response:
        """list=messagecollection with the mcprop the recording shows (inferred from its entries)."""
        entries = rec["response"].get("query", {}).get("messagecollection") or []
        props = [p for p in MC_PROPS if any(p in e for e in entries)]
        base: dict[str, Any] = {"action": "query", "list": "messagecollection", "mcgroup": GROUP,
                                "mclanguage": "pt-br"}
        if props:
            base["mcprop"] = "|".join(props)
        return self.get(**{**base, **params})

    def revisions(self, title: str, **params: Any) -> requests.Response:
        params.setdefault("rvprop", "ids|timestamp|user|comment|content|tags")
        return self.get(action="query", prop="revisions", titles=title, rvslots="main", **params)


Case = Callable[[Client, dict[str, Any]], requests.Response]


# -- bundle edits ------------------------------------------------------------------
def _bundle_with(change: Callable[[dict[str, Any]], Any]) -> Case:
    def run(c: Client, rec: dict[str, Any]) -> requests.Response:
        data = c.bundle()
        result = change(data)
        return c.login("peer2").save_bundle(data if result is None else result)
    return run


def _add_key(c: Client, rec: dict[str, Any]) -> requests.Response:
    data = c.bundle()
    data.update({"Q5-label": "five", "Q5-description": "the fifth"})
    return c.login("peer2").save_bundle(data)


def _english_change(c: Client) -> str:
    key = c.keys("pt-br", "translated")[0]
    data = c.bundle()
    data[key] = data[key] + " (changed)"
    c.login("peer2").save_bundle(data)
    return key


def _remove_key(c: Client) -> str:
    key = c.keys("pt-br", "translated")[1]
    data = c.bundle()
    del data[key]
    c.login("peer2").save_bundle(data)
    return key


def _new_bundle(title: str, messages: dict[str, str], **params: Any) -> Case:
    def run(c: Client, rec: dict[str, Any]) -> requests.Response:
        c.login("peer2")
        return c.save_bundle({"@metadata": {"sourceLanguage": "en"}, **messages}, title=title, createonly="1",
                             **params)
    return run


def _large(c: Client, n: int = 12) -> str:
    """A second bundle with ``n`` keys, half translated into pt-br (the real one had 600)."""
    title = "Module:CapacityExchange/large.json"
    messages = {f"Q{1000 + i}-{part}": f"capacity {i} {part}" for i in range(n // 2) for part in ("label", "description")}
    c.login("bot")
    assert c.save_bundle({"@metadata": {"sourceLanguage": "en"}, **messages}, title=title,
                         contentmodel="translate-messagebundle").json()["edit"]["result"] == "Success"
    for i in range(n // 2):
        c.edit(f"Translations:{title}/Q{1000 + i}-label/pt-br", f"capacidade {i}")
    return f"messagebundle-{title}"


def _large_mc(**params: Any) -> Case:
    def run(c: Client, rec: dict[str, Any]) -> requests.Response:
        group = _large(c)
        if params.get("page2"):
            first = Client(c.sb, c.fv).mc(rec, mcgroup=group, mclimit=8).json()
            return Client(c.sb, c.fv).mc(rec, mcgroup=group, mclimit=8, **first["continue"])
        return Client(c.sb, c.fv).mc(rec, mcgroup=group, **params)
    return run


# -- unit edits ----------------------------------------------------------------------
def _conflict(base: str) -> Case:
    def run(c: Client, rec: dict[str, Any]) -> requests.Response:
        title = c.unit(c.keys("pt-br", "translated")[0], "pt-br")
        page = c.sb.site("metawiki").wiki.page(title)
        revid, ts = page.latest.revid, page.latest.timestamp
        assert "edit" in Client(c.sb, c.fv).login("peer2").edit(title, "por Peer2").json()
        guard = {"baserevid": revid} if base == "rev" else {"basetimestamp": ts}
        return c.login("bot").edit(title, "pelo bot", **guard)
    return run


def _fuzzy_marker_save(c: Client) -> str:
    title = c.unit(c.keys("pt-br", "translated")[0], "pt-br")
    assert "edit" in c.login("peer2").edit(title, "!!FUZZY!!estrutura da organização").json()
    return title


def _unfuzzy(c: Client) -> str:
    title = _fuzzy_marker_save(c)
    assert "edit" in c.edit(title, "estrutura organizacional").json()
    return title


def _same_text_over_fuzzy(c: Client) -> requests.Response:
    title = c.unit(c.keys("pt-br", "fuzzy")[0], "pt-br")
    return c.login("peer2").edit(title, c.sb.site("metawiki").wiki.page(title).text)


def _qqq(c: Client) -> requests.Response:
    return c.login("peer2").edit(c.unit(c.keys("qqq", "missing")[0], "qqq"), "Doc with ~~~~")


def _en_edit(c: Client) -> requests.Response:
    return c.login("peer2").edit(c.unit(c.keys("pt-br", "translated")[0], "en"), "changed")


def _signature(c: Client) -> requests.Response:
    return c.login("peer2").edit(c.unit(c.keys("pt-br", "translated")[0], "pt-br"),
                                 "Assinado ~~~~ {{subst:CURRENTYEAR}}")


def _review(c: Client, rec: dict[str, Any]) -> requests.Response:
    title = c.unit(c.keys("pt-br", "translated")[0], "pt-br")
    revid = Client(c.sb, c.fv).login("peer2").edit(title, "revisão de Peer2").json()["edit"]["newrevid"]
    c.login("bot")
    token = c.get(action="query", meta="tokens").json()["query"]["tokens"]["csrftoken"]
    return c.call("POST", action="translationreview", revision=revid, token=token)


def _mt(c: Client, key: str, code: str | None = None) -> requests.Response:
    title = f"Translations:{BUNDLE}/{key}" + (f"/{code}" if code else "")
    return c.get(action="query", meta="messagetranslations", mttitle=title)


def _stats(c: Client, **params: Any) -> requests.Response:
    return c.get(action="query", meta="messagegroupstats", mgsgroup=GROUP, **params)


CASES: dict[str, Case] = {
    # bundle edits and their read-backs
    "bundle-read": lambda c, r: c.revisions(BUNDLE),
    "bundle-add-key": _add_key,
    "bundle-add-key-mc": lambda c, r: (_add_key(c, r), c.mc(r))[1],
    "bundle-create-api": _new_bundle("Module:CapacityExchange/large.json", {"Q1-label": "one", "Q1-description": "1"},
                                     contentmodel="translate-messagebundle"),
    "bundle-create-wrong-model": _new_bundle("Module:CapacityExchange/plain.json", {"Q1-label": "one"}),
    "bundle-empty-value": _bundle_with(lambda d: d.update({"Q1-label": ""})),
    "bundle-invalid-json": lambda c, r: c.login("peer2").edit(BUNDLE, "{not json"),
    "bundle-invalid-key": _bundle_with(lambda d: d.update({"Q1 label": "x"})),
    "bundle-list-not-object": _bundle_with(lambda d: list(d.values())),
    "bundle-metadata-label": _bundle_with(lambda d: d.setdefault("@metadata", {}).update({"label": "x"})),
    "bundle-metadata-sourcelanguage-change": _bundle_with(
        lambda d: d.setdefault("@metadata", {}).update({"sourceLanguage": "pt-br"})),
    "bundle-nonstring-value": _bundle_with(lambda d: d.update({"Q1-label": 5})),
    "bundle-edit-english-change": lambda c, r: _bundle_with(
        lambda d: d.update({c.keys("pt-br", "translated")[0]: "communications"}))(c, r),
    "bundle-edit-english-change-en-history": lambda c, r: c.revisions(
        c.unit(_english_change(c), "en"), rvlimit=5),
    "bundle-edit-english-change-mc-pt-br": lambda c, r: c.mc(
        r, mcoffset=f"{BUNDLE}/{_english_change(c)}", mclimit=1),
    "bundle-edit-english-change-mt": lambda c, r: _mt(c, _english_change(c)),
    "bundle-edit-english-change-qqq": lambda c, r: (
        c.login("peer2").edit(c.unit(c.keys("pt-br", "translated")[0], "qqq"), "Documentation."),
        c.mc(r, mclanguage="qqq", mcoffset=f"{BUNDLE}/{_english_change(c)}", mclimit=1))[1],
    "bundle-remove-key": lambda c, r: _bundle_with(lambda d: d.pop(c.keys("pt-br", "translated")[1]) and None)(c, r),
    "bundle-remove-key-mc": lambda c, r: (_remove_key(c), c.mc(r, mclimit=2))[1],
    "bundle-remove-key-mt": lambda c, r: _mt(c, _remove_key(c)),
    "bundle-remove-key-orphan-unit": lambda c, r: c.revisions(c.unit(_remove_key(c), "pt-br")),
    # unit edits
    "edit-unit-anon": lambda c, r: c.edit(c.unit(c.keys("pt-br", "translated")[0], "pt-br"), "x"),
    "edit-unit-bad-language": lambda c, r: c.login("peer2").edit(c.unit(c.keys("pt-br", "translated")[0],
                                                                        "xx-bogus"), "x"),
    "edit-unit-conflict-baserevid": _conflict("rev"),
    "edit-unit-conflict-basetimestamp": _conflict("ts"),
    "edit-unit-en": lambda c, r: _en_edit(c),
    "edit-unit-en-readback-mc": lambda c, r: (_en_edit(c), c.mc(r, mclanguage="en", mclimit=3))[1],
    "edit-unit-fuzzy-marker": lambda c, r: c.login("peer2").edit(c.unit(c.keys("pt-br", "translated")[0], "pt-br"),
                                                                 "!!FUZZY!!estrutura da organização"),
    "edit-unit-fuzzy-marker-readback-mc": lambda c, r: (_fuzzy_marker_save(c), c.mc(r, mcfilter="fuzzy"))[1],
    "edit-unit-fuzzy-marker-readback-mt": lambda c, r: c.get(
        action="query", meta="messagetranslations", mttitle=_fuzzy_marker_save(c).rsplit("/", 1)[0]),
    "edit-unit-fuzzy-marker-readback-raw": lambda c, r: c.revisions(_fuzzy_marker_save(c)),
    "edit-unit-plain": lambda c, r: c.login("peer2").edit(c.unit(c.keys("pt-br", "translated")[0], "pt-br"),
                                                          "estrutura organizacional nova"),
    "edit-unit-qqq": lambda c, r: _qqq(c),
    "edit-unit-qqq-readback": lambda c, r: (_qqq(c), c.revisions(c.unit(c.keys("qqq", "translated")[0], "qqq")))[1],
    "edit-unit-same-text-over-fuzzy-tag": lambda c, r: _same_text_over_fuzzy(c),
    "edit-unit-same-text-over-fuzzy-tag-readback": lambda c, r: (_same_text_over_fuzzy(c),
                                                                 c.mc(r, mcfilter="fuzzy"))[1],
    "edit-unit-signature": lambda c, r: _signature(c),
    "edit-unit-signature-readback": lambda c, r: (_signature(c), c.revisions(
        c.unit(c.keys("pt-br", "translated")[0], "pt-br")))[1],
    "edit-unit-translationreview": _review,
    "edit-unit-unfuzzy-plain": lambda c, r: (_fuzzy_marker_save(c), c.edit(
        c.unit(c.keys("pt-br", "fuzzy")[0], "pt-br"), "estrutura organizacional"))[1],
    "edit-unit-unfuzzy-readback-mc": lambda c, r: (_unfuzzy(c), c.mc(r, mcfilter="fuzzy"))[1],
    "edit-unit-unknown-key": lambda c, r: c.login("peer2").edit(c.unit("Q999-label", "pt-br"), "x"),
    "jobs-manual-after-runjobs": lambda c, r: c.mc(r, mcoffset=f"{BUNDLE}/{_english_change(c)}", mclimit=1),
    # list=messagecollection
    "mc-all-props-fv1": lambda c, r: c.mc(r, mclimit=3),
    "mc-all-props-fv2": lambda c, r: c.mc(r, mclimit=3),
    "mc-ar-rtl-fuzzy-marker": lambda c, r: (
        Client(c.sb, c.fv).login("peer2").edit(c.unit(c.keys("ar", "missing")[0], "ar"), "!!FUZZY!!قدرة"),
        c.mc(r, mclanguage="ar", mclimit=5))[1],
    "mc-bad-language": lambda c, r: c.mc(r, mclanguage="xx-notalang"),
    "mc-continue-page2": lambda c, r: c.mc(r, mclimit=3, **c.mc(r, mclimit=3).json()["continue"]),
    "mc-default-props": lambda c, r: c.get(action="query", list="messagecollection", mcgroup=GROUP,
                                           mclanguage="pt-br", mclimit=3),
    "mc-filter-changed": lambda c, r: c.mc(r, mcfilter="changed", mcprop="translation|tags|properties"),
    "mc-filter-fuzzy": lambda c, r: c.mc(r, mcfilter="fuzzy"),
    "mc-filter-hastranslation": lambda c, r: c.mc(r, mcfilter="hastranslation"),
    "mc-filter-invalid": lambda c, r: c.mc(r, mcfilter="bogus"),
    "mc-filter-not-hastranslation": lambda c, r: c.mc(r, mcfilter="!hastranslation"),
    "mc-filter-not-translated": lambda c, r: c.mc(r, mcfilter="!translated"),
    "mc-filter-translated": lambda c, r: c.mc(r, mcfilter="translated"),
    "mc-generator": lambda c, r: c.get(action="query", generator="messagecollection", gmcgroup=GROUP,
                                       gmclanguage="pt-br", gmclimit=2, prop="info"),
    "mc-large-default-limit": _large_mc(mclimit=4),
    "mc-large-limit-max-anon": _large_mc(mclimit="max"),
    "mc-large-limit-over-max": _large_mc(mclimit=6000),
    "mc-large-page2": _large_mc(page2=True),
    "mc-new-bundle-after-jobs": lambda c, r: (
        _new_bundle("Module:CapacityExchange/new.json", {"Q1-label": "one", "Q1-description": "1"},
                    contentmodel="translate-messagebundle")(c, r),
        c.mc(r, mcgroup="messagebundle-Module:CapacityExchange/new.json"))[1],
    "mc-no-group": lambda c, r: c.get(action="query", list="messagecollection"),
    "mc-numeric-offset": lambda c, r: c.mc(r, mclimit=2, mcoffset=len(c.bundle()) - 3),
    "mc-qqq": lambda c, r: (c.login("peer2").edit(c.unit(c.keys("qqq", "missing")[0], "qqq"), "Documentation."),
                            c.mc(r, mclanguage="qqq", mclimit=4))[1],
    "mc-source-language": lambda c, r: c.mc(r, mclanguage="en", mclimit=2),
    "mc-unknown-group": lambda c, r: c.get(action="query", list="messagecollection", mcgroup="messagebundle-Nope"),
    "mc-uppercase-language": lambda c, r: c.mc(r, mclanguage="pt-BR"),
    # meta modules
    "messagegroups": lambda c, r: c.get(action="query", meta="messagegroups"),
    "messagegroups-filter-allprops": lambda c, r: c.get(
        action="query", meta="messagegroups", mgfilter="messagebundle-*",
        mgprop="id|label|description|class|namespace|exists|icon|priority|prioritylangs|priorityforce|"
               "workflowstates|sourcelanguage"),
    "messagegroupstats": lambda c, r: _stats(c),
    "messagegroupstats-after-english-change": lambda c, r: (_english_change(c), _stats(c))[1],
    "messagegroupstats-after-rebuild": lambda c, r: (_english_change(c), _stats(c), _stats(c))[2],
    "messagegroupstats-large-new": lambda c, r: c.get(action="query", meta="messagegroupstats",
                                                      mgsgroup=_large(c)),
    "messagegroupstats-suppress": lambda c, r: _stats(c, mgssuppressempty=1, mgssuppresscomplete=1),
    "messagetranslations": lambda c, r: _mt(c, c.keys("pt-br", "fuzzy")[0]),
    "messagetranslations-unknown": lambda c, r: _mt(c, "Q999-label"),
    "messagetranslations-with-code": lambda c, r: _mt(c, c.keys("pt-br", "fuzzy")[0], "pt-br"),
    # recent changes in the Translations namespace
    "recentchanges-1198": lambda c, r: c.get(action="query", list="recentchanges", rcnamespace=1198, rclimit=8,
                                             rcprop="title|ids|user|comment|flags|tags|timestamp|sizes"),
    "recentchanges-1198-nobot": lambda c, r: c.get(action="query", list="recentchanges", rcnamespace=1198,
                                                   rcshow="!bot", rclimit=3, rcprop="title|ids|user|flags|tags"),
}


def recordings() -> list[Path]:
    return sorted(RECORDINGS.glob("*.json")) if RECORDINGS.is_dir() else []


@pytest.mark.parametrize("path", recordings(), ids=lambda p: p.stem)
def test_every_recording_is_replayed_or_excused(path: Path) -> None:
    assert path.stem in CASES or path.stem in NOT_REPLAYED, \
        f"{path.name}: add a replay to CASES or a reason to NOT_REPLAYED"
    assert not (path.stem in CASES and path.stem in NOT_REPLAYED), f"{path.name} is both replayed and excused"


def test_lists_name_only_existing_recordings() -> None:
    names = {p.stem for p in recordings()}
    if not names:
        pytest.skip(f"no recordings in {RECORDINGS}")
    assert set(CASES) - names == set(), "replays of recordings that do not exist"
    assert set(NOT_REPLAYED) - names == set(), "excuses for recordings that do not exist"


@pytest.mark.parametrize("name", sorted(CASES))
def test_sandbox_matches_recording(name: str, sandbox_factory: Callable[..., Sandbox], reference_dir: Path) -> None:
    path = reference_dir / "translate-responses" / f"{name}.json"
    if not path.is_file():
        pytest.skip(f"no recording {path}")
    recording = load_recording(path)
    sb = sandbox_factory(capacities=8, languages=6, start=False)
    client = Client(sb, formatversion_of(recording))
    response = CASES[name](client, recording)
    problems = compare(recording, response.status_code, response.headers, response.json())
    assert not problems, f"{name}: {recording['_case']}\n" + "\n".join(problems)
