"""The fast reader of a ``/v1/floor`` body: bytes straight to a ``FloorSnapshot``.

A floor of 5000 agents is 1.9 MB and 100 000 fields, read on every poll. ``json.loads``
alone costs about 17 ms of it and checking every field in Python about 30 ms more; msgspec
decodes and type-checks the whole body into the typed structs below in about 4 ms. The
structs are the wire, not the model: they exist only between the bytes and the model's
dataclasses, and nothing outside this module sees them.

The structs accept only what is plainly valid. Anything else (a wrong type, a null metric,
a number out of range, a missing field, bad JSON) makes :func:`decode_floor` return None,
and the caller reads the body again with the strict readers in ``rest.py``, which say
precisely what is wrong and where. So this reader may reject too much (that costs time)
but must never accept what the strict one rejects, nor read a value differently:
tests/test_rest_source.py holds the two to the same result on mutated floors.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import msgspec

from floorview.model import (
    Agent,
    AgentState,
    AgentToday,
    Channel,
    Contact,
    FloorSnapshot,
    Queue,
    QueueToday,
)
from floorview.sources.parse import EXACT_INT
from floorview.text import clean_text

# The strict readers' bounds: counts are whole numbers a float holds exactly, numbers are
# finite (JSON's 1e999 decodes to inf, which the upper bound refuses).
Count = Annotated[int, msgspec.Meta(ge=0, le=EXACT_INT)]
Number = Annotated[float, msgspec.Meta(ge=0.0, le=sys.float_info.max)]
Sentiment = Annotated[float, msgspec.Meta(ge=-1.0, le=sys.float_info.max)]


# gc=False: these hold only strings, numbers and other such structs, never a cycle, so the
# collector need not track the ~18 000 of them a big floor makes on every poll.
class _QueueToday(msgspec.Struct, gc=False):
    offered: Count
    answered: Count
    answered_within_sl: Count
    abandoned: Count
    handled: Count
    handle_time_s: Number
    wait_time_s: Number


class _Queue(msgspec.Struct, gc=False):
    id: str
    name: str
    channel: Channel
    sl_threshold_s: Number
    sl_target: Number
    waiting: Count
    oldest_wait_s: Number
    today: _QueueToday


class _Contact(msgspec.Struct, gc=False):
    queue: str
    # Timestamps stay strings here: datetime.fromisoformat is the strict reader's judge of
    # what a timestamp is, and msgspec's RFC 3339 parser accepts a slightly different set.
    started_at: str
    sentiment: Sentiment | None = None


class _AgentToday(msgspec.Struct, gc=False):
    on_contact_s: Number
    acw_s: Number
    available_s: Number
    aux_s: Number
    contacts: Count


class _Agent(msgspec.Struct, gc=False):
    id: str
    name: str
    team: str
    state: AgentState
    state_since: str
    queues: list[str]
    version: Count
    aux_reason: str | None = None
    contact: _Contact | None = None
    today: _AgentToday | None = None
    presence: str | None = None


class _Floor(msgspec.Struct, gc=False):
    as_of: str
    site: str
    queues: list[_Queue]
    agents: list[_Agent]


_decoder = msgspec.json.Decoder(_Floor)


# Queue ids and teams repeat on every agent, and names, ids and most state_since times are
# the same from one poll to the next: each distinct string is read once, which saves a
# sixth of a big floor's parse and lets snapshots share the strings. Cleaning and parsing
# are pure, so a memo cannot change a result. It starts afresh when full (room for the
# strings of a 20 000-agent floor), and keeps no long strings, so a source sending fresh
# or huge strings on every poll costs time, not memory.
MEMO_ENTRIES = 50_000
MEMO_KEY_CHARS = 200
_texts: dict[str, str] = {}
_times: dict[str, datetime] = {}


class _Unsure(Exception):
    """A value the structs let through that the strict reader would refuse."""


def _text(value: str) -> str:
    cleaned = _texts.get(value)
    if cleaned is None:
        cleaned = clean_text(value)
        if len(value) <= MEMO_KEY_CHARS:
            if len(_texts) >= MEMO_ENTRIES:
                _texts.clear()
            _texts[value] = cleaned
    return cleaned


def _time(value: str) -> datetime:
    parsed = _times.get(value)
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise _Unsure
            parsed = parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            raise _Unsure from None
        if len(value) <= MEMO_KEY_CHARS:
            if len(_times) >= MEMO_ENTRIES:
                _times.clear()
            _times[value] = parsed
    return parsed


def _queue(q: _Queue) -> Queue:
    t = q.today
    today = QueueToday(
        t.offered, t.answered, t.answered_within_sl, t.abandoned, t.handled,
        t.handle_time_s, t.wait_time_s,
    )
    return Queue(
        _text(q.id), _text(q.name), q.channel, q.sl_threshold_s, q.sl_target,
        q.waiting, q.oldest_wait_s, today,
    )


def _agent(a: _Agent, texts: dict[str, str]) -> Agent:
    # The model's dataclasses are built with positional arguments, in field order, because
    # keywords cost a third more per object.
    try:
        # After the first few agents every queue id is known.
        queue_ids = tuple(map(texts.__getitem__, a.queues))
    except KeyError:
        queue_ids = tuple([_text(q) for q in a.queues])
    c, t, aux = a.contact, a.today, a.aux_reason
    return Agent(
        _text(a.id),
        _text(a.name),
        _text(a.team),
        a.state,
        None if aux is None else _text(aux),
        _time(a.state_since),
        queue_ids,
        a.version,
        None if c is None else Contact(
            _text(c.queue),
            _time(c.started_at),
            c.sentiment,
        ),
        None if t is None else AgentToday(
            t.on_contact_s, t.acw_s, t.available_s, t.aux_s,
            t.contacts,
        ),
        None if a.presence is None else _text(a.presence),
    )


def decode_floor(body: bytes, source: str) -> FloorSnapshot | None:
    """The snapshot in ``body``, or None when the strict readers must look at it."""
    try:
        floor = _decoder.decode(body)
        texts = _texts
        return FloorSnapshot(
            source,
            _time(floor.as_of),
            _text(floor.site),
            tuple([_queue(q) for q in floor.queues]),
            tuple([_agent(a, texts) for a in floor.agents]),
        )
    except (msgspec.DecodeError, _Unsure):
        return None
