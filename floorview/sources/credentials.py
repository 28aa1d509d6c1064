"""Vendor credentials: from the environment or a file only its owner can read.

A config file is shared, pasted into tickets and checked in, so it never holds a secret.
It names where each secret lives instead::

    [[sources]]
    kind = "genesys"
    client_id_env = "GENESYS_CLIENT_ID"          # read this environment variable
    credentials_file = "genesys.secrets.toml"   # or this 0600 TOML file's client_secret key

A secret is a `Secret`: its repr and str are masked, so a log line, a traceback's locals or
an f-string in an error message cannot print it by accident. Only ``reveal()`` gives it up,
at the one place a request header or body is built.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


class CredentialError(Exception):
    """A missing or unusable secret, phrased for whoever sets up the source."""


@dataclass(frozen=True, slots=True)
class Secret:
    _value: str = field(repr=False)

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return "***"

    def __repr__(self) -> str:
        return "Secret('***')"

    def __format__(self, spec: str) -> str:
        return "***"


def check_private(path: Path, what: str = "credentials file") -> None:
    """Refuse a file that group or others can read or write."""
    try:
        info = path.stat()
    except OSError as exc:
        raise CredentialError(f"{path}: cannot read the {what}: {exc.strerror}") from None
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialError(
            f"{path}: {what} is readable by others (mode {stat.S_IMODE(info.st_mode):o}); "
            f"run: chmod 600 {path}"
        )


def read_credentials_file(path: Path) -> dict[str, str]:
    """A 0600 TOML file of ``name = "secret"`` pairs."""
    check_private(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialError(f"{path}: cannot read the credentials file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message quotes no values, only positions.
        raise CredentialError(f"{path}: not valid TOML: {exc}") from None
    out: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            raise CredentialError(f"{path}: {key}: must be a string")
        out[key] = value
    return out


def load_secrets(
    source: str,
    names: Sequence[str],
    options: Mapping[str, object],
    *,
    optional: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
) -> dict[str, Secret]:
    """Each secret in ``names`` (and any of ``optional`` that is set) for one source.

    ``NAME_env`` in the source's options names an environment variable to read;
    otherwise the ``credentials_file`` option's file supplies ``NAME``. A missing required
    secret is an error that says both ways of giving it, and never shows a value.
    """
    env = os.environ if environ is None else environ
    file_values: dict[str, str] | None = None
    file_opt = options.get("credentials_file")
    path = Path(str(file_opt)) if file_opt else None
    out: dict[str, Secret] = {}
    for name in (*names, *optional):
        env_name = options.get(f"{name}_env")
        value: str | None = None
        if isinstance(env_name, str):
            value = env.get(env_name) or None
            if value is None and name in names:
                raise CredentialError(
                    f"sources.{source}.{name}_env: environment variable {env_name} is not set"
                )
        elif path is not None:
            if file_values is None:
                file_values = read_credentials_file(path)
            value = file_values.get(name) or None
        if value is not None:
            out[name] = Secret(value.strip())
        elif name in names:
            raise CredentialError(
                f"sources.{source}: no {name}: set {name}_env to an environment variable's "
                f"name, or put {name} in a credentials_file (mode 600)"
            )
    return out
