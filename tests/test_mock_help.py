"""``mock --help`` documents every option, every flaw and every fault-spec key."""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys

from conformance.cli import FAULT_SPEC_KEYS, build_parser
from conformance.mock import FLAWS, Faults


def mock_help() -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "mock", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def mock_parser() -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    parser: argparse.ArgumentParser = sub.choices["mock"]
    return parser


def test_mock_help_documents_every_option() -> None:
    for action in mock_parser()._actions:
        assert action.help and action.help != argparse.SUPPRESS, action.option_strings
    text = mock_help()
    for action in mock_parser()._actions:
        for option in action.option_strings:
            assert option in text


def test_mock_help_lists_every_flaw_with_its_description() -> None:
    text = flat(mock_help())
    for name, what in FLAWS.items():
        assert f"{name}: {flat(what)}" in text, name


def test_mock_help_describes_every_fault_spec_key() -> None:
    fields = [f.name for f in dataclasses.fields(Faults)]
    assert list(FAULT_SPEC_KEYS) == fields  # a new Faults field needs its line here
    text = flat(mock_help())
    for key, what in FAULT_SPEC_KEYS.items():
        assert f"{key}: {flat(what)}" in text, key
