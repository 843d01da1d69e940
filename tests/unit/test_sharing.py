"""Working-day deadlines, and the API keys: file, constant-time lookup and the CLI."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from exchange.api.keys import Keys, generate
from exchange.core.directory import Node
from exchange.core.sharing import add_working_days
from exchange.errors import ConfigError
from govx.cli import main


@pytest.mark.parametrize(("start", "days", "deadline"), [
    (date(2026, 11, 20), 10, date(2026, 12, 4)),   # Friday → two weeks later, Friday
    (date(2026, 11, 21), 1, date(2026, 11, 23)),   # Saturday → Monday
    (date(2026, 11, 23), 5, date(2026, 11, 30)),   # Monday → next Monday
    (date(2026, 11, 27), 0, date(2026, 11, 27)),
])
def test_deadlines_count_working_days(start: date, days: int, deadline: date) -> None:
    assert add_working_days(start, days) == deadline


def test_a_generated_keys_file_loads_and_finds_each_node(tmp_path: Path) -> None:
    nodes = [Node("440106", "renshe"), Node("440000", "weijian")]
    path = tmp_path / "keys.toml"
    path.write_text(generate(nodes), encoding="utf-8")
    keys = Keys.load(path)
    import tomllib

    table = tomllib.loads(path.read_text(encoding="utf-8"))["keys"]
    assert {keys.node_of(key) for key in table.values()} == set(nodes)
    assert keys.node_of("x" * 43) is None and len(keys) == 2
    assert len(set(table.values())) == 2


@pytest.mark.parametrize(("text", "problem"), [
    ("[keys\n", "cannot read"), ('[other]\n"440106/renshe" = "k"\n', "expected one table"),
    ('[keys]\n"440106/renshe" = "short"\n', "shorter"), ('[keys]\n"renshe" = "' + "k" * 30 + '"\n', "department node"),
])
def test_a_bad_keys_file_is_refused_with_the_reason(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem):
        Keys.load(path)


def test_the_keys_command_writes_a_private_file_and_never_overwrites(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "keys.toml"
    assert main(["api-keys", "--out", str(out), "--node", "440106/renshe", "--node", "440100/gongan"]) == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert len(Keys.load(out)) == 2
    before = out.read_text(encoding="utf-8")
    assert main(["api-keys", "--out", str(out), "--all"]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert main(["api-keys", "--out", str(out), "--all", "--if-missing"]) == 0
    assert out.read_text(encoding="utf-8") == before


def test_all_nodes_get_keys(tmp_path: Path) -> None:
    out = tmp_path / "all.toml"
    assert main(["api-keys", "--out", str(out), "--all"]) == 0
    assert len(Keys.load(out)) > 400


def test_the_api_refuses_to_start_without_keys(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GOVX_API_KEYS_FILE", raising=False)
    assert main(["api"]) == 2
    assert "GOVX_API_KEYS_FILE" in capsys.readouterr().err
