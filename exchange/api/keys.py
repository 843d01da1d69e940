"""API keys: one per department node, read from a TOML file, never from the code.

    [keys]
    "440100/gongan" = "k3Fh…"       # at least 24 characters

A key is compared with every configured key in constant time (`hmac.compare_digest`), so the
time taken says nothing about which key, or how much of one, matched.
"""

from __future__ import annotations

import hmac
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from exchange.core.directory import Node
from exchange.errors import ConfigError, InvalidValueError

MIN_LENGTH = 24


class Keys:
    """The department nodes allowed to call the API, by key."""

    def __init__(self, keys: Mapping[str, str]) -> None:
        self._keys: list[tuple[bytes, Node]] = []
        for node, key in keys.items():
            if len(key) < MIN_LENGTH:
                raise ConfigError(f"the API key of {node} is shorter than {MIN_LENGTH} characters")
            self._keys.append((key.encode(), Node.parse(node)))

    @classmethod
    def load(cls, path: Path) -> Keys:
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read the API keys file {path}: {exc}") from exc
        unknown = set(table) - {"keys"}
        if unknown or not isinstance(table.get("keys"), dict):
            raise ConfigError(f"{path}: expected one table [keys] of \"<division>/<department>\" = \"<key>\"")
        try:
            return cls(table["keys"])
        except InvalidValueError as exc:
            raise ConfigError(f"{path}: {exc}") from exc

    def node_of(self, presented: str) -> Node | None:
        """The node whose key this is, or None; every configured key is compared, every time."""
        candidate = presented.encode()
        found: Node | None = None
        for key, node in self._keys:
            if hmac.compare_digest(key, candidate):
                found = node
        return found

    def __len__(self) -> int:
        return len(self._keys)


def generate(nodes: Iterable[Node]) -> str:
    """A keys file (TOML) with a fresh random key for each node."""
    lines = ["# govx API keys: one per department node. Keep this file secret.", "[keys]"]
    lines += [f'"{node.id}" = "{secrets.token_urlsafe(32)}"' for node in sorted(set(nodes))]
    return "\n".join(lines) + "\n"
