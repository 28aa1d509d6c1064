"""The journal on real SQLite files, shared by real processes: no mocks."""

from __future__ import annotations

import math
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path

import pytest

from floorview.identity import Actor, current_actor
from floorview.journal import (
    SCHEMA_VERSION,
    Claimed,
    HeldBy,
    Journal,
    JournalError,
    JournalNotFound,
    JournalReadOnly,
    default_path,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOST = socket.gethostname()
MARIA = Actor("maria", "maria", "203.0.113.9", HOST)
OMAR = Actor("omar", None, None, HOST)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "floorview" / "journal.sqlite3"


@pytest.fixture
def journal(path: Path) -> Iterator[Journal]:
    with Journal(path) as j:
        yield j


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def run_python(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``code`` in a fresh interpreter (another floorview process) and return stdout."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True, text=True, timeout=30, env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def start_python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection, as any other program on the host could open."""
    return sqlite3.connect(path, isolation_level=None)


# --- the file -------------------------------------------------------------------------------


def test_new_journal_is_private_wal_durable_and_versioned(path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual umask, which would make files world-readable
    try:
        with Journal(path) as j:
            j.audit(actor=OMAR, at=T0, action="test", subject="s")
            for suffix in ("", "-wal", "-shm"):
                side = path.with_name(path.name + suffix)
                assert side.stat().st_mode & 0o777 == 0o600, suffix
            assert j._connection().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        os.umask(old_umask)
    assert path.parent.stat().st_mode & 0o777 == 0o700
    with raw(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2


def test_default_path_follows_xdg_state_home() -> None:
    assert default_path({"XDG_STATE_HOME": "/srv/state"}) == Path(
        "/srv/state/floorview/journal.sqlite3"
    )
    home_default = Path.home() / ".local/state/floorview/journal.sqlite3"
    assert default_path({}) == home_default
    assert default_path({"XDG_STATE_HOME": "relative/dir"}) == home_default  # invalid: ignored


def test_reopening_keeps_everything_and_the_schema(path: Path) -> None:
    with Journal(path) as j:
        j.acknowledge("fp", alert_title="SL", severity=2, actor=MARIA, at=T0)
    with Journal.open(path) as j:
        assert list(j.open_acks(T0)) == ["fp"]
        assert [e.action for e in j.audit_entries()] == ["ack"]


def test_a_newer_schema_is_refused_naming_the_file(path: Path) -> None:
    Journal(path).close()
    with raw(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(JournalError, match="newer") as caught:
        Journal(path)
    assert str(path) in str(caught.value)


def test_another_sqlite_database_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with raw(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(JournalError, match="not a floorview journal"):
        Journal(path)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not sqlite at all, " * 100)
    with pytest.raises(JournalError, match="cannot open journal") as caught:
        Journal(path)
    assert str(path) in str(caught.value)


def test_without_create_a_missing_journal_is_not_made(path: Path) -> None:
    with pytest.raises(JournalNotFound):
        Journal(path, create=False)
    assert not path.exists()


def test_read_only_journal_reads_but_refuses_every_write(path: Path) -> None:
    with Journal(path) as j:
        j.acknowledge("fp", alert_title="SL", severity=2, actor=MARIA, at=T0)
    with Journal(path, read_only=True) as j:
        assert "fp" in j.open_acks(T0)
        with pytest.raises(JournalReadOnly):
            j.acknowledge("fp2", alert_title="SL", severity=2, actor=MARIA, at=T0)
        with pytest.raises(JournalReadOnly):
            j.audit(actor=MARIA, at=T0, action="reassign", subject="a1")
        with pytest.raises(JournalReadOnly):
            j.claim("a1", actor=MARIA, at=T0)
        # And SQLite itself refuses underneath, should a write path ever skip the check.
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            j._connection().execute("INSERT INTO claim VALUES ('s','t','w','u',NULL,'h',1,'a','b')")


def test_naive_times_are_refused(journal: Journal) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        journal.audit(actor=OMAR, at=datetime(2026, 11, 23, 9), action="x", subject="y")
    with pytest.raises(ValueError, match="timezone-aware"):
        journal.open_acks(datetime(2026, 11, 23, 9))


def test_closed_journal_says_so(path: Path) -> None:
    j = Journal(path)
    j.close()
    j.close()  # twice is fine
    with pytest.raises(JournalError, match="closed"):
        j.open_acks(T0)


# --- acknowledgements -----------------------------------------------------------------------


def test_ack_is_returned_and_audited_in_the_same_transaction(journal: Journal) -> None:
    at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC).astimezone()  # any zone in, UTC stored
    ack = journal.acknowledge(
        "sl:sales", alert_title="Sales SL 61%", severity=3, actor=MARIA, at=at,
        note="two agents moved from chat", expires_at=at + minutes(30),
    )  # fmt: skip
    assert ack.who == "maria@203.0.113.9 (ssh)"
    assert ack.at == at and ack.at.tzinfo == UTC
    assert journal.open_acks(at) == {"sl:sales": ack}
    [entry] = journal.audit_entries()
    assert (entry.action, entry.subject, entry.result) == ("ack", "sl:sales", "ok")
    assert entry.after["ack_id"] == ack.id
    assert entry.after["note"] == "two agents moved from chat"
    assert (entry.user, entry.client, entry.pid) == ("maria", "203.0.113.9", os.getpid())


def test_open_acks_leave_out_expired_ones(journal: Journal) -> None:
    journal.acknowledge("a", alert_title="A", severity=1, actor=OMAR, at=T0,
                        expires_at=T0 + minutes(10))  # fmt: skip
    journal.acknowledge("b", alert_title="B", severity=1, actor=OMAR, at=T0)
    assert set(journal.open_acks(T0 + minutes(5))) == {"a", "b"}
    assert set(journal.open_acks(T0 + minutes(10))) == {"b"}  # expiry is exclusive
    assert set(journal.open_acks(T0 + timedelta(days=400))) == {"b"}


def test_the_newest_ack_wins(journal: Journal) -> None:
    journal.acknowledge("fp", alert_title="SL", severity=1, actor=OMAR, at=T0)
    newer = journal.acknowledge("fp", alert_title="SL", severity=3, actor=MARIA,
                                at=T0 + minutes(1), note="worse now")  # fmt: skip
    assert journal.open_acks(T0 + minutes(2)) == {"fp": newer}


def test_an_expired_newer_ack_does_not_bring_back_an_older_one(journal: Journal) -> None:
    journal.acknowledge("fp", alert_title="SL", severity=1, actor=OMAR, at=T0)
    journal.acknowledge("fp", alert_title="SL", severity=2, actor=MARIA, at=T0 + minutes(1),
                        expires_at=T0 + minutes(16), note="snooze 15 min")  # fmt: skip
    assert journal.open_acks(T0 + minutes(20)) == {}


def test_an_ack_must_expire_after_it_is_made(journal: Journal) -> None:
    with pytest.raises(ValueError, match="expire after"):
        journal.acknowledge("fp", alert_title="SL", severity=1, actor=OMAR, at=T0, expires_at=T0)


def test_acks_since_reads_only_newer_ones(journal: Journal) -> None:
    first = journal.acknowledge("a", alert_title="A", severity=1, actor=OMAR, at=T0)
    second = journal.acknowledge("b", alert_title="B", severity=1, actor=OMAR, at=T0)
    assert journal.acks_since() == [first, second]
    assert journal.acks_since(first.id) == [second]
    assert journal.acks_since(second.id) == []


def test_changed_sees_own_and_other_connections_commits(path: Path) -> None:
    with Journal(path) as wall, Journal(path) as laptop:
        assert wall.changed()  # the first call always says yes: nothing was read yet
        assert not wall.changed()
        laptop.acknowledge("fp", alert_title="SL", severity=1, actor=MARIA, at=T0)
        assert wall.changed()
        assert not wall.changed()
        wall.audit(actor=OMAR, at=T0, action="note", subject="floor")
        assert wall.changed()
        assert not wall.changed()
        assert wall.claim("a1", actor=OMAR, at=T0) is not None
        assert isinstance(laptop.claim("a1", actor=MARIA, at=T0), HeldBy)  # writes nothing
        assert wall.changed()  # the claim
        assert not wall.changed()  # the refused claim committed nothing


def test_an_ack_in_another_process_shows_at_the_next_poll(journal: Journal, path: Path) -> None:
    assert journal.open_acks(T0) == {}
    journal.changed()
    run_python(
        """
        import sys
        from datetime import UTC, datetime
        from pathlib import Path
        from floorview.identity import current_actor
        from floorview.journal import Journal
        with Journal(Path(sys.argv[1])) as j:
            j.acknowledge("sl:sales", alert_title="Sales SL", severity=2,
                          actor=current_actor(), at=datetime(2026, 11, 23, 9, 1, tzinfo=UTC))
        """,
        str(path),
        env={"SSH_CONNECTION": "203.0.113.9 50000 10.0.0.1 22"},
    )
    assert journal.changed()
    ack = journal.open_acks(T0 + minutes(2))["sl:sales"]
    assert ack.who.endswith("@203.0.113.9 (ssh)")


WRITER = """
    import sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from floorview.identity import current_actor
    from floorview.journal import Journal
    name, rows = sys.argv[2], int(sys.argv[3])
    actor = current_actor()
    with Journal(Path(sys.argv[1])) as j:
        print("ready", flush=True)
        sys.stdin.readline()  # start together, so the two really contend for the lock
        t = datetime(2026, 11, 23, 9, tzinfo=UTC)
        for i in range(rows):
            j.audit(actor=actor, at=t + timedelta(seconds=i), action="load", subject=name,
                    after={"i": i})
    print("done", flush=True)
"""


def start_together(children: list[subprocess.Popen[str]]) -> None:
    """Wait until every child is ready, then let them all go at once."""
    for child in children:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()


def test_two_processes_writing_at_once_lose_nothing(journal: Journal, path: Path) -> None:
    children = [start_python(WRITER, str(path), name, "200") for name in ("wall", "laptop")]
    start_together(children)
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        assert "locked" not in err and out == "done\n"
    entries = journal.audit_entries()
    assert len(entries) == 400
    assert len({e.id for e in entries}) == 400
    for name in ("wall", "laptop"):
        assert sorted(e.after["i"] for e in entries if e.subject == name) == list(range(200))


# --- audit trail ----------------------------------------------------------------------------


def test_the_audit_trail_cannot_be_updated_or_deleted(journal: Journal, path: Path) -> None:
    journal.acknowledge("fp", alert_title="SL", severity=1, actor=MARIA, at=T0)
    with raw(path) as conn:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE audit SET who = 'someone else'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE ack SET who = 'someone else'")
    [entry] = journal.audit_entries()
    assert entry.who == MARIA.label()


class Channel(Enum):
    VOICE = "voice"


@dataclass(frozen=True)
class Assignment:
    agent: str
    queues: tuple[str, ...]
    since: datetime


def test_before_and_after_round_trip_as_json(journal: Journal) -> None:
    before = Assignment("a7", ("q1",), T0)
    after = {"queues": {"q2", "q1"}, "channel": Channel.VOICE, "version": 4}
    row = journal.audit(actor=MARIA, at=T0, action="reassign", subject="a7",
                        before=before, after=after, result="intent")  # fmt: skip
    entry = journal.audit_entry(row)
    assert entry is not None
    assert entry.before == {"agent": "a7", "queues": ["q1"], "since": "2026-11-23T09:00:00.000000Z"}
    assert entry.after == {"queues": ["q1", "q2"], "channel": "voice", "version": 4}
    assert journal.audit_entry(row + 1) is None


def test_a_value_json_cannot_hold_fails_before_anything_is_written(journal: Journal) -> None:
    with pytest.raises(ValueError):
        journal.audit(actor=OMAR, at=T0, action="x", subject="y", after={"sl": math.nan})
    with pytest.raises(TypeError, match="audit trail"):
        journal.audit(actor=OMAR, at=T0, action="x", subject="y", after=object())
    assert journal.audit_entries() == []


def test_intent_and_outcome_are_two_rows_with_one_correlation(journal: Journal) -> None:
    intent = journal.audit(actor=MARIA, at=T0, action="reassign", subject="a7",
                           result="intent", correlation="c-1")  # fmt: skip
    outcome = journal.audit(actor=MARIA, at=T0 + timedelta(seconds=1), action="reassign",
                            subject="a7", result="conflict", detail="409: version moved on",
                            correlation="c-1")  # fmt: skip
    assert outcome > intent
    assert [(e.result, e.correlation) for e in journal.audit_entries()] == [
        ("intent", "c-1"), ("conflict", "c-1"),
    ]  # fmt: skip


def test_audit_entries_since_and_limit(journal: Journal) -> None:
    for hour in range(5):
        journal.audit(actor=OMAR, at=T0 + timedelta(hours=hour), action="x", subject=str(hour))
    assert [e.subject for e in journal.audit_entries()] == ["0", "1", "2", "3", "4"]
    since = T0 + timedelta(hours=2)
    assert [e.subject for e in journal.audit_entries(since=since)] == ["2", "3", "4"]
    assert [e.subject for e in journal.audit_entries(limit=2)] == ["3", "4"]
    assert [e.subject for e in journal.audit_entries(since=since, limit=1)] == ["4"]
    # A "since" given in another zone means the same instant.
    assert len(journal.audit_entries(since=since.astimezone())) == 3


# --- single flight --------------------------------------------------------------------------


def test_a_second_actor_is_told_who_holds_the_claim(journal: Journal) -> None:
    mine = journal.claim("agent-7", actor=MARIA, at=T0)
    assert isinstance(mine, Claimed) and mine.took_over is None
    theirs = journal.claim("agent-7", actor=OMAR, at=T0 + timedelta(seconds=1))
    assert isinstance(theirs, HeldBy)
    assert theirs.who == "maria@203.0.113.9 (ssh)"
    assert theirs.message() == "agent-7 is being changed by maria@203.0.113.9 (ssh)"
    assert isinstance(journal.claim("agent-8", actor=OMAR, at=T0), Claimed)  # per subject
    assert journal.release("agent-7", MARIA)
    assert isinstance(journal.claim("agent-7", actor=OMAR, at=T0 + timedelta(seconds=2)), Claimed)


def test_a_claim_past_its_lease_is_taken_over_and_audited(journal: Journal) -> None:
    journal.claim("agent-7", actor=MARIA, at=T0, ttl_s=30)
    assert isinstance(journal.claim("agent-7", actor=OMAR, at=T0 + timedelta(seconds=29)), HeldBy)
    late = journal.claim("agent-7", actor=OMAR, at=T0 + timedelta(seconds=30))
    assert isinstance(late, Claimed)
    assert late.took_over is not None and late.took_over.who == MARIA.label()
    [entry] = journal.audit_entries()
    assert (entry.action, entry.subject, entry.who) == ("claim.takeover", "agent-7", "omar")
    assert "expired" in entry.detail and entry.before["who"] == MARIA.label()


def test_the_old_holder_cannot_release_a_claim_taken_over(journal: Journal) -> None:
    old = journal.claim("agent-7", actor=MARIA, at=T0, ttl_s=30)
    assert isinstance(old, Claimed)
    assert isinstance(journal.claim("agent-7", actor=OMAR, at=T0 + minutes(1)), Claimed)
    assert not journal.release("agent-7", MARIA, token=old.token)
    assert not journal.release("agent-7", MARIA)  # by actor: Maria holds nothing now
    assert isinstance(journal.claim("agent-7", actor=MARIA, at=T0 + minutes(1)), HeldBy)


def test_a_claim_whose_process_has_gone_is_taken_over(journal: Journal, path: Path) -> None:
    out = run_python(
        """
        import os, sys
        from datetime import UTC, datetime
        from pathlib import Path
        from floorview.identity import current_actor
        from floorview.journal import Journal
        with Journal(Path(sys.argv[1])) as j:
            j.claim("agent-7", actor=current_actor(), at=datetime(2026, 11, 23, 9, tzinfo=UTC))
        print(os.getpid())
        """,
        str(path),
    )
    # Same instant, long lease: only the dead (and reaped) holder makes it stale.
    mine = journal.claim("agent-7", actor=MARIA, at=T0)
    assert isinstance(mine, Claimed)
    assert mine.took_over is not None and mine.took_over.pid == int(out)
    assert "has gone" in journal.audit_entries()[-1].detail


def test_single_flight_releases_when_the_block_ends(journal: Journal) -> None:
    with journal.single_flight("agent-7", actor=MARIA, at=T0) as held:
        assert isinstance(held, Claimed)
        assert isinstance(journal.claim("agent-7", actor=OMAR, at=T0), HeldBy)
    with pytest.raises(RuntimeError), journal.single_flight("agent-7", actor=MARIA, at=T0):
        raise RuntimeError("the source call failed")
    with journal.single_flight("agent-7", actor=OMAR, at=T0) as held:
        assert isinstance(held, Claimed)


CLAIMER = """
    import os, sys
    from datetime import UTC, datetime
    from pathlib import Path
    from floorview.identity import current_actor
    from floorview.journal import Claimed, Journal
    with Journal(Path(sys.argv[1])) as j:
        print("ready", flush=True)
        sys.stdin.readline()
        got = j.claim("agent-7", actor=current_actor(), at=datetime(2026, 11, 23, 9, tzinfo=UTC))
        won = isinstance(got, Claimed)
        print(f"claimed {os.getpid()}" if won else f"held {got.pid}", flush=True)
        sys.stdin.readline()  # stay alive until every contender has tried: a dead winner is stale
"""


def test_concurrent_claims_from_processes_have_exactly_one_winner(
    journal: Journal, path: Path
) -> None:
    children = [start_python(CLAIMER, str(path)) for _ in range(4)]
    start_together(children)
    results = []
    for child in children:
        assert child.stdout is not None
        results.append(child.stdout.readline().split())
    for child in children:
        _, err = child.communicate("exit\n", timeout=30)
        assert child.returncode == 0, err
    winners = [int(pid) for verb, pid in results if verb == "claimed"]
    assert len(winners) == 1
    assert [int(pid) for verb, pid in results if verb == "held"] == [winners[0]] * 3


def test_an_actor_from_the_environment_is_what_gets_recorded(journal: Journal) -> None:
    actor = current_actor({"SSH_CONNECTION": "203.0.113.9 50000 10.0.0.1 22"})
    journal.audit(actor=actor, at=T0, action="x", subject="y")
    [entry] = journal.audit_entries()
    assert (entry.who, entry.client, entry.host) == (actor.label(), "203.0.113.9", HOST)


def test_timelines_survive_a_reopen_saved_incrementally(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        first = [
            ("segment", "a-1", "available", 100.0, 200.0, None),
            ("open", "a-1", "on_contact", 200.0, 260.0, None),
        ]
        assert journal.save_timeline("sim", first, changed_since=0.0, keep_after=0.0) == 2
        # The contact ended; only what changed since the last save is written again.
        later = [
            ("segment", "a-1", "available", 100.0, 200.0, None),
            ("segment", "a-1", "on_contact", 200.0, 300.0, None),
            ("contact", "a-1", "q-billing", 200.0, 300.0, -0.4),
            ("open", "a-1", "acw", 300.0, 320.0, None),
        ]
        assert journal.save_timeline("sim", later, changed_since=260.0, keep_after=250.0) == 3
        journal.save_timeline("other", first, changed_since=0.0, keep_after=0.0)
    with Journal(path) as journal:
        rows = sorted(journal.load_timeline("sim", ended_after=0.0))
    # The first available segment ended before keep_after: pruned. No stale "open" row.
    assert rows == sorted([
        ("segment", "a-1", "on_contact", 200.0, 300.0, None),
        ("contact", "a-1", "q-billing", 200.0, 300.0, -0.4),
        ("open", "a-1", "acw", 300.0, 320.0, None),
    ])


def test_latest_acks_keep_expired_ones_for_the_alert_book_to_judge(tmp_path: Path) -> None:
    at = datetime(2026, 11, 23, 10, tzinfo=UTC)
    with Journal(tmp_path / "j.sqlite3") as journal:
        journal.acknowledge("fp", alert_title="t", severity=1, actor=current_actor(), at=at,
                            expires_at=at + timedelta(minutes=15))
        later = at + timedelta(hours=1)
        assert journal.open_acks(later) == {}
        assert journal.latest_acks()["fp"].expires_at == at + timedelta(minutes=15)
