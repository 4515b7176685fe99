"""Options shared by several commands, checked while the command line is parsed (nothing read or written).

``--lang``: an unknown code is a usage error (exit 2) naming the option and the closest known codes,
so ``conflicts --lang xx`` never answers "no conflicts" for a language that does not exist, and
``conflicts export --lang xx`` never writes an empty file.
"""
from __future__ import annotations

from typing import Any, TypeVar

import click

from capxl10n.errors import UnknownLanguage, UsageError

V = TypeVar("V")


def check_language(option: str, code: str) -> str:
    """``code`` when the language table knows it; otherwise a usage error naming ``option``."""
    from capxl10n.core import langs

    try:
        langs.get(code)
    except UnknownLanguage as exc:
        raise UsageError(f"{option}: {exc.message}", hint=exc.hint, code=code) from None
    return code


def known_language(ctx: click.Context, param: click.Parameter, value: V) -> V:
    """A click callback for ``--lang``: one code, a repeated option's codes, or nothing."""
    option = f"--{(param.name or 'lang').replace('_', '-')}" if not param.opts else param.opts[0]
    if value is None:
        return value
    codes: Any = (value,) if isinstance(value, str) else value
    for code in codes:
        check_language(option, code)
    return value
