"""The project's promises to a newcomer: README commands, outlets table, bundled demo."""

from __future__ import annotations

import json
import re

import pytest

from crawler.outlets_table import END, START, outlets_table
from tests.support.moscowtimes_site import FIXTURES, expected_item
from tests.support.run import PROJECT, scrapy

README = (PROJECT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", README)[:2]


def test_readme_starts_with_install_and_test_commands_and_ci_runs_the_test_command():
    install, test = readme_commands()
    assert install.startswith("bin/setup && ") and "REPLAY_WARC=samples/" in install
    setup = (PROJECT / "bin" / "setup").read_text()
    for environment, pins in ((".venv", "requirements.txt"), (".venv-pywb", "requirements-pywb.txt")):
        assert f"python3 -m venv {environment}" in setup and f"{environment}/bin/pip install -q -r {pins}" in setup
    ci = (PROJECT / ".ci" / "run").read_text()
    assert test in ci.splitlines()
    assert "bin/setup" in ci.splitlines()  # CI installs exactly what the README installs


def test_outlets_table_is_current():
    table = README[README.index(START) + len(START) : README.index(END)].strip()
    assert table == outlets_table(), "stale: run `scrapy outlets --write README.md`"


def test_requirements_are_pinned():
    lines = [
        line for line in (PROJECT / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")
    ]
    assert all("==" in line for line in lines)
    names = {line.split("==")[0].lower().replace("_", "-") for line in lines}
    for needed in ("scrapy", "trafilatura", "warcio", "itemadapter", "pytest-httpserver", "lxml-html-clean", "extruct"):
        assert needed in names


@pytest.mark.slow  # starts a scrapy process
def test_the_demo_replays_the_bundled_sample_into_the_expected_items(tmp_path):
    run = scrapy(
        "crawl",
        "moscowtimes",
        "-s",
        "REPLAY_WARC=samples/moscowtimes-sample.warc.gz",
        archive=tmp_path,
        items=tmp_path / "items.jsonl",
    )
    assert run.returncode == 0, run.log
    expected = json.loads((FIXTURES / "expected.json").read_text())
    got = {item["url"]: item for item in run.items}
    assert sorted(got) == sorted(e["url"] for e in expected.values())
    for entry in expected.values():
        want = expected_item(entry)
        assert {k: got[want["url"]][k] for k in want} == want
    assert "Crawl summary for moscowtimes" in run.log and "'replay/miss'" not in run.log
