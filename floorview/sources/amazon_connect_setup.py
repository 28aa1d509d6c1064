"""Amazon Connect: the adapter's options, static credentials, and botocore's client and logs.

Split from amazon_connect.py, which holds the source itself; nothing here sends a request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from floorview.sources.credentials import CredentialError, Secret, load_secrets
from floorview.sources.http import HttpLimits
from floorview.sources.vendor import AdapterConfig, zone_option

_CREDENTIAL_NAMES = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
_CHANNELS = ("VOICE", "CHAT", "TASK", "EMAIL")
# --- options --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectOptions:
    instance_id: str
    region: str
    queues: tuple[str, ...]
    instance_arn: str | None = None
    profile: str | None = None
    time_zone: str = "UTC"
    sl_threshold_s: int = 20
    sl_target: float = 0.8
    site: str = ""
    channels: tuple[str, ...] = ("VOICE", "CHAT")


def _resource_id(value: str) -> str:
    """An id from an id or an ARN (Connect's filters take either; its answers give ids)."""
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def parse_options(config: AdapterConfig) -> ConnectOptions:
    where = f"sources.{config.name}"

    def text(key: str, default: str | None = None) -> str | None:
        value = config.opt(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{where}.{key}: must be a non-empty string")
        return value.strip()

    raw_instance = text("instance_id")
    region = text("region")
    if raw_instance is None:
        raise ValueError(f"{where}.instance_id: required")
    if region is None:
        raise ValueError(f"{where}.region: required")
    instance_arn = None
    instance_id = raw_instance
    if raw_instance.startswith("arn:"):
        if ":instance/" not in raw_instance:
            raise ValueError(f"{where}.instance_id: {raw_instance!r} is not an instance ARN")
        instance_arn, instance_id = raw_instance, raw_instance.rsplit("/", 1)[-1]

    queues_raw = config.opt("queues")
    if not isinstance(queues_raw, list | tuple) or not queues_raw:
        raise ValueError(f"{where}.queues: required: a list of Connect queue ids")
    queues: list[str] = []
    for q in queues_raw:
        if not isinstance(q, str) or not q.strip():
            raise ValueError(f"{where}.queues: every entry must be a queue id")
        qid = _resource_id(q.strip())
        if qid not in queues:
            queues.append(qid)

    time_zone = zone_option(config).key

    threshold = config.opt("sl_threshold_s", 20)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ValueError(f"{where}.sl_threshold_s: must be a number of seconds")
    if threshold != int(threshold) or not 1 <= threshold <= 604_800:
        # GetMetricDataV2's threshold is "any whole number from 1 to 604800".
        raise ValueError(f"{where}.sl_threshold_s: Connect takes a whole number of seconds, "
                         f"1 to 604800; got {threshold!r}")
    target = config.opt("sl_target", 0.8)
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 1:
        raise ValueError(f"{where}.sl_target: must be a fraction in (0, 1]; got {target!r}")

    channels_raw = config.opt("channels", ["VOICE", "CHAT"])
    if not isinstance(channels_raw, list | tuple) or not channels_raw:
        raise ValueError(f"{where}.channels: a list of {', '.join(_CHANNELS)}")
    channels: list[str] = []
    for c in channels_raw:
        name = str(c).strip().upper()
        if name not in _CHANNELS:
            raise ValueError(f"{where}.channels: {c!r} is not one of {', '.join(_CHANNELS)}")
        if name not in channels:
            channels.append(name)

    return ConnectOptions(
        instance_id=instance_id,
        region=region,
        queues=tuple(queues),
        instance_arn=instance_arn,
        profile=text("profile"),
        time_zone=time_zone,
        sl_threshold_s=int(threshold),
        sl_target=float(target),
        site=text("site", instance_id) or instance_id,
        channels=tuple(channels),
    )


def _static_credentials(config: AdapterConfig) -> dict[str, Secret] | None:
    """Keys from ``credentials_file`` (mode 600), when one is named; else None and
    botocore's own chain (environment, profile, SSO, instance role) finds them."""
    if not config.opt("credentials_file"):
        return None
    found = load_secrets(config.name, [], config.options, optional=_CREDENTIAL_NAMES,
                         environ=config.environ)
    if "aws_access_key_id" not in found or "aws_secret_access_key" not in found:
        raise CredentialError(
            f"sources.{config.name}.credentials_file: needs aws_access_key_id and "
            "aws_secret_access_key (aws_session_token is optional)"
        )
    return found


# --- botocore's logs ------------------------------------------------------------------------


class _DropBelowInfo(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO


_DROP_BELOW_INFO = _DropBelowInfo()


def quiet_botocore_debug() -> None:
    """Keep botocore's DEBUG records out of the logs.

    botocore.auth logs the canonical request and botocore.endpoint the prepared request's
    headers at DEBUG, and both hold X-Amz-Security-Token (a session token) and the access
    key id (tests/test_source_amazon_connect.py shows it). The secret key itself is never
    logged. The filter sits on the loggers that create the records, so it holds even if
    someone sets them to DEBUG; the level on "botocore" covers its loggers made later.
    """
    names = {"botocore.auth", "botocore.endpoint"}
    names.update(n for n in list(logging.root.manager.loggerDict) if n.startswith("botocore"))
    for name in names:
        logger = logging.getLogger(name)
        if _DROP_BELOW_INFO not in logger.filters:
            logger.addFilter(_DROP_BELOW_INFO)
    top = logging.getLogger("botocore")
    if top.level < logging.INFO:
        top.setLevel(logging.INFO)


def _client_factory(
    opts: ConnectOptions,
    limits: HttpLimits,
    endpoint_url: str | None,
    credentials: Mapping[str, Secret] | None,
) -> Callable[[], Any]:
    def build() -> Any:
        import botocore.session
        from botocore.config import Config

        session = (botocore.session.Session(profile=opts.profile) if opts.profile
                   else botocore.session.get_session())
        if credentials is not None:
            token = credentials.get("aws_session_token")
            session.set_credentials(
                credentials["aws_access_key_id"].reveal(),
                credentials["aws_secret_access_key"].reveal(),
                token.reveal() if token is not None else None,
            )
        config = Config(
            connect_timeout=limits.timeout_s,
            read_timeout=limits.timeout_s,
            retries={"mode": "standard", "max_attempts": 3},
            user_agent_extra="floorview",
        )
        client = session.create_client(
            "connect", region_name=opts.region, endpoint_url=endpoint_url or None,
            config=config,
        )
        quiet_botocore_debug()  # loggers botocore made while building the client
        return client

    return build
