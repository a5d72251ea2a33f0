"""File names from URLs stay inside the archive and are safe anywhere."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.output.naming import (
    HASH_SEPARATOR,
    MAX_SEGMENT_BYTES,
    contained_path,
    hashed_relative_path,
    legacy_relative_path,
    revision_path,
    safe_segment,
    url_hash,
    url_relative_path,
)

segment_text = st.text(min_size=0, max_size=300)
url_paths = st.lists(
    st.one_of(segment_text, st.sampled_from(["..", ".", "%2e%2e", "%2F", "CON", "nul.txt", "a\x00b", "..%2f.."])),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(url_paths, st.text(max_size=50))
def test_no_url_escapes_the_root(tmp_path_factory, parts, query):
    root = tmp_path_factory.getbasetemp() / "root"
    url = "https://example.org/" + "/".join(parts) + ("?" + query if query else "")
    relative = url_relative_path(url)
    target = contained_path(root, relative)
    assert root.resolve() in target.parents
    for part in relative.parts:
        assert part not in ("", ".", "..")
        assert "/" not in part and "\\" not in part and "\x00" not in part
        assert len(part.encode("utf-8")) <= MAX_SEGMENT_BYTES + 3


@settings(max_examples=200, deadline=None)
@given(segment_text)
def test_segments_are_filesystem_safe(text):
    clean = safe_segment(text)
    assert clean and not clean.startswith(".")
    assert not any(ch in clean for ch in '<>:"/\\|?*\x00')
    assert len(clean.encode("utf-8")) <= MAX_SEGMENT_BYTES


def test_readable_names_for_real_urls():
    assert url_relative_path(
        "https://www.themoscowtimes.com/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651"
    ) == Path("2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651.md")
    assert url_relative_path("https://www.svoboda.org/a/%D0%B2%D0%BE%D0%B9%D0%BD%D0%B0/33123456.html") == Path(
        "a/война/33123456.md"
    )


def test_distinct_urls_do_not_collide():
    names = {url_relative_path(u) for u in ("https://x/a b", "https://x/a-b", "https://x/a?b=1", "https://x/a?b=2")}
    assert len(names) == 4


def test_contained_path_refuses_escape(tmp_path):
    import pytest

    with pytest.raises(ValueError):
        contained_path(tmp_path, Path("../outside.md"))


NFC, NFD = "caf%C3%A9", "cafe%CC%81"  # the same word, two Unicode spellings


def test_ordinary_names_are_as_before():
    """Names of ordinary article URLs did not change: archives and the README stay true."""
    for url in (
        "https://www.themoscowtimes.com/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651",
        "https://www.rferl.org/a/majlis-russian-chinese-influence-central-asia/33423647.html",
        "https://warontherocks.com/2024/05/some-slug/",
        "https://example.org/a?b=1",
        "https://example.org/",
    ):
        assert url_relative_path(url) == legacy_relative_path(url)
    assert url_relative_path("https://x.org/news/story", with_host=True) == Path("x.org/news/story.md")
    assert url_relative_path("http://127.0.0.1:8080/news/story", with_host=True) == Path("127.0.0.1_8080/news/story.md")


def test_what_the_readable_name_would_lose_gets_the_url_hash():
    story = "https://x.org/news/story"
    deep = "https://x.org/0/1/2/3/4/5/6/7/8"
    lossy = [
        f"https://x.org/news/{NFD}",  # NFD: the readable name would be the NFC one's
        "https://x.org/news/story.r2",  # would read as revision 2 of /news/story
        deep,  # nine segments: the first would be dropped
        "https://x.org/news//story",  # an empty segment
        "https://x.org/news/./story",
    ]
    for url in lossy:
        name = url_relative_path(url)
        assert name == hashed_relative_path(url) != legacy_relative_path(url)
        assert name.name.endswith(f"{HASH_SEPARATOR}{url_hash(url)}.md")
    assert url_relative_path(f"https://x.org/news/{NFC}") == Path("news/café.md")
    assert url_relative_path("https://x.org/news/story.r2") != revision_path(url_relative_path(story), 2)
    assert url_relative_path(deep) != url_relative_path("https://x.org/1/2/3/4/5/6/7/8")


def test_six_urls_of_the_issue_get_six_names_once_the_writer_settles_what_names_cannot_see():
    """Host (feed spider) and NFC/NFD, .r2 and depth by name; .html vs none by the writer (hashed)."""
    base = "https://x.org"
    names = {
        url_relative_path(f"{base}/news/story", with_host=True),
        url_relative_path("https://y.org/news/story", with_host=True),
        hashed_relative_path(f"{base}/news/story.html", with_host=True),  # the writer's choice: plain is taken
        url_relative_path(f"{base}/news/{NFC}", with_host=True),
        url_relative_path(f"{base}/news/{NFD}", with_host=True),
        url_relative_path(f"{base}/news/story.r2", with_host=True),
        url_relative_path(f"{base}/0/1/2/3/4/5/6/7/8", with_host=True),
        url_relative_path(f"{base}/1/2/3/4/5/6/7/8", with_host=True),
        revision_path(url_relative_path(f"{base}/news/story", with_host=True), 2),
    }
    assert len(names) == 9


@settings(max_examples=300, deadline=None)
@given(url_paths, url_paths)
def test_hashed_names_never_equal_another_urls_name(first, second):
    a = "https://example.org/" + "/".join(first)
    b = "https://example.org/" + "/".join(second)
    if a != b:
        assert hashed_relative_path(a) != hashed_relative_path(b)
        assert hashed_relative_path(a) != legacy_relative_path(b)
        assert url_relative_path(a) != hashed_relative_path(b)


def test_a_write_never_replaces_another_urls_file(tmp_path):
    """The pipeline reads the front matter: a name taken by another URL means the hashed name."""
    from types import SimpleNamespace

    from crawler.items import ArticleItem
    from crawler.output.pipeline import TextFilePipeline

    stats = SimpleNamespace(
        values={}, inc_value=lambda key: stats.values.__setitem__(key, stats.values.get(key, 0) + 1)
    )
    settings = SimpleNamespace(get=lambda key: str(tmp_path))  # ARCHIVE_DIR
    from scrapy.signalmanager import SignalManager

    crawler = SimpleNamespace(
        settings=settings, spider=SimpleNamespace(name="feed"), stats=stats, signals=SignalManager()
    )
    pipeline = TextFilePipeline(crawler)
    plain, html = "https://x.org/news/story", "https://x.org/news/story.html"
    for url, text in ((plain, "first"), (html, "second"), (plain, "first again")):
        pipeline.process_item(ArticleItem(url=url, title=text, text=text, revision=1))
    files = {p.relative_to(tmp_path / "text" / "feed") for p in (tmp_path / "text").rglob("*.md")}
    assert files == {Path("news/story.md"), hashed_relative_path(html)}
    assert "first again" in (tmp_path / "text/feed/news/story.md").read_text()
    assert "second" in (tmp_path / "text/feed" / hashed_relative_path(html)).read_text()
    assert stats.values["text/name_taken"] == 1
    pipeline.process_item(ArticleItem(url=html, title="second, revised", text="r2", revision=2, diff="-a\n+b\n"))
    assert (tmp_path / "text/feed" / revision_path(hashed_relative_path(html), 2)).exists()
    assert not (tmp_path / "text/feed/news/story.r2.md").exists()
