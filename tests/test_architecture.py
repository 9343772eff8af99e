"""The shape of the code: stage packages, imports down the flow, rooms small enough to read in one sitting.

Where it sits: outside the data flow. It reads ``monitor/`` with the standard library's ``ast`` (nothing is
imported) and checks what docs/architecture.md promises a newcomer.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

MONITOR = Path(__file__).resolve().parents[1] / "monitor"

# The flow, lowest first: a module may import its own package and any package of a lower rank.
RANKS: dict[str, int] = {
    "": 0,  # monitor/errors.py, paths.py, config.py, secrets.py
    "imaging": 1,
    "pages": 2,
    "impact": 2,
    "store": 3,
    "acquire": 4,
    "ads": 4,
    "alerts": 5,
    "sweep": 6,
    "report": 6,
    "storefront": 7,
    "run": 8,
    "demo": 9,
    "cli": 10,
    "__main__": 11,
}
# The ads vocabulary (a report's rows, the one form of a keyword) sits at the bottom: values that the ads
# stage produces and impact reads, so impact never imports the ads stage's IO.
MODULE_RANKS = {"monitor.ads.rows": 1, "monitor.ads.keywords": 1}
# Pure: no database, browser, network or scheduler. A pure module imports only pure modules (and the base).
PURE = (
    "pages",
    "imaging",
    "impact",
    "alerts.changes",
    "alerts.colours",
    "alerts.ctr_drop_rule",
    "alerts.items",
    "alerts.kinds",
    "alerts.message",
    "alerts.render",
    "alerts.support_text",
    "alerts.sweep_checks",
    "ads.rows",
    "ads.keywords",
)
IO_LIBRARIES = {"sqlmodel", "sqlalchemy", "playwright", "httpx", "smtplib", "apscheduler", "aiosmtpd"}
# Only the entry points see the whole Config; a stage receives the settings it uses.
WHOLE_CONFIG = ("monitor.config", "monitor.cli", "monitor.demo", "monitor.run")
TOP_LEVEL_LIMIT = 8
LIMITS = {"module": 450, "class": 250, "function": 90}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(MONITOR.rglob("*.py")):
        parts = path.relative_to(MONITOR).with_suffix("").parts
        if parts[0] in ("_templates", "_migrations"):  # symlinks to the top-level folders, for wheels
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(("monitor", *parts)), path


def _rank(module: str) -> int:
    return MODULE_RANKS.get(module, RANKS.get(_package(module), 99))


def _package(module: str) -> str:
    parts = module.split(".")[1:]
    if not parts or (len(parts) == 1 and (MONITOR / f"{parts[0]}.py").exists() and parts[0] not in RANKS):
        return ""
    return parts[0]


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            for alias in node.names:  # from monitor.store import models
                yield f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _internal(path: Path, known: set[str]) -> set[str]:
    return {name for name in _imports(path) if name in known}


def test_at_most_eight_modules_sit_directly_in_monitor() -> None:
    flat = sorted(p.name for p in MONITOR.glob("*.py"))
    assert len(flat) <= TOP_LEVEL_LIMIT, flat


def test_every_package_is_in_the_wheel() -> None:
    pyproject = tomllib.loads((MONITOR.parent / "pyproject.toml").read_text())
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    on_disk = {name for name, path in _modules() if path.name == "__init__.py"}
    assert on_disk <= listed, f"add to pyproject.toml's packages: {sorted(on_disk - listed)}"


def test_every_stage_package_says_where_it_sits() -> None:
    silent = [
        str(init.relative_to(MONITOR.parent))
        for init in sorted(MONITOR.glob("*/__init__.py"))
        if "Where it sits" not in (ast.get_docstring(ast.parse(init.read_text())) or "")
    ]
    assert not silent, f"no 'Where it sits' in the docstring of {silent}"


def test_imports_go_down_the_flow() -> None:
    modules = dict(_modules())
    known = set(modules)
    wrong = []
    for name, path in modules.items():
        for target in _internal(path, known):
            if _package(target) != _package(name) and _rank(target) >= _rank(name):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_stages_receive_their_settings_not_the_whole_config() -> None:
    wrong = []
    for name, path in _modules():
        if name.startswith(WHOLE_CONFIG):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "monitor.config"
                and any(alias.name == "Config" for alias in node.names)
            ):
                wrong.append(name)
    assert not wrong, "\n".join(sorted(wrong))


def _pure(module: str) -> bool:
    return _package(module) == "" or module.removeprefix("monitor.").startswith(PURE)


def test_pure_stages_touch_no_io() -> None:
    modules = dict(_modules())
    known = set(modules)
    wrong = []
    for name, path in modules.items():
        if not _pure(name) or _package(name) == "":
            continue
        wrong += [f"{name} imports {lib}" for lib in _imports(path) if lib.split(".")[0] in IO_LIBRARIES]
        wrong += [f"{name} imports {mod} (not pure)" for mod in _internal(path, known) if not _pure(mod)]
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles() -> None:
    modules = dict(_modules())
    known = set(modules)
    graph = {name: _internal(path, known) - {name} for name, path in modules.items()}
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> None:
        if node in trail:
            pytest.fail("import cycle: " + " -> ".join([*trail[trail.index(node) :], node]))
        if node in done:
            return
        for nxt in sorted(graph[node]):
            if not nxt.startswith(node + "."):  # a package's __init__ may import its own modules
                visit(nxt, [*trail, node])
        done.add(node)

    for name in sorted(graph):
        visit(name, [])


def _oversized(path: Path) -> Iterator[str]:
    source = path.read_text()
    lines = source.count("\n")
    where = path.relative_to(MONITOR.parent)
    if lines > LIMITS["module"]:
        yield f"{where}: {lines} lines"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            if size > LIMITS[kind]:
                yield f"{where}:{node.lineno} {kind} {node.name}: {size} lines"


def test_every_room_can_be_read_in_one_sitting() -> None:
    found = [line for _, path in _modules() for line in _oversized(path)]
    assert not found, "\n".join(found)
