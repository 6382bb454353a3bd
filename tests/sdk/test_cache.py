"""The cache folder: $ARTIFACTSDK_CACHE, else the platform's user cache folder (platformdirs)."""

import sys
from pathlib import Path

import pytest

from artifactsdk.cache import cache_root

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG folders are Linux's")


def test_the_variable_wins_then_the_platforms_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTIFACTSDK_CACHE", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"
    monkeypatch.setenv("ARTIFACTSDK_CACHE", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "artifactsdk"


def test_a_blank_setting_is_no_setting(monkeypatch):
    """A blank variable used to make a folder named ' ' in the working directory."""
    monkeypatch.setenv("ARTIFACTSDK_CACHE", " ")
    monkeypatch.setenv("XDG_CACHE_HOME", " ")
    assert cache_root() == Path.home() / ".cache" / "artifactsdk"
