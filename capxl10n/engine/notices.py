"""Notices that repeat unchanged from run to run (languages Metabase does not accept, say).

A maintainer reads such a notice once; repeated on every hourly run it only buries what is new.
The state remembers what each notice last said (``meta`` key ``notice:<name>``): a notice whose
content is unchanged is *repeated*, and the CLI shows it again only with ``-v``. A changed one
(another language refused, or none any more) is shown again, once.
"""
from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any, Protocol

#: The notes of a plan or a pull that are notices of this kind.
NOTICES = ("unaccepted_languages",)


class MetaStore(Protocol):
    def get_meta(self, key: str, default: str | None = None) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...


def _key(name: str) -> str:
    return f"notice:{name}"


def _canonical(value: Any) -> str:
    return json.dumps(sorted(value) if isinstance(value, (list, tuple, set, frozenset)) else value,
                      ensure_ascii=False, sort_keys=True)


def repeated_notices(store: MetaStore, notes: Mapping[str, Any], *, remember: bool = True,
                     names: Collection[str] = NOTICES) -> frozenset[str]:
    """The notices in ``notes`` that say what they said last time; with ``remember`` the state learns
    what they say now (a dry run compares only: it records nothing but the read cache)."""
    same = set()
    for name in names:
        value = notes.get(name) or []
        now = _canonical(value)
        before = store.get_meta(_key(name))
        if value and before == now:
            same.add(name)
        if remember and before != now:
            store.set_meta(_key(name), now)
    return frozenset(same)
