"""The core stays pure: the domain modules import neither kafka-python nor FastAPI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE = ["exchange.identifiers", "exchange.regions", "exchange.directory", "exchange.directory_view",
        "exchange.directory_codec", "exchange.rules", "exchange.masking", "exchange.views", "exchange.codec",
        "exchange.schemas", "exchange.envelope", "exchange.core", "exchange.catalogue", "exchange.topics",
        "exchange.events", "exchange.testing", "exchange.layout", "exchange.sharing", "exchange.citizen_ids",
        "exchange.credit_codes", "exchange.id_types", "exchange.message"]


def test_pure_modules_load_without_kafka_or_fastapi() -> None:
    probe = (f"import sys; import {', '.join(PURE)}; "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'kafka', 'fastapi', 'starlette', 'uvicorn'}))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "[]"


def _imports_kafka(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "kafka" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "kafka" and not node.level:
            return True
    return False


def test_exactly_one_module_talks_to_kafka_python() -> None:
    sources = [p for folder in ("exchange", "producers", "consumers", "bench") for p in (ROOT / folder).rglob("*.py")]
    talking = sorted(str(p.relative_to(ROOT)) for p in sources if _imports_kafka(p))
    assert talking == ["exchange/transport.py"]
