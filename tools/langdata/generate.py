#!/usr/bin/env python3
"""Build ``capxl10n/core/langdata.py`` (the language table) from recorded sources.

Two steps, so the package never reads anything outside itself at run time:

``refresh``  records the sources into ``tools/langdata/sources.json``:
             MediaWiki's own ``meta=languageinfo`` (code, BCP 47, direction,
             autonym, fallback chain) from a real MediaWiki (the loopback
             peer, see shared/reference/mediawiki-peer.md), the English names
             written as comments in MediaWiki's ``Names.php``, Wikibase's term
             languages (``wbcontentlanguages-term.json``) and Translate's
             ``data/plural-gettext.txt``.
``build``    turns ``sources.json`` + :data:`overrides.OVERRIDES` + Babel's CLDR
             data into ``capxl10n/core/langdata.py`` (deterministic output).

    python tools/langdata/generate.py refresh --api "$MW_PEER_API" \\
        --names /usr/share/mediawiki/includes/languages/data/Names.php \\
        --wikibase ../shared/reference/wikibase-responses/wbcontentlanguages-term.json \\
        --plurals /tmp/peer-tw/extensions/Translate/data/plural-gettext.txt
    python tools/langdata/generate.py build

Every decision that is not read from a source is in ``overrides.py`` with the
reason, and listed in docs/languages.md.
"""
from __future__ import annotations

import argparse
import json
import pprint
import re
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.plural import to_gettext
from gettext import c2py

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SOURCES = HERE / "sources.json"
TARGET = REPO / "capxl10n" / "core" / "langdata.py"
sys.path.insert(0, str(HERE))

from overrides import (  # noqa: E402
    ENGLISH_NAMES, EXTRA_CODES, GETTEXT_PLURAL_DEFAULT, OVERRIDES, UNVERIFIED_WIKIBASE,
)

EN = Locale("en")


# ---------------------------------------------------------------- refresh
def _languageinfo(api: str) -> dict[str, Any]:
    info: dict[str, Any] = {}
    cont: dict[str, str] = {}
    while True:
        query = {"action": "query", "meta": "languageinfo", "licode": "*", "format": "json",
                 "formatversion": "2", "liprop": "code|bcp47|dir|autonym|fallbacks", **cont}
        with urllib.request.urlopen(f"{api}?{urllib.parse.urlencode(query)}", timeout=60) as answer:
            data = json.load(answer)
        info.update(data["query"]["languageinfo"])
        if "continue" not in data:
            return info
        cont = data["continue"]


def _siteversion(api: str) -> str:
    query = {"action": "query", "meta": "siteinfo", "format": "json", "formatversion": "2"}
    with urllib.request.urlopen(f"{api}?{urllib.parse.urlencode(query)}", timeout=60) as answer:
        return str(json.load(answer)["query"]["general"]["generator"])


_NAMES_LINE = re.compile(r"^\s*'([a-z0-9-]+)'\s*=>\s*'(?:[^'\\]|\\.)*',\s*#\s*(.*)$")


def _english_comments(names_php: Path) -> dict[str, str]:
    out = {}
    for line in names_php.read_text(encoding="utf-8").splitlines():
        match = _NAMES_LINE.match(line)
        if match:
            out[match.group(1)] = match.group(2).strip()
    return out


def refresh(args: argparse.Namespace) -> None:
    wikibase = json.loads(Path(args.wikibase).read_text(encoding="utf-8"))
    terms = wikibase["response"]["query"]["wbcontentlanguages"]
    plurals = {}
    for line in Path(args.plurals).read_text(encoding="utf-8").splitlines():
        if line.strip():
            code, rule = line.split("\t", 1)
            plurals[code] = rule.strip()
    sources = {
        "mediawiki": _siteversion(args.api),
        "languageinfo": dict(sorted(_languageinfo(args.api).items())),
        "names_comments": dict(sorted(_english_comments(Path(args.names)).items())),
        "wikibase_terms": {code: terms[code].get("name") or terms[code].get("autonym")
                           for code in sorted(terms)},
        "translate_plurals": dict(sorted(plurals.items())),
    }
    SOURCES.write_text(json.dumps(sources, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {SOURCES}: {len(sources['languageinfo'])} MediaWiki codes, "
          f"{len(terms)} Wikibase term codes, {len(plurals)} Translate plural rules")


# ---------------------------------------------------------------- build
def mediawiki_bcp47(code: str) -> str:
    """MediaWiki's LanguageCode::bcp47() casing rules (without its code mappings)."""
    parts = code.lower().split("-")
    out = [parts[0]]
    for i, seg in enumerate(parts[1:], start=1):
        if parts[i - 1] == "x":
            out.append(seg)
        elif len(seg) == 2:
            out.append(seg.upper())
        elif len(seg) == 4:
            out.append(seg.title())
        else:
            out.append(seg)
    return "-".join(out)


def gettext_name(bcp47: str) -> str:
    """The gettext locale directory for a BCP 47 tag: CLDR/Babel/Django style.

    Language, ``_Script``, ``_REGION`` as Babel and Django spell them
    (``pt_BR``, ``zh_Hans``, ``sr_Cyrl``, ``zh_Hant_HK``); whatever else the tag
    carries (variants, extlangs, private use) becomes a glibc ``@modifier``
    (``de@formal``, ``be@tarask``), so no distinction MediaWiki makes is lost.
    """
    parts = bcp47.split("-")
    out = parts[0].lower()
    mods: list[str] = []
    private = False
    for seg in parts[1:]:
        if private:
            mods.append(seg.lower())
        elif seg.lower() == "x":
            private = True
        elif len(seg) == 4 and seg.isalpha() and not mods:
            out += "_" + seg.title()
        elif ((len(seg) == 2 and seg.isalpha()) or (len(seg) == 3 and seg.isdigit())) and not mods:
            out += "_" + seg.upper()
        else:
            mods.append(seg.lower())
    return out + ("@" + "_".join(mods) if mods else "")


def _babel_key(bcp47: str) -> str | None:
    parts = bcp47.split("-")
    if any(len(p) not in (2, 3, 4) or p.lower() == "x" for p in parts[1:]):
        return None
    return "_".join(parts)


def babel_english_name(bcp47: str) -> str | None:
    """English name from CLDR: a whole-tag name ('Brazilian Portuguese') or composed."""
    key = _babel_key(bcp47)
    if key is None:
        return None
    if key in EN.languages:
        return EN.languages[key]
    lang, *rest = key.split("_")
    base = EN.languages.get(lang)
    if base is None:
        return None
    details = []
    for sub in rest:
        name = EN.scripts.get(sub) if len(sub) == 4 else EN.territories.get(sub)
        if name is None:
            return None
        details.append(name)
    return f"{base} ({', '.join(details)})" if details else base


def babel_locale(bcp47: str) -> Locale | None:
    key = _babel_key(bcp47)
    if key is None:
        return None
    try:
        loc = Locale.parse(key)
    except (UnknownLocaleError, ValueError):
        return None
    return loc if loc.language == key.split("_")[0] else None


def clean_comment(text: str) -> str:
    text = re.sub(r"[,;]?\s*-?\s*\bT\d+\b.*$", "", text)
    text = re.sub(r"\s*\((?:[^()]*\b(?:code|deprecated|ISO|falls back|multiple scripts|default)\b[^()]*)\)", "",
                  text, flags=re.I)
    text = re.sub(r"\s*--.*$", "", text)
    text = re.sub(r"\s*\([^()]*'[^()]*\)", "", text)  # ('jv-x-bms')
    text = text.split(". ")[0]
    return text.strip(" ,;-") or text


def plural_rule(code: str, bcp47: str, plurals: dict[str, str]) -> tuple[str, str]:
    """(rule, where it came from). Translate's table first: it is what Translate exports."""
    if code in plurals:
        return plurals[code], "translate"
    base = code.split("-")[0]
    if base in plurals:
        return plurals[base], f"translate:{base}"
    for tag in (bcp47, bcp47.split("-")[0]):
        loc = babel_locale(tag)
        if loc is not None:
            rule = cldr_gettext_rule(loc)
            if rule is not None:
                return rule, "cldr"
    return GETTEXT_PLURAL_DEFAULT, "default"


def cldr_gettext_rule(loc: Locale) -> str | None:
    """Babel's gettext rendering of the CLDR rule, made valid for gettext.

    CLDR rules may test the compact exponent ``e`` (French "many" for 1e6);
    gettext knows only ``n``, and for a plain integer ``e`` is 0. A rule that
    still does not compile is dropped.
    """
    rule = re.sub(r"\be\b", "0", to_gettext(loc.plural_form))
    head, _, expr = rule.partition(";")
    expr = expr.strip()
    try:
        nplurals = int(head.split("=", 1)[1])
        function = c2py(expr[len("plural="):].rstrip(";"))
        if not all(0 <= function(n) < nplurals for n in range(0, 1001)):
            return None
    except (ValueError, IndexError, SyntaxError):
        return None
    return rule


def build(_args: argparse.Namespace) -> None:
    src = json.loads(SOURCES.read_text(encoding="utf-8"))
    info: dict[str, Any] = src["languageinfo"]
    comments: dict[str, str] = src["names_comments"]
    terms: dict[str, str] = src["wikibase_terms"]
    plurals: dict[str, str] = src["translate_plurals"]

    codes = sorted(set(info) | set(terms) | set(EXTRA_CODES) | set(OVERRIDES))
    codes = [c for c in codes if c != "qqx"]  # MediaWiki's debug pseudo-language
    rows: dict[str, dict[str, Any]] = {}
    for code in codes:
        mw = info.get(code, {})
        extra = EXTRA_CODES.get(code, {})
        bcp47 = mw.get("bcp47") or extra.get("bcp47") or mediawiki_bcp47(code)
        loc = babel_locale(bcp47)
        direction = mw.get("dir") or ("rtl" if loc is not None and loc.character_order == "right-to-left" else "ltr")
        autonym = mw.get("autonym") or terms.get(code) or extra.get("autonym") or ""
        name = (babel_english_name(bcp47) or (clean_comment(comments[code]) if code in comments else None)
                or extra.get("name") or ENGLISH_NAMES.get(code) or autonym)
        rule, rule_source = plural_rule(code, bcp47, plurals)
        row = {
            "code": code, "bcp47": bcp47, "wikibase": code if code in terms else None,
            "direction": direction, "plural_forms": rule, "name": name, "autonym": autonym or name,
            "fallbacks": tuple(mw.get("fallbacks") or extra.get("fallbacks") or ()),
            "sources": {"mediawiki": code in info, "wikibase": code in terms, "plural": rule_source},
        }
        for key, value in OVERRIDES.get(code, {}).items():
            if key != "why":
                row[key] = tuple(value) if key == "fallbacks" else value
        if code in OVERRIDES:
            row["sources"]["override"] = sorted(k for k in OVERRIDES[code] if k != "why")
        rows[code] = row

    # One BCP 47 tag per code: an alias code whose MediaWiki tag is another
    # code's own tag (als -> gsw, eml -> egl, be-x-old -> be-tarask...) keeps
    # a tag of its own, its code cased the BCP 47 way.
    owners: dict[str, str] = {}
    for code, row in rows.items():
        if mediawiki_bcp47(code).lower() == row["bcp47"].lower():
            owners[row["bcp47"].lower()] = code
    for code, row in rows.items():
        owner = owners.get(row["bcp47"].lower())
        if owner is not None and owner != code:
            row["sources"]["alias_of"] = owner
            row["bcp47"] = mediawiki_bcp47(code)
    for row in rows.values():
        row["gettext"] = row.get("gettext") or gettext_name(row["bcp47"])
        if row["code"] in UNVERIFIED_WIKIBASE:
            row["wikibase"] = None

    for field in ("bcp47", "gettext"):
        seen: dict[str, str] = {}
        for code, row in rows.items():
            key = row[field].lower()
            if key in seen:
                raise SystemExit(f"{field} {row[field]!r} of {code} is also that of {seen[key]}: add an override")
            seen[key] = code
    write(rows, src["mediawiki"], Path(getattr(_args, "out", None) or TARGET))


HEADER = '''"""The language table's data. GENERATED by tools/langdata/generate.py: do not edit.

Sources: {mediawiki} (meta=languageinfo: codes, BCP 47, direction, autonyms,
fallbacks; Names.php comments: English names where CLDR has none), Wikibase
REL1_39 term languages (wbcontentlanguages), Translate REL1_39
data/plural-gettext.txt, Babel {babel} (CLDR) for English names and other plural
rules, and tools/langdata/overrides.py (see docs/languages.md).

Each row: (code, bcp47, gettext, wikibase, direction, plural_forms, name, autonym, fallbacks).
"""
from __future__ import annotations

from typing import Final

MEDIAWIKI_VERSION: Final = {mediawiki!r}

ROWS: Final[tuple[tuple[str, str, str, str | None, str, str, str, str, tuple[str, ...]], ...]] = (
'''


def write(rows: dict[str, dict[str, Any]], mediawiki: str, target: Path = TARGET) -> None:
    import babel

    lines = [HEADER.format(mediawiki=mediawiki, babel=babel.__version__)]
    for code in sorted(rows):
        r = rows[code]
        item = (r["code"], r["bcp47"], r["gettext"], r["wikibase"], r["direction"], r["plural_forms"],
                r["name"], r["autonym"], tuple(r["fallbacks"]))
        lines.append("    " + pprint.pformat(item, width=10_000, sort_dicts=False) + ",\n")
    lines.append(")\n\n#: Where each value came from, for docs and tests (not used at run time).\n")
    provenance = {code: rows[code]["sources"] for code in sorted(rows)}
    lines.append("PROVENANCE: Final[dict[str, dict[str, object]]] = "
                 + pprint.pformat(provenance, width=110, sort_dicts=True) + "\n")
    target.write_text("".join(lines), encoding="utf-8")
    print(f"wrote {target}: {len(rows)} languages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="step", required=True)
    ref = sub.add_parser("refresh")
    ref.add_argument("--api", required=True)
    ref.add_argument("--names", required=True)
    ref.add_argument("--wikibase", required=True)
    ref.add_argument("--plurals", required=True)
    bld = sub.add_parser("build")
    bld.add_argument("--out", help="write here instead of capxl10n/core/langdata.py (to check it is up to date)")
    args = parser.parse_args()
    refresh(args) if args.step == "refresh" else build(args)


if __name__ == "__main__":
    main()
