"""The state database on both backends: SQLite (the default) and a real PostgreSQL
(``STATE_URL``; Debian's postgresql started on loopback). The same statements, the same answers;
two writers racing for one revision number, one wins on both; a server that cannot be reached is
one line and exit 1 before anything is fetched."""

from __future__ import annotations

import pytest

from crawler.state.backend import StateUnavailable, redacted
from crawler.state.database import ArchiveState, StoredCapture, next_revision, place_revision
from crawler.storage.uploads import UploadLedger
from tests.support.network import free_port


@pytest.fixture(scope="module")
def postgres():
    from tests.support.postgres_server import postgres_bin, postgres_server

    if postgres_bin() is None:
        pytest.skip("no PostgreSQL (bin/setup installs Debian's postgresql)")
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request, tmp_path):
    if request.param == "sqlite":
        return ""
    url = request.getfixturevalue("postgres")
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:  # each test on empty tables
        conn.execute("DROP TABLE IF EXISTS captures, revisions, uploads")
    return url


def capture(url: str, when: str, record: str, status: int = 200, kind: str = "response") -> StoredCapture:
    return StoredCapture(url, "moscowtimes", when, status, kind, "mt-w1-1.warc.gz", 100, record, "sha1:X", None, None)


def test_captures_and_outcomes_read_the_same_on_both(state_url, tmp_path):
    state = ArchiveState(tmp_path, state_url)
    try:
        url = "https://www.themoscowtimes.com/2024/12/05/a87242"
        state.record_capture(capture(url, "2024-12-05T10:00:00Z", "<urn:uuid:1>"))
        state.record_capture(capture(url, "2024-12-06T10:00:00Z", "<urn:uuid:2>", 304, "revisit"))
        assert state.last_processed(url, "moscowtimes") is None  # nothing processed to the end yet
        state.set_outcome("<urn:uuid:1>", "article")
        state.set_outcome("<urn:uuid:2>", "not_modified")
        assert state.last_processed(url, "moscowtimes").record_id == "<urn:uuid:2>"
        assert state.last_payload(url, "moscowtimes").record_id == "<urn:uuid:1>"  # a revisit is no payload
        assert [c.record_id for c in state.captures(url)] == ["<urn:uuid:1>", "<urn:uuid:2>"]
        assert state.forget_records("mt-w1-1.warc.gz", 100) == 2
        assert state.captures(url) == []
    finally:
        state.close()


def test_two_writers_racing_for_one_revision_number_one_wins(state_url, tmp_path):
    one, two = ArchiveState(tmp_path, state_url), ArchiveState(tmp_path, state_url)
    try:
        url = "https://www.themoscowtimes.com/a"
        first = next_revision(None, url, "moscowtimes", "2024-12-05T10:00:00Z", "<r1>", "text one")
        assert one.store_revision(first)
        # Both read revision 1 as the last and decide a revision 2 of their own.
        a = next_revision(one.last_revision(url, "moscowtimes"), url, "moscowtimes", "t2", "<r2>", "text two")
        b = next_revision(two.last_revision(url, "moscowtimes"), url, "moscowtimes", "t3", "<r3>", "text three")
        assert (one.store_revision(a), two.store_revision(b)) == (True, False)
        revisions = two.revisions(url)
        assert [(r.revision, r.record_id) for r in revisions] == [(1, "<r1>"), (2, "<r2>")]
        assert "+text two" in revisions[1].diff
        assert one.known_urls("moscowtimes") == 1 and one.known_urls("feed") == 0
    finally:
        one.close()
        two.close()


def test_an_older_capture_is_placed_among_the_revisions_by_its_time(state_url, tmp_path):
    """Revisions captured 2024-12 and 2026-01 (the second with "C"), then another archive's
    captures brought in: 2021 with text "A" goes first and both move up; a 2025 capture of the
    2026 text is no revision of its own; a 2025 capture with "B" goes between; the diffs follow."""
    state = ArchiveState(tmp_path, state_url)
    url, spider = "https://www.themoscowtimes.com/a", "moscowtimes"

    def add(when: str, record: str, text: str) -> None:
        revisions = state.spider_revisions(url, spider)
        placement = place_revision(revisions, url, spider, when, record, text)
        if placement is None:
            assert state.store_revision(
                next_revision(revisions[-1] if revisions else None, url, spider, when, record, text)
            )
            return
        state.make_room(placement)
        assert state.store_revision(placement.revision)

    try:
        add("2024-12-05T10:00:00Z", "<r2024>", "text Y\n")
        add("2026-01-01T00:00:00Z", "<r2026>", "text C\n")
        add("2021-11-25T08:00:00.5Z", "<r2021>", "text A\n")
        assert [(r.revision, r.record_id) for r in state.spider_revisions(url, spider)] == [
            (1, "<r2021>"),
            (2, "<r2024>"),
            (3, "<r2026>"),
        ]
        revisions = state.spider_revisions(url, spider)
        assert revisions[0].diff is None and "-text A" in revisions[1].diff and "+text Y" in revisions[1].diff
        assert place_revision(revisions, url, spider, "2025-06-01T00:00:00Z", "<r2025c>", "text C\n") is None
        assert place_revision(revisions, url, spider, "2024-12-06T00:00:00Z", "<r2024b>", "text Y\n") is None
        add("2025-06-01T00:00:00Z", "<r2025>", "text B\n")
        revisions = state.spider_revisions(url, spider)
        assert [r.record_id for r in revisions] == ["<r2021>", "<r2024>", "<r2025>", "<r2026>"]
        assert [r.revision for r in revisions] == [1, 2, 3, 4]
        assert "-text Y" in revisions[2].diff and "+text B" in revisions[2].diff
        assert "-text B" in revisions[3].diff and "+text C" in revisions[3].diff
        assert "(revision 3, 2025-06-01T00:00:00Z)" in revisions[3].diff
        # A run stopped after making room and before storing left number 1 free: nothing moves again.
        room = place_revision(revisions, url, spider, "2020-01-01T00:00:00Z", "<r2020>", "text Z\n")
        assert room is not None and [r.revision for r in room.moved] == [2, 3, 4, 5]
        state.make_room(room)
        again = place_revision(
            state.spider_revisions(url, spider), url, spider, "2020-01-01T00:00:00Z", "<r2020>", "text Z\n"
        )
        assert again is not None and again.moved == () and again.revision.revision == 1
        assert state.store_revision(again.revision)
        assert [r.revision for r in state.spider_revisions(url, spider)] == [1, 2, 3, 4, 5]
    finally:
        state.close()


def test_the_upload_ledger_keeps_one_row_per_file(state_url, tmp_path):
    ledger = UploadLedger(tmp_path, state_url)
    ledger.record("moscowtimes/a.warc.gz", "p/moscowtimes/a.warc.gz", {"size": 10, "sha256": "x", "etag": "e1"})
    ledger.record("moscowtimes/a.warc.gz", "p/moscowtimes/a.warc.gz", {"size": 12, "sha256": "y", "etag": "e2"})
    assert ledger.rows() == [("moscowtimes/a.warc.gz", "p/moscowtimes/a.warc.gz", 12, "e2")]
    assert (tmp_path / "state.sqlite3").exists() == (state_url == "")


def test_a_server_that_cannot_be_reached_is_named_in_one_line(tmp_path):
    url = f"postgresql://archive:secret@127.0.0.1:{free_port()}/archive"
    with pytest.raises(StateUnavailable) as caught:
        ArchiveState(tmp_path, url)
    message = str(caught.value)
    assert "cannot be reached" in message and "127.0.0.1" in message and "secret" not in message
    assert "\n" not in message
    assert redacted(url).startswith("postgresql://archive:***@127.0.0.1:")
    with pytest.raises(ValueError, match="not a postgresql:// URL"):
        ArchiveState(tmp_path, "mysql://x/y")


@pytest.mark.slow
def test_a_crawl_whose_state_server_is_down_stops_before_fetching_with_exit_1(tmp_path):
    from tests.support.cluster_site import ClusterSite
    from tests.support.run import scrapy

    with ClusterSite(5) as site:
        run = scrapy(
            "crawl",
            "moscowtimes",
            "-a",
            f"site={site.base}",
            "-s",
            f"STATE_URL=postgresql://archive@127.0.0.1:{free_port()}/archive",
            archive=tmp_path,
        )
        assert run.returncode == 1, run.log[-3000:]
        assert "State STATE_URL: PostgreSQL at postgresql://archive@127.0.0.1:" in run.log
        assert "Traceback" not in run.log
        assert sum(site.hits.values()) == 0


@pytest.mark.slow
def test_the_state_server_lost_mid_crawl_closes_it_with_exit_1_and_keeps_what_was_fetched(tmp_path):
    import subprocess
    import time

    from tests.support import integrity
    from tests.support.cluster_site import ClusterSite
    from tests.support.postgres_server import postgres_bin, postgres_server
    from tests.support.run import ENV, PROJECT, command
    from tests.test_frontier_cluster import captured

    if postgres_bin() is None:
        pytest.skip("no PostgreSQL (bin/setup installs Debian's postgresql)")
    archive = tmp_path / "machine"
    with ClusterSite(200, latency=0.01) as site:
        articles = set(site.article_paths())
        with postgres_server() as url, open(tmp_path / "crawl.log", "w") as log:
            line = command("crawl", "moscowtimes", "-a", f"site={site.base}", "-s", f"STATE_URL={url}", archive=archive)
            proc = subprocess.Popen(line, cwd=PROJECT, env=ENV, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 120
            while sum(site.hits[p] for p in articles) < 30 and time.monotonic() < deadline:
                time.sleep(0.05)
        code = proc.wait(timeout=120)  # the server stopped as the block ended
    text = (tmp_path / "crawl.log").read_text()
    assert code == 1, text[-3000:]
    assert "State lost: PostgreSQL at" in text
    assert text.count("Traceback") <= 1  # the one call that met the loss; the rest go on without state
    assert integrity.check(archive, state=False) == []  # WARC files closed and valid
    fetched = {p for p, n in site.hits.items() if p in articles}
    assert fetched and fetched <= set(captured([archive]))  # every page the site sent is archived
