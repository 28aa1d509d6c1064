"""Vendor kinds in the config: each kind's own keys, [sources.tickets], errors with lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from floorview.config import ConfigError, parse_config

ALL_KINDS = """\
[[sources]]
name = "connect"
kind = "amazon_connect"
instance_id = "6f0c1a2b-0000-4000-8000-000000000001"
region = "eu-west-2"
queues = ["q-billing", "q-sales"]
time_zone = "Europe/London"

[sources.tickets]
kind = "zendesk"
url = "https://acme.zendesk.com"
email = "wallboard@acme.example"
api_token_env = "ZENDESK_API_TOKEN"
escalated_tags = ["escalated", "vip"]

[[sources]]
name = "genesys"
kind = "genesys"
url = "https://api.mypurecloud.ie"
client_id_env = "GENESYS_CLIENT_ID"
client_secret_env = "GENESYS_CLIENT_SECRET"
queues = ["3b1f0c5e-1111-4222-8333-444455556666"]

[sources.tickets]
kind = "rt"
url = "https://rt.example.com"
token_env = "RT_TOKEN"
queues = ["Support"]
priority_names = { low = 0, high = 60, urgent = 90 }

[[sources]]
name = "twilio"
kind = "twilio"
workspace_sid = "WSaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
account_sid = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
auth_token_env = "TWILIO_AUTH_TOKEN"
queue_skills = { WQ00000000000000000000000000000001 = "billing" }
"""


def test_one_source_of_each_kind_validates() -> None:
    config = parse_config(ALL_KINDS, Path("/etc/floorview/floor.toml"))
    connect, genesys, twilio = config.sources
    assert (connect.kind, genesys.kind, twilio.kind) == ("amazon_connect", "genesys", "twilio")
    assert dict(connect.options)["queues"] == ("q-billing", "q-sales")
    assert dict(connect.options)["region"] == "eu-west-2"
    # Kind defaults sit under the vendors' documented limits.
    assert connect.poll_interval_s == 5.0
    assert genesys.max_requests_per_s == 4.0
    assert twilio.url == ""  # the adapter's own default host
    assert dict(twilio.options)["queue_skills"] == {"WQ00000000000000000000000000000001": "billing"}
    assert connect.tickets is not None and connect.tickets.kind == "zendesk"
    assert dict(connect.tickets.options)["escalated_tags"] == ("escalated", "vip")
    assert genesys.tickets is not None and genesys.tickets.kind == "rt"
    assert dict(genesys.tickets.options)["priority_names"] == {"low": 0, "high": 60, "urgent": 90}
    assert twilio.tickets is None


def test_credentials_file_is_relative_to_the_config() -> None:
    text = ALL_KINDS.replace('auth_token_env = "TWILIO_AUTH_TOKEN"', 'credentials_file = "twilio.secrets.toml"')
    config = parse_config(text, Path("/etc/floorview/floor.toml"))
    assert dict(config.sources[2].options)["credentials_file"] == "/etc/floorview/twilio.secrets.toml"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('region = "eu-west-2"\n', "", "floor.toml:1: sources[0]: missing required key 'region'"),
        ('queues = ["q-billing", "q-sales"]\n', "", "floor.toml:1: sources[0]: a amazon_connect source needs queues"),
        ('time_zone = "Europe/London"', 'time_zone = "Europe/Londn"', "floor.toml:7: sources[0].time_zone: unknown time zone 'Europe/Londn'"),
        ('api_token_env = "ZENDESK_API_TOKEN"', 'api_token_env = "abc123 secret!"', "floor.toml:13: sources[0].tickets.api_token_env: must be the name of an environment variable"),
        ('email = "wallboard@acme.example"\n', "", "floor.toml:9: sources[0].tickets: api_token_env needs email"),
        ('kind = "zendesk"', 'kind = "freshdesk"', "floor.toml:10: sources[0].tickets.kind: must be one of zendesk, rt"),
        ('client_secret_env = "GENESYS_CLIENT_SECRET"', 'client_secret = "hunter2"', "floor.toml:21: sources[1].client_secret: unknown key"),
        ('token_env = "RT_TOKEN"\n', "", "floor.toml:24: sources[1].tickets: rt needs token_env or credentials_file"),
        ('queue_skills = { WQ00000000000000000000000000000001 = "billing" }', 'queue_skills = { WQ1 = "" }', "floor.toml:37: sources[2].queue_skills: WQ1: must be a non-empty string"),
        ('url = "https://api.mypurecloud.ie"\n', "", "floor.toml:16: sources[1]: missing required key 'url'"),
    ],
)
def test_vendor_errors_name_file_line_and_key(old: str, new: str, expected: str) -> None:
    assert old in ALL_KINDS
    with pytest.raises(ConfigError) as info:
        parse_config(ALL_KINDS.replace(old, new, 1), Path("floor.toml"))
    assert str(info.value).startswith(expected), str(info.value)


def test_unknown_key_lists_the_kinds_own_keys() -> None:
    text = ALL_KINDS.replace('region = "eu-west-2"', 'region = "eu-west-2"\nregoin = "x"')
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("floor.toml"))
    message = str(info.value)
    assert "sources[0].regoin: unknown key" in message
    assert "instance_id" in message and "region" in message
    assert "workspace_sid" not in message  # another kind's keys are not offered


ENV = {
    "ZENDESK_API_TOKEN": "zd-canary-0000", "GENESYS_CLIENT_ID": "gc-id",
    "GENESYS_CLIENT_SECRET": "gc-canary-1111", "RT_TOKEN": "rt-canary-2222",
    "TWILIO_AUTH_TOKEN": "tw-canary-3333",
    # botocore's credential chain, so building the Connect client needs no ~/.aws.
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "aws-canary-4444",
}


def _check(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from floorview.cli import main

    path = tmp_path / "floor.toml"
    path.write_text(text)
    code = main(["check-config", str(path)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_check_config_builds_every_adapter_without_a_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    code, out = _check(tmp_path, ALL_KINDS, capsys)
    assert code == 0, out
    assert "3 source(s)" in out
    assert "tickets: zendesk https://acme.zendesk.com" in out
    assert "tickets: rt https://rt.example.com" in out
    assert "canary" not in out


def test_check_config_names_a_missing_secret_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GENESYS_CLIENT_SECRET")
    code, out = _check(tmp_path, ALL_KINDS, capsys)
    assert code == 2
    assert "GENESYS_CLIENT_SECRET is not set" in out
    assert "canary" not in out


def test_check_config_refuses_a_credentials_file_others_can_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    secrets = tmp_path / "twilio.secrets.toml"
    secrets.write_text('auth_token = "tw-canary-5555"\n')
    secrets.chmod(0o644)
    text = ALL_KINDS.replace('auth_token_env = "TWILIO_AUTH_TOKEN"',
                             'credentials_file = "twilio.secrets.toml"')
    code, out = _check(tmp_path, text, capsys)
    assert code == 2
    assert "readable by others" in out and "chmod 600" in out
    assert "canary" not in out
    secrets.chmod(0o600)
    code, out = _check(tmp_path, text, capsys)
    assert code == 0, out


def test_the_commented_vendor_example_in_config_example_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (Path(__file__).parent.parent / "config.example.toml").read_text()
    block = text[text.index("# [[sources]]"):text.index("[reforecast]")]
    lines = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    example = "\n".join(line for line in lines if re.match(r"[a-z_]+ = |\[", line))
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    code, out = _check(tmp_path, example, capsys)
    assert code == 0, out
    assert "leeds (genesys https://api.mypurecloud.ie, tickets: zendesk" in out
