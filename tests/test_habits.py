"""The project's habits that a test can hold: one version, a changelog entry for it, a licence."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import crawler

ROOT = Path(__file__).resolve().parent.parent


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_version_is_written_once_in_crawler_init():
    project = pyproject()["project"]
    assert "version" not in project, "pyproject.toml: the version lives in crawler/__init__.py (__version__)"
    assert "version" in project.get("dynamic", [])
    assert pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "crawler.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", crawler.__version__)


def test_changelog_has_an_entry_for_the_current_version():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(r"^## \[Unreleased\]", changelog, re.M)
    heading = re.search(rf"^## \[{re.escape(crawler.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M)
    assert heading, f"CHANGELOG.md has no '## [{crawler.__version__}] - YYYY-MM-DD' entry"


def test_licence_is_apache_2():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert pyproject()["project"]["license"] == "Apache-2.0"
