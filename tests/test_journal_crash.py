"""kill -9 a writing process again and again: nothing it saw committed may be lost.

The child prints each id only after the commit returned, so every id on its stdout must be
in the file after the kill, and the file must pass SQLite's integrity check. The kill lands
at a random moment: while Python starts, while the journal is created, mid-transaction,
mid-checkpoint or mid-print. Run with ``pytest -s`` to see the figures.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

from floorview.identity import current_actor
from floorview.journal import Claimed, Journal

ROUNDS = 20
# From the spawn, so some kills land before the journal is even open.
KILL_AFTER_S = (0.03, 0.3)

CHILD = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from floorview.identity import current_actor
    from floorview.journal import Journal

    path, round_ = Path(sys.argv[1]), int(sys.argv[2])
    actor = current_actor()
    t0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
    journal = Journal(path)
    # Checkpoint every few pages, so kills also land while the WAL is copied back.
    journal._connection().execute("PRAGMA wal_autocheckpoint = 8")
    i = 0
    while True:
        at = t0 + timedelta(seconds=i)
        if i % 3 == 0:
            ack = journal.acknowledge(f"fp-{round_}-{i}", alert_title="crash test",
                                      severity=i % 4, actor=actor, at=at, note="n" * 200)
            print(f"ack {ack.id}", flush=True)
        elif i % 7 == 0:
            journal.claim("agent-7", actor=actor, at=at, ttl_s=3600)
            journal.release("agent-7", actor)
        else:
            row = journal.audit(actor=actor, at=at, action="crash", subject=f"round-{round_}",
                                after={"i": i, "pad": "p" * 500})
            print(f"audit {row}", flush=True)
        i += 1
    """
)


def committed_ids(stdout: str) -> tuple[set[int], set[int]]:
    """Ack ids and audit ids the child reported; a line cut by the kill is not a report."""
    acks: set[int] = set()
    audits: set[int] = set()
    for line in stdout.splitlines(keepends=True):
        if not line.endswith("\n"):
            continue
        kind, id_ = line.split()
        (acks if kind == "ack" else audits).add(int(id_))
    return acks, audits


def kill_one_writer(path: Path, round_: int, delay_s: float) -> str:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(round_)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(delay_s)
    child.send_signal(signal.SIGKILL)
    out, err = child.communicate(timeout=30)  # also reaps it, so its pid reads as gone
    assert child.returncode == -signal.SIGKILL, f"the writer died by itself: {err}"
    return out


def check_file(path: Path, acks: set[int], audits: set[int]) -> None:
    with Journal(path) as journal:  # opening after a crash must just work
        audit_ids = {e.id for e in journal.audit_entries()}
        ack_ids = {a.id for a in journal.acks_since()}
        # Each ack and its audit row were one transaction: both there, or neither.
        acked_in_audit = {e.after["ack_id"] for e in journal.audit_entries() if e.action == "ack"}
    assert audits <= audit_ids, f"lost audit rows {sorted(audits - audit_ids)}"
    assert acks <= ack_ids, f"lost acks {sorted(acks - ack_ids)}"
    assert acked_in_audit == ack_ids
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_kill_9_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    all_acks: set[int] = set()
    all_audits: set[int] = set()
    started = time.monotonic()
    for round_ in range(ROUNDS):
        out = kill_one_writer(path, round_, rng.uniform(*KILL_AFTER_S))
        acks, audits = committed_ids(out)
        all_acks |= acks
        all_audits |= audits
        check_file(path, all_acks, all_audits)
    # A claim held by a killed writer must not block anyone: its process is gone. (At the
    # writers' own start time, so the lease has not run out and only the pid can free it.)
    with Journal(path) as journal:
        at = datetime(2026, 11, 23, 9, tzinfo=UTC)
        got = journal.claim("agent-7", actor=current_actor(), at=at)
        assert isinstance(got, Claimed)
    elapsed = time.monotonic() - started
    print(
        f"\ncrash loop: {ROUNDS} rounds of kill -9 (seed {seed}), {len(all_acks)} acks and "
        f"{len(all_audits)} audit rows reported committed, all present, integrity_check ok, "
        f"{elapsed:.1f} s"
    )
    assert all_acks and all_audits, "the writer never got to commit: make the delays longer"
