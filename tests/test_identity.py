"""Who the journal says did something: from the OS and sshd, never from the UI."""

from __future__ import annotations

import os
import pwd
import socket

import pytest

from floorview.identity import Actor, current_actor, ssh_client

ME = pwd.getpwuid(os.getuid()).pw_name


def test_ssh_connection_gives_the_client_address() -> None:
    actor = current_actor({"SSH_CONNECTION": "203.0.113.9 50000 10.0.0.1 22"})
    assert actor.client == "203.0.113.9"
    assert actor.ssh_user == ME
    assert actor.over_ssh
    assert actor.label() == f"{ME}@203.0.113.9 (ssh)"


def test_local_session_has_no_client() -> None:
    actor = current_actor({})
    assert actor.client is None
    assert actor.ssh_user is None
    assert not actor.over_ssh
    assert actor.label() == ME
    assert actor.host == socket.gethostname()


def test_older_ssh_client_variable_is_used_when_connection_is_missing() -> None:
    assert ssh_client({"SSH_CLIENT": "198.51.100.4 50122 22"}) == (True, "198.51.100.4")


def test_ipv6_client() -> None:
    actor = current_actor({"SSH_CONNECTION": "2001:db8::7 50000 2001:db8::1 22"})
    assert actor.client == "2001:db8::7"


@pytest.mark.parametrize(
    "value",
    ["\x1b[31mevil 1 2 3", "maria 1 2 3", "", "   "],
)
def test_a_value_that_is_not_an_address_never_reaches_the_label(value: str) -> None:
    actor = current_actor({"SSH_CONNECTION": value})
    assert actor.client is None
    assert actor.label() in (ME, f"{ME} (ssh)")


def test_user_comes_from_the_uid_not_from_variables_anyone_can_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("USER", "LOGNAME", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "mallory")
    assert current_actor().user == ME
    assert current_actor({"USER": "mallory"}).user == ME


def test_label_over_ssh_without_a_usable_address() -> None:
    assert Actor("maria", "maria", None, "h").label() == "maria (ssh)"
