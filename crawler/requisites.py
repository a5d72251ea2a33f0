"""Page requisites: what a browser needs to render an archived page, read from its markup and CSS.

Pure functions, no crawling: the URLs a page's HTML references (stylesheets, icons, images and
the ``srcset`` candidates a policy chooses, scripts, posters, inline styles), the URLs a
stylesheet references (``@import``, ``url()``: fonts, background images), and which hosts they
may be fetched from (the page's own, the spider's declared ones; never an ad, analytics or
tracking host). ``crawler.spiders.requisites`` turns them into requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from crawler.schemes import fetchable

#: Hosts of advertising, analytics and tracking services: never fetched as a requisite, even
#: when a spider's domains would admit them (a subdomain of an outlet served by a tracker).
TRACKER_DOMAINS = frozenset(
    {
        "googletagmanager.com",
        "google-analytics.com",
        "analytics.google.com",
        "doubleclick.net",
        "googlesyndication.com",
        "googleadservices.com",
        "adservice.google.com",
        "facebook.net",
        "connect.facebook.net",
        "scorecardresearch.com",
        "chartbeat.com",
        "chartbeat.net",
        "hotjar.com",
        "quantserve.com",
        "adnxs.com",
        "criteo.com",
        "criteo.net",
        "taboola.com",
        "outbrain.com",
        "mc.yandex.ru",
        "top-fwz1.mail.ru",
        "amazon-adsystem.com",
        "pubmatic.com",
        "rubiconproject.com",
        "newrelic.com",
        "nr-data.net",
        "parsely.com",
        "cxense.com",
        "tiqcdn.com",
    }
)

#: What a ``<link rel=…>`` names that a browser fetches to render the page.
_LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "mask-icon", "preload", "modulepreload"}
_PRELOAD_AS = {"style", "font", "image", "script"}
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?["']?([^"')\s;]+)["']?\s*\)?""", re.I)
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]+?)\1\s*\)""", re.I)
_SRCSET_CANDIDATE = re.compile(r"\s*([^\s,][^\s]*?)(?:\s+(\d+(?:\.\d+)?)([wx]))?\s*(?:,|$)")
#: How much of a stylesheet is read for references (a real one is well under this).
MAX_CSS_CHARS = 2_000_000


@dataclass(frozen=True)
class Requisite:
    url: str
    #: "stylesheet", "image", "script", "icon", "font", "media" (what referenced it, roughly).
    kind: str


def srcset_candidates(srcset: str) -> list[tuple[str, float]]:
    """``(url, size)`` per candidate: its width (``640w``) or density (``2x``), 1 when it says none."""
    found = []
    for match in _SRCSET_CANDIDATE.finditer(srcset or ""):
        url, size = match.group(1), match.group(2)
        if url:
            found.append((url, float(size) if size else 1.0))
    return found


def choose_srcset(srcset: str, policy: str) -> list[str]:
    """The candidates of a ``srcset`` to archive: ``largest`` (what a high-density screen would
    fetch), ``smallest``, ``all`` (bounded by the page's count limit), or ``none``."""
    candidates = srcset_candidates(srcset)
    if not candidates or policy == "none":
        return []
    if policy == "all":
        return [url for url, _ in candidates]
    pick = max if policy == "largest" else min
    return [pick(candidates, key=lambda c: c[1])[0]]


def html_requisites(html: str, base_url: str, srcset_policy: str = "largest") -> list[Requisite]:
    """Every requisite a page's markup references, in document order, once each."""
    selector = Selector(text=html)
    base = selector.css("base::attr(href)").get()
    page_base = urljoin(base_url, base) if base else base_url
    found: list[Requisite] = []

    def add(raw: str | None, kind: str) -> None:
        if raw and raw.strip():
            found.append(Requisite(urljoin(page_base, raw.strip()), kind))

    for link in selector.css("link[href]"):
        rels = set((link.attrib.get("rel") or "").lower().split())
        if not rels & _LINK_RELS:
            continue
        if "preload" in rels or "modulepreload" in rels:
            kind = link.attrib.get("as", "script" if "modulepreload" in rels else "")
            if kind not in _PRELOAD_AS:
                continue
            add(link.attrib["href"], "stylesheet" if kind == "style" else kind)
        else:
            add(link.attrib["href"], "stylesheet" if "stylesheet" in rels else "icon")
    for image in selector.css("img, picture source, input[type=image]"):
        add(image.attrib.get("src"), "image")
        for url in choose_srcset(image.attrib.get("srcset", ""), srcset_policy):
            add(url, "image")
    for media in selector.css("video[poster]"):
        add(media.attrib.get("poster"), "image")
    for script in selector.css("script[src]"):
        add(script.attrib.get("src"), "script")
    for style in selector.css("style::text").getall() + selector.css("[style]::attr(style)").getall():
        found.extend(css_requisites(style, page_base))
    return list(dict.fromkeys(found))


def css_requisites(css: str, base_url: str) -> list[Requisite]:
    """What a stylesheet references: ``@import`` (stylesheets) and ``url()`` (fonts, images)."""
    text = _CSS_COMMENT.sub("", css[:MAX_CSS_CHARS])
    found: list[Requisite] = []
    imports = {m.group(1) for m in _CSS_IMPORT.finditer(text)}
    for raw in imports:
        found.append(Requisite(urljoin(base_url, raw), "stylesheet"))
    for match in _CSS_URL.finditer(text):
        raw = match.group(2).strip()
        if raw in imports:
            continue
        kind = "font" if re.search(r"\.(woff2?|ttf|otf|eot)(\?|#|$)", raw, re.I) else "image"
        found.append(Requisite(urljoin(base_url, raw), kind))
    return list(dict.fromkeys(found))


def host_matches(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains if d)


def refusal(url: str, page_host: str, own_domains: Iterable[str]) -> str | None:
    """Why a requisite is not fetched ("scheme", "tracker", "offsite"), or None when it is."""
    if not fetchable(url):
        return "scheme"  # data:, javascript:, blob:, about: ... (data: is in the page already)
    host = (urlsplit(url).hostname or "").lower()
    if host_matches(host, TRACKER_DOMAINS):
        return "tracker"
    if host == page_host or host_matches(host, own_domains):
        return None
    return "offsite"


def unique(requisites: Iterable[Requisite]) -> Iterator[Requisite]:
    seen: set[str] = set()
    for requisite in requisites:
        key = requisite.url.split("#", 1)[0]
        if key not in seen:
            seen.add(key)
            yield Requisite(key, requisite.kind)
