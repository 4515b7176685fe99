"""Requests per second the sandbox serves without simulated latency (prints figures).

    python bench/sandbox_rps.py [--seconds 2]

Measures userinfo, siteinfo, a 50-message messagecollection page and a one-item
wbgetentities, through the in-process transport (no sockets) and over real
HTTP/1.1 keep-alive on 127.0.0.1, one client thread; the server runs in the
same process, so client and server share one core (the client's requests
overhead is counted too). Each figure is the median of ``--repeat`` runs.
"""
from __future__ import annotations

import argparse
import statistics
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
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one measurement")
    parser.add_argument("--repeat", type=int, default=5, help="measurements per figure (the median is printed)")
    args = parser.parse_args()
    started = time.perf_counter()
    sb = Sandbox().start()
    print(f"sandbox 250 capacities x 42 languages built and started in {time.perf_counter() - started:.2f} s")
    try:
        inproc = sb.session()
        http = requests.Session()
        for name, (site, params) in CASES.items():
            url = sb.api_url(site)
            inproc_rates, http_rates, server_rates = [], [], []
            for _ in range(args.repeat):  # interleaved, so a busy moment hits both modes alike
                sb.stats.reset()
                inproc_rates.append(rate(inproc, url, params, args.seconds))
                inside = sb.stats.snapshot()["sites"][site]
                server_rates.append(inside["count"] / inside["seconds"] if inside["seconds"] else float("inf"))
                http_rates.append(rate(http, url, params, args.seconds))
            print(f"{name:24} in-process {statistics.median(inproc_rates):7.0f} req/s   "
                  f"HTTP keep-alive {statistics.median(http_rates):7.0f} req/s   "
                  f"(server-side work alone: {statistics.median(server_rates):7.0f} req/s)  medians of {args.repeat}")
    finally:
        sb.stop()


if __name__ == "__main__":
    main()
