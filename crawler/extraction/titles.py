"""The headline: JSON-LD, the outlet's markup, OpenGraph; without the site's name or a kicker."""

from __future__ import annotations

import logging
import re
import unicodedata

from trafilatura.metadata import examine_meta, extract_meta_json, extract_title

from crawler.extraction.byline_markup import extract_author
from crawler.extraction.markup import select, text_of
from crawler.extraction.metadata import PageMetadata, ld_text
from crawler.extraction.normalize import normalize_text
from crawler.extraction.people import squash
from crawler.extraction.rules import PageRules

logger = logging.getLogger(__name__)


def headlines(
    meta: PageMetadata, scope, rules: PageRules, site_names: set[str], section: str | None
) -> tuple[str | None, str]:
    """The title, and the social-media title ('' for none) it was checked against.

    JSON-LD's headline, else the outlet's title markup; cut down to the social title when that is
    the same headline without a kicker or an extension; else the social title itself."""
    ld = meta.article
    social_title = strip_site_name(normalize_text(meta.first("og:title", "twitter:title")), site_names, section)
    title = next(
        (
            strip_site_name(candidate, site_names, section)
            for candidate in (ld_text(ld.get("headline")), text_of(select(scope, rules.title)))
            if candidate
        ),
        None,
    )
    title = core_headline(title, social_title) if title else social_title or None
    return title, social_title


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


def without_leading_headline(paragraphs: list[str], headlines: list[str | None]) -> list[str]:
    """The text without the article's own headline (or kicker and headline run together) as its
    first paragraph: the headline is the item's title, not a paragraph of its text."""
    if len(paragraphs) < 2:
        return paragraphs
    squashed = {squash(h) for h in headlines if h}
    first = squash(paragraphs[0])
    if first and any(first == h or (len(h) >= 12 and first.endswith(h) and len(first) < 2 * len(h)) for h in squashed):
        return paragraphs[1:]
    return paragraphs


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
