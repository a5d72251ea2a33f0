"""Feeds and sitemaps: real files from the corpus, plus the ways they break."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from crawler.discovery import iter_feed, open_sitemap, parse_feed, parse_sitemap

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
MT = Path(__file__).parent / "fixtures" / "moscowtimes"


def test_google_news_sitemap_keeps_news_fields():
    sitemap = parse_sitemap((CORPUS / "rferl_sitemap_8_news.xml.gz").read_bytes())
    assert sitemap.kind == "urlset" and len(sitemap.entries) > 3
    first = sitemap.entries[0]
    assert first.url == "https://www.rferl.org/a/majlis-russian-chinese-influence-central-asia/33423647.html"
    assert first.published.isoformat() == "2025-05-25T10:55:00.820000+00:00"
    assert first.title == "Central Asia's New Position In Global Politics"
    assert first.language == "en"
    assert first.discovered("news")["title"] == first.title


def test_sitemap_index_with_lastmod():
    sitemap = parse_sitemap((CORPUS / "rferl_sitemap_index.xml").read_bytes())
    assert sitemap.kind == "index"
    assert all(e.url.startswith("https://www.rferl.org/sitemap_8_") for e in sitemap.entries)
    assert sitemap.entries[0].lastmod.year == 2025


def test_gzipped_sitemap_is_recognised_by_content():
    sitemap = parse_sitemap((CORPUS / "trafilatura_sitemap.xml.gz").read_bytes())
    assert sitemap.entries


def test_news_sitemap_with_stylesheet_comments_and_images():
    sitemap = parse_sitemap((CORPUS / "newscrawl_sitemap-news.xml").read_bytes())
    assert sitemap.entries and all(e.url.startswith("http") for e in sitemap.entries)
    assert all("image" not in e.url for e in sitemap.entries)


def test_moscow_times_monthly_sitemaps_hold_loc_only():
    index = parse_sitemap((MT / "sitemap" / "sitemap.xml").read_bytes())
    assert [e.url.rsplit("/", 1)[-1] for e in index.entries] == ["2021-11.xml", "2024-12.xml", "2025-3.xml"]
    month = parse_sitemap((MT / "sitemap" / "2021-11.xml").read_bytes())
    assert month.entries[0].lastmod is None and month.entries[0].published is None


@pytest.mark.parametrize(
    ("name", "count", "first"),
    [
        ("trafilatura_feed1.atom", 2, "http://example.org/2003/12/13/atom03"),
        ("trafilatura_feed2.rss", 1, "http://www.example.com/blog/post/1"),
    ],
)
def test_feeds(name, count, first):
    entries = parse_feed((CORPUS / name).read_bytes(), "https://example.org/feed")
    assert len(entries) == count and entries[0].url == first


def test_json_feed():
    entries = parse_feed((CORPUS / "trafilatura_feed.json").read_bytes())
    assert entries and all(e.url.startswith("https://www.npr.org/") for e in entries)


def test_moscow_times_rss_dates_and_cdata():
    entries = parse_feed((MT / "rss" / "all").read_bytes(), "https://www.themoscowtimes.com/rss/all")
    assert [e.url.rsplit("-", 1)[-1] for e in entries] == ["a75651", "a87242", "a90011"]
    assert entries[0].published.isoformat() == "2021-11-23T21:22:00+00:00"


def test_broken_input_is_an_error_not_a_crash():
    with pytest.raises(ValueError):
        parse_sitemap(b"<html><body>Not found</body></html>")
    with pytest.raises(ValueError):
        parse_sitemap(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ValueError):
        parse_feed(b"this is not a feed at all")


def test_truncated_sitemap_keeps_complete_entries():
    data = (MT / "sitemap" / "2024-12.xml").read_bytes()
    truncated = data[: data.rindex(b"</url>") - 10]
    sitemap = parse_sitemap(gzip.compress(truncated))
    assert len(sitemap.entries) >= 1


RSS1 = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel rdf:about="x"><title>t</title>
 <dc:language>de</dc:language></channel><item rdf:about="http://e.org/a"><title>A &amp; B</title>
 <link>http://e.org/a</link><dc:date>2024-01-02T03:04:05+02:00</dc:date></item>
 <item rdf:about="http://e.org/b"><title>B</title><link>/b</link></item></rdf:RDF>"""
ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr"><title>t</title><entry>
 <title type="html">&lt;b&gt;Hi&lt;/b&gt; there</title><link rel="alternate" href="http://e.org/x"/>
 <link rel="enclosure" href="http://e.org/x.mp3"/><id>urn:1</id><published>2024-01-02T03:04:05.5Z</published>
 <updated>2024-01-03T03:04:05Z</updated></entry><entry><id>http://e.org/y</id><title>no link</title></entry></feed>"""
RSS2 = b"""<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>t</title>
 <language>en-us</language><item><title><![CDATA[Cd <i>x</i>]]></title><atom:link href="http://e.org/self" rel="self"/>
 <guid isPermaLink="false">abc-1</guid><pubDate>Tue, 02 Jan 2024 03:04:05 +0300</pubDate></item>
 <item><link> http://e.org/z </link><pubDate>garbage</pubDate></item></channel></rss>"""


@pytest.mark.parametrize(
    "body",
    [
        (CORPUS / "trafilatura_feed1.atom").read_bytes(),
        (CORPUS / "trafilatura_feed2.rss").read_bytes(),
        (MT / "rss" / "all").read_bytes(),
        (MT / "rss" / "news").read_bytes(),
        RSS1,
        ATOM,
        RSS2,
    ],
)
def test_the_streaming_feed_reader_reads_what_feedparser_reads(body):
    """Big feeds go to the streaming reader: same entries, fields and dates as feedparser's."""
    streamed = list(iter_feed(body, "https://example.org/feed", stream_above=0))
    assert streamed and streamed == list(iter_feed(body, "https://example.org/feed"))


def test_sitemaps_are_read_as_they_are_advanced():
    """A sitemap's entries come one by one: the document is never held parsed whole."""
    rows = "".join(
        f"<url><loc>https://e.org/{i}</loc><lastmod>2024-01-0{i % 9 + 1}</lastmod></url>" for i in range(5000)
    )
    body = gzip.compress(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'.encode())
    kind, entries = open_sitemap(body)
    assert kind == "urlset"
    first = next(entries)
    assert first.url == "https://e.org/0" and first.lastmod.day == 1
    assert sum(1 for _ in entries) == 4999
    with pytest.raises(ValueError):
        open_sitemap(b"<rss><channel/></rss>")


def test_a_gzip_bomb_sitemap_stops_at_the_inflate_cap(monkeypatch):
    monkeypatch.setattr("crawler.discovery.xml_reading.MAX_INFLATED", 200_000)
    rows = "".join(f"<url><loc>https://e.org/{i}</loc></url>" for i in range(20_000))
    kind, entries = open_sitemap(gzip.compress(f"<urlset>{rows}</urlset>".encode()))
    read = []
    with pytest.raises(ValueError, match="inflates beyond"):
        read.extend(entries)
    assert 1000 < len(read) < 20_000  # what came before the cap is kept
