"""Who is at the keyboard, for the journal: taken from the OS, never from the UI.

An audit trail is only worth something if its names cannot be typed in. The user name comes
from the process's uid (the ``USER``/``LOGNAME`` variables that ``getpass.getuser()`` reads
first can be set by anyone to anything). The SSH client address comes from the environment
sshd sets; the user could overwrite it too, so it is a hint about where they sat, not proof.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    #: The OS account running floorview (from the uid).
    user: str
    #: The account logged in over SSH (the same as ``user`` for a plain ``ssh host``);
    #: None for a local session.
    ssh_user: str | None
    #: The SSH client's address, e.g. "203.0.113.9"; None locally or when sshd's value is
    #: not an IP address.
    client: str | None
    host: str

    @property
    def over_ssh(self) -> bool:
        return self.ssh_user is not None

    def label(self) -> str:
        """How the journal and the screen name this person: "maria", "maria@203.0.113.9 (ssh)"."""
        if not self.over_ssh:
            return self.user
        if self.client is None:
            return f"{self.user} (ssh)"
        return f"{self.user}@{self.client} (ssh)"


def os_user() -> str:
    """The account name of the process's real uid; getpass where there is no pwd (Windows)."""
    try:
        import pwd
    except ImportError:  # pragma: no cover - not POSIX
        return getpass.getuser()
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        # A uid with no passwd entry (some containers): the number still names the account.
        return str(os.getuid())


def ssh_client(env: Mapping[str, str]) -> tuple[bool, str | None]:
    """(over SSH?, client address) from SSH_CONNECTION, or the older SSH_CLIENT.

    SSH_CONNECTION is "client_ip client_port server_ip server_port"; SSH_CLIENT is
    "client_ip client_port server_port". Anything that is not an IP address is dropped, so a
    crafted value cannot put escape sequences or a fake name into the audit label.
    """
    raw = env.get("SSH_CONNECTION") or env.get("SSH_CLIENT")
    if not raw:
        return False, None
    first = raw.split()[0] if raw.split() else ""
    try:
        return True, str(ipaddress.ip_address(first))
    except ValueError:
        return True, None


def current_actor(env: Mapping[str, str] | None = None) -> Actor:
    """The person running this process. ``env`` defaults to ``os.environ`` (tests pass one)."""
    environ = os.environ if env is None else env
    user = os_user()
    over_ssh, client = ssh_client(environ)
    return Actor(
        user=user,
        ssh_user=user if over_ssh else None,
        client=client,
        host=socket.gethostname(),
    )
