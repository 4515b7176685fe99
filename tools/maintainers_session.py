"""Record docs/maintainers.md's terminal session: a maintainer's first contact on the sandbox.

Runs bash on a pseudo-terminal (as ``script`` does) and types what a maintainer types: start the
sandbox, the production policy, a dry run, a sync interrupted by Ctrl-C (a real ^C on the
terminal, so the kernel sends SIGINT), the run history, the resume, a bulk decision, the sync
that writes it, the history again. Writes the raw typescript and the screen as text::

    python tools/maintainers_session.py OUT_DIR

Needs the ``sandbox`` extra; the sandbox listens on a free loopback port and is stopped at the end.
"""
from __future__ import annotations

import os
import pty
import re
import select
import sys
import tempfile
import time
from pathlib import Path

PROMPT = "$ "
STEPS: list[tuple[str, str | None]] = [
    # (what is typed, what to wait for before typing the next line; None: the prompt)
    ("capxl10n sandbox serve --port 0 --latency 60 --capacities 150 --languages 10 > serve.log 2>&1 &", None),
    ("sleep 3; cat serve.log", None),
    ("eval \"$(grep '^export ' serve.log)\"", None),
    ("sed -i 's/^first_contact = .*/first_contact = \"conflict\"/' .capxl10n/sandbox-profile.toml   # as production", None),
    ("alias capx='capxl10n --profile .capxl10n/sandbox-profile.toml'", None),
    ("capx sync --dry-run | tail -4", None),
    ("capx sync", "^C"),
    ("capx runs", None),
    ("capx sync | tail -2", None),
    ("capx conflicts --lang ar", None),
    ("capx conflicts resolve --reason first-contact --take metawiki", "[y/N]: "),
    ("y", None),
    ("capx sync | tail -2", None),
    ("capx runs", None),
    ("kill %1; wait", None),
]


def render(raw: str) -> str:
    """The screen as it ends up: carriage returns, line clears and backspaces applied, other escapes dropped."""
    lines: list[str] = []
    line: list[str] = []
    col = 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b.|[\r\n\x08]|[^\x1b\r\n\x08]+", raw):
        if token == "\n":
            lines.append("".join(line).rstrip())
            line, col = [], 0
        elif token == "\r":
            col = 0
        elif token == "\x08":
            col = max(0, col - 1)
        elif token == "\x1b[2K":
            line = []
        elif token == "\x1b[K":
            del line[col:]
        elif token.startswith("\x1b"):
            continue
        else:
            for char in token:
                if char < " " and char != "\t":
                    continue
                if col < len(line):
                    line[col] = char
                else:
                    line.extend(" " * (col - len(line)))
                    line.append(char)
                col += 1
    lines.append("".join(line).rstrip())
    return "\n".join(lines).strip("\n") + "\n"


def main(out_dir: str) -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="capx-session-"))
    (work / ".inputrc").write_text("set enable-bracketed-paste off\n", encoding="utf-8")
    env = {**os.environ, "PS1": PROMPT, "TERM": "xterm", "COLUMNS": "110", "LINES": "50",
           "CAPXL10N_SANDBOX_FILE": str(work / "sandbox.json"), "HOME": str(work),
           "INPUTRC": str(work / ".inputrc")}
    pid, master = pty.fork()
    if pid == 0:
        os.chdir(work)
        os.execvpe("bash", ["bash", "--norc", "--noprofile", "-i"], env)
    import fcntl
    import struct
    import termios
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 110, 0, 0))
    raw = b""

    def read_until(marker: str, timeout: float = 300) -> None:
        nonlocal raw
        deadline = time.monotonic() + timeout
        start = len(raw)
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    raw += os.read(master, 65536)
                except OSError:
                    return
            if marker in raw[start:].decode("utf-8", "replace"):
                return
        (out / "maintainers-session.partial").write_text(raw.decode("utf-8", "replace"), encoding="utf-8")
        raise TimeoutError(f"no {marker!r} within {timeout}s")

    read_until(PROMPT, 30)
    for typed, wait in STEPS:
        for char in typed:
            os.write(master, char.encode())
            time.sleep(0.002)
        os.write(master, b"\r")
        if wait == "^C":  # Ctrl-C while it writes: the terminal sends SIGINT to the job
            read_until("apply metawiki", 300)
            time.sleep(2.0)
            os.write(master, b"\x03")
            read_until("\n" + PROMPT, 300)
        elif wait is not None:
            read_until(wait, 300)
        else:
            read_until("\n" + PROMPT, 120)
    os.write(master, b"exit\r")
    time.sleep(0.5)
    os.waitpid(pid, 0)
    text = raw.decode("utf-8", "replace")
    (out / "maintainers-session.typescript").write_text(text, encoding="utf-8")
    (out / "maintainers-session.txt").write_text(render(text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
