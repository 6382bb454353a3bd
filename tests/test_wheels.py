"""Both distributions build as wheels, and the extras that need the weights install from that
wheelhouse as an index would serve them (issue 24: `pip install "artifactsdk[fix]"` found
no artifactsdk-weights). Offline: the third-party dependencies are the ones this
environment has installed, seen by a fresh venv through a .pth file, so pip takes only
artifactsdk and artifactsdk-weights from the wheelhouse (`--no-index --find-links`)."""

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE_LIMIT_MB = 20  # README, "Install by use": the core install stays at most this size
NOT_SOURCES = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache")

pytestmark = pytest.mark.slow


def pip(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    """Both wheels, built from a copy of the sources (a build writes next to them)."""
    work = tmp_path_factory.mktemp("wheels")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    house = work / "wheelhouse"
    pip("wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(house),
        str(source), str(source / "weights"))
    return house


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv that sees this environment's packages, except artifactsdk's own two."""
    work = tmp_path_factory.mktemp("venv")
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip",
                    str(work / "venv")], check=True, timeout=120)
    installed = Path(sysconfig.get_paths()["purelib"])
    others = work / "installed"
    others.mkdir()
    for entry in installed.iterdir():
        if not entry.name.startswith(("artifactsdk", "__editable__", "pip")) and entry.suffix != ".pth":
            (others / entry.name).symlink_to(entry)
    site = Path(subprocess.run([str(work / "venv" / "bin" / "python"), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "installed-elsewhere.pth").write_text(f"{others}\n")
    return work / "venv"


def test_both_distributions_build_as_wheels(wheelhouse):
    names = sorted(path.name for path in wheelhouse.glob("*.whl"))
    assert names == ["artifactsdk-0.1.0-py3-none-any.whl", "artifactsdk_weights-0.1.0-py3-none-any.whl"]


@pytest.mark.parametrize("extra", ["export", "fix"])
def test_the_extras_install_from_the_wheelhouse(wheelhouse, venv, extra):
    python = str(venv / "bin" / "python")
    output = pip("--python", python, "install", "--no-index", "--find-links", str(wheelhouse), f"artifactsdk[{extra}]")
    assert "No matching distribution" not in output
    check = ("import artifactsdk, artifactsdk_weights; from artifactsdk.models.checkpoint import shipped_weights; "
             "assert (shipped_weights() / 'restorer.pt').is_file(); print(artifactsdk.__file__)")
    where = subprocess.run([python, "-c", check], capture_output=True, text=True, timeout=120, cwd=venv)
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(venv)), where.stdout  # the installed wheel, not the sources


def test_the_core_wheel_needs_no_torch_and_stays_small(wheelhouse, venv):
    python = str(venv / "bin" / "python")
    pip("--python", python, "install", "--no-index", "--find-links", str(wheelhouse), "artifactsdk")
    measure = ("from importlib import metadata; d = metadata.distribution('artifactsdk'); "
               "print(sum(f.size or 0 for f in d.files)); "
               "print(*[r for r in d.requires if 'extra ==' not in r], sep='|')")
    # run in the venv's folder: a source tree's artifactsdk.egg-info in the working directory would be found first
    size, core = subprocess.run([python, "-c", measure], capture_output=True, text=True, check=True, timeout=120,
                                cwd=venv).stdout.splitlines()
    assert 5 * 2**20 < int(size) <= CORE_LIMIT_MB * 2**20, f"{int(size) / 2**20:.1f} MB installed"
    assert not any(name.startswith(("torch", "onnx ", "onnx>")) for name in core.split("|")), core
    sample = str(sorted((ROOT / "sdk" / "samples").glob("agiqa-*.jpg"))[0])
    detect = subprocess.run([str(venv / "bin" / "artifactsdk"), "detect", sample], capture_output=True, text=True,
                            timeout=300, cwd=venv)
    assert detect.returncode == 0, detect.stderr  # the default bundle's models are in the wheel
