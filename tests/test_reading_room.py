"""The reading room's pages through Datasette itself (its in-process client, no server, no browser):
what each page shows, and bad input answered with a message or an empty result, never a 500.

The catalogue is built from the outlets' expected items (tests/fixtures/<outlet>/expected.json:
English, Russian and Ukrainian articles) and one edit of a Moscow Times article, with its WARC
record in the bundled sample WARC.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import sqlite3
import threading
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.catalog.schema import catalog_path
from crawler.catalog.store import Catalog
from crawler.commands.serve import make_datasette
from tests.support.run import PROJECT

FIXTURES = PROJECT / "tests" / "fixtures"
SAMPLE = PROJECT / "samples" / "moscowtimes-sample.warc.gz"
OUTLETS = ["moscowtimes", "svoboda", "radiosvoboda", "currenttime"]
EDITED_FROM = "It did not mention Ukraine or any other topic."
EDITED_TO = "It did not mention Ukraine, the ministry said in a later correction."


def sample_records() -> dict[str, tuple[str, int]]:
    """Response record id and offset of each article URL in the bundled sample WARC."""
    found = {}
    with open(SAMPLE, "rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            if record.rec_type == "response":
                found[record.rec_headers.get_header("WARC-Target-URI")] = (
                    record.rec_headers.get_header("WARC-Record-ID"),
                    records.get_record_offset(),
                )
    return found


def fixture_items() -> list[dict]:
    items = []
    for outlet in OUTLETS:
        for entry in json.loads((FIXTURES / outlet / "expected.json").read_text(encoding="utf-8")).values():
            items.append({k: v for k, v in entry.items() if not k.startswith("_")} | {"outlet": outlet})
    return items


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reading-room")
    catalog = Catalog(catalog_path(root))
    records = sample_records()
    text_root = root / "text"
    for n, item in enumerate(fixture_items()):
        record_id, offset = records.get(item["url"], (f"<urn:uuid:fixture-{n}>", None))
        relative = f"text/{item['outlet']}/{n}.md"
        (text_root / item["outlet"]).mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(f"---\nurl: {item['url']}\n---\n\n{item['text']}\n", encoding="utf-8")
        warc = {"file": SAMPLE.name, "record_id": record_id, "offset": offset, "date": "2026-11-01T10:00:00Z"}
        catalog.add({**item, "warc": warc}, item["outlet"], "2026-11-01T10:00:00Z", relative)
        if EDITED_FROM in item["text"]:
            edited = {**item, "text": item["text"].replace(EDITED_FROM, EDITED_TO)}
            warc = {"file": SAMPLE.name, "record_id": f"<urn:uuid:edit-{n}>", "offset": None}
            catalog.add({**edited, "warc": warc}, item["outlet"], "2026-11-02T10:00:00Z", None)
    catalog.add_warc_file(SAMPLE.name, SAMPLE)
    catalog.close()
    return root


def fetch(archive: Path, *paths: str, allow_sql: bool = False) -> list:
    """GET each path from a Datasette on the catalogue, as ``scrapy serve`` makes it."""
    datasette = make_datasette(
        catalog_path(archive), archive, "http://127.0.0.1:8080/archive/{timestamp}/{url}", allow_sql
    )

    async def run():
        await datasette.invoke_startup()
        return [await datasette.client.get(path) for path in paths]

    return asyncio.run(run())


def article_id(archive: Path, title_part: str) -> int:
    conn = sqlite3.connect(catalog_path(archive))
    row = conn.execute("SELECT id FROM articles WHERE title LIKE ?", (f"%{title_part}%",)).fetchone()
    conn.close()
    return row[0]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_search_page_ranks_highlights_and_counts_facets(archive):
    (page,) = fetch(archive, "/search?q=Gerasimov")
    assert page.status_code == 200
    html = page.text
    assert "<mark>Gerasimov</mark>" in html
    # Facets count the matches per outlet; the chart has a bar per month from first to last.
    assert re.search(r'href="/search\?q=Gerasimov&amp;outlet=moscowtimes">moscowtimes</a> <span class="count">2', html)
    assert "<svg" in html and "<rect" in html
    assert 'href="/article/' in html


def test_an_inflected_word_finds_every_form_in_every_language(archive):
    (page,) = fetch(archive, "/search?q=Герасимова")
    body = text_of(page.text)
    # The Russian and the Ukrainian articles write Герасимов; both are found and the word marked.
    assert "<mark>Герасимов</mark>" in page.text
    assert "Начальники генштабов России и США" in body
    assert "Очільники генштабів Росії та США" in body


def test_facet_links_narrow_the_search(archive):
    (everything, narrowed) = fetch(archive, "/search.json?q=Герасимов", "/search.json?q=Герасимов&language=uk")
    outlets = {r["outlet"] for r in everything.json()["results"]}
    assert {"svoboda", "radiosvoboda"} <= outlets
    assert {r["language"] for r in narrowed.json()["results"]} == {"uk"}
    assert narrowed.json()["total"] < everything.json()["total"]


def test_search_json_has_the_fields_of_the_command(archive):
    (page,) = fetch(archive, "/search.json?q=Pentagon")
    data = page.json()
    assert data["ok"] and data["total"] >= 1
    first = data["results"][0]
    assert {"url", "title", "outlet", "published", "snippet", "score", "warc", "text_file"} <= set(first)
    assert "**" in first["snippet"]


def test_article_page_shows_provenance_revisions_and_the_marked_diff(archive):
    number = article_id(archive, "Army Chiefs Hold Rare Call")
    (page,) = fetch(archive, f"/article/{number}?q=correction")
    assert page.status_code == 200
    html = page.text
    assert "<mark>correction</mark>" in html  # the text as it is now, the search's word marked
    assert "Revision 2" in html and "Revision 3" not in html
    assert re.search(r'class="diff-removed">.*<del>[^<]*or any other topic\.</del>', html)
    assert re.search(r'class="diff-added">.*<ins>[^<]*the ministry said in a later correction\.</ins>', html)
    assert "(from json-ld)" in html  # published_source
    assert "http://127.0.0.1:8080/archive/20261101100000/https://www.themoscowtimes.com/2024/12/05/" in html
    assert f'href="/article/{number}/record/1"' in html and f'href="/article/{number}/text/1"' in html


def test_article_links_give_its_text_file_and_its_warc_record(archive):
    number = article_id(archive, "Army Chiefs Hold Rare Call")
    text, record, missing = fetch(
        archive, f"/article/{number}/text/1", f"/article/{number}/record/1", f"/article/{number}/record/2"
    )
    assert text.status_code == 200 and "url: https://www.themoscowtimes.com/2024/12/05/" in text.text
    assert record.status_code == 200 and record.headers["content-type"] == "application/warc"
    read = [
        (one.rec_type, one.rec_headers.get_header("WARC-Target-URI"), one.content_stream().read())
        for one in ArchiveIterator(io.BytesIO(record.content))
    ]
    assert len(read) == 1  # that record, whole, and nothing else
    kind, target, body = read[0]
    assert kind == "response" and target.endswith("ukraine-escalation-a87242")
    assert b"Rare Call" in body
    assert missing.status_code == 404  # the edit's record is not in the sample WARC


def test_outlet_and_home_pages(archive):
    home, outlet, unknown = fetch(archive, "/", "/outlet/moscowtimes", "/outlet/nosuchoutlet")
    assert home.status_code == 200 and 'href="/outlet/svoboda"' in home.text
    assert outlet.status_code == 200 and "Articles per day" in outlet.text and "<svg" in outlet.text
    assert "1 edited after their first capture" in text_of(outlet.text)
    assert unknown.status_code == 404


BAD_QUERIES = ['"unbalanced', "*", "NEAR(", "x" * 10_000, "'; DROP TABLE articles; --", "NOT x", "(a", "a)", "OR"]


@pytest.mark.parametrize("query", BAD_QUERIES, ids=lambda q: q[:12])
def test_bad_queries_get_a_message_or_nothing_never_a_500(archive, query):
    from urllib.parse import quote

    page, data = fetch(archive, f"/search?q={quote(query)}", f"/search.json?q={quote(query)}")
    assert page.status_code in (200, 400), page.text[:500]
    assert data.status_code in (200, 400)
    if data.status_code == 400:
        assert data.json()["error"] and 'role="alert"' in page.text
    else:
        assert data.json()["total"] == 0
    conn = sqlite3.connect(catalog_path(archive))
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] > 0
    conn.close()


@pytest.mark.parametrize(
    "path",
    [
        "/article/../etc/passwd",
        "/article/1/text/..%2f..%2fcatalog.sqlite3",
        "/article/%2e%2e%2fcatalog.sqlite3",
        "/article/abc",
        "/article/999999",
        "/article/1/record/0",
        "/article/1/text/99",
        "/outlet/..%2f..%2fetc",
    ],
)
def test_article_routes_take_numbers_only(archive, path):
    (page,) = fetch(archive, path)
    assert page.status_code in (302, 404), (path, page.status_code)
    assert "root:" not in page.text


def test_read_only_sql_editor_off_unless_asked(archive):
    sql, table = fetch(archive, "/catalog.json?sql=select+count(*)+from+articles", "/catalog/articles.json")
    assert sql.status_code == 403
    assert table.status_code == 200  # Datasette's own table pages and JSON stay
    (allowed,) = fetch(archive, "/catalog.json?sql=select+count(*)+from+articles", allow_sql=True)
    assert allowed.status_code == 200
    (write,) = fetch(archive, "/catalog.json?sql=delete+from+articles", allow_sql=True)
    assert write.status_code == 400  # the connection is read-only even then
    conn = sqlite3.connect(catalog_path(archive))
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] > 0
    conn.close()


def test_searching_while_the_catalogue_is_written(tmp_path, archive):
    """A crawl adds articles (one transaction each) while the reading room answers searches."""
    import shutil

    root = tmp_path / "live"
    root.mkdir()
    shutil.copy(catalog_path(archive), catalog_path(root))
    items = fixture_items()
    done = threading.Event()
    errors: list[BaseException] = []

    def write():
        try:
            catalog = Catalog(catalog_path(root))
            for n in range(300):
                item = items[n % len(items)]
                warc = {"file": "x.warc.gz", "record_id": f"<urn:uuid:live-{n}>", "offset": n}
                catalog.add(
                    {**item, "url": f"{item['url']}?copy={n}", "warc": warc},
                    item["outlet"],
                    f"2026-11-03T00:{n % 60:02d}:00Z",
                )
            catalog.close()
        except BaseException as exc:  # pragma: no cover - the assertion below says it
            errors.append(exc)
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    pages = fetch(root, *(["/search.json?q=Gerasimov"] * 40))
    writer.join()
    assert not errors
    assert all(page.status_code == 200 for page in pages), {p.status_code for p in pages}
    (last,) = fetch(root, "/search.json?q=Gerasimov")
    assert last.json()["total"] > pages[0].json()["total"] - 1
