"""The journal: alert acknowledgements, the audit trail and single-flight claims, in SQLite.

Several floorview processes on one host (a wall display, managers over SSH) share one file,
so an ack made in one shows in the others at their next poll. That decides the settings:

- WAL, so readers never block the one writer and a poll never waits for an ack;
- ``synchronous=FULL``, so a commit that returned is on disk, even across a power cut;
- ``BEGIN IMMEDIATE`` for every write, so two processes never both read, then both try to
  upgrade to a write lock (in WAL that fails at once with SQLITE_BUSY, whatever the timeout);
- a busy timeout, so a process that finds another one writing waits its turn instead of
  failing; every transaction is a few statements, so the wait is milliseconds.

A ``kill -9`` at any moment loses nothing committed: SQLite's WAL is crash-safe as long as
nobody turns syncing off or edits the files, and POSIX locks die with the process.

Times are passed in (the app's clock is the source's ``as_of``) and stored as fixed-width
ISO-8601 UTC text, so text order is time order. The audit table is append-only: the code
has no UPDATE or DELETE for it, and triggers refuse them from anyone else's code too (a guard
against accidents, not against someone with write access to the file, who can drop them).
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, Self

from floorview.identity import Actor

#: The schema this code writes. A file with a newer version is refused, never guessed at.
SCHEMA_VERSION = 2
#: How long a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_S = 5.0
#: Default lease of a single-flight claim; a holder that hangs longer loses it.
CLAIM_TTL_S = 60.0

_APPEND_ONLY = "audit trail is append-only"

# One list of statements per version; opening a file at version N runs N+1.. in one
# transaction, so a crash half-way leaves the file at N, never in between.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """
        CREATE TABLE ack (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            fingerprint TEXT NOT NULL,
            alert_title TEXT NOT NULL,
            severity INTEGER NOT NULL,
            who TEXT NOT NULL,
            user TEXT NOT NULL,
            client TEXT,
            at TEXT NOT NULL,
            note TEXT NOT NULL,
            expires_at TEXT
        )
        """,
        "CREATE INDEX ack_by_fingerprint ON ack (fingerprint, id)",
        """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            who TEXT NOT NULL,
            user TEXT NOT NULL,
            ssh_user TEXT,
            client TEXT,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            before TEXT,
            after TEXT,
            result TEXT NOT NULL,
            detail TEXT NOT NULL,
            correlation TEXT
        )
        """,
        "CREATE INDEX audit_by_time ON audit (at)",
        "CREATE INDEX audit_by_correlation ON audit (correlation) WHERE correlation IS NOT NULL",
        f"""
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END
        """,
        f"""
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END
        """,
        # Acks are history too: a new ack supersedes an old one, nothing rewrites it.
        """
        CREATE TRIGGER ack_no_update BEFORE UPDATE ON ack
        BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END
        """,
        """
        CREATE TABLE claim (
            subject TEXT PRIMARY KEY,
            token TEXT NOT NULL,
            who TEXT NOT NULL,
            user TEXT NOT NULL,
            client TEXT,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        ) WITHOUT ROWID
        """,
    ),
    # Agents' state timelines (analytics/timeline.py rows), so that a restart does not lose
    # the day's rolling occupancy and breaks. Replaceable, unlike the audit trail.
    2: (
        """
        CREATE TABLE timeline (
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            agent_id TEXT NOT NULL,
            what TEXT NOT NULL,
            start REAL NOT NULL,
            "end" REAL NOT NULL,
            extra,
            PRIMARY KEY (source, kind, agent_id, start)
        ) WITHOUT ROWID
        """,
        'CREATE INDEX timeline_by_end ON timeline (source, "end")',
    ),
}

#: One timeline row: (kind, agent id, state or queue, start, end, reason or sentiment), the
#: times as POSIX seconds; see floorview/analytics/timeline.py.
TimelineRow = tuple[str, str, str, float, float, str | float | None]


class JournalError(Exception):
    """A journal problem phrased for the user; it names the file."""


class JournalNotFound(JournalError):
    """The journal file does not exist and the caller asked not to create it."""


class JournalReadOnly(JournalError):
    """A write was attempted on a journal opened read-only (wall mode)."""


# --- rows -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ack:
    id: int
    fingerprint: str
    alert_title: str
    severity: int
    who: str
    at: datetime
    note: str
    expires_at: datetime | None

    def open_at(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    who: str
    user: str
    client: str | None
    action: str
    subject: str
    before: Any
    after: Any
    result: str
    detail: str
    correlation: str | None
    host: str
    pid: int


@dataclass(frozen=True, slots=True)
class HeldBy:
    """Someone else's write to ``subject`` is in flight: show who, do not write."""

    subject: str
    who: str
    user: str
    client: str | None
    host: str
    pid: int
    since: datetime
    expires_at: datetime

    def message(self) -> str:
        return f"{self.subject} is being changed by {self.who}"


@dataclass(frozen=True, slots=True)
class Claimed:
    """The caller holds ``subject`` until it releases it or ``expires_at`` passes."""

    subject: str
    token: str
    at: datetime
    expires_at: datetime
    #: The stale claim this one replaced (its holder died or overran its lease), if any.
    took_over: HeldBy | None = None


ClaimResult = Claimed | HeldBy


# --- encoding -------------------------------------------------------------------------------


def utc_text(at: datetime) -> str:
    """Fixed-width ISO-8601 UTC ("2026-11-23T09:00:00.000000Z"): sorts as text in time order."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"journal times must be timezone-aware, got naive {at.isoformat()}")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _maybe_time(text: str | None) -> datetime | None:
    return None if text is None else _time(text)


def _json_default(value: Any) -> Any:
    # The values actions hand in are model objects; give them a stable, readable form.
    if isinstance(value, datetime):
        return utc_text(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"cannot record a {type(value).__name__} in the audit trail")


def encode_json(value: Any) -> str | None:
    """JSON text for before/after; NaN is refused so every consumer can parse the trail."""
    if value is None:
        return None
    return json.dumps(
        value, default=_json_default, sort_keys=True, allow_nan=False, ensure_ascii=False
    )


def _decode_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (a zombie counts as alive)."""
    # Signal 0 only checks; pid <= 0 would address a process group, and on Windows
    # os.kill terminates, so there we cannot tell and let the lease decide.
    if pid <= 0 or os.name != "posix":
        return pid > 0
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # EPERM: it exists but belongs to someone else
    return True


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/floorview/journal.sqlite3``, else under ``~/.local/state``.

    State, not config or cache: it must survive upgrades and is not for hand-editing.
    """
    environ = os.environ if env is None else env
    base = environ.get("XDG_STATE_HOME", "")
    # The XDG spec says a relative value is invalid and is to be ignored.
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / "floorview" / "journal.sqlite3"


# --- opening --------------------------------------------------------------------------------


def _create_file(path: Path) -> None:
    """Create the directory (0700) and an empty file (0600) before SQLite sees the path.

    SQLite would create the file with the umask's permissions (often world-readable); an
    empty file is a valid empty database. SQLite gives the -wal and -shm files the
    permissions of the database file, so they are 0600 too.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, 0o600)  # exact, whatever the umask took away or left
    finally:
        os.close(fd)


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: no implicit BEGINs; every write below opens its own
    # BEGIN IMMEDIATE. check_same_thread=False: UI and worker threads share the
    # connection, serialised by Journal._lock.
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            # Network filesystems cannot do WAL's shared memory; better to say so than to
            # run without the guarantees the other processes rely on.
            raise JournalError(f"{path}: cannot use WAL mode here (got {mode!r})")
        conn.execute("PRAGMA synchronous = FULL")
        _tighten_sidecars(path)
    except BaseException:
        conn.close()
        raise
    return conn


def _tighten_sidecars(path: Path) -> None:
    """Belt and braces: -wal/-shm never more open than the database file itself."""
    allowed = path.stat().st_mode & 0o777
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        try:
            mode = side.stat().st_mode & 0o777
            if mode & ~allowed:
                side.chmod(mode & allowed)
        except FileNotFoundError:
            continue
        except PermissionError:
            continue  # another user's file (group-shared journal): not ours to change


def _ensure_schema(conn: sqlite3.Connection, path: Path) -> None:
    if _user_version(conn) == SCHEMA_VERSION:
        return  # the usual case: no write lock taken just to open
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _user_version(conn)  # again, under the lock: another process may have won
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"{path}: journal schema version {version} is newer than this floorview "
                f"understands ({SCHEMA_VERSION}); upgrade floorview or use another journal file"
            )
        if version == 0 and _has_tables(conn):
            raise JournalError(f"{path}: an SQLite database, but not a floorview journal")
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[step]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _has_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None


# --- the journal ----------------------------------------------------------------------------

_ACK_COLUMNS = "id, fingerprint, alert_title, severity, who, at, note, expires_at"
_AUDIT_COLUMNS = (
    "id, at, who, user, client, action, subject, before, after, result, detail, correlation, "
    "host, pid"
)
_CLAIM_COLUMNS = "subject, who, user, client, host, pid, at, expires_at"


def _ack(row: tuple[Any, ...]) -> Ack:
    id_, fingerprint, title, severity, who, at, note, expires_at = row
    return Ack(id_, fingerprint, title, severity, who, _time(at), note, _maybe_time(expires_at))


def _audit_entry(row: tuple[Any, ...]) -> AuditEntry:
    id_, at, who, user, client, action, subject, before, after, *rest = row
    result, detail, correlation, host, pid = rest
    return AuditEntry(
        id_, _time(at), who, user, client, action, subject,
        _decode_json(before), _decode_json(after), result, detail, correlation, host, pid,
    )  # fmt: skip


def _held_by(row: tuple[Any, ...]) -> HeldBy:
    subject, who, user, client, host, pid, at, expires_at = row
    return HeldBy(subject, who, user, client, host, pid, _time(at), _time(expires_at))


class Journal:
    """One connection to the shared journal file; safe to use from several threads."""

    def __init__(self, path: Path, *, create: bool = True, read_only: bool = False) -> None:
        """Open (and, with ``create``, create) the journal at ``path``.

        ``read_only`` is for the wall display and ``floorview audit``: every write method
        raises JournalReadOnly, and SQLite's ``query_only`` refuses writes underneath too.
        """
        self.path = Path(path).expanduser()
        self.read_only = read_only
        self._lock = threading.RLock()
        self._host = socket.gethostname()
        # Own commits do not move PRAGMA data_version, so changed() counts them itself.
        self._writes = 0
        self._seen: tuple[int, int] | None = None
        self._acks_state: tuple[int, int] | None = None
        self._latest_acks: dict[str, Ack] = {}
        self._last_ack_id = 0
        self._conn: sqlite3.Connection | None = self._open(create)

    @classmethod
    def open(cls, path: Path, *, create: bool = True, read_only: bool = False) -> Self:
        return cls(path, create=create, read_only=read_only)

    def _open(self, create: bool) -> sqlite3.Connection:
        path = self.path
        if not create and not path.exists():
            raise JournalNotFound(f"{path}: no journal here")
        try:
            if create:
                _create_file(path)
            conn = _connect(path)
        except OSError as exc:
            raise JournalError(f"{path}: cannot open journal: {exc.strerror or exc}") from None
        except sqlite3.Error as exc:
            raise JournalError(f"{path}: cannot open journal: {exc}") from None
        try:
            _ensure_schema(conn, path)
            if self.read_only:
                conn.execute("PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            conn.close()
            raise JournalError(f"{path}: cannot open journal: {exc}") from None
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- plumbing -----------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise JournalError(f"{self.path}: journal is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, taken with the write lock from the start."""
        if self.read_only:
            raise JournalReadOnly(f"{self.path}: journal is open read-only")
        with self._lock:
            conn = self._connection()
            changes = conn.total_changes
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            if conn.total_changes != changes:
                self._writes += 1

    def _state(self) -> tuple[int, int]:
        """Moves whenever anyone commits: other connections via data_version, ours by count."""
        version = self._connection().execute("PRAGMA data_version").fetchone()[0]
        return int(version), self._writes

    def changed(self) -> bool:
        """True if anything was committed (by any process) since the last call; True at first.

        Costs one PRAGMA, a few microseconds, so a poll can ask every time.
        """
        with self._lock:
            state = self._state()
            if state == self._seen:
                return False
            self._seen = state
            return True

    def _insert_audit(
        self,
        conn: sqlite3.Connection,
        *,
        actor: Actor,
        at: datetime,
        action: str,
        subject: str,
        before: Any,
        after: Any,
        result: str,
        detail: str,
        correlation: str | None,
    ) -> int:
        cursor = conn.execute(
            "INSERT INTO audit (at, who, user, ssh_user, client, host, pid, action, subject,"
            " before, after, result, detail, correlation)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                utc_text(at), actor.label(), actor.user, actor.ssh_user, actor.client,
                actor.host, os.getpid(), action, subject, encode_json(before),
                encode_json(after), result, detail, correlation,
            ),
        )  # fmt: skip
        return int(cursor.lastrowid or 0)

    # --- acknowledgements ---------------------------------------------------------------

    def acknowledge(
        self,
        fingerprint: str,
        *,
        alert_title: str,
        severity: int,
        actor: Actor,
        at: datetime,
        note: str = "",
        expires_at: datetime | None = None,
    ) -> Ack:
        """Record an ack, and its audit row (action "ack") in the same transaction."""
        if not fingerprint:
            raise ValueError("an acknowledgement needs the alert's fingerprint")
        if expires_at is not None and expires_at <= at:
            raise ValueError("an acknowledgement must expire after it is made")
        at_text = utc_text(at)
        expires_text = None if expires_at is None else utc_text(expires_at)
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO ack (fingerprint, alert_title, severity, who, user, client, at,"
                " note, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    fingerprint, alert_title, int(severity), actor.label(), actor.user,
                    actor.client, at_text, note, expires_text,
                ),
            )  # fmt: skip
            ack_id = int(cursor.lastrowid or 0)
            after = {
                "ack_id": ack_id,
                "alert_title": alert_title,
                "severity": int(severity),
                "note": note,
                "expires_at": expires_text,
            }
            # The note is what a reader of the trail wants next to the title.
            detail = f"{alert_title} — {note}" if note else alert_title
            self._insert_audit(
                conn, actor=actor, at=at, action="ack", subject=fingerprint, before=None,
                after=after, result="ok", detail=detail, correlation=None,
            )
        return Ack(
            ack_id, fingerprint, alert_title, int(severity), actor.label(),
            _time(at_text), note, _maybe_time(expires_text),
        )  # fmt: skip

    def acks_since(self, after_id: int = 0) -> list[Ack]:
        """Every ack with an id above ``after_id``, oldest first (ids grow in commit order)."""
        with self._lock:
            rows = self._connection().execute(
                f"SELECT {_ACK_COLUMNS} FROM ack WHERE id > ? ORDER BY id", (after_id,)
            )
            return [_ack(row) for row in rows]

    def open_acks(self, now: datetime) -> dict[str, Ack]:
        """The standing ack per fingerprint: the newest one, unless it has expired by ``now``.

        The newest ack supersedes older ones, so when a short "snooze" ack expires the alert
        shows again even if an older ack had no expiry: a hidden alert is the worse mistake.
        Cheap to call every poll: only acks committed since the last call are read.
        """
        utc_text(now)  # refuse a naive time here, not with a confusing comparison error
        with self._lock:
            self._refresh_acks()
            return {fp: ack for fp, ack in self._latest_acks.items() if ack.open_at(now)}

    def latest_acks(self) -> dict[str, Ack]:
        """The newest ack per fingerprint, expired or not, for a caller (the alert book)
        that judges expiry itself on its own clock. As cheap as ``open_acks``."""
        with self._lock:
            self._refresh_acks()
            return dict(self._latest_acks)

    def _refresh_acks(self) -> None:
        state = self._state()  # read before the rows: a commit in between is read next time
        if state == self._acks_state:
            return
        for ack in self.acks_since(self._last_ack_id):
            self._latest_acks[ack.fingerprint] = ack
            self._last_ack_id = ack.id
        self._acks_state = state

    # --- audit trail --------------------------------------------------------------------

    def audit(
        self,
        *,
        actor: Actor,
        at: datetime,
        action: str,
        subject: str,
        before: Any = None,
        after: Any = None,
        result: str = "ok",
        detail: str = "",
        correlation: str | None = None,
    ) -> int:
        """Append one audit row and return its id.

        An action writes an "intent" row before it calls the source and an outcome row after,
        both with the same ``correlation``: the trail is never updated in place.
        """
        utc_text(at)
        # A value JSON cannot hold fails here, before the write lock is taken.
        encode_json(before)
        encode_json(after)
        with self._write() as conn:
            return self._insert_audit(
                conn, actor=actor, at=at, action=action, subject=subject, before=before,
                after=after, result=result, detail=detail, correlation=correlation,
            )  # fmt: skip

    def audit_entries(
        self, since: datetime | None = None, limit: int | None = None
    ) -> list[AuditEntry]:
        """Entries at or after ``since``, oldest first; with ``limit``, only the newest ones."""
        since_text = "" if since is None else utc_text(since)  # "" sorts before every time
        with self._lock:
            rows = self._connection().execute(
                f"SELECT {_AUDIT_COLUMNS} FROM audit WHERE at >= ? ORDER BY id DESC LIMIT ?",
                (since_text, -1 if limit is None else max(0, limit)),
            )
            entries = [_audit_entry(row) for row in rows]
        entries.reverse()
        return entries

    def audit_entry(self, id: int) -> AuditEntry | None:
        with self._lock:
            row = (
                self._connection()
                .execute(f"SELECT {_AUDIT_COLUMNS} FROM audit WHERE id = ?", (id,))
                .fetchone()
            )
        return None if row is None else _audit_entry(row)

    # --- single flight ------------------------------------------------------------------

    def claim(
        self, subject: str, *, actor: Actor, at: datetime, ttl_s: float = CLAIM_TTL_S
    ) -> Claimed | HeldBy:
        """Take the one write-in-flight slot for ``subject`` (an agent id), host-wide.

        Returns HeldBy, naming the holder, while another live claim stands (one from this
        same process included). A claim is stale, and taken over with an audit row
        "claim.takeover", once its lease has passed at ``at`` or its process on this host
        has gone. ``at`` measures a lease in real time, so pass the wall clock here, not the
        source's clock (the simulator's runs at 60x).
        """
        if ttl_s <= 0:
            raise ValueError("a claim needs a positive ttl_s")
        token = uuid.uuid4().hex
        at_text = utc_text(at)
        expires_text = utc_text(at + timedelta(seconds=ttl_s))
        with self._write() as conn:
            row = conn.execute(
                f"SELECT {_CLAIM_COLUMNS} FROM claim WHERE subject = ?", (subject,)
            ).fetchone()
            holder = None if row is None else _held_by(row)
            if holder is not None:
                reason = self._stale_reason(holder, at)
                if reason is None:
                    return holder
                conn.execute("DELETE FROM claim WHERE subject = ?", (subject,))
                self._insert_audit(
                    conn, actor=actor, at=at, action="claim.takeover", subject=subject,
                    before=dataclasses.asdict(holder), after=None, result="ok",
                    detail=reason, correlation=None,
                )  # fmt: skip
            conn.execute(
                f"INSERT INTO claim (token, {_CLAIM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    token, subject, actor.label(), actor.user, actor.client, actor.host,
                    os.getpid(), at_text, expires_text,
                ),
            )  # fmt: skip
        return Claimed(subject, token, _time(at_text), _time(expires_text), holder)

    def _stale_reason(self, holder: HeldBy, at: datetime) -> str | None:
        if holder.expires_at <= at:
            return f"claim by {holder.who} expired at {utc_text(holder.expires_at)}"
        if holder.host == self._host and not pid_alive(holder.pid):
            return f"claim by {holder.who}: process {holder.pid} on {holder.host} has gone"
        return None

    def release(self, subject: str, actor: Actor, *, token: str | None = None) -> bool:
        """Give up this process's claim on ``subject``; False if it was not ours any more.

        Only a claim made by this process for ``actor`` is removed (with ``token``, only that
        very claim), so a process whose stale claim was taken over cannot free the new one.
        """
        with self._write() as conn:
            if token is not None:
                cursor = conn.execute(
                    "DELETE FROM claim WHERE subject = ? AND token = ?", (subject, token)
                )
            else:
                cursor = conn.execute(
                    "DELETE FROM claim WHERE subject = ? AND host = ? AND pid = ? AND user = ?",
                    (subject, actor.host, os.getpid(), actor.user),
                )
            return cursor.rowcount > 0

    @contextmanager
    def single_flight(
        self, subject: str, *, actor: Actor, at: datetime, ttl_s: float = CLAIM_TTL_S
    ) -> Iterator[Claimed | HeldBy]:
        """``claim`` for a ``with`` block: a Claimed is released when the block ends."""
        result = self.claim(subject, actor=actor, at=at, ttl_s=ttl_s)
        try:
            yield result
        finally:
            if isinstance(result, Claimed):
                self.release(subject, actor, token=result.token)

    # --- agent timelines --------------------------------------------------------------------

    def save_timeline(
        self, source: str, rows: Iterable[TimelineRow], *, changed_since: float, keep_after: float
    ) -> int:
        """Store the rows that ended at or after ``changed_since`` (the rest were saved
        before and cannot have changed), replace every agent's state in progress, and drop
        rows that ended before ``keep_after``. Returns the number of rows written."""
        with self._write() as conn:
            # A state in progress closes into a segment with the same start: the old "open"
            # row must not linger beside it.
            conn.execute("DELETE FROM timeline WHERE source = ? AND kind = 'open'", (source,))
            fresh = [
                (source, *row) for row in rows if row[0] == "open" or row[4] >= changed_since
            ]
            conn.executemany(
                'INSERT OR REPLACE INTO timeline (source, kind, agent_id, what, start, "end", '
                "extra) VALUES (?, ?, ?, ?, ?, ?, ?)",
                fresh,
            )
            conn.execute(
                'DELETE FROM timeline WHERE source = ? AND "end" < ?', (source, keep_after)
            )
        return len(fresh)

    def load_timeline(self, source: str, *, ended_after: float) -> list[TimelineRow]:
        with self._lock:
            rows = self._connection().execute(
                'SELECT kind, agent_id, what, start, "end", extra FROM timeline '
                'WHERE source = ? AND "end" >= ?',
                (source, ended_after),
            ).fetchall()
        return [tuple(row) for row in rows]  # type: ignore[misc]
