"""`govx id check`: the verdict on stdout and the exit status (0 valid, 1 invalid)."""

from __future__ import annotations

import pytest

from govx.cli import main


@pytest.mark.parametrize(
    ("value", "status", "kind", "reason"),
    [
        ("11010519491231002X", 0, "citizen_id", "ok"),
        ("110105194912310021", 1, "citizen_id", "checksum"),
        ("11010519491231002x", 1, "citizen_id", "charset"),
        ("914403001922038216", 0, "uscc", "ok"),
        ("914403001922038217", 1, "uscc", "checksum"),
        ("440106", 0, "division", "ok"),
        ("441901", 1, "division", "region"),
    ],
)
def test_check_prints_the_verdict_and_exits_with_it(
    capsys: pytest.CaptureFixture[str], value: str, status: int, kind: str, reason: str
) -> None:
    assert main(["id", "check", value]) == status
    out = capsys.readouterr().out
    assert f"kind: {kind}" in out
    assert f"reason: {reason}" in out
    assert ("verdict: valid" if status == 0 else "verdict: invalid") in out
    assert value in out


def test_the_detail_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["id", "check", "110105194912310021"]) == 1
    assert "the first 17 characters give X" in capsys.readouterr().out


def test_kind_option_overrides_the_guess(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["id", "check", "440106", "--kind", "uscc"]) == 1
    out = capsys.readouterr().out
    assert "kind: uscc" in out and "reason: length" in out
    assert "guessed" not in out


def test_a_guessed_kind_is_marked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["id", "check", "440106"]) == 0
    assert "kind: division (guessed)" in capsys.readouterr().out


def test_markup_in_the_value_is_printed_literally(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["id", "check", "[red]x[/]", "--kind", "division"]) == 1
    assert "[red]x[/]" in capsys.readouterr().out
