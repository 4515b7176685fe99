"""Requests per second the sandbox serves without simulated latency (prints figures).

    python bench/sandbox_rps.py [--seconds 2]

Measures meta=siteinfo and a 50-message messagecollection page, through the
in-process transport (no sockets) and over real HTTP on 127.0.0.1, one client
thread (the server runs in the same process, so this is "one core").
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
import time

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from capxl10n.sandbox.server import Sandbox  # noqa: E402

BUNDLE_GROUP = "messagebundle-Module:CapacityExchange/capacities.json"
CASES = {
    "userinfo": ("metawiki", {"action": "query", "meta": "userinfo", "format": "json"}),
    "siteinfo": ("metawiki", {"action": "query", "meta": "siteinfo", "format": "json"}),
    "messagecollection(50)": ("metawiki", {"action": "query", "list": "messagecollection", "mcgroup": BUNDLE_GROUP,
                                           "mclanguage": "pt-br", "mclimit": "50", "format": "json",
                                           "formatversion": "2", "mcprop": "definition|translation|properties"}),
    "wbgetentities(1)": ("metabase", {"action": "wbgetentities", "ids": "Q34531", "format": "json"}),
}


def rate(session: requests.Session, url: str, params: dict[str, str], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        response = session.get(url, params=params)
        response.raise_for_status()
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    started = time.perf_counter()
    sb = Sandbox().start()
    print(f"sandbox 250 capacities x 42 languages built and started in {time.perf_counter() - started:.2f} s")
    try:
        inproc = sb.session()
        http = requests.Session()
        for name, (site, params) in CASES.items():
            url = sb.api_url(site)
            sb.stats.reset()
            a = rate(inproc, url, params, args.seconds)
            inside = sb.stats.snapshot()["sites"][site]
            b = rate(http, url, params, args.seconds)
            server = inside["count"] / inside["seconds"] if inside["seconds"] else float("inf")
            print(f"{name:24} in-process {a:7.0f} req/s   HTTP {b:7.0f} req/s   "
                  f"(server-side work alone: {server:7.0f} req/s)")
    finally:
        sb.stop()


if __name__ == "__main__":
    main()
