"""The schema registry's refusals, and its HTTP basic auth, as Confluent clients send `basic.auth.user.info`.

The password is the department node's API key (the same keys file as `govx api`); the user name
is the node (`440303/weijian`), and when it names a node it must be the key's own.
"""

from __future__ import annotations

import base64
import binascii

from exchange.api.keys import Keys
from exchange.core.directory import Node
from exchange.errors import ApiError

# govx's code for each Confluent error code, for the `{"error": {"code", "message"}}` side of an answer.
CODES = {40401: "subject.not_found", 40402: "version.not_found", 40403: "schema.not_found",
         409: "schema.incompatible", 42201: "schema.invalid", 42202: "version.invalid",
         40101: "unauthorized", 40301: "forbidden", 405: "method_not_allowed", 404: "not_found"}


class RegistryError(ApiError):
    """A registry refusal: an `ApiError` that also carries Confluent's numeric error code."""

    def __init__(self, status: int, error_code: int, message: str) -> None:
        super().__init__(status, CODES.get(error_code, "registry.error"), message)
        self.error_code = error_code


def authenticate(header: str | None, keys: Keys) -> Node:
    """The node whose key the `Authorization: Basic …` header carries; `RegistryError` 401 otherwise."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise RegistryError(401, 40101, "Unauthorized: registering needs HTTP basic auth, "
                                        "basic.auth.user.info = <division>/<department>:<API key>")
    try:
        user, sep, key = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise RegistryError(401, 40101, "Unauthorized: the basic auth credentials are not base64 user:key") from None
    node = keys.node_of(key) if sep else None
    if node is None:
        raise RegistryError(401, 40101, "Unauthorized: the API key is not known")
    if "/" in user and user != node.id:
        raise RegistryError(401, 40101, f"Unauthorized: the key is not {user}'s")
    return node
