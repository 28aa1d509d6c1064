"""floorview as an SSH session runs it: a pseudo-terminal, TERM and size from the client,
the SSH_* variables sshd sets, a resize mid-run, a plain 16-colour TERM, NO_COLOR.

The process is the real `floorview demo` (simulator on loopback), driven through the pty's
master side the way sshd drives it; the person's identity comes from the SSH login, never
from anything typed.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from floorview.journal import Journal


class Session:
    def __init__(self, tmp_path: Path, term: str, size: tuple[int, int],
                 extra_env: dict[str, str] | None = None) -> None:
        self.master, slave = pty.openpty()
        self.resize(*size, fd=slave)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TEXTUAL", "SSH_")) and k not in ("COLUMNS", "LINES")}
        env.update({
            "TERM": term,
            # What sshd sets for a login from 203.0.113.9.
            "SSH_CONNECTION": "203.0.113.9 50022 198.51.100.5 22",
            "SSH_CLIENT": "203.0.113.9 50022 22",
            "SSH_TTY": os.ttyname(slave),
            "XDG_STATE_HOME": str(tmp_path / "state"),
        })
        env.pop("COLORTERM", None)
        env.pop("NO_COLOR", None)
        env.update(extra_env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "floorview", "demo", "--speed", "30"],
            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
        )
        os.close(slave)
        self.output = bytearray()

    def resize(self, cols: int, rows: int, fd: int | None = None) -> None:
        fcntl.ioctl(self.master if fd is None else fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, 0, 0))

    def read_until(self, pattern: bytes, timeout_s: float = 30.0) -> bool:
        end = time.monotonic() + timeout_s
        start = len(self.output)
        while time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    return False
                if not data:
                    return False
                self.output.extend(data)
                if re.search(pattern, bytes(self.output[start:])):
                    return True
        return False

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> int:
        self.send("q")
        try:
            # Keep reading: a child whose pty buffer is full blocks on its last writes.
            end = time.monotonic() + 20
            while self.proc.poll() is None and time.monotonic() < end:
                self.read_until(rb"(?!)", 0.2)
            code = self.proc.wait(1)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            code = -9
        os.close(self.master)
        return code


def test_an_ssh_session_at_80x24_resized_and_acknowledging_as_its_login(
    tmp_path: Path,
) -> None:
    session = Session(tmp_path, "xterm-256color", (80, 24))
    try:
        assert session.read_until(rb"0s ago"), bytes(session.output[-2000:])
        assert session.read_until(rb"FIRING"), "alerts should fire on the simulated floor"
        # A resize mid-run, as a client window is dragged bigger: the boards grow columns.
        session.resize(160, 48)
        session.proc.send_signal(signal.SIGWINCH)
        assert session.read_until(rb"Escalations", 15), "the side panel appears at 160 columns"
        # Acknowledge the first alert with a note: Tab to the alert list, a, the note, Enter.
        session.send("\t")
        time.sleep(0.3)
        session.send("a")
        assert session.read_until(rb"Acknowledge", 10)
        session.send("on it\r")
        assert session.read_until(rb"Acknowledged", 10)
    finally:
        code = session.close()
    assert code == 0
    journal_path = tmp_path / "state" / "floorview" / "demo-journal.sqlite3"
    with Journal(journal_path, create=False, read_only=True) as journal:
        (entry,) = [e for e in journal.audit_entries() if e.action == "ack"]
    # Who comes from the SSH login (the process's user and sshd's client address).
    assert entry.who == f"{getpass.getuser()}@203.0.113.9 (ssh)"
    assert entry.after["note"] == "on it"


def test_a_plain_xterm_and_no_color_still_get_a_working_screen(tmp_path: Path) -> None:
    session = Session(tmp_path, "xterm", (80, 24), {"NO_COLOR": "1"})
    try:
        assert session.read_until(rb"0s ago"), bytes(session.output[-2000:])
        text = bytes(session.output)
        # NO_COLOR: no 256-colour or true-colour codes are sent.
        assert not re.search(rb"\x1b\[[0-9;]*(38|48);(5|2);", text)
        # States still read without colour: glyph and word.
        assert session.read_until(rb"On contact|Available|Wrap-up", 10)
    finally:
        assert session.close() == 0
