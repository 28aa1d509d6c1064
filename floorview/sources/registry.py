"""Which module builds each source kind: imported only when a config names it.

A wall that watches Genesys never imports botocore; `check-config` builds every adapter
(credentials read, options checked) without sending a request.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from floorview.sources.base import Source, TicketSource, WithTickets
from floorview.sources.credentials import CredentialError
from floorview.sources.http import HttpLimits
from floorview.sources.vendor import AdapterConfig

TELEPHONY_MODULES = {
    "amazon_connect": "floorview.sources.amazon_connect",
    "genesys": "floorview.sources.genesys",
    "twilio": "floorview.sources.twilio",
}
TICKET_MODULES = {
    "zendesk": "floorview.sources.zendesk",
    "rt": "floorview.sources.rt",
}


class AdapterError(Exception):
    """An adapter could not be built from its config; phrased for the user."""


def _build(module: str, where: str, config: AdapterConfig, **inject: Any) -> Any:
    try:
        factory = importlib.import_module(module).from_config
    except ImportError as exc:
        raise AdapterError(f"{where}: {exc}") from None
    try:
        return factory(config, **inject)
    except CredentialError as exc:  # already names sources.<name>.<key>
        raise AdapterError(str(exc)) from None
    except (ValueError, ImportError) as exc:
        # ImportError: an optional extra (botocore for amazon_connect) not installed.
        raise AdapterError(f"{where}: {exc}") from None


def build_telephony(
    kind: str, config: AdapterConfig, **inject: Any
) -> Source:
    return _build(TELEPHONY_MODULES[kind], f"sources.{config.name}", config, **inject)


def build_tickets(kind: str, config: AdapterConfig, **inject: Any) -> TicketSource:
    return _build(TICKET_MODULES[kind], f"sources.{config.name}.tickets", config, **inject)


def with_tickets(telephony: Source, tickets: TicketSource | None) -> Source:
    return telephony if tickets is None else WithTickets(telephony, tickets)


def adapter_config(
    name: str,
    url: str | None,
    options: tuple[tuple[str, Any], ...],
    limits: HttpLimits,
    environ: Mapping[str, str] | None = None,
) -> AdapterConfig:
    return AdapterConfig(name=name, url=url or None, options=dict(options), limits=limits,
                         environ=environ)
