"""Wikidata client: batched reads, `mul` as a marked fallback, missing items."""
from __future__ import annotations

from dataclasses import replace

from plugins.fake_transport import Call, Reply, Sleeper, api_error, fake_session, reply

from capxl10n.wikis.http import ApiClient
from capxl10n.wikis.wikidata import WikidataClient
from capxl10n.core.model import TermKey
from capxl10n.profile import Pacing, load_profile


def entity(qid: str, labels: dict[str, str], descriptions: dict[str, str] | None = None) -> dict:
    return {"type": "item", "id": qid, "lastrevid": 99, "modified": "2026-01-01T00:00:00Z",
            "labels": {k: {"language": k, "value": v} for k, v in labels.items()},
            "descriptions": {k: {"language": k, "value": v} for k, v in (descriptions or {}).items()}}


class FakeWikidata:
    def __init__(self, entities: dict[str, dict]) -> None:
        self.entities = entities
        self.calls: list[Call] = []

    def __call__(self, call: Call) -> Reply:
        self.calls.append(call)
        ids = call.values("ids")
        if len(ids) > 50:
            return api_error("toomanyvalues", "Too many values supplied for parameter \"ids\".")
        wanted = set(call.values("languages")) or None
        out = {}
        for qid in ids:
            if qid not in self.entities:
                out[qid] = {"id": qid, "missing": ""}
                continue
            ent = dict(self.entities[qid])
            if wanted:
                for part in ("labels", "descriptions"):
                    ent[part] = {k: v for k, v in ent[part].items() if k in wanted}
            out[qid] = ent
        return reply({"entities": out, "success": 1})


def make(fake):
    profile = load_profile("sandbox").rebase("http://wiki.test")
    profile = replace(profile, pacing=Pacing(max_attempts=2))
    session, _ = fake_session(fake)
    sleeper = Sleeper()
    api = ApiClient(profile.wikidata, profile, session=session, sleep=sleeper, clock=sleeper.clock)
    return WikidataClient(api, profile.wikidata), api


def test_mul_fills_languages_without_their_own_label_and_is_marked():
    fake = FakeWikidata({"Q42": entity("Q42", {"mul": "Douglas Adams", "de": "Douglas Adams (de)"},
                                       {"en": "English writer"})})
    client, _ = make(fake)
    snap, cursor = client.read_terms(["Q42"], languages=["de", "pt-br", "en"])
    assert snap.get(TermKey("Q42", "label", "de")).text == "Douglas Adams (de)"
    filled = snap.get(TermKey("Q42", "label", "pt-br"))
    assert filled.text == "Douglas Adams" and filled.author == "mul" and filled.side == "wikidata"
    assert "Q42/label/pt-br" in cursor.from_mul and "Q42/label/de" not in cursor.from_mul
    assert cursor.languages == ("de", "pt-br", "en")
    assert snap.get(TermKey("Q42", "description", "pt-br")) is None  # no mul description: nothing invented
    assert snap.get(TermKey("Q42", "description", "en")).text == "English writer"
    assert "mul" in fake.calls[0].values("languages")


def test_batches_of_fifty_and_missing_items():
    entities = {f"Q{n}": entity(f"Q{n}", {"en": f"concept {n}"}) for n in range(1, 121)}
    fake = FakeWikidata(entities)
    client, api = make(fake)
    snap, _ = client.read_terms([*entities, "Q999999", "not-a-qid"])
    assert api.requests_made == 3 and all(len(c.values("ids")) <= 50 for c in fake.calls)
    assert len(snap.terms) == 120 and snap.get(TermKey("Q999999", "label", "en")) is None
    assert [c.qid for c in snap.capacities][:3] == ["Q1", "Q2", "Q3"]


def test_nothing_to_read_makes_no_request():
    client, api = make(FakeWikidata({}))
    assert client.read_terms([])[0].terms == {} and api.requests_made == 0
