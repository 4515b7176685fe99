"""One API call and its parameter helpers, mirroring MediaWiki's ParamValidator.

Why apart: every module reads its parameters through these helpers, so their
errors (``missingparam``, ``badinteger``, ``toomanyvalues``, ``badvalue``…),
warnings and the "unrecognized parameter" bookkeeping are the same everywhere.
"""
from __future__ import annotations

import builtins
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from capxl10n.sandbox.api.errors import ANON_RIGHTS, MAIN_PARAMS, ApiError, plain, unsupported

if TYPE_CHECKING:  # pragma: no cover
    from capxl10n.sandbox.api.site import Site
    from capxl10n.sandbox.store.wiki import Session, User


#: What WebRequest replaces and ParamValidator warns about (``apiwarn-badutf8``): C0 controls but HT, LF, CR.
_C0 = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
BADUTF8_TEXT = ('The value passed for "{name}" contains invalid or non-normalized data. Textual data should be '
                "valid, NFC-normalized Unicode without C0 control characters other than HT (\\t), LF (\\n), and "
                "CR (\\r).")


@dataclass
class ApiWarning:
    """One warning: the module that gave it, its English text, its code, ``data``, and its message
    (``key``/``params``: what ``errorformat=raw`` shows)."""

    module: str
    text: str
    code: str = "warning"
    data: dict[str, Any] | None = None
    key: str | None = None
    params: list[Any] = field(default_factory=list)


def clean_value(raw: str) -> str:
    """A parameter value as WebRequest hands it to the API: C0 controls → U+FFFD, then NFC."""
    return unicodedata.normalize("NFC", _C0.sub("\ufffd", raw))


class ApiRequest:
    """One API call: merged GET+POST parameters, the session and user, and helpers.

    ``module`` is the name used in warnings and errors (``main``, ``edit``,
    ``query+allpages`` style names go to stats; warnings use the bare name).
    Values that are not NFC or hold C0 controls are cleaned as WebRequest does, and the
    module that reads one warns (``badutf8``), as ParamValidator does; ``raw_params`` keeps
    what was sent.
    """

    def __init__(self, site: Site, params: Mapping[str, str], *, method: str = "GET",
                 query_params: Iterable[str] = (), session: Session | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.site = site
        self.raw_params = dict(params)
        self.params = {name: clean_value(value) for name, value in self.raw_params.items()}
        self._dirty = {name for name, value in self.params.items() if value != self.raw_params[name]}
        self.method = method.upper()
        self.query_params = frozenset(query_params)
        self.session = session
        self.headers = dict(headers or {})
        self.user: User | None = session.user if session is not None else None
        self.formatversion = 1
        self.errorformat = "bc"
        self.module = "main"
        self.used: set[str] = set(MAIN_PARAMS)
        self.warnings: list[ApiWarning] = []
        self.continuation: dict[str, dict[str, str]] = {}
        self.generator_continuation: dict[str, str] = {}
        self.limits: dict[str, int] = {}
        #: keys a generator adds to ``query`` itself (Translate's ``metadata``)
        self.query_data: dict[str, Any] = {}
        self.response_headers: dict[str, str] = {}
        self.stats_module = "main"
        #: the pages named by titles/pageids/revids, for a generator that reads them (generator=templates)
        self.input_pages: list[Any] = []

    # -- rendering helpers --------------------------------------------------
    @property
    def fv2(self) -> bool:
        return self.formatversion >= 2

    def text_key(self, named: str) -> str:
        """``"*"`` under formatversion 1, ``named`` under 2 (``content``, ``translation``…)."""
        return named if self.fv2 else "*"

    def bool(self, value: bool) -> Any:
        """A BC boolean: ``""``/absent under fv1 is handled by the core; use in data as is."""
        return value

    # -- rights -------------------------------------------------------------
    @property
    def user_name(self) -> str:
        return self.user.name if self.user is not None else "127.0.0.1"

    def has_right(self, right: str) -> builtins.bool:
        if self.user is None:
            return right in ANON_RIGHTS
        return right in self.user.rights

    @property
    def high_limits(self) -> builtins.bool:
        return self.has_right("apihighlimits")

    # -- warnings -----------------------------------------------------------
    def warn(self, module: str, text: str, code: str = "warning", data: dict[str, Any] | None = None, *,
             key: str | None = None, params: list[Any] | None = None) -> None:
        self.warnings.append(ApiWarning(module, text, code, data, key or f"apiwarn-{code}", list(params or [])))

    # -- parameters ---------------------------------------------------------
    def _use(self, name: str) -> None:
        """Mark a parameter read; the first read of a cleaned value warns for the reading module."""
        self.used.add(name)
        if name in self._dirty:
            self._dirty.discard(name)
            self.warn(self.module, BADUTF8_TEXT.format(name=name), "badutf8", key="apiwarn-badutf8", params=[name])

    def has(self, name: str) -> builtins.bool:
        self._use(name)
        return name in self.params

    def get(self, name: str, default: str | None = None) -> str | None:
        self._use(name)
        return self.params.get(name, default)

    def require(self, name: str) -> str:
        self._use(name)
        value = self.params.get(name)
        if value is None:
            raise ApiError("missingparam", f'The "{name}" parameter must be set.', module=self.module,
                           key="paramvalidator-missingparam", params=plain(name))
        return value

    def flag(self, name: str) -> builtins.bool:
        """MediaWiki booleans: present means true, whatever the value (even "0" or "false")."""
        self._use(name)
        return name in self.params

    def unsupported(self, *names: str, allowed: Iterable[str | None] = ()) -> None:
        """Refuse, as ``sandbox-unsupported``, a real parameter of this module the sandbox does not implement
        (unless its value is one of ``allowed``, which the sandbox does honour): never accepted and dropped."""
        harmless = set(allowed)
        for name in names:
            self._use(name)
            if name in self.params and self.params[name] not in harmless:
                raise unsupported(f'the parameter "{name}" of module "{self.module}"', self.module)

    def int(self, name: str, default: int | None = None, min: int | None = None,
            max: int | None = None, *, limits: tuple[builtins.int, builtins.int] | None = None) -> int | None:
        """An integer parameter; out of range it is clamped with ParamValidator's ``outofrange`` warning
        (``limits``: a limit parameter's ``max``/``highmax``, reported in the warning's data)."""
        self._use(name)
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise ApiError("badinteger", f'Invalid value "{raw}" for integer parameter "{name}".',
                           module=self.module, key="paramvalidator-badinteger", params=plain(name, raw)) from None
        if (min is not None and value < min) or (max is not None and value > max):
            clamped = value if min is None or value >= min else min
            clamped = clamped if max is None or clamped <= max else max
            data: dict[str, Any] = {}
            if min is not None and max is not None:
                text = f'The value "{raw}" for parameter "{name}" must be between {min} and {max}.'
                key, params = "paramvalidator-outofrange-minmax", [*plain(name, raw), {"num": min}, {"num": max}]
                data = {"min": min, "curmax": max}
            elif min is not None:
                text = f'The value "{raw}" for parameter "{name}" must be no less than {min}.'
                key, params, data = "paramvalidator-outofrange-min", [*plain(name, raw), {"num": min}], {"min": min}
            else:
                text = f'The value "{raw}" for parameter "{name}" must be no greater than {max}.'
                key, params, data = "paramvalidator-outofrange-max", [*plain(name, raw), {"num": max}], {"max": max}
            if limits is not None:
                data.update({"max": limits[0], "highmax": limits[1]})
            self.warn(self.module, text, "outofrange", data, key=key, params=params)
            value = clamped
        return value

    def limit(self, name: str, default: builtins.int = 10, max: builtins.int = 500,
              high_max: builtins.int | None = 5000, module: str | None = None) -> builtins.int:
        """A ``*limit`` parameter: "max" means the caller's maximum (reported under ``limits``)."""
        top = high_max if (high_max is not None and self.high_limits) else max
        raw = self.get(name)
        if raw == "max":
            self.limits[module or self.module] = top
            return top
        value = self.int(name, default, 1, top, limits=(max, high_max if high_max is not None else max))
        return default if value is None else value

    def timestamp(self, name: str) -> str | None:
        """A timestamp parameter (ISO 8601 or ``YYYYMMDDHHMMSS``); ``badtimestamp`` when unparseable."""
        self._use(name)
        raw = self.params.get(name)
        if raw is None or raw == "":
            return raw
        from capxl10n.sandbox.store.wiki import parse_ts

        try:
            parse_ts(raw)
        except ValueError:
            raise ApiError("badtimestamp", f'Invalid value "{raw}" for timestamp parameter "{name}".',
                           module=self.module, key="paramvalidator-badtimestamp", params=plain(name, raw)) from None
        return raw

    def deprecated(self, module: str, text: str, feature: str, *, key: str | None = None,
                   params: list[Any] | None = None) -> None:
        """A deprecation warning plus ApiMain's one ``deprecation-help`` warning on ``main``."""
        self.warn(module, text, "deprecation", {"feature": feature}, key=key, params=params)
        if not any(w.code == "deprecation-help" for w in self.warnings):
            self.warn("main", "Subscribe to the mediawiki-api-announce mailing list at "
                      "<https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/> "
                      "for notice of API deprecations and breaking changes.", "deprecation-help",
                      key="api-usage-mailinglist-ref")

    def enum(self, name: str, allowed: Iterable[str], default: str | None = None) -> str | None:
        self._use(name)
        raw = self.params.get(name)
        if raw is None:
            return default
        choices = list(allowed)
        if raw not in set(choices):
            raise bad_value(name, raw, choices, self.module)
        return raw

    def multi(self, name: str, allowed: Iterable[str] | None = None, limit: builtins.int = 50,
              high_limit: builtins.int = 500, default: Iterable[str] | None = None,
              module: str | None = None) -> list[str]:
        """A multi-value parameter (``a|b`` or ``\\x1fa\\x1fb``); unknown values warn and are dropped."""
        self._use(name)
        raw = self.params.get(name)
        if raw is None:
            return list(default or [])
        if raw == "":
            return []
        values = raw[1:].split("\x1f") if raw.startswith("\x1f") else raw.split("|")
        top = high_limit if self.high_limits else limit
        if len(values) > top:
            # REL1_39's ParamValidator data: limit, lowlimit, highlimit (no "parameter" key)
            raise ApiError("toomanyvalues",
                           f'Too many values supplied for parameter "{name}". The limit is {top}.',
                           data={"limit": top, "lowlimit": limit, "highlimit": high_limit},
                           module=self.module, key="paramvalidator-toomanyvalues",
                           params=[*plain(name), {"num": top}])
        if allowed is None:
            return values
        allowed_set = set(allowed)
        good = [v for v in values if v in allowed_set]
        bad = [v for v in values if v not in allowed_set]
        if bad:
            if len(bad) == 1:
                text = f'Unrecognized value for parameter "{name}": {bad[0]}'
            else:
                text = f'Unrecognized values for parameter "{name}": {", ".join(bad)}'
            self.warn(module or self.module, text, "unrecognizedvalues", {"values": bad},
                      key="paramvalidator-unrecognizedvalues",
                      params=[*plain(name, raw), {"list": plain(*bad), "type": "comma"}, {"num": len(bad)}])
        seen: list[str] = []
        for value in good:
            if value not in seen:
                seen.append(value)
        return seen

    # -- checks -------------------------------------------------------------
    def require_token(self, kind: str = "csrf") -> None:
        """Token check as ApiMain: missing → ``missingparam``, in the URL → ``mustpostparams``, wrong → ``badtoken``."""
        self._use("token")
        if "token" in self.query_params:
            raise ApiError("mustpostparams",
                           "The following parameter was found in the query string, but must be in the POST "
                           "body: token.", module=self.module)
        token = self.params.get("token")
        if token is None:
            raise ApiError("missingparam", 'The "token" parameter must be set.', module=self.module,
                           key="paramvalidator-missingparam", params=plain("token"))
        expected = self.expected_token(kind)
        if token != expected or self.site.faults.force_badtoken(self):
            info = "Invalid CSRF token." if kind == "csrf" else "Invalid token."
            raise ApiError("badtoken", info, module=self.module)

    def expected_token(self, kind: str) -> str:
        if self.session is None:
            return "+\\"
        if kind == "login":
            return self.session.login_token
        if self.user is None:
            return "+\\"
        return self.session.csrf_token

    def query_pages(self) -> list[Any]:
        """The page set a prop-like generator works on (the query's titles, pageids or revids)."""
        return list(self.input_pages)

    def module_path(self, name: str | None = None) -> str:
        """A module's path as non-bc errors and warnings name it: ``query+allpages`` for a query submodule."""
        name = name or self.module
        site = self.site
        if name in ("main", "query") or name in site.actions:
            return name
        if any(name in handlers for handlers in site.queries.values()):
            return f"query+{name}"
        return name

    def continue_with(self, values: Mapping[str, Any], *, generator: builtins.bool = False) -> None:
        """Ask the client to come back with these parameters (a module's continuation)."""
        rendered = {k: str(v) for k, v in values.items()}
        if generator:
            self.generator_continuation.update(rendered)
        else:
            self.continuation.setdefault(self.module, {}).update(rendered)


def bad_value(name: str, raw: str, choices: list[str], module: str) -> ApiError:
    """ParamValidator's ``badvalue`` for a single-value enum, with its message parameters."""
    return ApiError("badvalue", f'Unrecognized value for parameter "{name}": {raw}.', module=module,
                    key="paramvalidator-badvalue-enumnotmulti",
                    params=[*plain(name, raw), {"list": plain(*choices), "type": "text"}, {"num": len(choices)}])
