"""Requests per second the sandbox serves on ONE core without simulated latency (prints figures).

    python bench/sandbox_rps.py [--seconds 3] [--repeat 5] [--connections 4] [--client auto|wrk|python]

How it measures (the issue asks for >= 500 small API requests/s on one core):

1. HTTP, one core: the sandbox (250 capacities x 42 languages) is served by a
   child process pinned to CPU 0 (``os.sched_setaffinity``, as ``taskset -c 0``);
   the load generator runs in another process pinned to the other CPUs: ``wrk``
   when installed (Debian: ``apt-get install -y wrk``), otherwise a small
   keep-alive socket client in Python (``--client python``). ``--connections``
   keep-alive connections, no think time, so the figure is the server's
   throughput on one core. The server's own counters (``/_sandbox/stats``) are
   checked after each run: the answers counted must be errors-free.
2. In-process: requests through :meth:`Sandbox.session` (WSGI app, no sockets),
   one client thread in this process (pinned to CPU 0 as well), plus the
   server-side work alone as the sandbox's stats measure it.

Cases: userinfo, siteinfo, a one-item wbgetentities and a 50-message
messagecollection page (fv2). Each figure is the median of ``--repeat`` runs of
``--seconds``. On a single-CPU machine the client shares the core (the figure
is then a low bound). Needs Linux (CPU affinity).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

BUNDLE_GROUP = "messagebundle-Module:CapacityExchange/capacities.json"
CASES: dict[str, tuple[str, dict[str, str]]] = {
    "siteinfo": ("metawiki", {"action": "query", "meta": "siteinfo", "format": "json"}),
    "userinfo": ("metawiki", {"action": "query", "meta": "userinfo", "format": "json"}),
    "wbgetentities(1)": ("metabase", {"action": "wbgetentities", "ids": "Q34531", "format": "json"}),
    "messagecollection(50)": ("metawiki", {"action": "query", "list": "messagecollection", "mcgroup": BUNDLE_GROUP,
                                           "mclanguage": "pt-br", "mclimit": "50", "format": "json",
                                           "formatversion": "2", "mcprop": "definition|translation|properties"}),
}
STATS_MODULE = {"siteinfo": "query+siteinfo", "userinfo": "query+userinfo", "wbgetentities(1)": "wbgetentities",
                "messagecollection(50)": "query+messagecollection"}


def case_path(site: str, params: dict[str, str]) -> str:
    return f"/{site}/w/api.php?{urlencode(params)}"


# -- the server child -----------------------------------------------------------------------
def serve(cpu: int) -> None:
    """Child mode: pin to ``cpu``, build the sandbox, print its port, serve until stdin closes."""
    os.sched_setaffinity(0, {cpu})
    from capxl10n.sandbox.server import Sandbox

    sb = Sandbox().start()
    print(sb.url.rsplit(":", 1)[1], flush=True)
    sys.stdin.read()
    sb.stop()


def start_server(cpu: int) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(cpu)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    port = child.stdout.readline().strip()
    if not port.isdigit():
        child.kill()
        raise SystemExit("sandbox_rps: the server child did not start")
    return child, f"http://127.0.0.1:{port}"


def control(base: str, path: str, post: bool = False) -> dict:
    with urllib.request.urlopen(urllib.request.Request(base + path, data=b"" if post else None)) as answer:
        return json.loads(answer.read())


# -- load generators --------------------------------------------------------------------------
def run_wrk(base: str, path: str, seconds: float, connections: int, cpus: set[int]) -> tuple[float, int]:
    """(requests/s, non-2xx + socket errors) as wrk reports them."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", base + path],
                         capture_output=True, text=True, check=True,
                         preexec_fn=lambda: os.sched_setaffinity(0, cpus)).stdout
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))  # type: ignore[union-attr]
    socket_errors = re.search(r"Socket errors:(.*)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    bad = (sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1))) if socket_errors else 0) + \
        (int(non_2xx.group(1)) if non_2xx else 0)
    return rate, bad


def run_python(base: str, path: str, seconds: float, connections: int, cpus: set[int]) -> tuple[float, int]:
    """The fallback load generator in a child process: keep-alive sockets, one request in flight each."""
    code = (f"import os,sys;sys.path.insert(0,{str(ROOT / 'bench')!r});os.sched_setaffinity(0,{cpus!r});"
            f"import sandbox_rps as b;print(*b.socket_client({base!r},{path!r},{seconds},{connections}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1])


def socket_client(base: str, path: str, seconds: float, connections: int) -> tuple[float, int]:
    """Minimal HTTP/1.1 keep-alive client: N connections, each sends the next request once answered."""
    host, port = base.rsplit("//", 1)[1].split(":")
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: sandbox_rps\r\n\r\n".encode()
    sel = selectors.DefaultSelector()
    buffers: dict[socket.socket, bytearray] = {}
    for _ in range(connections):
        sock = socket.create_connection((host, int(port)))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request)
        buffers[sock] = bytearray()
        sel.register(sock, selectors.EVENT_READ)
    done = bad = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for key, _ in sel.select(timeout=1):
            sock = key.fileobj  # type: ignore[assignment]
            buf = buffers[sock]
            buf += sock.recv(262144)
            while True:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                head = bytes(buf[:end]).lower()
                length = int(re.search(rb"content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
                if len(buf) < end + 4 + length:
                    break
                if not head.startswith(b"http/1.1 200"):
                    bad += 1
                del buf[:end + 4 + length]
                done += 1
                sock.sendall(request)
    elapsed = time.perf_counter() - start
    for sock in buffers:
        sock.close()
    return done / elapsed, bad


# -- in-process -------------------------------------------------------------------------------
def inprocess(seconds: float, repeat: int) -> dict[str, tuple[float, float]]:
    """{case: (median in-process req/s, median server-side-work req/s)} through the WSGI transport."""
    from capxl10n.sandbox.server import Sandbox

    sb = Sandbox()
    session = sb.session()
    figures = {}
    for name, (site, params) in CASES.items():
        url = sb.api_url(site)
        rates, inside_rates = [], []
        for _ in range(repeat):
            sb.stats.reset()
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                session.get(url, params=params).raise_for_status()
                count += 1
            rates.append(count / (time.perf_counter() - start))
            inside = sb.stats.snapshot()["sites"][site]
            inside_rates.append(inside["count"] / inside["seconds"] if inside["seconds"] else float("inf"))
        figures[name] = (statistics.median(rates), statistics.median(inside_rates))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one HTTP measurement")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (the median is printed)")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections of the load generator")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--inprocess-seconds", type=float, default=1.0)
    parser.add_argument("--serve", type=int, metavar="CPU", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu = cpus[0]
    client_cpus = set(cpus[1:]) or {server_cpu}
    client = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python")
    generate = run_wrk if client == "wrk" else run_python
    started = time.perf_counter()
    child, base = start_server(server_cpu)
    print(f"server: 250 capacities x 42 languages, built and started in {time.perf_counter() - started:.1f} s, "
          f"pinned to CPU {server_cpu}; load: {client}, {args.connections} keep-alive connections on CPU "
          f"{','.join(map(str, sorted(client_cpus)))}; medians of {args.repeat} x {args.seconds:g} s")
    if client == "python":
        print("(Python load generator: it saturates before the server does, so the HTTP figures are low bounds)")
    if client_cpus == {server_cpu}:
        print("(one CPU only: the client shares the server's core, so the HTTP figures are low bounds)")
    http: dict[str, float] = {}
    try:
        for name, (site, params) in CASES.items():
            path = case_path(site, params)
            rates = []
            generate(base, path, 1, args.connections, client_cpus)  # warm-up
            for _ in range(args.repeat):
                control(base, "/_sandbox/stats/reset", post=True)
                rate, bad = generate(base, path, args.seconds, args.connections, client_cpus)
                counted = control(base, "/_sandbox/stats")["modules"].get(f"{site}:{STATS_MODULE[name]}", {})
                if bad or counted.get("errors") or not counted.get("count"):
                    raise SystemExit(f"sandbox_rps: {name}: {bad} bad answers, server counted {counted}")
                rates.append(rate)
            http[name] = statistics.median(rates)
            print(f"  {name:24} HTTP, server on one core: {http[name]:7.0f} req/s "
                  f"(runs: {', '.join(f'{r:.0f}' for r in rates)})", flush=True)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=10)
    small = min(rate for name, rate in http.items() if not name.startswith("messagecollection"))
    print(f"  slowest small request over HTTP on one core: {small:.0f} req/s "
          f"({'meets' if small >= 500 else 'MISSES'} the issue's >= 500 req/s)")
    os.sched_setaffinity(0, {server_cpu})
    for name, (rate, inside) in inprocess(args.inprocess_seconds, args.repeat).items():
        print(f"  {name:24} in-process (requests client + app, one core): {rate:7.0f} req/s; "
              f"server-side work alone: {inside:7.0f} req/s")


if __name__ == "__main__":
    main()
