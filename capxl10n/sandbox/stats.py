"""Request accounting: per site and per module, counts, bytes and time.

Why exact counts: benchmarks and tests compare the number of requests a client
says it made with what the wikis saw (the system we replace made one request
per message; ours must not). Keys look like ``metawiki:query+messagecollection``,
``metabase:wbgetentities``, ``metabase:sparql``; injected faults are counted
under ``faults`` by kind.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass
class Counter:
    count: int = 0
    errors: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "errors": self.errors, "bytes_in": self.bytes_in,
                "bytes_out": self.bytes_out, "seconds": round(self.seconds, 6)}


class Stats:
    """Thread-safe counters; read with :meth:`snapshot`, clear with :meth:`reset`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._modules: dict[str, Counter] = {}
        self._faults: dict[str, int] = {}

    def record(self, site: str, module: str, *, bytes_in: int, bytes_out: int, seconds: float,
               error: bool = False) -> None:
        key = f"{site}:{module}"
        with self._lock:
            counter = self._modules.get(key)
            if counter is None:
                counter = self._modules[key] = Counter()
            counter.count += 1
            counter.errors += int(error)
            counter.bytes_in += bytes_in
            counter.bytes_out += bytes_out
            counter.seconds += seconds

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] = self._faults.get(kind, 0) + 1

    def reset(self) -> None:
        with self._lock:
            self._modules.clear()
            self._faults.clear()

    # -- reading ------------------------------------------------------------
    def count(self, site: str | None = None, module: str | None = None) -> int:
        """Requests seen, optionally for one site and/or one module (``query+messagecollection``)."""
        with self._lock:
            total = 0
            for key, counter in self._modules.items():
                key_site, _, key_module = key.partition(":")
                if site is not None and key_site != site:
                    continue
                if module is not None and key_module != module:
                    continue
                total += counter.count
            return total

    @property
    def total(self) -> int:
        return self.count()

    def modules(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {key: c.to_json() for key, c in sorted(self._modules.items())}

    def faults(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._faults.items()))

    def snapshot(self) -> dict[str, Any]:
        """The JSON of ``GET /_sandbox/stats``: totals, per site, per module, faults."""
        modules = self.modules()
        sites: dict[str, dict[str, Any]] = {}
        for key, data in modules.items():
            site = key.partition(":")[0]
            agg = sites.setdefault(site, {"count": 0, "errors": 0, "bytes_in": 0, "bytes_out": 0, "seconds": 0.0})
            for name in agg:
                agg[name] += data[name]
        for agg in sites.values():
            agg["seconds"] = round(agg["seconds"], 6)
        return {"total": sum(d["count"] for d in modules.values()), "sites": sites, "modules": modules,
                "faults": self.faults()}
