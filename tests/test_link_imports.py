"""The link (plugin/link/) is both ends of the job protocol: the CLI and the worker use it without GIMP's side."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, also inside functions (the worker's heavy imports are there)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_no_link_module_imports_a_host_module():
    for path in sorted((REPO / "plugin" / "link").glob("*.py")):
        hosts = sorted(name for name in imported_modules(path) if name.startswith("plugin.hosts"))
        assert hosts == [], (path.name, hosts)


def test_the_cli_and_the_worker_load_no_host_module():
    code = (
        "import sys; import plugin.cli, plugin.link.worker, plugin.link.job_runner, plugin.link.warm_server, "
        "plugin.link.cli_warm; print(sorted(m for m in sys.modules if m.startswith('plugin.hosts')))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    loaded = subprocess.run(
        [sys.executable, "-c", code.replace("m.startswith('plugin.hosts')", "m.startswith('plugin.link')")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "plugin.link.warm_channel" in loaded.stdout  # the check above looked at a real import
