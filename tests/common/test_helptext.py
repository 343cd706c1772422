"""Field docstrings become flowing --help paragraphs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from rcan.cli import main
from rcan.common.helptext import document_fields, field_docstrings


@dataclass
class Inner:
    """A nested config."""

    rate: float = 0.1
    """How fast, written over
    two lines."""


@dataclass
class Outer:
    """The top config."""

    name: str = "x"
    """First paragraph,
    continued.

    Second paragraph."""
    inner: Inner | None = None
    """The nested part."""
    given: int = field(default=1, metadata={"help": "kept as given"})
    """Not used: the metadata wins."""
    plain: int = 2


def test_each_paragraph_is_one_line() -> None:
    docs = field_docstrings(Outer)
    assert docs["name"] == "First paragraph, continued.\n\nSecond paragraph."
    assert docs["inner"] == "The nested part."
    assert "plain" not in docs


def test_nested_fields_are_documented_and_given_help_is_kept() -> None:
    document_fields(Outer)
    helps = {f.name: f.metadata.get("help") for f in dataclasses.fields(Outer)}
    assert helps == {"name": "First paragraph, continued.\n\nSecond paragraph.",
                     "inner": "The nested part.", "given": "kept as given", "plain": None}
    assert dataclasses.fields(Inner)[0].metadata["help"] == "How fast, written over two lines."


def test_cli_help_flows_a_long_docstring(monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    with pytest.raises(SystemExit):
        main(["experiment", "table1", "--help"])
    out = capsys.readouterr().out
    # Two source lines of Table1Config.finetune_lr's docstring, now on one line of the help.
    assert any("a smaller one moves a converged network" in line for line in out.splitlines())
