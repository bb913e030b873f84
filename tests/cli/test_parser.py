"""The parser as a whole: help on every option, --version, errors as JSON, a closed pipe."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator

from sealgate.cli import build_parser, package_version
from tests.cli.test_admin import sealgate

# Groups other branches own (issue 12); they join the walk when they are merged.
NOT_YET_WALKED: set[str] = set()


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if not path and name in NOT_YET_WALKED:
                    continue
                yield from _commands(sub, (*path, name))


def _undocumented(path: tuple[str, ...], parser: argparse.ArgumentParser) -> Iterator[str]:
    for action in parser._actions:
        name = "/".join(action.option_strings) or action.dest
        if isinstance(action, argparse._SubParsersAction):
            helped = {choice.dest for choice in action._choices_actions if choice.help}
            yield from (
                f"{' '.join((*path, sub))} (command)"
                for sub in action.choices
                if sub not in helped and not (not path and sub in NOT_YET_WALKED)
            )
        elif not action.help or action.help == argparse.SUPPRESS:
            yield f"{' '.join(path) or 'sealgate'} {name}"


def test_every_option_and_command_has_help():
    commands = list(_commands(build_parser()))
    assert len(commands) > 25  # the walk reached the subcommands
    missing = [item for path, parser in commands for item in _undocumented(path, parser)]
    assert missing == []


def test_the_walk_sees_an_option_without_help():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bare")
    assert list(_undocumented(("x",), parser)) == ["x --bare"]


def test_version():
    result = sealgate("--version")
    assert result.returncode == 0
    assert result.stdout == f"sealgate {package_version()}\n"
    assert package_version()[0].isdigit()


def test_error_under_json_is_one_json_line(tmp_path):
    result = sealgate("org", "list", "--config", str(tmp_path / "missing.toml"), "--json")
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert "missing.toml" in json.loads(lines[0])["error"]
    text = sealgate("org", "list", "--config", str(tmp_path / "missing.toml"))
    assert text.returncode == 1
    assert text.stderr.startswith("sealgate: error: ") and len(text.stderr.splitlines()) == 1


def test_usage_error_under_json_is_one_json_line():
    result = sealgate("org", "create", "--json")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "--domain" in json.loads(line)["error"]
    text = sealgate("org", "create")
    assert text.returncode == 2
    assert text.stderr.startswith("usage: sealgate org create")
    assert text.stderr.splitlines()[-1].startswith("sealgate org create: error: ")


def test_no_traceback_on_a_closed_pipe(tmp_path):
    """`sealgate ... | head -1`: the reader goes away before the output is written."""
    data_dir = str(tmp_path / "gw")
    process = subprocess.Popen(
        [sys.executable, "-m", "sealgate", "init", "--data-dir", data_dir, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(timeout=60)
    assert process.returncode == 1
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
