"""Who is credited as a translator in a catalog file (``# Author:`` lines, banana ``@metadata.authors``).

Pure. A file credits the people whose text it holds: the ``author`` of each
term written (Translate's ``last-translator-text``, a Metabase revision's
user). Accounts that only carry other people's text are left out: FuzzyBot
(Translate's own bot, which Translate's export leaves out too) and the names
a build is given (the profile's bot accounts, whose edits copy a
translator's text from one wiki to the other).

Names are compared the way MediaWiki compares user names (``_`` is a space,
the first letter is upper case) and a bot-password login ``User@app`` is the
user ``User`` (MediaWiki refuses ``@`` in user names); names are written in
that form. The list is sorted
by code point (Translate sorts with PHP's ``ksort``, the same order for
ordinary names) and has no duplicates, so the bytes of a file change only
when the set of people does.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Final

#: Translate's bot: it writes ``/en`` units and outdates translations, never translates.
ALWAYS_EXCLUDED: Final = ("FuzzyBot",)


def user_key(name: str) -> str:
    """The form MediaWiki compares user names in; a bot-password login ``User@app`` is ``User``."""
    name = name.split("@", 1)[0] if "@" in name else name
    name = " ".join(name.replace("_", " ").split())
    return name[:1].upper() + name[1:]


def credited(authors: Iterable[str | None], exclude: Iterable[str] = ()) -> list[str]:
    """The names to credit: blank names, FuzzyBot and ``exclude`` left out; sorted; one per person.

    >>> credited(["Peer2", "Admin", None, "FuzzyBot", "CapxBot", "Admin", "peer2"], ["CapxBot@capxl10n"])
    ['Admin', 'Peer2']
    """
    skip = {user_key(name) for name in (*ALWAYS_EXCLUDED, *exclude) if name and name.strip()}
    return sorted({key for key in (user_key(raw) for raw in authors if raw and raw.strip())
                   if key not in skip})


__all__ = ["ALWAYS_EXCLUDED", "credited", "user_key"]
