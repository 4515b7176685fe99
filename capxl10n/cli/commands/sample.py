"""CLI command ``capxl10n sample``: write a sample snapshot (generated, or the real extract converted).

Thin: parses options, calls :func:`capxl10n.sample.generate.generate` or
:func:`capxl10n.sample.generate.load_real_sample`, writes atomically, reports a summary.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from capxl10n.cli.main import Env, emit_json, pass_env
from capxl10n.core.model import DOC_LANGUAGE, SOURCE_LANGUAGE, Snapshot


def summary(snapshot: Snapshot, output: str) -> dict[str, object]:
    """What was written, for the table or JSON rendering."""
    langs = snapshot.languages()
    return {
        "output": output,
        "capacities": len(snapshot.capacities),
        "languages": len(langs),
        "translation_languages": len([c for c in langs if c not in (SOURCE_LANGUAGE, DOC_LANGUAGE)]),
        "terms": len(snapshot.terms),
        "fuzzy": sum(1 for t in snapshot.terms.values() if t.fuzzy),
        "fingerprint": snapshot.fingerprint(),
    }


@click.command("sample")
@click.option("-o", "--output", required=True, metavar="PATH",
              help="Snapshot JSON to write ('-' for standard output).")
@click.option("--capacities", "-n", type=click.IntRange(1), default=250, show_default=True,
              help="Number of capacities (7 roots included).")
@click.option("--languages", "-l", type=click.IntRange(1), default=42, show_default=True,
              help="Number of languages: the 42 CapX UI locales first, then real MediaWiki codes.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same bytes.")
@click.option("--real", "real", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Convert the real extract (capacities-sample.json) instead of generating.")
@pass_env
def sample(env: Env, output: str, capacities: int, languages: int, seed: int, real: Path | None) -> None:
    """Write a realistic sample capacity directory as a snapshot JSON file.

    Generated samples are deterministic (same options, same bytes) and carry
    RTL, CJK and non-BMP text, fuzzy translations and the real directory's
    quirks. With --real, the real extract is converted instead (capacities
    without a Wikidata QID get placeholder keys Q900000000+code).
    """
    from capxl10n.sample.generate import generate, load_real_sample, write_snapshot

    snapshot = load_real_sample(real) if real is not None else generate(capacities, languages, seed)
    if output == "-":
        sys.stdout.write(snapshot.dumps())
        sys.stdout.flush()
        env.echo(f"sample: {len(snapshot.capacities)} capacities, {len(snapshot.terms)} terms", err=True)
        return
    path = write_snapshot(snapshot, output)
    info = summary(snapshot, str(path))
    if env.output_format == "json":
        emit_json(info)
    else:
        env.echo("\n".join(f"{key:<22} {value}" for key, value in info.items()))
