"""Paths that cannot work, met by every command: one line naming the path and what to do, never a
traceback; ``ismon check`` lists them as problems.

Meaningful as root (CI runs as root, who may write in any folder whatever its mode): the unwritable
places are a path under a regular file, and a folder made immutable with ``chattr +i``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from monitor.cli import app

OK_TO_RUN = {"daemon"}  # runs until SIGTERM when its paths are fine


def every_command() -> list[tuple[str, ...]]:
    """Every command path of ``ismon --help`` (groups expanded)."""

    def walk(group: TyperGroup, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        for name, command in group.commands.items():
            if isinstance(command, TyperGroup):
                yield from walk(command, (*prefix, name))
            else:
                yield (*prefix, name)

    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    return sorted(walk(root, ()))


def arguments(command: tuple[str, ...], blocker: Path) -> tuple[str, ...]:
    """Arguments that make ``command`` do its work; paths it is given point under ``blocker``."""
    under = blocker / "inside"
    extra: dict[tuple[str, ...], tuple[str, ...]] = {
        ("init",): (str(under),),
        ("demo",): ("--dir", str(under)),
        ("gallery", "show"): ("B0CTEST001",),
        ("inspect",): (str(under / "page.html"),),
        ("identify",): ("--gallery", str(under), str(under / "ad.jpg")),
    }
    return (*command, *extra.get(command, ()))


@contextmanager
def immutable(folder: Path) -> Iterator[None]:
    """``folder``, made so that even root cannot create files in it."""
    folder.mkdir()
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], check=False).returncode == 0:
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        return
    if os.geteuid() == 0:
        pytest.skip("root can write in any folder and chattr +i is not available here")
    folder.chmod(0o555)
    try:
        yield
    finally:
        folder.chmod(0o755)


CASES = {
    # name: (config lines, the path the user must be told about, commands that use it); each config
    # is in a folder of its own beside the culprits
    "data_dir is a file": (
        'data_dir = "../afile"',
        "afile",
        {"check", "gallery refresh", "sweep", "daemon", "report", "alerts preview"},
    ),
    "database under a file": (
        'database_url = "sqlite:///../afile/ismon.db"',
        "afile",
        {"check", "gallery refresh", "gallery show", "sweep", "daemon", "history", "report"}
        | {"alerts list", "alerts flush", "alerts preview", "db upgrade"},
    ),
    "database in a read-only folder": (
        'database_url = "sqlite:///../readonly/ismon.db"',
        "readonly",
        {"check", "gallery refresh", "gallery show", "sweep", "daemon", "history", "report"}
        | {"alerts list", "alerts flush", "alerts preview", "db upgrade"},
    ),
    "report folder is a file": ('data_dir = "../reportless"', "reportless/report", {"check", "report"}),
}


Outcomes = dict[tuple[str, ...], tuple[int, str]]


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder holding a regular file ``afile``, an immutable folder ``readonly`` and ``reportless``
    whose ``report`` is a regular file."""
    folder = tmp_path_factory.mktemp("places")
    (folder / "afile").write_text("not a folder\n")
    (folder / "reportless").mkdir()
    (folder / "reportless" / "report").write_text("not a folder either\n")
    with immutable(folder / "readonly"):
        yield folder


@pytest.fixture(scope="module")
def outcomes(place: Path) -> dict[str, Outcomes]:
    """Every command run with every config of ``CASES``, all in one pool (the machine has 2 cores)."""
    runs: list[tuple[str, tuple[str, ...], Path]] = []
    for number, (case, (lines, _, _)) in enumerate(sorted(CASES.items())):
        folder = place / f"case{number}"
        folder.mkdir()
        config = folder / "ismon.toml"
        config.write_text(lines + '\n[sweep]\nschedule = ["0 0 1 1 *"]\n')
        runs += [(case, command, config) for command in every_command()]
    with ThreadPoolExecutor(3) as pool:
        done = pool.map(lambda r: run(r[2], arguments(r[1], place / "afile")), runs)
        found: dict[str, Outcomes] = {case: {} for case in CASES}
        for (case, command, _), outcome in zip(runs, done, strict=True):
            found[case][command] = outcome
    return found


def run(config: Path, args: tuple[str, ...]) -> tuple[int, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "400"},
    )
    try:
        output, _ = process.communicate(timeout=20 if args[0] in OK_TO_RUN else 120)
    except subprocess.TimeoutExpired:
        # a daemon whose paths are fine: it must stop cleanly on SIGTERM
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        output, _ = process.communicate(timeout=20)
        assert time.monotonic() - started < 15
    return process.returncode, output


def test_the_walk_covers_the_commands_that_write() -> None:
    names = {" ".join(c) for c in every_command()}
    assert {"sweep", "daemon", "report", "history", "check", "init", "db upgrade", "alerts flush"} <= names


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_command_says_what_is_wrong_with_a_path_in_one_line(
    place: Path, outcomes: dict[str, Outcomes], case: str
) -> None:
    _, culprit, users = CASES[case]
    culprit_path = str(place / culprit)
    results = outcomes[case]
    for command, (code, output) in results.items():
        name = " ".join(command)
        assert "Traceback" not in output, f"{name}:\n{output}"
        if name not in users:
            continue
        if name == "check":
            assert code == 1, output
            problem = [
                line for line in output.splitlines() if line.startswith("FAIL") and culprit_path in line
            ]
            assert problem, f"check does not name {culprit_path}:\n{output}"
            continue
        assert code in (1, 2), f"{name} exited {code}:\n{output}"
        errors = [line for line in output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and culprit_path in errors[0], f"{name}:\n{output}"
    for command in [("init",), ("demo",), ("inspect",), ("identify",)]:  # paths given on the command line
        code, output = results[command]
        assert code == 2 and "afile" in output and "Traceback" not in output, f"{command}: {output}"
