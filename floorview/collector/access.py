"""Who may talk to the collector, and what they may do.

A token stands for a viewer host or a person's terminal, with a role:

- ``viewer``: read the floor, the plan, tickets, alerts and the stream;
- ``supervisor``: also acknowledge alerts and reassign agents;
- ``admin``: also read /metrics.

Tokens live in a TOML file that only its owner can read (0600), never in the config, which
is often shared or checked in::

    [[tokens]]
    name = "wall-3"          # the host, as the audit trail names it
    role = "viewer"
    token = "…"              # 24+ random characters, e.g. from
                             # python -c 'import secrets; print(secrets.token_urlsafe(32))'
"""

from __future__ import annotations

import hmac
import tomllib
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from floorview.sources.credentials import CredentialError, check_private


class Role(IntEnum):
    VIEWER = 1
    SUPERVISOR = 2
    ADMIN = 3


class AccessError(Exception):
    """A tokens file that must not be used, phrased for the person who set it up."""


@dataclass(frozen=True, slots=True)
class Grant:
    name: str
    role: Role


MIN_TOKEN_LEN = 24


class Tokens:
    def __init__(self, grants: dict[str, Grant]) -> None:
        self._grants = grants

    def check(self, presented: str | None) -> Grant | None:
        """The grant for a bearer token, compared in constant time; None if unknown."""
        if not presented:
            return None
        found = None
        for token, grant in self._grants.items():
            # Every token is compared, so the time taken says nothing about which matched.
            if hmac.compare_digest(token.encode(), presented.encode()):
                found = grant
        return found

    def __len__(self) -> int:
        return len(self._grants)


def load_tokens(path: Path) -> Tokens:
    try:
        check_private(path, "tokens file")
    except CredentialError as exc:
        raise AccessError(str(exc)) from None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AccessError(f"{path}: not a valid tokens file: {exc}") from None
    grants: dict[str, Grant] = {}
    entries = raw.get("tokens")
    if not isinstance(entries, list) or not entries:
        raise AccessError(f"{path}: tokens: expected one or more [[tokens]] tables")
    for i, entry in enumerate(entries):
        where = f"{path}: tokens[{i}]"
        if not isinstance(entry, dict):
            raise AccessError(f"{where}: must be a table")
        name, role, token = entry.get("name"), entry.get("role"), entry.get("token")
        if not isinstance(name, str) or not name.strip():
            raise AccessError(f"{where}.name: must be a non-empty string")
        if role not in ("viewer", "supervisor", "admin"):
            raise AccessError(f"{where}.role: must be viewer, supervisor or admin; got {role!r}")
        if not isinstance(token, str) or len(token) < MIN_TOKEN_LEN:
            raise AccessError(f"{where}.token: must be at least {MIN_TOKEN_LEN} characters")
        if token in grants:
            raise AccessError(f"{where}.token: the same token is given twice")
        grants[token] = Grant(name.strip(), Role[role.upper()])
    return Tokens(grants)


def read_token(path: Path) -> str:
    """A viewer's own token, from a file only its owner can read."""
    try:
        check_private(path, "token file")
        text = path.read_text(encoding="utf-8").strip()
    except CredentialError as exc:
        raise AccessError(str(exc)) from None
    except OSError as exc:
        raise AccessError(f"{path}: cannot read the token: {exc.strerror}") from None
    if not text:
        raise AccessError(f"{path}: the token file is empty")
    return text
