"""Page requisites read from markup and CSS, and which hosts they may come from (no crawling)."""

from __future__ import annotations

from pathlib import Path

from crawler.requisites import Requisite, choose_srcset, css_requisites, html_requisites, refusal

PAGE = Path(__file__).parent / "fixtures" / "moscowtimes" / "pages" / "a75651.html"
BASE = "https://www.themoscowtimes.com/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651"
OWN = ["themoscowtimes.com", "static.themoscowtimes.com"]


def test_a_moscow_times_article_page_needs_its_stylesheet_images_and_script():
    found = html_requisites(PAGE.read_text(encoding="utf-8"), BASE)
    urls = [r.url for r in found]
    assert "https://static.themoscowtimes.com/css/main.css?v=1700000000" in urls
    assert "https://static.themoscowtimes.com/img/logo.svg" in urls
    assert "https://static.themoscowtimes.com/image/article_1360/a75651.jpg" in urls
    assert "https://static.themoscowtimes.com/js/main.js?v=1700000000" in urls
    gtm = [u for u in urls if "googletagmanager" in u]
    assert gtm and refusal(gtm[0], "www.themoscowtimes.com", OWN) == "tracker"
    assert all(refusal(u, "www.themoscowtimes.com", OWN) is None for u in urls if "themoscowtimes" in u)


def test_srcset_candidates_are_chosen_by_policy():
    srcset = "/a-320.jpg 320w, /a-1280.jpg 1280w, /a-640.jpg 640w"
    assert choose_srcset(srcset, "largest") == ["/a-1280.jpg"]
    assert choose_srcset(srcset, "smallest") == ["/a-320.jpg"]
    assert choose_srcset(srcset, "all") == ["/a-320.jpg", "/a-1280.jpg", "/a-640.jpg"]
    assert choose_srcset("/x.png 1x, /x@2x.png 2x", "largest") == ["/x@2x.png"]
    assert choose_srcset(", ".join(f"/c{i}.jpg {i}w" for i in range(1, 400)), "largest") == ["/c399.jpg"]


def test_stylesheet_imports_fonts_and_backgrounds():
    css = """
    /* @import url(commented-out.css); */
    @import url("fonts.css");
    @import 'print.css' print;
    @font-face { font-family: MT; src: url(../fonts/mt.woff2) format("woff2"), url('../fonts/mt.ttf'); }
    header { background-image: url(../img/header.png); }
    .icon { background: url(data:image/png;base64,iVBORw0KGgo=) }
    .bad { background: url(javascript:alert(1)) }
    """
    found = css_requisites(css, "https://static.themoscowtimes.com/css/main.css")
    assert Requisite("https://static.themoscowtimes.com/css/fonts.css", "stylesheet") in found
    assert Requisite("https://static.themoscowtimes.com/css/print.css", "stylesheet") in found
    assert Requisite("https://static.themoscowtimes.com/fonts/mt.woff2", "font") in found
    assert Requisite("https://static.themoscowtimes.com/img/header.png", "image") in found
    assert not any("commented-out" in r.url for r in found)
    for requisite in found:
        if requisite.url.startswith(("data:", "javascript:")):
            assert refusal(requisite.url, "static.themoscowtimes.com", OWN) == "scheme"


def test_hosts_other_than_the_outlets_are_not_fetched():
    assert refusal("https://cdn.example.net/x.css", "www.themoscowtimes.com", OWN) == "offsite"
    assert refusal("https://www.google-analytics.com/analytics.js", "www.themoscowtimes.com", OWN) == "tracker"
    assert refusal("https://static.themoscowtimes.com/x.css", "www.themoscowtimes.com", OWN) is None
    assert refusal("ftp://static.themoscowtimes.com/x.css", "www.themoscowtimes.com", OWN) == "scheme"


def test_inline_styles_and_link_rels():
    html = """<html><head><link rel="preload" as="font" href="/f.woff2"><link rel="alternate" href="/rss">
    <link rel="shortcut icon" href="/favicon.ico"><style>body{background:url(/bg.png)}</style></head>
    <body><div style="background-image: url('/hero.jpg')"></div><video poster="/poster.jpg"></video></body></html>"""
    urls = [r.url for r in html_requisites(html, "https://example.org/a")]
    assert urls == [
        "https://example.org/f.woff2",
        "https://example.org/favicon.ico",
        "https://example.org/poster.jpg",
        "https://example.org/bg.png",
        "https://example.org/hero.jpg",
    ]
