"""Extraction rules and bad input, one page at a time (in process, no crawl)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extraction import PageRules, extract_article
from crawler.extraction.normalize import join_paragraphs, normalize_text, parse_datetime
from crawler.extraction.people import credit, split_credit
from spiders.moscowtimes import MoscowTimesSpider

PAGES = Path(__file__).parent / "fixtures" / "moscowtimes" / "pages"
MT = MoscowTimesSpider.rules


@pytest.mark.parametrize("page", ["video.html", "gallery.html"])
def test_video_and_gallery_pages_are_not_articles(page):
    result = extract_article((PAGES / page).read_text(), url="https://www.themoscowtimes.com/x", rules=MT)
    assert result.fields is None and "not an article" in result.skipped


def test_section_front_without_article_container_is_skipped():
    html = "<html><body><div class='cluster'><a href='/a'>One</a><a href='/b'>Two</a></div></body></html>"
    result = extract_article(html, url="https://www.themoscowtimes.com/news", rules=MT)
    assert result.fields is None and "no article container" in result.skipped


@pytest.mark.parametrize("body", ["", "   ", b"", b"\x00\x01\x02\xff" * 10])
def test_empty_or_binary_pages_never_raise(body):
    result = extract_article(body, url="https://example.org/a", rules=PageRules())
    assert result.fields is None or result.fields.text == ""


def test_short_article_is_flagged_not_dropped():
    html = (PAGES / "a75651.html").read_text()
    result = extract_article(html, url="https://www.themoscowtimes.com/x", rules=MT, min_words=10_000)
    assert result.fields.text and result.warnings and result.warnings[0].startswith("short text")


def test_updated_byline_does_not_replace_the_publication_date():
    # The byline of a75651 shows "Updated:" with the modification time.
    html = (PAGES / "a75651.html").read_text()
    assert "Updated:" in html
    fields = extract_article(html, url="https://www.themoscowtimes.com/x", rules=MT).fields
    assert fields.published == "2021-11-24T00:22:00+03:00"
    assert fields.modified == "2021-11-24T11:41:00+03:00"


def test_all_authors_come_from_the_byline_not_only_json_ld():
    html = (PAGES / "a90011.html").read_text()
    assert html.count('"@type": "Person"') == 1  # JSON-LD names the first author only
    fields = extract_article(html, url="https://www.themoscowtimes.com/x", rules=MT).fields
    assert fields.authors == ["Anna Petrova", "James Whitfield", "Oleg Sorokin"]


def test_first_article_wins_when_a_page_carries_the_next_one():
    html = (PAGES / "a75651.html").read_text()
    other = (PAGES / "a87242.html").read_text()
    next_article = other[other.index('<article class="article') : other.index("</article>") + len("</article>")]
    html = html.replace(
        '<div class="container next-article-loader"', next_article + '<div class="container next-article-loader"'
    )
    fields = extract_article(html, url="https://www.themoscowtimes.com/x", rules=MT).fields
    assert fields.title == "U.S., Russian Military Chiefs Speak on the Phone"
    assert "Charles Brown" not in fields.text


def test_dates_after_the_capture_are_refused():
    html = (PAGES / "a87242.html").read_text()
    fields = extract_article(
        html, url="https://www.themoscowtimes.com/x", rules=MT, fetched_at="2024-01-01T00:00:00Z"
    ).fields
    assert fields.published is None or fields.published < "2024-01-02"


def test_generic_extraction_without_rules_finds_title_and_text():
    html = (PAGES / "a87242.html").read_text()
    fields = extract_article(html, url="https://www.themoscowtimes.com/x").fields
    assert fields.title == "Russia, U.S. Army Chiefs Hold Rare Call Amid Ukraine Escalation"
    assert "Gerasimov had informed Brown" in fields.text


def test_normalization():
    assert normalize_text("  a\u00a0b\u200b c\n\n d ") == "a b c d"
    assert normalize_text("e\u0301") == "\u00e9"  # NFC
    assert join_paragraphs(["one ", "", " two"]) == "one\n\ntwo"
    assert parse_datetime("2021-11-24T00:22:00+0300").isoformat() == "2021-11-24T00:22:00+03:00"
    assert parse_datetime("2021-11-24", "Europe/Moscow").isoformat() == "2021-11-24T00:00:00+03:00"
    assert parse_datetime("Wed, 24 Nov 2021 08:41:00 GMT").isoformat() == "2021-11-24T08:41:00+00:00"
    assert parse_datetime("not a date") is None


def test_normalization_takes_every_white_space_and_keeps_every_other_character():
    import re
    import sys
    import unicodedata

    from crawler.extraction.normalize import _INVISIBLE

    def by_expression(text: str) -> str:  # the definition: NFC, invisibles out, \s+ as one space
        return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).translate(_INVISIBLE)).strip()

    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    spaces = re.findall(r"\s", every)
    assert len(spaces) > 20 and "\x1c" in spaces and "\u3000" in spaces and "\u200b" not in spaces
    for c in spaces:
        assert normalize_text(f"{c}a{c}{c}b{c}") == "a b", repr(c)
    text = every[:0x3100]  # every white space is below U+3001
    assert normalize_text(text) == by_expression(text)
    for sample in ("plain ASCII  text\t\n", "\x00\x1f x", "caf\u0065\u0301 \u00ad\u200b", "\ufeffA\u00a0B"):
        assert normalize_text(sample) == by_expression(sample)


def test_split_credit():
    assert split_credit("By Anna Petrova, James Whitfield and Oleg Sorokin") == [
        "Anna Petrova",
        "James Whitfield",
        "Oleg Sorokin",
    ]
    assert split_credit("Felix Schröder und Jörg Soldwisch, dpa") == ["Felix Schröder", "Jörg Soldwisch", "dpa"]
    assert split_credit("Elena Oberholzer (obe)") == ["Elena Oberholzer"]
    assert split_credit("Autor Monika Bolliger") == ["Monika Bolliger"]
    assert split_credit("d.kuckelkorn@boersen-zeitung.de") == []
    assert split_credit("105092") == []


def test_persons_are_separated_from_organizations():
    credited = credit(
        ["Felix Schröder und Jörg Soldwisch, dpa", "Reuters", "Just the News Staff", "STERN.de"],
        site_names={"stern.de", "STERN"},
    )
    assert credited.persons == ["Felix Schröder", "Jörg Soldwisch"]
    assert credited.organizations == ["dpa", "Reuters", "Just the News Staff", "STERN.de"]


def _with_json_ld(html: str, **changes) -> str:
    import json as _json
    import re as _re

    match = _re.search(r'<script type="application/ld\+json">(\{"@context".*?"NewsArticle".*?)</script>', html, _re.S)
    data = _json.loads(match.group(1))
    data.update(changes)
    return html.replace(match.group(1), _json.dumps(data))


def test_access_free_when_nothing_says_otherwise():
    fields = extract_article((PAGES / "a87242.html").read_text(), url="https://x/a", rules=MT).fields
    assert fields.access == "free"


def test_access_partial_when_text_is_short_of_json_ld_article_body():
    html = (PAGES / "a87242.html").read_text()
    full = extract_article(html, url="https://x/a", rules=MT).fields.text
    longer = full + "\n\n" + " ".join(["The rest of the article sits behind the paywall."] * 40)
    result = extract_article(
        _with_json_ld(html, isAccessibleForFree=False, articleBody=longer), url="https://x/a", rules=MT
    )
    assert result.fields.access == "partial"
    assert any(w.startswith("truncated text") for w in result.warnings)


def test_access_paywalled_when_the_outlet_says_so():
    html = _with_json_ld((PAGES / "a87242.html").read_text(), isAccessibleForFree="False")
    assert extract_article(html, url="https://x/a", rules=MT).fields.access == "paywalled"


def test_access_partial_on_a_paywall_marker():
    html = (
        (PAGES / "a87242.html")
        .read_text()
        .replace(
            '<div class="article__bottom">',
            '<div class="paywall-teaser">Subscribe to keep reading</div><div class="article__bottom">',
        )
    )
    rules = MT.extend(paywall=("div.paywall-teaser",))
    result = extract_article(html, url="https://x/a", rules=rules)
    assert result.fields.access == "partial" and "Subscribe to keep reading" not in result.fields.text


def test_page_dates_follow_daylight_saving_time():
    from lxml import html as lxml_html

    from crawler.extraction.dates import page_date

    winter = page_date(lxml_html.fragment_fromstring("<p>Published: March 12, 2022 11:30pm</p>"), "America/New_York")
    summer = page_date(lxml_html.fragment_fromstring("<p>Updated: March 13, 2022 10:15am</p>"), "America/New_York")
    assert winter.isoformat() == "2022-03-12T23:30:00-05:00"
    assert summer.isoformat() == "2022-03-13T10:15:00-04:00"
    stamp = page_date(
        lxml_html.fragment_fromstring('<span><time datetime="2021-11-23T21:35:27Z">x</time></span>'), "UTC"
    )
    assert stamp.isoformat() == "2021-11-23T21:35:27+00:00"


def test_media_pages_are_not_articles():
    html = (Path(__file__).parent / "fixtures" / "currenttime" / "pages" / "video.html").read_text()
    from spiders.currenttime import CurrentTimeSpider

    result = extract_article(html, url="https://www.currenttime.tv/a/31576700.html", rules=CurrentTimeSpider.rules)
    assert result.fields is None and "VideoObject" in result.skipped


def test_rules_extend_appends_tuples_and_replaces_the_rest():
    base = PageRules(remove=("a",), language="en")
    more = base.extend(remove=("b",), language="ru")
    assert more.remove == ("a", "b") and more.language == "ru" and base.remove == ("a",)


def test_declared_language_is_checked_against_the_text():
    page = (Path(__file__).parent / "fixtures" / "svoboda" / "pages" / "31576501.html").read_text(encoding="utf-8")
    from spiders.svoboda import SvobodaSpider

    result = extract_article(
        page.replace('lang="ru"', 'lang="en"'), url="https://www.svoboda.org/a/x/1.html", rules=SvobodaSpider.rules
    )
    assert result.fields.language == "ru"
    assert result.notes == {"language_corrected": "language declared en, detected ru"}


def test_language_detection_tells_close_languages_apart_and_abstains_when_unsure():
    from crawler.extraction.language import check_language, detect_language

    ukrainian = (
        "Міністерство оборони України повідомило, що протягом доби сили оборони відбили дванадцять атак "
        "на кількох напрямках фронту, а також знищили склад боєприпасів противника."
    ) * 3
    russian = (
        "Министерство обороны России сообщило, что за сутки силы противовоздушной обороны сбили "
        "двенадцать беспилотников над несколькими областями страны."
    ) * 3
    hebrew = "משרד הביטחון הודיע היום כי מערכת ההגנה האווירית יירטה את כל הטילים ששוגרו לעבר הצפון. " * 3
    assert detect_language(ukrainian) == "uk" and detect_language(russian) == "ru"
    assert detect_language(hebrew) == "he"  # CLD2 says "iw", a retired code
    assert detect_language("12 34 56 ... !!!") is None  # nothing to judge: no guess
    assert detect_language("bad \udcff surrogate") is None  # not valid UTF-8: no crash
    # Short texts are never overruled; long ones are, with a note.
    assert check_language("ru", "Коротко.") == ("ru", None)
    assert check_language("ru", ukrainian * 2) == ("uk", "language declared ru, detected uk")


def test_site_and_section_suffixes_leave_the_headline_whole():
    from crawler.extraction.titles import strip_site_name

    # Real shapes from the fundus pages and the extraction benchmark.
    assert (
        strip_site_name("Steigende US-Zinsen setzen Dax zu | Börsen-Zeitung", {"boersen-zeitung.de", "boersen-zeitung"})
        == "Steigende US-Zinsen setzen Dax zu"
    )
    assert strip_site_name("Headline - Example.com", {"example.com"}) == "Headline"
    assert strip_site_name("Bubi-Bomber wieder da | Sport", {"bild.de"}, section="Sport") == "Bubi-Bomber wieder da"
    assert strip_site_name("장동혁, 부담 커졌다-정치", {"hankookilbo.com"}, section="정치") == "장동혁, 부담 커졌다"
    # A hyphen inside a word or a score is not a separator, whatever follows it.
    assert (
        strip_site_name("Now, it can't accommodate RTO-4", {"ottawacitizen.com"}) == "Now, it can't accommodate RTO-4"
    )
    assert strip_site_name("Wild beat Sabres 4-1", {"apnews.com"}) == "Wild beat Sabres 4-1"
    assert (
        strip_site_name("Noia en la lucha por la salvación (3-3)", {"abc.es"})
        == "Noia en la lucha por la salvación (3-3)"
    )
    # A tail that is neither the site nor the section stays.
    assert strip_site_name("Ukraine - what next", {"example.com"}) == "Ukraine - what next"


def test_credit_labels_and_job_titles_are_not_part_of_names():
    assert credit(["Capital Von Jemima Kelly"]).persons == ["Jemima Kelly"]  # a column's name, then "Von"
    assert credit(["Ursula von der Leyen", "Karl von Habsburg"]).persons == [
        "Ursula von der Leyen",
        "Karl von Habsburg",
    ]
    assert credit(["신현주 기자"]).persons == ["신현주"]  # 기자: reporter
    assert credit(["山田太郎記者"]).persons == ["山田太郎"]
    # A description after the name (LRT's JSON-LD author, fundus) is no second person; long names stay.
    lrt = "Povilas Aleksandravičius, Mykolo Romerio universiteto Žmogaus ir visuomenės studijų fakulteto profesorius"
    assert credit([lrt]).persons == ["Povilas Aleksandravičius"]
    assert credit(["Luiz Inácio Lula da Silva", "Maria de los Angeles van der Berg"]).persons == [
        "Luiz Inácio Lula da Silva",
        "Maria de los Angeles van der Berg",
    ]


def test_a_strict_reading_well_short_of_the_json_ld_article_body_is_read_again():
    """A real Times of India page (fundus test data): the strict reading keeps the breadcrumbs and
    loses a third of the article; the page's JSON-LD articleBody says how long it is."""
    import gzip

    page = gzip.decompress(
        (Path(__file__).parent / "fixtures" / "corpus" / "fundus_TimesOfIndia_2026_04_16.html.gz").read_bytes()
    ).decode("utf-8")
    url = "https://timesofindia.indiatimes.com/city/bhopal/newborns-left-in-dustbins/articleshow/130288123.cms"
    result = extract_article(page, url=url)
    text = result.fields.text
    assert text.startswith("BHOPAL: Madhya Pradesh continues to report the highest number of infant abandonm")
    assert "- News" not in text and result.fields.access == "free"
    assert result.fields.word_count > 1200


BROKEN_JSON_LD_PAGE = """<!DOCTYPE html><html lang="en"><head>
<meta charset="utf-8"><title>Kyiv says drone strike hit Russian refinery | Example News</title>
<meta property="og:title" content="Kyiv says drone strike hit Russian refinery">
<meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2024-05-02T09:15:00+00:00">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "broken,</script>
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebPage", "@id": "https://news.example.com/a/1#page", "name": "Kyiv says drone strike hit Russian refinery"},
  {"@type": "NewsArticle", "headline": "Kyiv says drone strike hit Russian refinery",
   "datePublished": "2031-01-01T00:00:00Z", "dateModified": "2024-05-02T10:00:00Z",
   "author": [{"@type": "Person", "name": "Olena Kovalenko", "url": "https://news.example.com/authors/olena"},
              "https://news.example.com/authors/ivan-petrov",
              {"@type": "Organization", "name": "Reuters"}],
   "publisher": {"@type": "Organization", "name": "Example News"}}
]}
</script>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Kyiv says drone strike hit Russian refinery"}
</script>
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>
<article>
<h1>Kyiv says drone strike hit Russian refinery</h1>
<p>Ukrainian drones struck an oil refinery in Russia's Ryazan region overnight, a source in Kyiv's
security service said on Thursday, the latest in a series of attacks on Russian energy sites.</p>
<p>Губернатор области Павел Малков said debris from a downed drone had caused a fire at an industrial
site, without naming it. Emergency services said the fire had been put out by the morning.</p>
<p>Kyiv has stepped up long-range strikes on refineries this year, saying they supply fuel to Russian
forces. Moscow calls the attacks terrorism and has answered with strikes on Ukraine's power grid.</p>
</article>
<aside class="related"><h2>Read more</h2><ul><li><a href="/a/2">Another story</a></li></ul></aside>
</body></html>"""


def test_broken_duplicate_and_odd_json_ld_gives_what_it_can_justify():
    """A broken block, duplicate article objects inside and outside an @graph, authors as objects, a URL
    and an agency, a publication date after the capture, a Cyrillic name in English text."""
    result = extract_article(
        BROKEN_JSON_LD_PAGE, url="https://news.example.com/a/1", fetched_at="2024-05-02T12:00:00+00:00"
    )
    fields = result.fields
    assert result.skipped is None and fields is not None
    assert fields.title == "Kyiv says drone strike hit Russian refinery"
    # The JSON-LD date is in the future of the capture: refused; the meta tag's date is used.
    assert fields.published == "2024-05-02T09:15:00+00:00" and fields.published_source == "meta"
    # A person (object), not the author page URL; the agency apart.
    assert fields.authors == ["Olena Kovalenko"] and fields.organizations == ["Reuters"]
    assert fields.language == "en"  # a Cyrillic name inside English text does not change it
    assert "Губернатор области Павел Малков" in fields.text and "Read more" not in fields.text


def test_job_titles_name_nobody_and_the_outlets_acronym_is_an_organization():
    assert credit(["Jon King, News Reporter"]).persons == ["Jon King"]
    assert credit(["GREG BEACHAM", "AP Sports Writer"]).persons == ["GREG BEACHAM"]
    assert credit(["Analysis by Chris Cillizza", "CNN Editor-at-large"], {"cnn.com"}) == credit(["Chris Cillizza"])
    assert credit(["John Writer", "Anna Editor"]).persons == ["John Writer", "Anna Editor"]  # surnames stay
    mdr = credit(["Engin Haupt", "MDR SACHSEN-ANHALT"], {"mdr.de", "mdr"})
    assert mdr.persons == ["Engin Haupt"] and mdr.organizations == ["MDR SACHSEN-ANHALT"]


def test_a_byline_naming_more_people_than_the_json_ld_is_read_whole():
    """Shaped like Correctiv's pages (fundus): JSON-LD names the first author, the byline three."""
    page = (
        """<html lang="de"><head><title>Im Netz der Agenten</title>
    <meta name="author" content="Till Eckert">
    <script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
      "headline": "Im Netz der Agenten", "datePublished": "2026-05-20T08:00:00+02:00",
      "author": {"@type": "Person", "name": "Till Eckert"}}</script></head>
    <body><article><h1>Im Netz der Agenten</h1>
    <div class="detail__authors">von <a href="/team/till-eckert/" class="detail__authors-link">Till Eckert</a>
      , <a href="/team/max-bernhard/" class="detail__authors-link">Max Bernhard</a>
      und <a href="/team/martin-murphy/" class="detail__authors-link">Martin Murphy</a></div>
    """
        + "<p>"
        + "Die Recherche zeigt, wie ein Netzwerk über Jahre Informationen sammelte und weitergab. " * 12
        + "</p>"
        + """
    </article></body></html>"""
    )
    result = extract_article(page, url="https://correctiv.org/aktuelles/2026/05/20/im-netz-der-agenten/")
    assert result.fields.authors == ["Till Eckert", "Max Bernhard", "Martin Murphy"]


def test_of_two_renderings_of_a_headline_the_core_is_kept():
    """JSON-LD headline and og:title where one is the other plus words at an end (fundus pages)."""
    from crawler.extraction.titles import core_headline

    # A kicker before the headline (n-tv), a section after it (Bild), a search-engine extension (Daily Mail).
    assert (
        core_headline(
            "Neue Leipziger Schule: Judy Lybke, ganz und gar nicht eigenartig",
            "Judy Lybke, ganz und gar nicht eigenartig",
        )
        == "Judy Lybke, ganz und gar nicht eigenartig"
    )
    assert (
        core_headline(
            "Bubi-Bomber wieder da: Thioune fordert Geduld mit Niemiec | Sport",
            "Bubi-Bomber wieder da: Thioune fordert Geduld mit Niemiec",
        )
        == "Bubi-Bomber wieder da: Thioune fordert Geduld mit Niemiec"
    )
    assert (
        core_headline(
            "Your $1 bill could be worth up THOUSANDS - here's how to check if you have the rare buck",
            "Your $1 bill could be worth up THOUSANDS - here's how to check",
        )
        == "Your $1 bill could be worth up THOUSANDS - here's how to check"
    )
    # Either order; the shorter is kept.
    assert (
        core_headline(
            "Judy Lybke, ganz und gar nicht eigenartig",
            "Neue Leipziger Schule: Judy Lybke, ganz und gar nicht eigenartig",
        )
        == "Judy Lybke, ganz und gar nicht eigenartig"
    )
    # Never a lone kicker or name, never a cut inside a word, never under half the headline.
    assert core_headline("Putin: Ukraine talks stall again", "Putin") == "Putin: Ukraine talks stall again"
    assert (
        core_headline("Trump says talks with Iran will go on", "Trump says talks")
        == "Trump says talks with Iran will go on"
    )
    assert (
        core_headline("Russia bombs Kharkiv overnight", "Russia bombs Kharkiv over") == "Russia bombs Kharkiv overnight"
    )
    assert core_headline("Two different headlines here", "Nothing in common at all") == "Two different headlines here"
    assert core_headline("Headline here today", None) == "Headline here today"


WORDPRESS_BOLD_BYLINE_PAGE = """<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8">
<title>Mining blasts shatter homes - Lesotho Times</title>
<meta name="author" content="Lesotho Times">
<meta property="og:site_name" content="Lesotho Times">
<meta property="og:title" content="Mining blasts shatter homes - Lesotho Times">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "BlogPosting",
 "headline": "Mining blasts shatter homes", "datePublished": "2025-11-24T08:00:00+02:00",
 "author": {"@type": "Person", "name": "Lesotho D", "url": "https://lestimes.com/author/admin/"},
 "publisher": {"@type": "Organization", "name": "Lesotho Times"}}</script>
</head><body>
<div id="top-bar"><a href="/">Home</a> <a href="/category/news/">News</a> <a href="/subscribe/">Subscribe</a></div>
<article class="post"><h1 class="entry-title">Mining blasts shatter homes</h1>
<div class="td-post-content entry-content">
<p><em>…as Bela Bela communities cry </em><em>foul over lost livelihoods</em></p>
<p><strong>Mathatisi Sebusi/Mohalenyane Phakela</strong></p>
<p><strong>A</strong> Chinese-owned crusher and quarry mining company has come under heavy criticism from five
Bela Bela villages who claim its blasting operations are damaging their homes and livelihoods.</p>
<p>Villagers told the Lesotho Times that the blasts, which happen several times a week, have cracked walls,
broken windows and scared livestock away from the grazing land the communities depend on.</p>
<p>The company denied the claims, saying its operations complied with the conditions of its licence and that it
had compensated households whose homes were assessed as damaged by its activities last year.</p>
</div>
<div class="td-post-sharing">Share on Facebook Share on Twitter</div>
</article>
<div class="td-related">RELATED ARTICLES <a href="/x/">Another story</a></div>
</body></html>"""


def test_a_bold_byline_paragraph_credits_its_persons_when_metadata_names_only_the_site():
    """Shaped like Lesotho Times, Ilanga and VnExpress pages (fundus): the metadata credits the
    outlet or its administrator account; the reporters are a bold paragraph after the dek."""
    from crawler.extraction.people import is_name_line

    result = extract_article(WORDPRESS_BOLD_BYLINE_PAGE, url="https://lestimes.com/mining-blasts-shatter-homes/")
    fields = result.fields
    assert fields.authors == ["Mathatisi Sebusi", "Mohalenyane Phakela"]
    assert "Mathatisi" not in fields.text and "…as Bela Bela communities" in fields.text
    assert "A Chinese-owned crusher" in fields.text
    assert is_name_line("Lê Phương") and is_name_line("MTHOBISI SITHOLE")
    assert not is_name_line("NGUMNU Mhawukeleni Sokhela.") and not is_name_line("He said it was fine")
    assert not is_name_line("Latest figures for 2024")
    # A bold subheading inside the article is no byline: only the first three paragraphs and the last.
    moved = WORDPRESS_BOLD_BYLINE_PAGE.replace(
        "<p><strong>Mathatisi Sebusi/Mohalenyane Phakela</strong></p>\n", ""
    ).replace("<p>Villagers told", "<p><strong>Flawed Approach</strong></p>\n<p>Villagers told")
    moved = moved.replace(
        '"author": {"@type": "Person", "name": "Lesotho D", "url": "https://lestimes.com/author/admin/"},', ""
    )
    moved_fields = extract_article(
        moved.replace("<p>The company denied", "<p>More.</p><p>The company denied"),
        url="https://lestimes.com/mining-blasts-shatter-homes/",
    ).fields
    assert moved_fields.authors == [] and "Flawed Approach" in moved_fields.text


def test_lone_words_in_free_text_credits_are_not_persons():
    """Shaped like hessenschau.de (fundus): a meta author with the place in it, JSON-LD naming the desk."""
    page = (
        """<html lang="de"><head><title>Warnstreik an Flughafen</title>
    <meta name="author" content="hessenschau.de, Frankfurt, Germany">
    <script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
      "headline": "Warnstreik an Flughafen", "datePublished": "2024-04-27T08:00:00+02:00",
      "author": [{"@type": "NewsMediaOrganization", "name": "Redaktion hessenschau.de"}]}</script></head>
    <body><article><h1>Warnstreik an Flughafen</h1>"""
        + "<p>"
        + ("Am Frankfurter Flughafen sind am Samstag zahlreiche Flüge ausgefallen, weil das Bodenpersonal streikte. ")
        * 8
        + """</p>
    </article></body></html>"""
    )
    fields = extract_article(page, url="https://www.hessenschau.de/wirtschaft/warnstreik.html").fields
    assert fields.authors == [] and fields.organizations == ["Redaktion hessenschau.de"]


NEXT_APP_PAGE = """<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">
<title>장동혁, 한동훈 제명했지만… 부담 커졌다-정치ㅣ한국일보</title>
<meta property="og:title" content="장동혁, 한동훈 제명했지만… 부담 커졌다-정치ㅣ한국일보">
<meta property="og:site_name" content="한국일보">
<meta property="article:published_time" content="2026-01-29T14:32:00+09:00">
<script src="/_next/static/chunks/polyfills.js" noModule=""></script>
<script>window["__RQ"] = window["__RQ"] || [];window["__RQ"].push({"queries":[{"state":{"data":{"detail":
{"articleId":"A2026012914320005196","sectionName":"정치","title":"장동혁, 한동훈 제명했지만… 부담 커졌다",
"contentHtml":"\\u003cdiv class=\\"editor-img-box\\"\\u003e\\u003cimg src=\\"https://newsimg.example/a.jpg\\"\\u003e\\u003c/div\\u003e
PARAGRAPHS"}}}}]});</script>
</head><body><div id="__next"><header><a href="/">한국일보</a> <a href="/News/Politics">정치</a></header>
<main></main><footer><p>Copyright © The Hankook-Ilbo All rights reserved.</p></footer></div></body></html>"""


def test_text_held_only_in_script_data_is_read_from_it():
    """Shaped like Hankook Ilbo's pages (fundus): a JavaScript application whose markup holds no
    article; the text is an HTML string in the hydration data."""
    sentence = "장동혁 국민의힘 대표가 당권을 위협하던 한동훈 전 대표를 제명했지만, 어깨는 한층 무거워졌다."
    paragraphs = "".join(
        f'\\u003cp class=\\"editor-p\\"\\u003e{sentence} {n}번째 문단.\\u003c/p\\u003e' for n in range(8)
    )
    page = NEXT_APP_PAGE.replace("PARAGRAPHS", paragraphs)
    result = extract_article(page, url="https://www.hankookilbo.com/news/article/A2026012914320005196")
    text = result.fields.text
    assert text.startswith(sentence) and text.count(sentence) == 8 and "Copyright" not in text
    assert "script data" in result.notes["text_from_page_data"]
    # Without the data, nothing is made up.
    empty = extract_article(NEXT_APP_PAGE.replace("PARAGRAPHS", ""), url="https://www.hankookilbo.com/news/article/A1")
    assert not empty.fields.text.startswith(sentence) and not empty.notes


@pytest.mark.parametrize(
    "line",
    [
        # Real furniture lines left in extracted text (fundus and the extraction benchmark), by family.
        "Il vous reste 57.09% de cet article à lire. La suite est réservée aux abonnés.",
        "この記事は会員限定です。",
        "有料会員になると会員限定の有料記事もお読みいただけます。",
        "Hat Ihnen dieser Artikel gefallen? Dann unterstützen Sie uns bitte mit einer Spende, oder werden Sie Mitglied.",
        "Unabhängiger Journalismus braucht deine Unterstützung.",
        "❤ WinFuture unterstützen",
        "Follow Metro.co.uk on Twitter and Facebook for the latest news updates.",
        "Folgst du schon 20 Minuten auf Whatsapp?",
        "- Aktuelle Nachrichten aufs Handy? Hier geht es zur neuen WAZ-News-App – für Android und iOS.",
        "For the latest breaking news and stories from across the globe from the Daily Star, sign up for our newsletters .",
        '"Hier ist Bayern": Der BR24 Newsletter informiert Sie immer montags bis freitags zum Feierabend.',
        "Got a story? Get in touch with our news team by emailing us at webnews@metro.co.uk.",
        "Are protests breaking out in your area? Get in touch at webnews@reachplc.com",
        "© dpa-infocom, dpa:240516-99-53606/3 (dpa)",
        "<Copyright ⓒ 한국일보. All rights reserved. 무단 전재 및 재배포 금지>",
        "Copyright ©2019 Dow Jones & Company, Inc. All Rights Reserved.",
        "Auch interessant",
        "Lesen Sie auch: Annalena Baerbock: Kinder, Ausbildung, Politik – alle wichtigen Infos",
        "Photo: AFP",
        "Les også: Tone Damli ofret musikkarrieren for barna: – Prioritert det som har vært viktigst",
        "Читайте также: Пять главных новостей дня",
        "Stand: 22.04.2024, 06:00 Uhr",
        "Lesedauer: 4 Minuten",
        "05.08.2024, 20:59 Uhr",
        "Hauptinhalt",
        "Read next",
    ],
)
def test_paywall_notices_pleas_prompts_and_copyright_lines_are_furniture(line):
    from crawler.extraction.boilerplate import is_generic_boilerplate

    assert is_generic_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        # Article sentences with the same words in them.
        "The court ruled that the copyright claims against the archive could go ahead.",
        "Ukraine's defence ministry said it would follow the situation on the border closely.",
        "Die Bundesregierung will die Ukraine weiter unterstützen, sagte der Kanzler am Montag.",
        "Photo agencies said their staff had been detained in Minsk on Friday.",
        "Readers who signed up for the service were told their data had leaked.",
        "Der Artikel erschien zuerst in der Zeitung; auch interessant sei der Zeitpunkt, sagte er.",
        "Stand der Dinge: Die Verhandlungen laufen seit dem 22.04.2024 ohne Ergebnis.",
    ],
)
def test_article_sentences_with_the_same_words_stay(line):
    from crawler.extraction.boilerplate import is_generic_boilerplate

    assert not is_generic_boilerplate(line)


def test_a_byline_left_in_the_text_is_not_a_paragraph():
    from crawler.extraction.people import is_byline_line

    assert is_byline_line("Von Nina Magoley") and is_byline_line("By Jane Doe and John Roe")
    assert not is_byline_line("By the end of the week the front had moved")
    assert not is_byline_line("Von Kyjiw aus fuhren die Züge weiter nach Westen.")


def test_the_headline_is_the_title_not_the_texts_first_paragraph():
    from crawler.extraction.titles import without_leading_headline

    result = extract_article(
        BROKEN_JSON_LD_PAGE, url="https://news.example.com/a/1", fetched_at="2024-05-02T12:00:00+00:00"
    )
    assert result.fields.title == "Kyiv says drone strike hit Russian refinery"
    assert result.fields.text.startswith("Ukrainian drones struck an oil refinery")
    # Kicker and headline run together (Tages-Anzeiger's <h1>, fundus) go too; a sentence that
    # merely starts like the headline, or a one-paragraph text, stays.
    kicked = ["SVP-Sonderparteitag zur MigrationChiesa ruft zum «politischen Widerstand» auf", "Text."]
    assert without_leading_headline(kicked, ["Chiesa ruft zum «politischen Widerstand» auf"]) == ["Text."]
    sentence = ["Kyiv says drone strike hit Russian refinery, and Moscow denies it, saying debris fell.", "Text."]
    assert without_leading_headline(sentence, ["Kyiv says drone strike hit Russian refinery"]) == sentence
    assert without_leading_headline(["Headline here"], ["Headline here"]) == ["Headline here"]


def test_a_list_of_links_inside_the_article_is_a_related_box_not_text():
    """Shaped like the Funke papers' 'Link List' (fundus): teasers as <li><strong>kicker</strong> <a>headline</a>."""
    teasers = "".join(
        f'<li><strong>{kicker}: </strong><a href="/politik/article{n}/x.html">{headline}</a></li>'
        for n, (kicker, headline) in enumerate(
            [
                ("Hackerangriffe", "Mit diesen miesen Tricks werden User getäuscht"),
                ("Kinderschutz als Vorwand?", "Warum Neonazis Jäger spielen"),
                ("Geheimdienste", "Putins Wegwerf-Agenten im Visier der Behörden"),
            ]
        )
    )
    facts = (
        "<ul><li>Die Drohnen flogen in 300 Metern Höhe.</li><li>Sie kamen aus Osten.</li>"
        "<li>Die Polizei sah sie <a href='/x'>zweimal</a> über dem Hafen.</li></ul>"
    )
    body = "<p>" + "Über dem Hafen sind in der Nacht mehrere Drohnen gesichtet worden, sagte die Polizei. " * 6 + "</p>"
    page = (
        f"<html lang='de'><head><title>Drohnen über dem Hafen</title></head><body><article>"
        f"<h1>Drohnen über dem Hafen</h1>{body}{facts}<h3>Exklusive Hintergründe</h3><ul>{teasers}</ul>"
        f"{body.replace('Hafen sind', 'Hafen waren')}</article></body></html>"
    )
    text = extract_article(page, url="https://www.example-zeitung.de/politik/article1/drohnen.html").fields.text
    assert "Die Drohnen flogen in 300 Metern Höhe." in text and "zweimal" in text  # a list of facts stays
    assert "Mit diesen miesen Tricks" not in text and "Putins Wegwerf-Agenten" not in text
    assert "Hafen waren" in text


def test_every_news_article_type_of_schema_org_is_an_article():
    """BBC explainers are a ReportageNewsArticle credited to the newsroom (fundus): it was not read at all."""
    page = (
        """<html lang="en"><head><title>What is the OBR? - BBC News</title>
    <meta property="og:title" content="Office for Budget Responsibility: What is the OBR and what does it do?">
    <script type="application/ld+json">{"@context": "http://schema.org", "@type": "ReportageNewsArticle",
      "headline": "Office for Budget Responsibility: What is the OBR and what does it do?",
      "datePublished": "2022-10-10T13:21:17.000Z",
      "author": {"@type": "NewsMediaOrganization", "name": "BBC News",
                 "noBylinesPolicy": "http://www.bbc.co.uk/news/help-41670342#authorexpertise"}}</script></head>
    <body><main><article><h1>Office for Budget Responsibility: What is the OBR and what does it do?</h1>"""
        + "<p>"
        + ("The Office for Budget Responsibility checks the government's tax and spending plans. ") * 8
        + """</p>
    </article></main></body></html>"""
    )
    fields = extract_article(page, url="https://www.bbc.com/news/explainers-63159607").fields
    assert fields.title == "Office for Budget Responsibility: What is the OBR and what does it do?"
    assert fields.organizations == ["BBC News"] and fields.published_source == "json-ld"


def test_a_page_nested_past_lxmls_default_depth_is_read_whole():
    """Old CMS pages leave hundreds of <font> tags unclosed: without huge_tree, lxml's parser stops
    descending at about 254 elements and the article inside was silently read as 0 words."""
    paragraphs = "".join(
        f"<p>Paragraph {i} of the old article tells what the ministry said about the exercise near the border.</p>"
        for i in range(12)
    )
    html = (
        "<html><head><title>Ministry reports exercise</title></head><body><table><tr><td>"
        + "<font face='Arial' size='2'>" * 300
        + f"<div class='story'><h1>Ministry reports exercise</h1>{paragraphs}</div></td></tr></table>"
        + "<div class='footer'>Copyright 2004</div></body></html>"
    )
    result = extract_article(html, url="https://example.org/news/2004/03/ministry-exercise.html")
    assert result.warnings == []
    assert result.fields is not None and result.fields.word_count > 150
    assert "Paragraph 11 of the old article" in result.fields.text
