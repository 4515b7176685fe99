"""One error hierarchy for the whole tool; the CLI maps it to exit codes in one place.

Every error carries a message naming the problem and, where we know it, a
hint saying how to fix it. Messages never contain secrets: anything that
might (a remote answer, a URL with credentials) goes through :func:`redact`.

    CapxError                      exit 1 unless stated
    ├── UsageError                 exit 2  bad option or argument
    │   └── UnknownLanguage        exit 2  a language code we do not know
    ├── Interrupted                exit 5  Ctrl-C or SIGTERM: stopped at a safe point
    ├── ConfigError                        profile file or environment
    ├── DataError                          a malformed snapshot, plan or catalog input
    ├── CatalogError                       catalogs cannot be written or are not ours
    ├── StateError                         state file corrupt, foreign or newer
    └── RemoteError                        a wiki refused or could not be reached; exit 5 when
        │                                  ``transient`` (retried until the budget ran out: try again later)
        ├── NetworkError                   unreachable host, timeout, 5xx after retries
        ├── NotJSONError                   an HTML/anti-bot/maintenance page instead of JSON
        ├── AuthError                      login failed, assert failed, missing credentials
        ├── BadTokenError                  badtoken after one refresh
        ├── MaxlagError / RateLimitedError retried until the budget ran out
        ├── ReadOnlyError, PermissionDeniedError
        ├── EditConflictError              the target moved under us
        └── ValidationError                Wikibase/Translate refused the value itself
"""
from __future__ import annotations

import re
from typing import Any, Final

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_CONFLICTS: Final = 3
EXIT_PENDING: Final = 4
EXIT_PARTIAL: Final = 5

_SECRETS: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so :func:`redact` removes it from any text we print or store."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """Remove registered secrets and password-looking parameters from ``text``."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return re.sub(r"(?i)((?:lg)?password|lgtoken|token)=([^&\s]+)", r"\1=***", text)


class CapxError(Exception):
    """Base of every error capxl10n raises on purpose."""

    exit_code: int = EXIT_ERROR

    def __init__(self, message: str, *, hint: str | None = None, **data: Any) -> None:
        self.message = redact(message)
        self.hint = redact(hint) if hint else None
        self.data = data
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": type(self).__name__, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        return out


class UsageError(CapxError):
    exit_code = EXIT_USAGE


class UnknownLanguage(UsageError):
    def __init__(self, code: str, suggestions: list[str] | tuple[str, ...] = ()) -> None:
        hint = f"closest known codes: {', '.join(suggestions)}" if suggestions else \
            "run `capxl10n languages` for the list of known codes"
        super().__init__(f"unknown language code {code!r}", hint=hint, code=code)
        self.code = code
        self.suggestions = tuple(suggestions)


class Interrupted(CapxError):
    """A maintainer (Ctrl-C) or a scheduler (SIGTERM) asked the run to stop; it stopped at a safe point.

    Exit 5, as a partly done apply: the next run resumes. ``phase`` says where it stopped
    (``read``, ``plan``, ``apply``); nothing is lost either way (docs/sync.md, "Interruptions").
    """

    exit_code = EXIT_PARTIAL

    def __init__(self, signal_name: str, phase: str, message: str | None = None, **data: Any) -> None:
        super().__init__(message or f"interrupted by {signal_name} while {phase_doing(phase)}",
                         hint="run the same command again: the next run resumes", **data)
        self.signal_name = signal_name
        self.phase = phase


def phase_doing(phase: str) -> str:
    """``read`` → "reading": how messages name a phase of a run."""
    return {"read": "reading", "plan": "planning", "apply": "writing", "recover": "recovering",
            "catalogs": "building the catalogs"}.get(phase, phase)


class ConfigError(CapxError):
    pass


class DataError(CapxError):
    pass


class CatalogError(CapxError):
    pass


class BundleMissing(CapxError):
    """The bundle page is gone from Meta-Wiki though its keys were agreed: somebody deleted it. Making it
    anew would put every key back (Translate outdates every translation of a key put back), so a human
    decides: restore the page, or let the next sync make it anew (``--recreate-bundle``)."""


class StateError(CapxError):
    pass


class RemoteError(CapxError):
    """A wiki refused a request or could not be reached.

    ``code`` is the API error code where there is one (``badtoken``,
    ``modification-failed``…), ``site`` the profile's site name, ``term`` the
    term key the request was about (if any).

    ``transient``: the wiki asked us to wait or did not answer (maxlag, rate limits, read-only,
    5xx, timeouts, dropped connections, HTML pages) for longer than the retry budget. Nothing
    is wrong with the set-up, so the run ends with exit 5 ("try again later") in whatever phase
    it was, never with 1 ("alert a maintainer").
    """

    def __init__(self, message: str, *, code: str | None = None, site: str | None = None,
                 term: Any = None, hint: str | None = None, transient: bool = False, **data: Any) -> None:
        self.code = code
        self.site = site
        self.term = term
        self.transient = transient
        prefix = f"{site}: " if site else ""
        super().__init__(prefix + message, hint=hint, **data)

    @property
    def transient(self) -> bool:
        return self.exit_code == EXIT_PARTIAL

    @transient.setter
    def transient(self, value: bool) -> None:
        self.exit_code = EXIT_PARTIAL if value else type(self).exit_code

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        if self.code:
            out["code"] = self.code
        if self.site:
            out["site"] = self.site
        if self.term is not None:
            out["term"] = str(self.term)
        if self.transient:
            out["transient"] = True
        return out


class NetworkError(RemoteError):
    pass


class NotJSONError(RemoteError):
    pass


class AuthError(RemoteError):
    pass


class BadTokenError(RemoteError):
    pass


class MaxlagError(RemoteError):
    pass


class RateLimitedError(RemoteError):
    pass


class ReadOnlyError(RemoteError):
    pass


class PermissionDeniedError(RemoteError):
    pass


class EditConflictError(RemoteError):
    pass


class ValidationError(RemoteError):
    """The remote refused the value itself (too long, label = description, duplicate pair…)."""

    def __init__(self, message: str, *, messages: list[str] | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.messages = list(messages or [])
