"""Folders are the layers (docs/architecture.md §2): the rules are checked by folder, so a new module is
covered the day it is added, and each rule is shown to fail on a planted violation."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("exchange", "producers", "consumers", "loadtest", "govx")
KAFKA_CLIENTS = {"kafka", "confluent_kafka"}
IMPURE = KAFKA_CLIENTS | {"fastapi", "starlette", "uvicorn", "prometheus_client", "pydantic", "pydantic_settings",
                          "socket", "httpx", "requests"}
MAX_MODULE_LINES = 300
MAX_CLASS_LINES = 150


@dataclass(frozen=True)
class Rule:
    """Modules under `folder` may not import any module whose dotted name starts with one of `forbidden`."""

    folder: str
    forbidden: frozenset[str]
    why: str


RULES = (
    Rule("exchange/core", frozenset(IMPURE | {"exchange.kafka", "exchange.runtime", "exchange.api", "exchange.worker"}),
         "the core is pure"),
    Rule("exchange/runtime", frozenset(KAFKA_CLIENTS | {"exchange.kafka", "exchange.api", "exchange.worker"}),
         "runtime plumbing sits below Kafka and the services"),
    Rule("exchange/kafka", frozenset({"exchange.api", "exchange.worker"}), "the Kafka package sits below the services"),
    Rule("exchange", frozenset({"producers", "consumers", "loadtest", "govx"}),
         "the library imports no layer above it"),
    Rule("producers", frozenset(KAFKA_CLIENTS | {"consumers", "loadtest", "govx"}),
         "simulators use the library, never the receivers or the harness"),
    Rule("consumers", frozenset(KAFKA_CLIENTS | {"producers", "loadtest", "govx"}),
         "receivers use the library, never the simulators or the harness"),
    Rule("loadtest", frozenset({"govx"} | KAFKA_CLIENTS),
         "the harness sits below the CLI and talks to Kafka through exchange.kafka"),
    Rule("govx", frozenset(KAFKA_CLIENTS), "the CLI talks to Kafka via exchange.kafka"),
)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, root: Path) -> set[str]:
    """Absolute names a module imports, relative imports resolved against its package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path, root).rsplit(".", 1)[0] if path.name != "__init__.py" else _module_name(path, root)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_violations(root: Path) -> list[str]:
    """Every import that breaks a folder rule, as `module imports name (why)`."""
    found = []
    for rule in RULES:
        for path in sorted((root / rule.folder).rglob("*.py")):
            module = _module_name(path, root)
            for name in sorted(_imports(path, root)):
                if any(_matches(name, f) for f in rule.forbidden):
                    found.append(f"{module} imports {name} ({rule.why})")
    return found


def kafka_client_importers(root: Path) -> list[str]:
    """Modules outside `exchange/kafka/` that import a Kafka client."""
    paths = [p for package in PACKAGES for p in (root / package).rglob("*.py")]
    return sorted(_module_name(p, root) for p in paths
                  if not p.is_relative_to(root / "exchange" / "kafka")
                  and any(_matches(n, c) for n in _imports(p, root) for c in KAFKA_CLIENTS))


def oversized(root: Path) -> list[str]:
    """Modules over MAX_MODULE_LINES lines and classes over MAX_CLASS_LINES."""
    found = []
    for path in sorted(p for package in PACKAGES for p in (root / package).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_MODULE_LINES:
            found.append(f"{path.relative_to(root)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and (node.end_lineno or 0) - node.lineno + 1 > MAX_CLASS_LINES:
                found.append(f"{path.relative_to(root)}: class {node.name}")
    return found


def test_every_module_keeps_to_its_layer() -> None:
    assert layer_violations(ROOT) == []


def test_only_the_kafka_package_imports_a_kafka_client() -> None:
    assert kafka_client_importers(ROOT) == []
    assert any(_matches(n, "kafka") for p in (ROOT / "exchange/kafka").rglob("*.py") for n in _imports(p, ROOT))


def test_no_module_or_class_outgrows_its_limit() -> None:
    assert oversized(ROOT) == []


def _plant(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")


@pytest.mark.parametrize(("relative", "source", "expected"), [
    ("exchange/core/brand_new.py", "import socket\n", "exchange.core.brand_new imports socket"),
    ("exchange/core/brand_new.py", "from ..kafka import client\n", "exchange.core.brand_new imports exchange.kafka"),
    ("exchange/core/brand_new.py", "from pydantic import BaseModel\n", "imports pydantic"),
    ("exchange/runtime/new.py", "from exchange.worker import Worker\n", "exchange.runtime.new imports exchange.worker"),
    ("exchange/new.py", "import loadtest.report\n", "exchange.new imports loadtest.report"),
    ("producers/new.py", "from consumers import receiver\n", "producers.new imports consumers"),
    ("consumers/new.py", "from producers.world import World\n", "consumers.new imports producers.world"),
    ("loadtest/new.py", "from govx.cli import main\n", "loadtest.new imports govx.cli"),
])
def test_a_planted_layer_violation_is_reported(tmp_path: Path, relative: str, source: str, expected: str) -> None:
    _plant(tmp_path, relative, source)
    assert any(expected in v for v in layer_violations(tmp_path)), layer_violations(tmp_path)


def test_a_planted_kafka_import_outside_the_kafka_package_is_reported(tmp_path: Path) -> None:
    _plant(tmp_path, "exchange/kafka/client.py", "import kafka\n")
    _plant(tmp_path, "exchange/worker.py", "from confluent_kafka import Producer\n")
    assert kafka_client_importers(tmp_path) == ["exchange.worker"]


def test_a_planted_oversized_module_and_class_are_reported(tmp_path: Path) -> None:
    _plant(tmp_path, "exchange/big.py", "x = 1\n" * (MAX_MODULE_LINES + 1))
    _plant(tmp_path, "govx/wide.py", "class Wide:\n" + "    x = 1\n" * MAX_CLASS_LINES)
    assert oversized(tmp_path) == [f"exchange/big.py: {MAX_MODULE_LINES + 1} lines", "govx/wide.py: class Wide"]
