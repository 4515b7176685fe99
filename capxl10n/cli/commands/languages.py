"""``capxl10n languages``: print the language table (all, the UI locales, or given codes)."""
from __future__ import annotations

import csv
import io

import click

from capxl10n.core import langs
from capxl10n.cli.main import Env, emit_json, format_option, pass_env

COLUMNS = ("code", "bcp47", "gettext", "wikibase", "direction", "nplurals", "name", "autonym", "fallbacks")


def select_languages(codes: tuple[str, ...], ui: bool) -> tuple[langs.Language, ...]:
    """The rows to show: the given codes (in that order), else the UI locales, else all."""
    if codes:
        return tuple(langs.get(code) for code in codes)
    if ui:
        return tuple(langs.get(code) for code in langs.ui_locales())
    return langs.all_languages()


def _cells(lang: langs.Language) -> dict[str, str]:
    return {"code": lang.code, "bcp47": lang.bcp47, "gettext": lang.gettext, "wikibase": lang.wikibase or "",
            "direction": lang.direction, "nplurals": str(lang.nplurals), "name": lang.name,
            "autonym": lang.autonym, "fallbacks": " ".join(lang.fallbacks)}


def render_table(rows: tuple[langs.Language, ...]) -> str:
    cells = [_cells(lang) for lang in rows]
    widths = {col: max([len(col), *(len(c[col]) for c in cells)]) for col in COLUMNS}
    lines = ["  ".join(col.ljust(widths[col]) for col in COLUMNS).rstrip()]
    lines += ["  ".join(c[col].ljust(widths[col]) for col in COLUMNS).rstrip() for c in cells]
    return "\n".join(lines)


def render_markdown(rows: tuple[langs.Language, ...]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for lang in rows:
        cells = _cells(lang)
        lines.append("| " + " | ".join(cells[col].replace("|", "\\|") for col in COLUMNS) + " |")
    return "\n".join(lines)


def render_csv(rows: tuple[langs.Language, ...]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*COLUMNS, "plural_forms"], lineterminator="\n")
    writer.writeheader()
    for lang in rows:
        writer.writerow({**_cells(lang), "plural_forms": lang.plural_forms})
    return out.getvalue().rstrip("\n")


@click.command("languages")
@click.argument("codes", nargs=-1)
@click.option("--ui", is_flag=True, help="Only the 42 locales the CapX UI ships.")
@format_option()
@pass_env
def languages(env: Env, codes: tuple[str, ...], ui: bool) -> None:
    """Show the language table: MediaWiki code, BCP 47, gettext name, Wikibase code,
    direction, plural forms, names and fallback chain.

    CODES are MediaWiki codes (lowercase, e.g. pt-br sr-ec); an unknown code exits 2.
    """
    rows = select_languages(codes, ui)
    if env.output_format == "json":
        emit_json([lang.to_json() for lang in rows])
    elif env.output_format == "csv":
        click.echo(render_csv(rows))
    elif env.output_format == "markdown":
        click.echo(render_markdown(rows))
    else:
        click.echo(render_table(rows))
