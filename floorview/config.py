"""Load and validate floorview's TOML config.

Every error names the file, the line and the dotted key, because the person reading it is
standing at a wall terminal with a text editor, not a debugger. Unknown keys are errors:
a typo such as ``poll_intervall_s`` must not silently fall back to a default.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from floorview.alerts.rules import AlertRules
from floorview.analytics.stress import StressRules
from floorview.journal import default_path
from floorview.ui.i18n import LANGUAGES
from floorview.ui.keymap import ACTIONS, clashes, key_label

SOURCE_KINDS = ("rest", "collector", "amazon_connect", "genesys", "twilio")
TICKET_KINDS = ("zendesk", "rt")
#: Kinds whose API address has a default (an AWS region's endpoint, Twilio's one host).
URL_OPTIONAL = ("amazon_connect", "twilio")


class ConfigError(Exception):
    """A config problem, already phrased for the user: ``file:line: key: what is wrong``."""


@dataclass(frozen=True, slots=True)
class SourceConfig:
    name: str
    kind: str
    url: str
    poll_interval_s: float = 2.0
    timeout_s: float = 5.0
    #: One poll, body included, must finish within this; a trickling body cannot hang it.
    poll_deadline_s: float = 10.0
    #: The request budget (a token bucket): at most burst + max_requests_per_s * T requests
    #: in any T seconds, floor, forecast and intervals requests alike.
    max_requests_per_s: float = 5.0
    burst: int = 5
    max_response_bytes: int = 20_000_000
    #: After this many failed polls in a row the source is left alone for circuit_reset_s.
    circuit_failures: int = 5
    circuit_reset_s: float = 30.0
    #: kind = "collector": the file holding this viewer's token (mode 0600).
    token_file: Path | None = None
    #: kind = "collector": which of the collector's sources to show (default its first).
    collector_source: str | None = None
    #: A vendor kind's own keys (floorview/sources/<kind>.py reads them), paths resolved.
    options: tuple[tuple[str, Any], ...] = ()
    #: A separate ticket system for this floor's escalation list ([sources.tickets]).
    tickets: TicketConfig | None = None


@dataclass(frozen=True, slots=True)
class TicketConfig:
    """`[sources.tickets]`: Zendesk or Request Tracker beside a telephony source."""

    kind: str
    url: str
    timeout_s: float = 5.0
    poll_deadline_s: float = 10.0
    max_requests_per_s: float = 1.0
    burst: int = 5
    max_response_bytes: int = 20_000_000
    options: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class CollectorConfig:
    """`floorview collect`: where to listen and who may connect."""

    host: str = "127.0.0.1"
    port: int = 8766
    tokens_file: Path | None = None
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None


@dataclass(frozen=True, slots=True)
class DisplayConfig:
    title: str = "floorview"
    #: A theme by name: floorview's (themes/) or one dropped in ~/.config/floorview/themes.
    theme: str = "floorview-dark"
    #: Past this data age a source's figures are hidden (names stay) until fresh data comes.
    mask_after_s: float = 120.0
    #: Labels on screen: "en" or "zh-CN".
    language: str = "en"
    #: "desk" (keys, dialogs) or "wall" (read-only, no keys, pages on a timer, big digits).
    mode: str = "desk"
    #: On a wall, seconds per page.
    page_s: float = 20.0


@dataclass(frozen=True, slots=True)
class ReforecastConfig:
    #: The re-forecast tuning the config sets (volume_k, decay, aht_k, noise_z); keys left
    #: out take ReforecastParams' defaults, which live in one place only.
    tuning: tuple[tuple[str, float], ...] = ()
    #: Mean caller patience for Erlang A; None estimates it from the floor.
    patience_s: float | None = None
    #: A forecast and schedule CSV to use instead of the source's /v1/forecast.
    forecast_csv: Path | None = None
    #: Queue id -> volume ratio set by hand (a known event the actuals cannot show yet).
    volume_override: tuple[tuple[str, float], ...] = ()
    #: (queue id, "HH:MM") intervals left out of the ratios (a known outage spike).
    exclude: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class JournalConfig:
    #: Shared by every floorview process that should see the same acks, audit and claims.
    #: A factory, so the default follows $XDG_STATE_HOME when the config loads, not at import.
    path: Path = field(default_factory=default_path)


@dataclass(frozen=True, slots=True)
class Config:
    sources: tuple[SourceConfig, ...]
    display: DisplayConfig = DisplayConfig()
    reforecast: ReforecastConfig = ReforecastConfig()
    journal: JournalConfig = field(default_factory=JournalConfig)
    alerts: AlertRules = field(default_factory=AlertRules)
    #: Action id -> key(s), over the defaults in floorview/ui/keymap.py.
    keys: tuple[tuple[str, str], ...] = ()
    collector: CollectorConfig = CollectorConfig()
    path: Path | None = None


# --- field checking -------------------------------------------------------------------------

Check = Callable[[Any], str | None]


@dataclass(frozen=True, slots=True)
class Field:
    type: type | tuple[type, ...]
    required: bool = False
    check: Check | None = None


def in_range(lo: float, hi: float) -> Check:
    def check(value: Any) -> str | None:
        return None if lo <= value <= hi else f"must be between {lo:g} and {hi:g}, got {value!r}"

    return check


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}; got {value!r}"

    return check


def in_int_range(lo: int, hi: int) -> Check:
    # Written with underscores, as TOML allows: "20_000_000" reads better than "2e+07".
    def check(value: Any) -> str | None:
        return None if lo <= value <= hi else f"must be between {lo:_} and {hi:_}, got {value!r}"

    return check


def http_url(value: Any) -> str | None:
    if re.match(r"^https?://[^\s/]+", value):
        return None
    return f"must be an http(s) URL, got {value!r}"


def non_empty(value: Any) -> str | None:
    return None if value.strip() else "must not be empty"


SOURCE_FIELDS: dict[str, Field] = {
    "name": Field(str, required=True, check=non_empty),
    "kind": Field(str, required=True, check=one_of(*SOURCE_KINDS)),
    "url": Field(str, check=http_url),
    "poll_interval_s": Field((int, float), check=in_range(0.2, 3600)),
    "timeout_s": Field((int, float), check=in_range(0.1, 120)),
    "poll_deadline_s": Field((int, float), check=in_range(0.1, 600)),
    "max_requests_per_s": Field((int, float), check=in_range(0.01, 1000)),
    "burst": Field(int, check=in_int_range(1, 1000)),
    "max_response_bytes": Field(int, check=in_int_range(1_000, 1_000_000_000)),
    "circuit_failures": Field(int, check=in_int_range(1, 1000)),
    "circuit_reset_s": Field((int, float), check=in_range(1, 3600)),
    "token_file": Field(str, check=non_empty),
    "collector_source": Field(str, check=non_empty),
    "tickets": Field(dict),
}

def str_list(value: Any) -> str | None:
    if all(isinstance(item, str) and item.strip() for item in value):
        return None
    return f"must be a list of non-empty strings, got {value!r}"


def int_list(value: Any) -> str | None:
    if all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        return None
    return f"must be a list of integers, got {value!r}"


def str_table(value: Any) -> str | None:
    for key, item in value.items():
        if not isinstance(item, str) or not item.strip():
            return f"{key}: must be a non-empty string, got {item!r}"
    return None


def int_table(value: Any) -> str | None:
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, int):
            return f"{key}: must be an integer, got {item!r}"
    return None


def env_name(value: Any) -> str | None:
    # The name of a variable, not its value: a pasted secret here would be in the config.
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        return None
    return "must be the name of an environment variable (letters, digits, _), not a secret"


def time_zone(value: Any) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (use an IANA name such as Europe/London)"
    return None


def _secret(name: str) -> dict[str, Field]:
    return {f"{name}_env": Field(str, check=env_name)}


_VENDOR_COMMON: dict[str, Field] = {
    "credentials_file": Field(str, check=non_empty),
    "queues": Field(list, check=str_list),
    "time_zone": Field(str, check=time_zone),
    "sl_threshold_s": Field((int, float), check=in_range(1, 3600)),
    "sl_target": Field((int, float), check=in_range(0.01, 1)),
    "site": Field(str, check=non_empty),
}

#: Each vendor kind's own keys, beside the common ones in SOURCE_FIELDS.
KIND_FIELDS: dict[str, dict[str, Field]] = {
    "rest": {},
    "collector": {},
    "amazon_connect": {
        **_VENDOR_COMMON,
        "instance_id": Field(str, required=True, check=non_empty),
        "region": Field(str, required=True, check=non_empty),
        "profile": Field(str, check=non_empty),
        "channels": Field(list, check=str_list),
    },
    "genesys": {
        **_VENDOR_COMMON,
        "login_url": Field(str, check=http_url),
        "media_type": Field(str, check=one_of("voice", "callback", "chat", "message", "email")),
        "queue_media": Field(dict, check=str_table),
        "locale": Field(str, check=non_empty),
        "max_pages": Field(int, check=in_int_range(1, 1000)),
        **_secret("client_id"),
        **_secret("client_secret"),
    },
    "twilio": {
        **_VENDOR_COMMON,
        "workspace_sid": Field(str, required=True, check=non_empty),
        "account_sid": Field(str, required=True, check=non_empty),
        "api_key_sid": Field(str, check=non_empty),
        **_secret("api_key_secret"),
        **_secret("auth_token"),
        "queue_skills": Field(dict, check=str_table),
        "task_channel": Field(str, check=non_empty),
        "offline_activities": Field(list, check=str_list),
    },
}
#: Kinds that must be told which queues to watch (their APIs filter by queue).
QUEUES_REQUIRED = ("amazon_connect", "genesys")

#: Poll and budget defaults per kind, under each vendor's documented rate limits
#: (docs/adapters/): a vendor's limit is shared with its own UI and every other client.
KIND_DEFAULTS: dict[str, dict[str, float]] = {
    "amazon_connect": {"poll_interval_s": 5.0},
    "genesys": {"poll_interval_s": 5.0, "max_requests_per_s": 4.0},
    "twilio": {"poll_interval_s": 3.0, "max_requests_per_s": 4.0},
}

TICKET_FIELDS: dict[str, Field] = {
    "kind": Field(str, required=True, check=one_of(*TICKET_KINDS)),
    "url": Field(str, required=True, check=http_url),
    "timeout_s": Field((int, float), check=in_range(0.1, 120)),
    "poll_deadline_s": Field((int, float), check=in_range(0.1, 600)),
    "max_requests_per_s": Field((int, float), check=in_range(0.01, 1000)),
    "burst": Field(int, check=in_int_range(1, 1000)),
    "max_response_bytes": Field(int, check=in_int_range(1_000, 1_000_000_000)),
    "credentials_file": Field(str, check=non_empty),
}

TICKET_KIND_FIELDS: dict[str, dict[str, Field]] = {
    "zendesk": {
        "email": Field(str, check=non_empty),
        **_secret("api_token"),
        **_secret("oauth_token"),
        "escalated_tags": Field(list, check=str_list),
        "escalated_priorities": Field(list, check=str_list),
        "escalated_group_ids": Field(list, check=int_list),
        "escalated_field_id": Field(int, check=in_int_range(1, 10**15)),
        "escalated_field_values": Field(list, check=str_list),
        "tier_field_id": Field(int, check=in_int_range(1, 10**15)),
        "max_tickets": Field(int, check=in_int_range(1, 1000)),
    },
    "rt": {
        **_secret("token"),
        "query": Field(str, check=non_empty),
        "due_within_s": Field((int, float), check=in_range(0, 30 * 86_400)),
        "queues": Field(list, check=str_list),
        "tier_field": Field(str, check=non_empty),
        "max_tickets": Field(int, check=in_int_range(1, 10_000)),
        # RT priorities are numbers; the names a site gives them (PriorityAsString).
        "priority_names": Field(dict, check=int_table),
    },
}

COLLECTOR_FIELDS: dict[str, Field] = {
    "host": Field(str, check=non_empty),
    "port": Field(int, check=in_int_range(1, 65535)),
    "tokens_file": Field(str, check=non_empty),
    "tls_certfile": Field(str, check=non_empty),
    "tls_keyfile": Field(str, check=non_empty),
}

DISPLAY_FIELDS: dict[str, Field] = {
    "title": Field(str, check=non_empty),
    "theme": Field(str, check=non_empty),
    "mask_after_s": Field((int, float), check=in_range(5, 86_400)),
    "language": Field(str, check=one_of(*LANGUAGES)),
    "mode": Field(str, check=one_of("desk", "wall")),
    "page_s": Field((int, float), check=in_range(3, 3600)),
}

def ratio_map(value: Any) -> str | None:
    for key, ratio in value.items():
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio <= 10:
            return f"{key}: must be a ratio between 0 and 10, got {ratio!r}"
    return None


def exclusions(value: Any) -> str | None:
    for item in value:
        if not isinstance(item, str) or not re.fullmatch(r"\S+ ([01]\d|2[0-3]):[0-5]\d", item):
            return f'each entry must look like "QUEUE_ID HH:MM", got {item!r}'
        if int(item[-2:]) % 15:
            return f"{item!r} does not start a 15-minute interval"
    return None


REFORECAST_FIELDS: dict[str, Field] = {
    "volume_k": Field((int, float), check=in_range(0, 10_000)),
    "decay": Field((int, float), check=in_range(0, 0.99)),
    "aht_k": Field((int, float), check=in_range(0, 10_000)),
    "noise_z": Field((int, float), check=in_range(0, 10)),
    "patience_s": Field((int, float), check=in_range(1, 86_400)),
    "forecast_csv": Field(str, check=non_empty),
    "volume_override": Field(dict, check=ratio_map),
    "exclude": Field(list, check=exclusions),
}

JOURNAL_FIELDS: dict[str, Field] = {"path": Field(str, check=non_empty)}


def _threshold_fields(cls: type, skip: tuple[str, ...] = ()) -> dict[str, Field]:
    """One key per threshold of a rules dataclass, with its type; the defaults stay there.

    The rules' own checks (a warning threshold above its critical one, say) run when the
    dataclass is built, and their message is reported against the table.
    """
    fields: dict[str, Field] = {}
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        if type(f.default) is int:
            fields[f.name] = Field(int, check=in_int_range(0, 1_000_000))
        else:
            fields[f.name] = Field((int, float), check=in_range(0, 10_000_000))
    return fields


def _reason_list(value: Any) -> str | None:
    if all(isinstance(item, str) and item.strip() for item in value):
        return None
    return f"must be a list of AUX reasons (strings), got {value!r}"


ALERT_FIELDS = {
    **_threshold_fields(AlertRules, skip=("stress",)),
    "stress": Field(dict),
}
STRESS_FIELDS = {
    **_threshold_fields(StressRules, skip=("break_reasons",)),
    # Sentiment runs from -1 (angry) to 1.
    "negative_sentiment": Field((int, float), check=in_range(-1, 1)),
    "break_reasons": Field(list, check=_reason_list),
}

TOP_LEVEL = ("alerts", "collector", "display", "journal", "keys", "reforecast", "sources")

KEY_FIELDS: dict[str, Field] = {a.id: Field(str, check=non_empty) for a in ACTIONS}


def _type_name(t: type | tuple[type, ...]) -> str:
    names = {
        int: "an integer", float: "a number", str: "a string", bool: "true or false",
        dict: "a table", list: "a list",
    }
    if isinstance(t, tuple):
        return "a number" if set(t) == {int, float} else " or ".join(names[x] for x in t)
    return names.get(t, t.__name__)


class _Reader:
    """Validates tables against field specs and locates keys in the source text."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, key_path: str, message: str) -> ConfigError:
        line = self.locate(key_path)
        where = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(f"{where}: {key_path}: {message}")

    def locate(self, key_path: str) -> int | None:
        """Best-effort line number of a dotted key such as ``sources[1].timeout_s``."""
        parts = re.findall(r"[^.\[\]]+|\[\d+\]", key_path)
        start, table, index = 0, "", 0
        for part in parts[:-1]:
            if part.startswith("["):
                index = int(part[1:-1])
            else:
                table = f"{table}.{part}" if table else part
        last = parts[-1] if parts else ""
        if last.startswith("["):
            index, last = int(last[1:-1]), ""
        if table:
            header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
            hits = [i for i, text in enumerate(self.lines) if header.match(text)]
            if not hits:
                # [alerts.stress] with no [alerts] header above it.
                return self._header_line(f"{table}.{last}") if last else None
            start = hits[min(index, len(hits) - 1)]
            if not last:
                return start + 1
        key = re.compile(rf"^\s*\"?{re.escape(last)}\"?\s*=")
        if not table:
            # A top-level name may be a table header as well as a plain key.
            name = re.escape(last)
            key = re.compile(rf"^\s*(\[\[?\s*{name}\s*[\].]|\"?{name}\"?\s*=)")
        for i in range(start + (1 if table else 0), len(self.lines)):
            if key.match(self.lines[i]):
                return i + 1
            if table and re.match(r"^\s*\[", self.lines[i]):
                break
        if table:
            # The key may be a sub-table written as its own [table.key] header: the first
            # one after this table's own header, for [sources.tickets] under [[sources]].
            return self._header_line(f"{table}.{last}", after=start) or start + 1
        return None

    def _header_line(self, table: str, after: int = 0) -> int | None:
        header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]")
        hit = next((i for i, text in enumerate(self.lines)
                    if i >= after and header.match(text)), None)
        return None if hit is None else hit + 1

    def table(self, prefix: str, raw: Any, fields: Mapping[str, Field]) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(prefix, "must be a table")
        out: dict[str, Any] = {}
        for key, value in raw.items():
            spec = fields.get(key)
            dotted = f"{prefix}.{key}"
            if spec is None:
                known = ", ".join(fields)
                raise self.fail(dotted, f"unknown key (known keys: {known})")
            # bool is a subclass of int in Python; `timeout_s = true` must still be refused.
            if isinstance(value, bool) and bool not in _as_tuple(spec.type):
                raise self.fail(dotted, f"must be {_type_name(spec.type)}, got {value!r}")
            if not isinstance(value, spec.type):
                raise self.fail(dotted, f"must be {_type_name(spec.type)}, got {value!r}")
            if spec.check and (problem := spec.check(value)):
                raise self.fail(dotted, problem)
            out[key] = float(value) if float in _as_tuple(spec.type) else value
        for key, spec in fields.items():
            if spec.required and key not in raw:
                raise self.fail(prefix, f"missing required key {key!r}")
        return out


def _as_tuple(t: type | tuple[type, ...]) -> tuple[type, ...]:
    return t if isinstance(t, tuple) else (t,)


def parse_config(text: str, path: Path) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    reader = _Reader(path, text)
    for key in raw:
        if key not in TOP_LEVEL:
            raise reader.fail(key, f"unknown key (known keys: {', '.join(TOP_LEVEL)})")

    sources_raw = raw.get("sources")
    if sources_raw is None:
        raise ConfigError(f"{path}: sources: at least one [[sources]] table is required")
    if not isinstance(sources_raw, list) or not sources_raw:
        raise reader.fail("sources", "must be one or more [[sources]] tables")
    sources = []
    seen: set[str] = set()
    for i, item in enumerate(sources_raw):
        sources.append(_source(reader, i, item, path))
        if sources[-1].name in seen:
            raise reader.fail(f"sources[{i}].name", f"duplicate source name {sources[-1].name!r}")
        seen.add(sources[-1].name)

    display = DisplayConfig(**reader.table("display", raw.get("display", {}), DISPLAY_FIELDS))
    values = reader.table("reforecast", raw.get("reforecast", {}), REFORECAST_FIELDS)
    if "forecast_csv" in values:
        # Relative to the config file, so a config and its forecast can travel together.
        values["forecast_csv"] = (path.parent / values["forecast_csv"]).resolve()
    if "volume_override" in values:
        values["volume_override"] = tuple(
            (k, float(v)) for k, v in values["volume_override"].items()
        )
    values["tuning"] = tuple(
        (key, values.pop(key)) for key in ("volume_k", "decay", "aht_k", "noise_z") if key in values
    )
    if "exclude" in values:
        values["exclude"] = tuple(tuple(item.split(" ")) for item in values["exclude"])
    reforecast = ReforecastConfig(**values)
    values = reader.table("journal", raw.get("journal", {}), JOURNAL_FIELDS)
    if "path" in values:  # ~ expands; relative to the config file, like forecast_csv
        values["path"] = (path.parent / Path(values["path"]).expanduser()).resolve()
    journal = JournalConfig(**values)
    return Config(
        sources=tuple(sources),
        display=display,
        reforecast=reforecast,
        journal=journal,
        alerts=_alert_rules(reader, raw.get("alerts", {})),
        keys=_keys(reader, raw.get("keys", {})),
        collector=_collector(reader, raw.get("collector", {}), path),
        path=path,
    )


def _relative(path: Path, value: str) -> Path:
    """A path in the config, relative to the config file, so the two can travel together."""
    return (path.parent / Path(value).expanduser()).resolve()


def _kind(reader: _Reader, prefix: str, raw: Any, kinds: tuple[str, ...]) -> str:
    if not isinstance(raw, dict):
        raise reader.fail(prefix, "must be a table")
    kind = raw.get("kind")
    if kind is None:
        raise reader.fail(prefix, "missing required key 'kind'")
    if kind not in kinds:
        raise reader.fail(f"{prefix}.kind", f"must be one of {', '.join(kinds)}; got {kind!r}")
    return str(kind)


def _options(
    values: dict[str, Any], own: Mapping[str, Field], path: Path
) -> tuple[tuple[str, Any], ...]:
    options = []
    for key in own:
        if key in values:
            value = values.pop(key)
            if key == "credentials_file":
                value = str(_relative(path, value))
            elif isinstance(value, list):
                value = tuple(value)
            elif isinstance(value, dict):
                value = dict(value)
            options.append((key, value))
    return tuple(options)


def _source(reader: _Reader, i: int, raw: Any, path: Path) -> SourceConfig:
    prefix = f"sources[{i}]"
    kind = _kind(reader, prefix, raw, SOURCE_KINDS)
    own = KIND_FIELDS[kind]
    values = reader.table(prefix, raw, {**SOURCE_FIELDS, **own})
    if "url" not in values and kind not in URL_OPTIONAL:
        raise reader.fail(prefix, "missing required key 'url'")
    if kind == "collector" and "token_file" not in values:
        raise reader.fail(prefix, "a collector source needs token_file")
    if kind in QUEUES_REQUIRED and not values.get("queues"):
        raise reader.fail(prefix, f"a {kind} source needs queues = [queue ids to watch]")
    if "token_file" in values:
        values["token_file"] = _relative(path, values["token_file"])
    for key, default in KIND_DEFAULTS.get(kind, {}).items():
        values.setdefault(key, default)
    values.setdefault("url", "")
    options = _options(values, own, path)
    tickets = None
    if "tickets" in values:
        if kind == "collector":
            raise reader.fail(f"{prefix}.tickets", "a viewer shows its collector's tickets")
        tickets = _tickets(reader, f"{prefix}.tickets", values.pop("tickets"), path)
    return SourceConfig(**values, options=options, tickets=tickets)


def _tickets(reader: _Reader, prefix: str, raw: Any, path: Path) -> TicketConfig:
    kind = _kind(reader, prefix, raw, TICKET_KINDS)
    own = TICKET_KIND_FIELDS[kind]
    values = reader.table(prefix, raw, {**TICKET_FIELDS, **own})
    if kind == "zendesk":
        if not {"api_token_env", "oauth_token_env", "credentials_file"} & values.keys():
            raise reader.fail(prefix, "zendesk needs api_token_env (with email), "
                                      "oauth_token_env or credentials_file")
        if "api_token_env" in values and "email" not in values:
            raise reader.fail(prefix, "api_token_env needs email (the agent the token acts as)")
    if kind == "rt" and not {"token_env", "credentials_file"} & values.keys():
        raise reader.fail(prefix, "rt needs token_env or credentials_file")
    options = _options(values, {**own, "credentials_file": TICKET_FIELDS["credentials_file"]},
                       path)
    return TicketConfig(**values, options=options)


def _collector(reader: _Reader, raw: Any, path: Path) -> CollectorConfig:
    values = reader.table("collector", raw, COLLECTOR_FIELDS)
    for key in ("tokens_file", "tls_certfile", "tls_keyfile"):
        if key in values:
            values[key] = (path.parent / Path(values[key]).expanduser()).resolve()
    if ("tls_certfile" in values) != ("tls_keyfile" in values):
        raise reader.fail("collector", "tls_certfile and tls_keyfile go together")
    return CollectorConfig(**values)


def _keys(reader: _Reader, raw: Any) -> tuple[tuple[str, str], ...]:
    values = reader.table("keys", raw, KEY_FIELDS)
    for key, first, second in clashes(values):
        # Reported on the remapped action, which is the line the user just wrote.
        culprit = second if second in values else first
        other = first if culprit == second else second
        raise reader.fail(f"keys.{culprit}", f"key {key_label(key)!r} is also {other}'s key")
    return tuple(values.items())


def _alert_rules(reader: _Reader, raw: Any) -> AlertRules:
    values = reader.table("alerts", raw, ALERT_FIELDS)
    stress = reader.table("alerts.stress", values.pop("stress", {}), STRESS_FIELDS)
    if "break_reasons" in stress:
        stress["break_reasons"] = frozenset(r.strip().lower() for r in stress["break_reasons"])
    try:
        return AlertRules(**values, stress=StressRules(**stress))
    except ValueError as exc:
        table = "alerts" if values or not stress else "alerts.stress"
        raise reader.fail(table, str(exc)) from None


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text: {exc.reason}") from None
    return parse_config(text, path)
