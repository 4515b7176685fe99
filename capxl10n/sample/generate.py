"""A realistic, deterministic capacity directory, and a loader for the real extract.

Why: the sandbox, the demo, the tests and the benchmarks all need a directory
shaped like the real one — seven roots, three levels, a few hundred
capacities, forty-odd languages from almost complete to almost empty, fuzzy
translations, right-to-left and CJK scripts, characters outside the BMP, text
at the 250-character limit, and the real data's oddities — without shipping
anyone's real translations. :func:`generate` composes English from word lists
(:mod:`capxl10n.sample.text`) and "translates" it with a per-script cipher
(:mod:`capxl10n.sample.scripts`).

Determinism: everything comes from ``random.Random`` instances seeded from
``seed`` (one for the tree, one per language), never from global state, so
the same arguments always give the same :meth:`Snapshot.dumps` bytes, and a
language's terms do not depend on how many other languages were asked for.

Identity in the sample: synthetic Wikidata QIDs are drawn from
Q1000000–Q99999999 and Metabase item ids from Q100000–Q999999, so code that
confuses the two fails visibly. The loader of the real extract
(:func:`load_real_sample`, placeholder keys by :func:`placeholder_qid`) lives in
:mod:`capxl10n.sample.real` and is re-exported here.
"""
from __future__ import annotations

import heapq
import logging
import os
import random
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from capxl10n.core import langs
from capxl10n.sample import text as words
from capxl10n.errors import CapxError, UsageError
from capxl10n.core.model import DOC_LANGUAGE, FIELDS, SOURCE_LANGUAGE, Capacity, Snapshot, Term, TermKey
from capxl10n.sample.real import (PLACEHOLDER_QID_BASE, is_placeholder_qid, load_real_sample,
                                  placeholder_qid)
from capxl10n.sample.scripts import ALPHABETS, CJK_SCRIPTS, Segments, fit, script_of, segments, translator

log = logging.getLogger(__name__)

__all__ = ["GENERATOR", "MAX_LENGTH", "PLACEHOLDER_QID_BASE", "UI_COMPLETENESS", "UI_LOCALES",
           "available_languages", "generate", "is_placeholder_qid", "load_real_sample", "placeholder_qid",
           "write_snapshot"]

GENERATOR: Final = "capxl10n.sample/1"
MAX_LENGTH: Final = 250  # Wikibase's limit on a label or description, in code points
MAX_CAPACITIES: Final = 100_000
#: The 42 locales of the CapX UI (:func:`capxl10n.core.langs.ui_locales`), in the order small samples take them.
UI_LOCALES: Final[tuple[str, ...]] = (
    "en", "pt-br", "ar", "ja", "de", "zh-hant", "he", "qqq", "fr", "es", "ko", "ru", "skr-arab",
    "zh-hans", "hi", "bn", "it", "nl", "tr", "id", "pt", "uk", "mk", "nb", "pms", "ga", "bcl", "ig",
    "lb", "lt", "vi", "sv", "diq", "gl", "sq", "sh-latn", "sh-cyrl", "sk", "kaa", "sl", "cy", "ce",
)
#: Translated UI keys out of 816 per CapX UI locale (the app's locales, d910aa9e):
#: the shape of each language's coverage in the sample.
UI_COMPLETENESS: Final[dict[str, int]] = {
    "ar": 90, "bcl": 368, "bn": 560, "ce": 6, "cy": 8, "de": 201, "diq": 55, "en": 816, "es": 746,
    "fr": 815, "ga": 815, "gl": 22, "he": 34, "hi": 604, "id": 705, "ig": 365, "it": 719, "ja": 812,
    "kaa": 13, "ko": 815, "lb": 393, "lt": 136, "mk": 557, "nb": 503, "nl": 815, "pms": 806,
    "pt-br": 779, "pt": 779, "qqq": 553, "ru": 498, "sh-cyrl": 13, "sh-latn": 21, "sk": 14,
    "skr-arab": 402, "sl": 9, "sq": 35, "sv": 81, "tr": 807, "uk": 416, "vi": 204, "zh-hans": 319,
    "zh-hant": 815,
}
UI_TOTAL_KEYS: Final = 816


# --------------------------------------------------------------------------- the tree

@dataclass
class _Node:
    qid: str
    item: str
    parent: str | None
    root: str
    depth: int
    label: str | None
    description: str
    code: int = 0


class _Namer:
    """Hands out unique English capacity names composed from the word lists."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.topics = {root: rng.sample(pool, len(pool)) for root, pool in words.TOPICS.items()}
        self.proper = rng.sample(words.PROPER_NAMES, len(words.PROPER_NAMES))

    def _take(self, candidate: str) -> str | None:
        key = candidate.casefold()
        if key in self.used:
            return None
        self.used.add(key)
        return candidate

    def _unique(self, base: str) -> str:
        for _ in range(len(words.QUALIFIERS)):
            name = self._take(f"{base} {self.rng.choice(words.QUALIFIERS)}")
            if name:
                return name
        number = 2
        while True:
            name = self._take(f"{base} ({number})")
            if name:
                return name
            number += 1

    def topic(self, root: str) -> str:
        pool = self.topics[root]
        while pool:
            name = self._take(pool.pop())
            if name:
                return name
        return self._unique(self.rng.choice(words.TOPICS[root]))

    def skill(self, root: str, topic: str) -> str:
        rng = self.rng
        if root in ("technology", "learning") and self.proper and rng.random() < 0.12:
            name = self._take(self.proper.pop())
            if name:
                return name
        for _ in range(12):
            gerund = rng.choice(words.GERUNDS[root])
            if root == "technology" and topic in words.PROTECTED_WORDS and rng.random() < 0.4:
                candidate = f"{topic} {gerund.split()[0].lower()}"  # "Wikidata querying"
            else:
                candidate = f"{gerund} {rng.choice(words.OBJECTS[root])}"
            name = self._take(candidate)
            if name:
                return name
        return self._unique(f"{rng.choice(words.GERUNDS[root])} {rng.choice(words.OBJECTS[root])}")


def _lower_first(name: str) -> str:
    first = name.split(" ", 1)[0]
    if name in words.PROPER_NAMES or first in words.PROTECTED_WORDS or first[:2].isupper():
        return name
    return name[0].lower() + name[1:]


def _describe(rng: random.Random, name: str, depth: int) -> str:
    """One sentence, no final full stop, of a length drawn like the real descriptions'."""
    if name in words.PROPER_NAMES:
        opening = f"Using {name}"
    else:
        openings = words.TOPIC_OPENINGS if depth == 2 else words.OPENINGS
        opening = rng.choice(openings).format(x=_lower_first(name))
    draw = rng.random()
    if draw < 0.06:
        target = rng.randint(36, 70)
    elif draw < 0.16:
        target = rng.randint(236, MAX_LENGTH)
    else:
        target = int(rng.triangular(70, 225, 115))
    pool = [rng.choice(words.CONTEXTS), rng.choice(words.PURPOSES), rng.choice(words.EXTRAS),
            rng.choice(words.CONTEXTS), rng.choice(words.PURPOSES), rng.choice(words.EXTRAS)]
    text = opening
    for clause in pool:
        candidate = f"{text} {clause}"
        if len(candidate) <= target and clause not in text:
            text = candidate
    return fit(text, MAX_LENGTH)


def _shares(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Split ``total`` by ``weights`` (largest remainder), every share at least 0."""
    norm = sum(weights.values())
    exact = {k: total * w / norm for k, w in weights.items()}
    out = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: (out[k] - exact[k], k))[: total - sum(out.values())]:
        out[k] += 1
    return out


def _build_tree(rng: random.Random, count: int) -> list[_Node]:
    """The capacities in code order: roots' subtrees one after another, a few added late."""
    wikidata = rng.sample(range(1_000_000, 100_000_000), count)
    metabase = rng.sample(range(100_000, 1_000_000), count)
    ids = iter(zip(wikidata, metabase))
    namer = _Namer(rng)
    shares = _shares(count - len(words.ROOTS), words.ROOT_WEIGHTS)

    def node(parent: _Node | None, root: str, label: str, description: str) -> _Node:
        wd, mb = next(ids)
        return _Node(f"Q{wd}", f"Q{mb}", parent.qid if parent else None, root,
                     parent.depth + 1 if parent else 1, label, description)

    groups: list[list[_Node]] = []
    for root, root_label in words.ROOTS:
        top = node(None, root, root_label, words.ROOT_DESCRIPTIONS[root])
        group = [top]
        size = shares[root]
        n_topics = min(size, max(1, round(size * 0.38))) if size else 0
        topics = []
        for _ in range(n_topics):
            name = namer.topic(root)
            topics.append(node(top, root, name, _describe(rng, name, 2)))
        hubs = rng.sample(topics, max(1, round(len(topics) * 0.3))) if topics else []
        weights = [rng.paretovariate(1.2) for _ in hubs]
        leaves: dict[str, list[_Node]] = {t.qid: [] for t in topics}
        for hub in (rng.choices(hubs, weights, k=size - n_topics) if hubs else []):
            name = namer.skill(root, hub.label or "")
            leaves[hub.qid].append(node(hub, root, name, _describe(rng, name, 3)))
        for topic in topics:
            group.append(topic)
            group.extend(leaves[topic.qid])
        groups.append(group)
    ordered = [n for g in groups for n in g]
    # Real codes are not grouped by root: a few subtrees were added later.
    late: list[_Node] = []
    movable = [n for n in ordered if n.depth == 2]
    for hub in rng.sample(movable, min(len(movable), max(0, count // 120))):
        late.extend(n for n in ordered if n is hub or n.parent == hub.qid)
    late_ids = {id(n) for n in late}
    for code, n in enumerate([n for n in ordered if id(n) not in late_ids] + late, start=10):
        n.code = code
    return sorted(ordered, key=lambda n: n.code)


# --------------------------------------------------------------------------- languages

def available_languages() -> tuple[str, ...]:
    """Every language the sample may use: the UI locales, then real MediaWiki codes."""
    known = [lang.code for lang in langs.all_languages() if lang.is_translation]
    pool = list(UI_LOCALES)
    seen = set(pool)
    extra = [c for c in words.FALLBACK_LANGUAGES if c in set(known)]
    for code in extra + sorted(known):
        if code not in seen:
            seen.add(code)
            pool.append(code)
    return tuple(pool)


def _script(lang: str) -> str:
    """The script to write ``lang`` in: the language table's BCP 47 script, else ours, else by direction."""
    ours = script_of(lang)
    try:
        row = langs.get(lang)
    except CapxError:
        return ours
    tags = [part for part in row.bcp47.split("-")[1:] if len(part) == 4 and part.istitle()]
    tagged = {"Hani": "Hant"}.get(tags[0], tags[0]) if tags else None
    if tagged and tagged != "Latn" and (tagged in ALPHABETS or tagged in CJK_SCRIPTS):
        return tagged
    if ours == "Latn" and row.direction == "rtl":
        return "Arab"
    return ours


def _coverage(lang: str, rng: random.Random) -> float:
    """Share of the source keys translated: the real UI's shape for its 42 locales."""
    if lang in UI_COMPLETENESS:
        return 0.01 + 0.94 * UI_COMPLETENESS[lang] / UI_TOTAL_KEYS
    return 0.005 + 0.9 * rng.random() ** 3  # the long tail: most languages nearly empty


# --------------------------------------------------------------------------- terms

@dataclass(frozen=True)
class _Source:
    """One English source term, split once into segments for every language's cipher."""

    qid: str
    field: str
    text: str
    depth: int
    segs: Segments
    old: Segments  # the English a fuzzy translation was made from


def _source(qid: str, fld: str, text: str, depth: int) -> _Source:
    return _Source(qid, fld, text, depth, segments(text), segments(_older(text)))


def _older(text: str) -> str:
    """The English a fuzzy translation was made from: the text before its last edit."""
    head, _, _ = text.rpartition(" ")
    return head if len(head) > 3 else f"{text}s"


def _doc(source: _Source, labels: Mapping[str, str]) -> str:
    name = labels.get(source.qid, "this capacity")
    if source.field == "label":
        return f"Name of the capacity “{name}” in the CapX directory, shown as the title of its card."
    return fit(f"Description of the capacity “{name}”, shown under its name; one sentence, no full stop, "
               f"at most {MAX_LENGTH} characters.", MAX_LENGTH)


class _Language:
    """Generates one language's terms from its own random stream."""

    def __init__(self, lang: str, seed: int) -> None:
        self.lang = lang
        self.rng = random.Random(f"{seed}/{lang}")
        self.script = _script(lang)
        self.translate = translator(lang, self.script)
        self.expands = self.script not in CJK_SCRIPTS and self.rng.random() < 0.3
        self.fuzzy_rate = self.rng.uniform(0.01, 0.06)

    def pick(self, sources: list[_Source]) -> list[_Source]:
        rng = self.rng
        coverage = 1.0 if self.lang == SOURCE_LANGUAGE else _coverage(self.lang, rng)
        count = min(len(sources), max(1, round(coverage * len(sources))))
        # Translators start at the top of the tree and with names: lower score first.
        scores = [rng.random() + 0.3 * s.depth + (0.2 if s.field == "description" else 0.0) for s in sources]
        chosen = heapq.nsmallest(count, range(len(sources)), key=scores.__getitem__)
        return [sources[i] for i in sorted(chosen)]

    def terms(self, chosen: list[_Source]) -> dict[tuple[str, str], Term]:
        """Translations of ``chosen``: a few left in English, some longer, some fuzzy.

        Written as one loop with locals: it runs once per term of the whole sample.
        """
        rand = self.rng.random
        translate = self.translate
        latin = self.script == "Latn"
        fuzzy_rate = self.fuzzy_rate
        extras = ([translate(segments(e)) for e in words.EXPANSIONS] if self.expands else [])
        out: dict[tuple[str, str], Term] = {}
        for source in chosen:
            is_label = source.field == "label"
            if rand() < fuzzy_rate:
                text = translate(source.old)
                out[(source.qid, source.field)] = Term(fit(text, MAX_LENGTH), fuzzy=True, side="metawiki")
                continue
            if is_label and latin and rand() < 0.03:
                text = source.text  # left in English by the translator
            else:
                text = translate(source.segs)
                if extras and not is_label and rand() < 0.35:
                    text = fit(f"{text}, {extras[int(rand() * len(extras))]}", MAX_LENGTH)
            out[(source.qid, source.field)] = Term(text, side="sample")
        return out


TermMap = dict[str, dict[tuple[str, str], Term]]


def _enforce_wikibase_rules(terms: TermMap, order: list[str], first: set[str]) -> int:
    """Apply Wikibase's term rules per language; returns how many descriptions were dropped.

    A label must differ from its item's description, and a (label,
    description) pair must be unique among items in one language. The
    cipher makes clashes rare but not impossible; a clash drops the later
    description (as a failed save would leave it). Capacities in ``first``
    (the deliberate quirks) claim their pairs before all others.
    """
    dropped = 0
    ranked = [q for q in order if q in first] + [q for q in order if q not in first]
    for lang, by_key in terms.items():
        pairs: set[tuple[str, str]] = set()
        for qid in ranked:
            label = by_key.get((qid, "label"))
            desc = by_key.get((qid, "description"))
            if label is None or desc is None:
                continue
            pair = (label.normalized, desc.normalized)
            if pair[0] == pair[1] or pair in pairs:
                del by_key[(qid, "description")]
                dropped += 1
                log.debug("sample: dropped %s description of %s (Wikibase term rule)", lang, qid)
                continue
            pairs.add(pair)
    return dropped


@dataclass(frozen=True)
class _Quirks:
    """Where the deliberate oddities went, recorded in the snapshot's meta for tests and demos."""

    no_english_label: str | None
    shared_label: dict[str, Any] | None
    at_limit: dict[str, Any] | None


def _translation_langs(langs: list[str]) -> list[str]:
    return [c for c in langs if c not in (SOURCE_LANGUAGE, DOC_LANGUAGE)]


def _quirk_shared_label(nodes: list[_Node], langs: list[str], terms: TermMap,
                        workers: Mapping[str, _Language]) -> dict[str, Any] | None:
    """Two sibling capacities share one translated label (their descriptions differ)."""
    targets = _translation_langs(langs)
    if not targets:
        return None
    lang = "pt-br" if "pt-br" in targets else targets[0]
    labelled = [n for n in nodes if n.depth > 1 and n.label]
    by_parent: dict[str | None, list[_Node]] = {}
    for n in labelled:
        by_parent.setdefault(n.parent, []).append(n)
    pair = next((kids[:2] for kids in by_parent.values() if len(kids) >= 2), labelled[:2])
    if len(pair) < 2:
        return None
    a, b = pair
    worker = workers[lang]
    by_key = terms[lang]
    label_a = by_key.get((a.qid, "label"))
    if label_a is None or label_a.fuzzy:
        label_a = Term(worker.translate(segments(a.label or "")), side="sample")
    for n in (a, b):
        desc = by_key.get((n.qid, "description"))
        if desc is None or desc.fuzzy:
            by_key[(n.qid, "description")] = Term(worker.translate(segments(n.description)), side="sample")
    by_key[(a.qid, "label")] = label_a
    by_key[(b.qid, "label")] = label_a
    return {"lang": lang, "qids": [a.qid, b.qid], "text": label_a.text}


def _quirk_at_limit(nodes: list[_Node], langs: list[str], terms: TermMap,
                    workers: Mapping[str, _Language], avoid: set[str]) -> dict[str, Any] | None:
    """One description exactly at the limit, ending in a character outside the BMP.

    250 code points, but 251 UTF-16 units: the case where "characters" means
    different things to Wikibase (code points) and to JavaScript.
    """
    targets = _translation_langs(langs)
    if not targets:
        return None
    lang = next((c for c in ("zh-hant", "ja", "zh-hans", "ko") if c in targets), targets[0])
    node = next((n for n in nodes if n.depth > 1 and n.qid not in avoid), None)
    if node is None:
        return None
    worker = workers[lang]
    cjk = worker.script in CJK_SCRIPTS
    mark, sep = ("\U00020BB7", "") if cjk else ("\U0001F30D", " ")
    room = MAX_LENGTH - len(sep) - len(mark)
    parts = [node.description, *words.EXPANSIONS, *words.PURPOSES, *words.CONTEXTS]
    body = ""
    while len(body) <= room:  # every part adds at least one character, so this ends
        for part in parts:
            body = f"{body}{worker.translate(segments(part))}{'' if cjk else ' '}"
            if len(body) > room:
                break
    body = body[:room]
    if body[-1].isspace():
        body = body[:-1] + "…"
    terms[lang][(node.qid, "description")] = Term(body + sep + mark, side="sample")
    return {"lang": lang, "qid": node.qid, "field": "description"}


def generate(capacities: int = 250, languages: int = 42, seed: int = 1) -> Snapshot:
    """A sample directory of ``capacities`` capacities in ``languages`` languages.

    The first 42 languages are the CapX UI locales (English first; ``qqq``,
    message documentation, is one of them and carries documentation text,
    not translations — consumers must skip it as they would on Meta-Wiki).
    Further languages are real MediaWiki codes. ``meta["quirks"]`` says where
    the deliberate oddities are. Deterministic in all three arguments.

    >>> snap = generate(capacities=12, languages=3, seed=7)
    >>> len(snap.capacities), snap.languages()
    (12, ('ar', 'en', 'pt-br'))
    >>> snap.dumps() == generate(capacities=12, languages=3, seed=7).dumps()
    True
    """
    for name, value in (("capacities", capacities), ("languages", languages), ("seed", seed)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise UsageError(f"{name} must be an integer, got {value!r}")
    roots = len(words.ROOTS)
    if not roots <= capacities <= MAX_CAPACITIES:
        raise UsageError(f"capacities must be between {roots} and {MAX_CAPACITIES}, got {capacities}",
                         hint=f"the directory has {roots} roots, so a sample needs at least {roots}")
    pool = available_languages()
    if not 1 <= languages <= len(pool):
        raise UsageError(f"languages must be between 1 and {len(pool)}, got {languages}",
                         hint="the sample knows this many real MediaWiki language codes")
    rng = random.Random(seed)
    nodes = _build_tree(rng, capacities)
    deep = [n for n in nodes if n.depth == 3] or [n for n in nodes if n.depth == 2]
    no_label = rng.choice(deep) if capacities >= 20 else None
    if no_label is not None:
        no_label.label = None
    langs = list(pool[:languages])

    sources: list[_Source] = []
    for n in nodes:
        if n.label is not None:
            sources.append(_source(n.qid, "label", n.label, n.depth))
        sources.append(_source(n.qid, "description", n.description, n.depth))
    labels = {n.qid: n.label for n in nodes if n.label}
    terms: TermMap = {SOURCE_LANGUAGE: {(s.qid, s.field): Term(s.text, side="sample") for s in sources}}
    workers = {lang: _Language(lang, seed) for lang in langs if lang != SOURCE_LANGUAGE}
    for lang, worker in workers.items():
        chosen = worker.pick(sources)
        if lang == DOC_LANGUAGE:
            terms[lang] = {(s.qid, s.field): Term(_doc(s, labels), side="sample") for s in chosen}
        else:
            terms[lang] = worker.terms(chosen)

    shared = _quirk_shared_label(nodes, langs, terms, workers)
    protected = set(shared["qids"]) if shared else set()
    at_limit = _quirk_at_limit(nodes, langs, terms, workers, protected)
    if at_limit:
        protected.add(at_limit["qid"])
    order = [n.qid for n in nodes]
    dropped = _enforce_wikibase_rules(terms, order, protected)
    quirks = _Quirks(no_label.qid if no_label else None, shared, at_limit)
    return _snapshot(nodes, langs, terms, quirks, dropped, (capacities, languages, seed))


def _snapshot(nodes: list[_Node], langs: list[str], terms: TermMap, quirks: _Quirks, dropped: int,
              params: tuple[int, int, int]) -> Snapshot:
    flat: dict[TermKey, Term] = {}
    fuzzy = identical = 0
    english = terms[SOURCE_LANGUAGE]
    # Built in the Snapshot's own order (QID number, field, language): its sort is then linear.
    per_key: dict[tuple[str, str], list[tuple[str, Term]]] = {}
    for lang, by_key in sorted(terms.items()):
        for key, term in by_key.items():
            per_key.setdefault(key, []).append((lang, term))
    for node in sorted(nodes, key=lambda n: int(n.qid[1:])):
        for fld in FIELDS:
            source = english.get((node.qid, fld))
            for lang, term in per_key.get((node.qid, fld), ()):
                flat[TermKey(node.qid, fld, lang)] = term
                fuzzy += term.fuzzy
                if source is not None and lang != SOURCE_LANGUAGE and lang != DOC_LANGUAGE:
                    identical += source.text == term.text
    meta: dict[str, Any] = {
        "generator": GENERATOR,
        "params": {"capacities": params[0], "languages": params[1], "seed": params[2]},
        "languages": sorted(langs),
        "roots": {n.root: n.qid for n in nodes if n.depth == 1},
        "quirks": {
            "no_english_label": quirks.no_english_label,
            "shared_label": quirks.shared_label,
            "at_limit": quirks.at_limit,
            "fuzzy_terms": fuzzy,
            "identical_to_english": identical,
            "descriptions_dropped_by_wikibase_rules": dropped,
        },
    }
    if DOC_LANGUAGE in langs:
        meta["documentation_language"] = DOC_LANGUAGE
    caps = tuple(Capacity(n.qid, item=n.item, parent=n.parent, root=n.root, code=str(n.code)) for n in nodes)
    return Snapshot(side="sample", capacities=caps, terms=flat, meta=meta)


# --------------------------------------------------------------------------- writing

def write_snapshot(snapshot: Snapshot, path: str | os.PathLike[str]) -> Path:
    """Write ``snapshot.dumps()`` to ``path`` atomically (temp file in the same dir, then rename).

    A reader never sees a half-written file, and a crash leaves the old one.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(snapshot.dumps())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target
