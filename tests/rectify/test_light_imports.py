"""The repair path loads torch only when it runs, and says which extra to install
when torch is absent (simulated with an import blocker: sys.modules['torch'] = None)."""

import subprocess
import sys


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_importing_the_sdk_and_the_rectify_package_does_not_import_torch():
    result = run(
        "import sys, artifactsdk, artifactsdk.rectify, artifactsdk.rectify.fix, artifactsdk.rectify.zoom_in\n"
        "import artifactsdk.rectify.inpainters, artifactsdk.cli.fix\n"
        "import importlib.util\n"
        "if importlib.util.find_spec('artifactsdk.detector'): import artifactsdk.detector\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'cv2' not in sys.modules, 'cv2 was imported'\n"
        "print('light')")
    assert result.returncode == 0, result.stderr
    assert "light" in result.stdout


def test_repair_without_torch_names_the_extra_to_install():
    result = run(
        "import sys; sys.modules['torch'] = None\n"
        "import numpy as np\n"
        "from artifactsdk.errors import MissingDependencyError\n"
        "from artifactsdk.rectify.zoom_in import repair\n"
        "from artifactsdk.rectify.inpainters import get_inpainter\n"
        "image = np.zeros((64, 64, 3), np.uint8); mask = np.zeros((64, 64), bool); mask[20:30, 20:30] = True\n"
        "try:\n"
        "    repair(image, mask, get_inpainter('builtin'), None)\n"
        "except MissingDependencyError as error:\n"
        "    print(error)\n")
    assert result.returncode == 0, result.stderr
    assert "torch" in result.stdout and "pip install 'artifactsdk[fix]'" in result.stdout


def test_fix_command_without_torch_names_the_extra_to_install(tmp_path):
    from PIL import Image
    Image.new("RGB", (64, 64), (120, 130, 140)).save(tmp_path / "a.png")
    result = run(
        "import sys; sys.modules['torch'] = None\n"
        "from artifactsdk.cli import main\n"
        f"main(['fix', {str(tmp_path / 'a.png')!r}, '--out', {str(tmp_path / 'out')!r}])\n")
    assert result.returncode != 0
    assert "pip install 'artifactsdk[fix]'" in result.stderr + result.stdout
