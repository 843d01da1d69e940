"""Check a SCRAM password against the broker once per process, so a wrong one fails clearly.

kafka-python loses the broker's SaslAuthenticate error (the broker closes the connection right
after it) and retries until a timeout, so a refused password would look like a broker that is
down. Before the first client of a principal is built, `verify_credentials` runs the SCRAM
exchange itself (SaslHandshake v1, SaslAuthenticate v0) and raises `AuthorizationError` on a
refusal. A broker that cannot be reached is left to the client's own error handling.
"""

from __future__ import annotations

import socket
import struct

from kafka.net.sasl.scram import SaslMechanismScram

from exchange.core.security import ClientSecurity
from exchange.errors import AuthorizationError

SASL_HANDSHAKE, SASL_AUTHENTICATE = 17, 36


def _call(sock: socket.socket, api_key: int, version: int, correlation: int, body: bytes) -> bytes:
    client = b"govx"
    request = struct.pack(">hhih", api_key, version, correlation, len(client)) + client + body
    sock.sendall(struct.pack(">i", len(request)) + request)
    size = struct.unpack(">i", sock.recv(4, socket.MSG_WAITALL))[0]
    return sock.recv(size, socket.MSG_WAITALL)[4:]  # without the correlation id


def _authenticate(sock: socket.socket, security: ClientSecurity) -> str | None:
    """Run the SCRAM exchange; the broker's error message, or None when it accepted."""
    mechanism = str(security.mechanism).encode()
    reply = _call(sock, SASL_HANDSHAKE, 1, 1, struct.pack(">h", len(mechanism)) + mechanism)
    if struct.unpack(">h", reply[:2])[0] != 0:
        return f"the broker does not offer {security.mechanism}"
    scram = SaslMechanismScram(sasl_mechanism=security.mechanism, sasl_plain_username=security.username,
                               sasl_plain_password=security.password, security_protocol=security.protocol)
    correlation = 2
    while not scram.is_done():
        token = scram.auth_bytes()
        reply = _call(sock, SASL_AUTHENTICATE, 0, correlation, struct.pack(">i", len(token)) + token)
        error, length = struct.unpack(">hh", reply[:4])
        if error != 0:
            return reply[4:4 + length].decode(errors="replace") if length > 0 else f"error code {error}"
        offset = 4 + max(length, 0)
        size = struct.unpack(">i", reply[offset:offset + 4])[0]
        scram.receive(reply[offset + 4:offset + 4 + size])
        correlation += 1
    return None


_accepted: set[tuple[str, ClientSecurity]] = set()


def verify_credentials(bootstrap: str, security: ClientSecurity, timeout_s: float = 5.0) -> None:
    """Raise `AuthorizationError` if the broker refuses `security`'s password (an accepted one is
    not checked again by this process)."""
    scram = str(security.mechanism).startswith("SCRAM")
    if not scram or security.protocol != "SASL_PLAINTEXT" or (bootstrap, security) in _accepted:
        return
    refusal = _refusal(bootstrap, security, timeout_s)
    if refusal is not None:
        raise AuthorizationError(security.principal, "authenticate to", bootstrap, refusal)
    _accepted.add((bootstrap, security))


def _refusal(bootstrap: str, security: ClientSecurity, timeout_s: float) -> str | None:
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=timeout_s) as sock:
                return _authenticate(sock, security)
        except (OSError, ValueError, struct.error):
            continue
    return None
