"""File names from URLs stay inside the archive and are safe anywhere."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.output.naming import MAX_SEGMENT_BYTES, contained_path, safe_segment, url_relative_path

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
