"""Feeds and sitemaps: real files from the corpus, plus the ways they break."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from crawler.discovery import parse_feed, parse_sitemap

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
