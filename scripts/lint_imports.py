"""Check the import contracts in pyproject.toml ([tool.importlinter]) with import-linter.

pyproject maps several folders into the one `artifactsdk` namespace (package-dir), while
import-linter reads a package from one directory on disk and would see only sdk/. This
lays the .py files out as the installed namespace in a temporary directory, runs
`lint-imports` against that copy and exits with its status.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def stage(into: Path) -> None:
    """Copy every mapped folder's .py files to where the package-dir mapping installs them."""
    package_dir = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-dir"]
    for package, folder in package_dir.items():
        source_root, target_root = ROOT / folder, into.joinpath(*package.split("."))
        for source in source_root.rglob("*.py"):
            target = target_root / source.relative_to(source_root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def main() -> int:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    with tempfile.TemporaryDirectory(prefix="artifactsdk-imports-") as staged:
        stage(Path(staged))
        env = {**os.environ, "PYTHONPATH": staged}
        return subprocess.call([str(lint_imports), "--no-cache", "--no-logo", str(PYPROJECT)], cwd=staged, env=env)


if __name__ == "__main__":
    sys.exit(main())
