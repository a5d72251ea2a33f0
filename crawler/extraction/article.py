"""``extract_article``: one article page in, clean text and metadata out.

Order of evidence for metadata: JSON-LD first, then the outlet's own markup,
then OpenGraph and meta tags, then what trafilatura finds. The body is
trafilatura's, run on the page after the outlet's rules have cut it down to the
article and removed everything they know is not the article.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import dateparser
import htmldate
import pycld2
import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura.metadata import examine_meta, extract_author, extract_meta_json, extract_title

from crawler.extraction.boilerplate import is_generic_boilerplate
from crawler.extraction.metadata import MEDIA_TYPES, PageMetadata, ld_keywords, ld_names, ld_text, page_metadata
from crawler.extraction.normalize import iso, join_paragraphs, normalize_text, parse_datetime
from crawler.extraction.people import Credit, credit, is_byline_line, is_name_line, squash
from crawler.extraction.rules import PageRules

logger = logging.getLogger(__name__)


@dataclass
class ExtractionResult:
    """Fields for an ``ArticleItem``, or why the page yields none."""

    fields: dict[str, Any] | None = None
    skipped: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: Corrections worth a DEBUG line and a stat, not a warning, by stat name: the language when
    #: detection overrules the page; the text when it came from the page's data, not its markup.
    notes: dict[str, str] = field(default_factory=dict)


_NOT_TEXT = re.compile("[\ufffd\x01-\x08\x0b\x0e-\x1f]")


def looks_binary(data: str | bytes) -> bool:
    """NULs or mostly control/replacement characters in the first 4 KB."""
    sample = data[:4096]
    if isinstance(sample, bytes):
        sample = sample.decode("utf-8", "replace")
    if "\x00" in sample:
        return True
    return bool(sample) and len(_NOT_TEXT.findall(sample)) / len(sample) > 0.1


def parse_html(text: str | bytes) -> lxml_html.HtmlElement:
    if isinstance(text, str):
        text = text.encode("utf-8")
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True)
    return lxml_html.document_fromstring(text, parser=parser)


def _select(tree, selector: str | None) -> list:
    if not selector:
        return []
    try:
        return tree.cssselect(selector)
    except Exception as exc:  # a bad selector is a bug in a spider's rules
        raise ValueError(f"bad CSS selector {selector!r}: {exc}") from exc


def _text_of(nodes) -> str | None:
    for node in nodes:
        text = normalize_text(node.text_content())
        if text:
            return text
    return None


def _unique(values) -> list:
    seen, out = set(), []
    for value in values:
        if value and value.lower() not in seen:
            seen.add(value.lower())
            out.append(value)
    return out


def _credit_from_metadata(meta: PageMetadata, site_names: set[str]) -> Credit:
    """Persons from the first source that names any (JSON-LD, then meta tags); else its organizations."""
    sources = [ld_names(meta.article.get("author"))]
    author_meta = meta.first("author", "article:author", "byl", "dc.creator", "sailthru.author", "parsely-author")
    if author_meta and not author_meta.startswith("http"):
        sources.append([author_meta])
    organizations: Credit | None = None
    for number, names in enumerate(sources):
        credited = credit(names, site_names)
        if number:  # a meta tag's free text, not JSON-LD's structured persons
            credited = _without_lone_words(credited)
        if credited.persons:
            return credited
        if credited.organizations and organizations is None:
            organizations = credited
    return organizations or Credit()


def title_and_byline(tree, url: str):
    """trafilatura's reading of the title and the byline, nothing else.

    The same steps as ``trafilatura.metadata.extract_metadata`` for these two fields (meta tags,
    its JSON-LD reading, then the title and byline markup), without the rest of that function:
    an extensive htmldate search, categories, tags, licence and site name, none of which is used
    here and which cost more than the two fields together. None when trafilatura fails.
    """
    try:
        metadata = examine_meta(tree)
        if metadata.author and " " not in metadata.author:
            metadata.author = None  # as extract_metadata does: a one-word meta author is not a name
        try:
            metadata = extract_meta_json(tree, metadata)
        except Exception as exc:  # trafilatura's JSON-LD reading fails on some broken blocks
            logger.debug("trafilatura JSON-LD reading failed on %s: %s", url, exc)
        if not metadata.title:
            metadata.title = extract_title(tree)
        if not metadata.author:
            metadata.author = extract_author(tree)
        return metadata
    except Exception as exc:  # pragma: no cover - trafilatura internals
        logger.debug("trafilatura metadata failed on %s: %s", url, exc)
        return None


_JOINED_NAME = re.compile(
    r"(?:\s|<[^>]{0,200}>)*(?:,|&amp;|&|\band\b|\bund\b|\bog\b|\bet\b|\by\b|\be\b)(?:\s|<[^>]{0,200}>)*[A-ZÀ-ÖØ-Þ]"
)


def _byline_goes_on(html: str | bytes, person: str) -> bool:
    """Cheap test: somewhere on the page the credited person's name is followed by a join and
    another capitalised name ("Till Eckert, Max Bernhard"): the metadata may name only the first."""
    text = html if isinstance(html, str) else html.decode("utf-8", "replace")
    start = text.find(person)
    while start != -1:
        if _JOINED_NAME.match(text, start + len(person)):
            return True
        start = text.find(person, start + len(person))
    return False


def _without_leading_headline(paragraphs: list[str], headlines: list[str | None]) -> list[str]:
    """The text without the article's own headline (or kicker and headline run together) as its
    first paragraph: the headline is the item's title, not a paragraph of its text."""
    if len(paragraphs) < 2:
        return paragraphs
    squashed = {squash(h) for h in headlines if h}
    first = squash(paragraphs[0])
    if first and any(first == h or (len(h) >= 12 and first.endswith(h) and len(first) < 2 * len(h)) for h in squashed):
        return paragraphs[1:]
    return paragraphs


#: Latin, Greek and Cyrillic words: scripts in which a person's name has a space in it.
_SPACED_SCRIPT = re.compile(r"[\x00-\u052f]+")


def _without_lone_words(credited: Credit) -> Credit:
    """A lone word credited as a person in free text, in a script that spaces names, is a label, a
    place or an abbreviation ("Red", "Agenturen", "Frankfurt, Germany"), not a first and last name."""
    credited.persons = [p for p in credited.persons if " " in p or not _SPACED_SCRIPT.fullmatch(p)]
    return credited


def _byline_in_body(tree, paragraphs: list[str], site_names: set[str]) -> tuple[Credit, list[str]] | None:
    """A byline set before the article's first paragraph of running text (after a short dek, within
    the first three) or as its last paragraph, the name alone and in bold ("<p><strong>Mohloai
    Mpesi</strong></p>", "Mathatisi Sebusi/Mohalenyane Phakela"), as small outlets whose metadata
    credits only themselves do: the persons, and the paragraphs without it."""
    leading = []
    for index, paragraph in enumerate(paragraphs[:3]):
        leading.append(index)
        if len(paragraph.split()) >= 25:
            break
    for index in sorted({*leading, len(paragraphs) - 1}):
        candidate = paragraphs[index]
        if not is_name_line(candidate):
            continue
        for node in tree.iterfind(".//p"):
            bold = node.xpath("./strong|./b")
            if bold and normalize_text(node.text_content()) == candidate == normalize_text(
                " ".join(b.text_content() for b in bold)
            ):
                found = credit([candidate], site_names)
                if found.persons and not found.organizations:
                    return found, paragraphs[:index] + paragraphs[index + 1 :]
                break
    return None


def _fuller_byline(tree, url: str, credited: Credit, site_names: set[str]) -> Credit:
    """The visible byline as trafilatura reads it, when it names the credited person and more."""
    try:
        byline = extract_author(tree)
    except Exception as exc:  # pragma: no cover - trafilatura internals
        logger.debug("trafilatura byline reading failed on %s: %s", url, exc)
        return credited
    if not byline:
        return credited
    fuller = credit(byline.split(";"), site_names)
    known = {squash(p) for p in credited.persons}
    new_organizations = {squash(o) for o in fuller.organizations} - {squash(o) for o in credited.organizations}
    more = len(fuller.persons) > len(credited.persons) or bool(new_organizations)
    if more and known <= {squash(p) for p in fuller.persons}:
        organizations = list(dict.fromkeys(credited.organizations + fuller.organizations))
        return Credit(persons=fuller.persons, organizations=organizations)
    return credited


def _only_the_publisher(credited: Credit, site_names: set[str]) -> bool:
    """True when the only credit is the outlet itself (publisher-as-author)."""
    if credited.persons or not credited.organizations:
        return not (credited.persons or credited.organizations)
    sites = {squash(n) for n in site_names}
    return all(any(s and (squash(org) in s or s in squash(org)) for s in sites) for org in credited.organizations)


def strip_site_name(title: str, site_names: set[str], section: str | None = None) -> str:
    """'Headline | Site', 'Headline - site.com', 'Headline | Sport' (the page's own section)
    -> 'Headline'. Only a tail that names the site or the section goes; a hyphen inside a
    word or a score ('RTO-4', '(3-3)') is not a separator."""
    squashed_names = {form for n in site_names if n for form in _name_forms(n)}
    squashed_section = squash(section) if section else ""
    for _ in range(2):
        match = _SITE_SUFFIX.match(title)
        if not match:
            break
        tail = squash(match.group(2))
        tail_forms = _name_forms(match.group(2))
        if tail and (
            any(
                t == n or (len(n) > 3 and (n in t or t in n)) or (len(n) == 3 and t.startswith(n))
                for n in squashed_names
                for t in tail_forms
            )
            or tail.isdigit()
            or tail == squashed_section
        ):
            title = match.group(1).strip()
        else:
            break
    return title


def core_headline(headline: str, other: str | None) -> str:
    """Of two renderings of one headline where one is the other plus words at its start or
    end, the shorter: what the longer adds is a kicker ('Neue Leipziger Schule: …'), a
    section, or a search-engine extension ('… - here's how to check if you have …').
    The shorter must be a whole-word run of at least three words (or eight characters in a
    script written without spaces) and half the longer's length, so a lone kicker or
    name is never taken for the headline."""
    if not other or other == headline:
        return headline
    shorter, longer = sorted((headline, other), key=len)
    if len(shorter) * 2 < len(longer) or not (
        len(shorter.split()) >= 3 or (len(shorter) >= 8 and not re.search(r"[\x00-\u024f]", shorter))
    ):
        return headline
    if longer.startswith(shorter):
        rest = longer[len(shorter) :]
        if not rest[0].isalnum() or not shorter[-1].isalnum():
            return shorter
    elif longer.endswith(shorter):
        rest = longer[: -len(shorter)]
        if not rest[-1].isalnum() or not shorter[0].isalnum():
            return shorter
    return headline


_TRANSLITERATIONS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa"})


def _name_forms(name: str) -> set[str]:
    """A site's name as written and as its domain spells it ('Börsen-Zeitung', boersen-zeitung.de)."""
    folded = unicodedata.normalize("NFKD", name.lower().translate(_TRANSLITERATIONS))
    return {squash(name), squash("".join(c for c in folded if not unicodedata.combining(c)))} - {""}


#: 'Headline <separator> tail'. A hyphen only separates with a space on either side, or
#: right before a short tail in a script without spaces in titles ('…-정치').
_SITE_SUFFIX = re.compile(
    r"^(.*\S)(?:\s*(?:\||–|—|·|•|::|ㅣ|：)\s*|\s+-\s+|-(?=[^\x00-\u024f\s]{1,12}$))([^|–—·•ㅣ：]{1,60})$"
)


#: CLD2 still uses a few retired ISO 639-1 codes.
_CLD2_CODES = {"iw": "he", "in": "id", "jw": "jv"}


def detect_language(text: str) -> str | None:
    """The language of a text by CLD2 (Chrome's detector: a few MB, ~0.06 ms a page), if it is sure."""
    try:
        reliable, _, ((_, code, _, _), *_) = pycld2.detect(text)
    except (pycld2.error, UnicodeError):  # lone surrogates, invalid UTF-8
        return None
    if not reliable or code == "un":
        return None
    code = code.split("-")[0].lower()  # zh-Hant -> zh
    return _CLD2_CODES.get(code, code)


def check_language(declared: str | None, text: str) -> tuple[str | None, str | None]:
    """The declared language, checked against detection on the text (long enough texts only)."""
    if len(text.split()) < 50:
        return declared, None
    detected = detect_language(text[:2000])
    if detected is None:
        return declared, None
    if declared is None:
        return detected, f"language detected as {detected} (none declared)"
    if detected != declared:
        return detected, f"language declared {declared}, detected {detected}"
    return declared, None


def _language(tag: str | None) -> str | None:
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def _body_tree(tree, rules: PageRules) -> tuple[Any, bool]:
    """A new document holding only the article's lead and body, pruned; and whether
    the outlet's rules found them (else the whole pruned page comes back)."""
    for selector in rules.remove:
        for node in _select(tree, selector):
            node.drop_tree()
    scope = tree
    if rules.article:
        containers = _select(tree, rules.article)
        if containers:
            scope = containers[0]
    leads = [node for selector in rules.lead for node in _select(scope, selector)[:1]]
    if rules.body:
        bodies = _select(scope, rules.body)[:1]
    else:
        bodies = [scope] if scope is not tree else []
    if not leads and not bodies:
        return tree, False
    # One container holding lead and body side by side, so that trafilatura
    # reads them as one text instead of choosing between them.
    document = lxml_html.document_fromstring("<html><head></head><body><article><div></div></article></body></html>")
    head = tree.find("head")
    if head is not None:
        document.replace(document.find("head"), copy.deepcopy(head))
    container = document.find(".//article/div")
    for lead in leads:
        node = copy.deepcopy(lead)
        if not node.xpath(".//p|.//div"):
            node.tag = "p"  # a bare-text lead (an nl2br'd intro) reads as one paragraph
        container.append(node)
    for body in bodies:
        body = copy.deepcopy(body)
        if body.text and body.text.strip():
            paragraph = lxml_html.Element("p")
            paragraph.text = body.text
            container.append(paragraph)
        container.extend(list(body))
    return document, True


#: A generic extraction shorter than this is checked against trafilatura's recall mode.
GENERIC_MIN_WORDS = 50
SHORT_READING_WORDS = 150
SHORT_READING_FACTOR = 5
_TRAFILATURA_OPTIONS = dict(
    output_format="txt",
    include_comments=False,
    include_tables=True,
    include_images=False,
    include_links=False,
    deduplicate=False,
    with_metadata=False,
)


def _trafilatura_text(tree, url: str, targeted: bool, expected_words: int = 0) -> str:
    """Body text. Cut down by outlet rules, the page is read generously (favor_recall).
    A whole page without rules is read strictly (favor_precision); when that finds next
    to nothing, or far less than the page's own paragraphs hold, a more generous reading
    is tried and kept if it finds clearly more."""
    if targeted:
        return trafilatura.extract(tree, url=url, favor_recall=True, **_TRAFILATURA_OPTIONS) or ""
    # fast: no comparison with trafilatura's fallback extractors. Measured: the same F1 (0.971) on
    # the article-extraction benchmark at about 60% of the cost; the fallbacks below cover what
    # the strict reading misses.
    strict = trafilatura.extract(tree, url=url, favor_precision=True, fast=True, **_TRAFILATURA_OPTIONS) or ""
    strict_words = len(strict.split())
    if expected_words >= GENERIC_MIN_WORDS and strict_words < 0.8 * expected_words:
        # The page's own JSON-LD articleBody says the article is longer than the strict reading:
        # read it the balanced way too and keep whichever comes closer to the publisher's count.
        balanced = trafilatura.extract(tree, url=url, **_TRAFILATURA_OPTIONS) or ""
        balanced_words = len(balanced.split())
        if abs(balanced_words - expected_words) < abs(strict_words - expected_words):
            return balanced
    if strict_words < GENERIC_MIN_WORDS:
        generous = trafilatura.extract(tree, url=url, favor_recall=True, **_TRAFILATURA_OPTIONS) or ""
        return generous if len(generous.split()) > 1.2 * strict_words else strict
    articles = tree.xpath("//article")
    paragraph_words = sum(len(p.text_content().split()) for p in (articles[0] if articles else tree).xpath(".//p"))
    short_of_paragraphs = strict_words < 0.7 * paragraph_words
    if short_of_paragraphs or strict_words < SHORT_READING_WORDS:
        balanced = trafilatura.extract(tree, url=url, **_TRAFILATURA_OPTIONS) or ""
        if len(balanced.split()) > (2 if short_of_paragraphs else SHORT_READING_FACTOR) * strict_words:
            return balanced
    return strict


#: A JSON string in a script, under a key that names content, holding enough for an article.
_EMBEDDED_HTML = re.compile(r'"(?i:[\w$-]*(?:html|content|body|text)[\w$-]*)"\s*:\s*"((?:[^"\\]|\\.){400,})"')


def _embedded_text(tree, url: str, article_body: Any) -> tuple[list[str] | None, str | None]:
    """The article's paragraphs from the page's data when its markup holds next to none: the
    JSON-LD ``articleBody``, else the longest HTML string in a script (a JavaScript application's
    hydration data: ``"contentHtml": "<p>…"``), read as a page of its own. None when neither has
    an article's worth of words."""
    if isinstance(article_body, str) and len(article_body.split()) >= GENERIC_MIN_WORDS:
        return [p for p in (normalize_text(line) for line in article_body.split("\n")) if p], "JSON-LD articleBody"
    best = ""
    for script in tree.iterfind(".//script"):
        for match in _EMBEDDED_HTML.finditer(script.text or ""):
            if len(match.group(1)) <= len(best):
                continue
            try:
                value = json.loads(f'"{match.group(1)}"', strict=False)
            except ValueError:
                continue
            if "<p" in value:
                best = value
    if not best:
        return None, None
    fragment = lxml_html.document_fromstring(f"<html><body><article>{best}</article></body></html>")
    text = trafilatura.extract(fragment, url=url, favor_recall=True, **_TRAFILATURA_OPTIONS) or ""
    paragraphs = [p for p in (normalize_text(line) for line in text.split("\n")) if p and not is_generic_boilerplate(p)]
    if len(" ".join(paragraphs).split()) < GENERIC_MIN_WORDS:
        return None, None
    return paragraphs, "script data"


def _link_list_items(tree) -> set[str]:
    """The items of lists that are nothing but links (three or more items, each one link making
    most of its text, a kicker beside it at most): related-article and navigation boxes,
    however they are marked up."""
    items: set[str] = set()
    for listing in tree.iter("ul", "ol"):
        entries = [li for li in listing if li.tag == "li"]
        if len(entries) < 3:
            continue
        texts = []
        for li in entries:
            links = li.findall(".//a")
            text = normalize_text(li.text_content())
            if len(links) != 1 or not text or 2 * len(normalize_text(links[0].text_content())) < len(text):
                break
            texts.append(text)
        else:
            items.update(texts)
    return items


def _body_paragraphs(tree, url: str, rules: PageRules, targeted: bool, expected_words: int = 0) -> list[str]:
    text = _trafilatura_text(tree, url, targeted, expected_words)
    paragraphs = [normalize_text(line) for line in text.split("\n")]
    patterns = [re.compile(p, re.I) for p in rules.drop_paragraphs]
    link_items = _link_list_items(tree) if "\n- " in text else set()
    kept = []
    for paragraph in paragraphs:
        if not paragraph:
            continue
        if link_items and paragraph.startswith("- ") and paragraph[2:] in link_items:
            continue
        if any(p.match(paragraph) for p in patterns) or is_generic_boilerplate(paragraph) or is_byline_line(paragraph):
            continue
        if any(b in paragraph for b in rules.boilerplate):
            logger.debug("Dropped a boilerplate paragraph on %s: %.60s", url, paragraph)
            continue
        kept.append(paragraph)
    return kept


_PUBLISHED_LABEL = re.compile(r"publi|posted|опубл|опублік", re.I)
_MODIFIED_LABEL = re.compile(r"updat|modif|edit|обновл|оновл", re.I)


def page_date(node, timezone_name: str) -> datetime | None:
    """A date printed on the page: a time[datetime] inside, or the text after a label."""
    stamp = node.xpath("string(.//time/@datetime | self::time/@datetime)")
    if stamp:
        return parse_datetime(stamp, timezone_name)
    text = normalize_text(node.text_content())
    text = text.split(":", 1)[1] if re.match(r"^[^\d:]{2,30}:", text) else text
    moment = dateparser.parse(
        text.strip(), settings={"RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first"}
    )
    if moment is None:
        return None
    # Attach the outlet's zone ourselves: zoneinfo gets the daylight-saving offset right.
    return moment.replace(tzinfo=ZoneInfo(timezone_name)) if moment.tzinfo is None else moment


def _page_dates(scope, rules: PageRules) -> tuple[str | None, str | None]:
    published = modified = None
    for node in _select(scope, rules.dates):
        label = normalize_text(node.text_content()).split(":", 1)[0]
        moment = page_date(node, rules.timezone)
        if moment is None:
            continue
        if _MODIFIED_LABEL.search(label):
            modified = modified or moment.isoformat()
        elif _PUBLISHED_LABEL.search(label) or published is None:
            published = published or moment.isoformat()
    return published, modified


def guess_date(tree, url: str) -> str | None:
    """htmldate's reading of the page (the last resort for the publication date)."""
    try:
        return htmldate.find_date(tree, url=url, original_date=True, extensive_search=False)  # copies it itself
    except Exception as exc:  # pragma: no cover - htmldate internals
        logger.debug("htmldate failed on %s: %s", url, exc)
        return None


def _dates(meta: PageMetadata, rules: PageRules, page: tuple, discovered: dict, fallback, fetched: datetime | None):
    ld = meta.article
    candidates = [
        ("json-ld", ld.get("datePublished"), ld.get("dateModified")),
        (
            "meta",
            meta.first("article:published_time", "og:published_time", "pubdate", "date"),
            meta.first("article:modified_time", "og:updated_time"),
        ),
        ("page", page[0], page[1]),
        ("discovery", discovered.get("published"), None),
        ("htmldate", fallback, None),
    ]
    published = modified = None
    source = None
    for name, pub, mod in candidates:
        if callable(pub):
            if published is not None:
                break
            pub = pub()  # the last resort is the costly one: only when needed
        moment = parse_datetime(pub, rules.timezone) if isinstance(pub, str) else None
        if moment and fetched and moment > fetched:
            continue  # a date after the capture is wrong by definition
        if moment and published is None:
            published, source = moment, name
        mod_moment = parse_datetime(mod, rules.timezone) if isinstance(mod, str) else None
        if mod_moment and modified is None and not (fetched and mod_moment > fetched):
            modified = mod_moment
    return published, modified, source


def _access(ld: dict, scope, rules: PageRules, words: int, min_words: int) -> tuple[str, str | None]:
    """free, partial or paywalled; and why the text looks truncated, if it does.

    ``partial``: we hold part of the text (a paywall marker on the page, or the
    text is well short of the page's own JSON-LD ``articleBody``). ``paywalled``:
    the outlet marks the article as not free and we hold little or none of it, or
    holds it only because its paywall is applied in the browser.
    """
    not_free = str(ld.get("isAccessibleForFree", "true")).strip().lower() in ("false", "0", "no")
    marker = next((s for s in rules.paywall if _select(scope, s)), None)
    body = ld.get("articleBody")
    body_words = len(body.split()) if isinstance(body, str) else 0
    truncated = None
    if body_words >= min_words and words < 0.8 * body_words:
        truncated = f"{words} of {body_words} words in JSON-LD articleBody"
    elif marker:
        truncated = f"paywall marker {marker}"
    if words == 0:
        return ("paywalled" if (not_free or marker) else "free"), truncated
    if truncated:
        return ("paywalled" if words < min_words and not_free else "partial"), truncated
    return ("paywalled" if not_free else "free"), None


def extract_article(
    html: str | bytes,
    *,
    url: str,
    rules: PageRules | None = None,
    fetched_at: str | None = None,
    discovered: dict | None = None,
    min_words: int = 50,
) -> ExtractionResult:
    """Extract one article. Never raises on bad pages: says why it skipped them."""
    rules = rules or PageRules()
    discovered = discovered or {}
    if not html or not (html.strip() if isinstance(html, (str, bytes)) else html):
        return ExtractionResult(skipped="empty page")
    if looks_binary(html):
        return ExtractionResult(skipped="binary content, not HTML")
    try:
        tree = parse_html(html)
    except (etree.ParserError, ValueError) as exc:
        return ExtractionResult(skipped=f"unparseable HTML: {exc}")

    for selector in rules.not_article:
        if _select(tree, selector):
            return ExtractionResult(skipped=f"not an article page ({selector})")
    if rules.article and not _select(tree, rules.article):
        return ExtractionResult(skipped=f"no article container ({rules.article})")

    meta = page_metadata(tree, url)
    ld = meta.article
    scope_nodes = _select(tree, rules.article) if rules.article else []
    scope = scope_nodes[0] if scope_nodes else tree

    site_names = meta.site_names(url)
    section = (
        ld_text(ld.get("articleSection"))
        or _text_of(_select(scope, rules.section))
        or normalize_text(meta.first("article:section"))
        or None
    )
    social_title = strip_site_name(normalize_text(meta.first("og:title", "twitter:title")), site_names, section)
    title = next(
        (
            strip_site_name(candidate, site_names, section)
            for candidate in (ld_text(ld.get("headline")), _text_of(_select(scope, rules.title)))
            if candidate
        ),
        None,
    )
    title = core_headline(title, social_title) if title else social_title or None
    subtitle = _text_of(_select(scope, rules.subtitle)) or None
    if rules.authors and _select(scope, rules.authors):
        # The outlet's byline markup is the authority: one element, one name.
        names = [n.text_content() for n in _select(scope, rules.authors)]
        credited = credit(names, site_names, split=False)
    else:
        credited = _credit_from_metadata(meta, site_names)
        if len(credited.persons) == 1 and _byline_goes_on(html, credited.persons[0]):
            credited = _fuller_byline(tree, url, credited, site_names)
    tags = (
        ld_keywords(ld.get("keywords"))
        or meta.all("article:tag")
        or ld_keywords(meta.first("news_keywords", "keywords") or "")
    )
    if rules.tags and not tags:
        tags = [normalize_text(n.text_content()) for n in _select(scope, rules.tags)]
    language = (
        _language(meta.html_lang)
        or _language(ld_text(ld.get("inLanguage")))
        or _language(discovered.get("language"))
        or rules.language
    )
    canonical = meta.canonical or meta.first("og:url") or None

    image = None
    if rules.image:
        figures = _select(scope, rules.image)
        if figures:
            figure = figures[0]
            src = figure.xpath("string(.//img/@src)") or None
            caption = _text_of(_select(figure, rules.image_caption)) if rules.image_caption else None
            photo_credit = _text_of(_select(figure, rules.image_credit)) if rules.image_credit else None
            if src or caption or photo_credit:
                image = {"url": src, "caption": caption, "credit": photo_credit}
    if image is None and meta.first("og:image"):
        image = {"url": meta.first("og:image"), "caption": None, "credit": None}

    # trafilatura copies the tree it is given; only the outlet's removals need a copy of ours.
    body_tree, targeted = _body_tree(copy.deepcopy(tree) if rules.remove else tree, rules)
    article_body = ld.get("articleBody")
    expected_words = len(article_body.split()) if isinstance(article_body, str) else 0
    paragraphs = _body_paragraphs(body_tree, url, rules, targeted, expected_words)
    body_source = None
    if not targeted and len(" ".join(paragraphs).split()) < GENERIC_MIN_WORDS:
        # Next to nothing in the page's markup: the text may be only in its data.
        embedded, body_source = _embedded_text(tree, url, article_body)
        if embedded:
            paragraphs = embedded
    paragraphs = _without_leading_headline(paragraphs, [title, social_title, _text_of(tree.xpath("//h1")[:1])])
    if not credited.persons and _only_the_publisher(credited, site_names) and paragraphs:
        in_body = _byline_in_body(tree, paragraphs, site_names)
        if in_body is not None:
            credited, paragraphs = in_body
    text = join_paragraphs(paragraphs)

    fallback = None
    if not title or not credited.persons and _only_the_publisher(credited, site_names):
        fallback = title_and_byline(tree, url)
    if not title and fallback is not None and fallback.title:
        title = strip_site_name(normalize_text(fallback.title), site_names, section)
    if not credited.persons and fallback is not None and fallback.author:
        # No person in the metadata (or only the publisher standing in for one):
        # the page's visible byline, as trafilatura reads it.
        from_byline = credit(fallback.author.split(";"), site_names)
        from_byline = _without_lone_words(from_byline)
        if from_byline.persons or not (credited.persons or credited.organizations):
            credited = from_byline

    fetched = parse_datetime(fetched_at) if fetched_at else None
    page = _page_dates(scope, rules) if rules.dates else (None, None)
    published, modified, published_source = _dates(
        meta, rules, page, discovered, lambda: guess_date(tree, url), fetched
    )

    words = len(text.split())
    language, language_note = check_language(language, text)
    if not ld and meta.types & MEDIA_TYPES and words < min_words:
        # A video, audio or gallery page: its JSON-LD describes media, and it has no article text.
        return ExtractionResult(skipped=f"media page ({', '.join(sorted(meta.types & MEDIA_TYPES))})")
    access, truncated = _access(ld, scope, rules, words, min_words)
    result = ExtractionResult(
        fields={
            "url": url,
            "canonical_url": canonical,
            "title": title,
            "subtitle": subtitle,
            "authors": credited.persons,
            "organizations": credited.organizations,
            "published": iso(published),
            "modified": iso(modified),
            "published_source": published_source,
            "language": language,
            "section": section,
            "tags": _unique(tags),
            "image": image,
            "text": text,
            "word_count": words,
            "access": access,
        }
    )
    if truncated:
        result.warnings.append(f"truncated text ({truncated})")
    if language_note:
        result.notes["language_corrected"] = language_note
    if body_source:
        result.notes["text_from_page_data"] = f"text read from the page's {body_source}: its markup holds next to none"
    if not text:
        result.warnings.append("empty text")
    elif words < min_words:
        result.warnings.append(f"short text ({words} words)")
    return result
