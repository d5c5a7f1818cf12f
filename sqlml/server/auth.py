"""SCRAM-SHA-256 password authentication (RFC 7677, as PostgreSQL speaks it), by the `scramp` library.

The server keeps only the salted keys, never the password. A wrong user name goes through the whole
exchange as a wrong password does, so the answer does not tell which of the two was wrong.
"""

from __future__ import annotations

from scramp import ScramException, ScramMechanism

from sqlml.server import protocol

MECHANISM = "SCRAM-SHA-256"
SASL, SASL_CONTINUE, SASL_FINAL = 10, 11, 12


def _with_user_placeholder(client_first: str) -> str:
    """PostgreSQL clients send an empty SCRAM user name (`n=`: the startup packet names the user), which scramp
    refuses; it reads a placeholder instead, and the exchange then goes on over the message as sent."""
    gs2_flag, authzid, bare = client_first.split(",", 2) if client_first.count(",") >= 2 else ("", "", "")
    if bare.startswith("n=,"):
        bare = "n=*," + bare[3:]
    return f"{gs2_flag},{authzid},{bare}"


class AuthenticationFailed(Exception):
    """The client did not prove it knows the user's password."""


class Credentials:
    """One user and the SCRAM keys of its password."""

    def __init__(self, user: str, password: str):
        self.user = user
        self._mechanism = ScramMechanism(MECHANISM)
        self._keys = self._mechanism.make_auth_info(password)

    def authenticate(self, channel: protocol.Channel, user: str) -> None:
        """Run the exchange with the client on `channel`; AuthenticationFailed unless it proves the password
        of our user and `user` (from its startup packet) is that user."""
        server = self._mechanism.make_server(lambda _name: self._keys)
        channel.send(protocol.authentication(SASL, protocol.cstr(MECHANISM) + b"\0"))
        try:
            mechanism, first = self._initial_response(channel)
            if mechanism != MECHANISM:
                raise AuthenticationFailed(f"unsupported SASL mechanism {mechanism!r}")
            server.set_client_first(_with_user_placeholder(first))
            server.client_first_bare = first.split(",", 2)[2]  # the proof covers the message the client sent
            channel.send(protocol.authentication(SASL_CONTINUE, server.get_server_first().encode()))
            server.set_client_final(self._response(channel))
        except ScramException:
            raise AuthenticationFailed(f'password authentication failed for user "{user}"') from None
        if user != self.user:
            raise AuthenticationFailed(f'password authentication failed for user "{user}"')
        channel.send(protocol.authentication(SASL_FINAL, server.get_server_final().encode()))

    @staticmethod
    def _initial_response(channel: protocol.Channel) -> tuple[str, str]:
        kind, body = channel.message()
        if kind != b"p":
            raise protocol.ProtocolError("expected a SASLInitialResponse")
        mechanism = body.cstring()
        length = body.int32()
        return mechanism, body.take(length).decode() if length >= 0 else ""

    @staticmethod
    def _response(channel: protocol.Channel) -> str:
        kind, body = channel.message()
        if kind != b"p":
            raise protocol.ProtocolError("expected a SASLResponse")
        return body.data.decode()
