"""The arguments every spider takes (``-a name=value``), read and checked in one place.

``-a since=YYYY-MM-DD``
    skip sitemap files and entries (and feed entries) older than that day.
``-a url=URL[,URL...]``
    fetch just these articles, no discovery.
``-a feeds=URL[,URL...]`` / ``-a sitemaps=URL[,URL...]``
    discover from these only, instead of the declared sources.
``-a site=ORIGIN``
    the declared sources, rebased onto another origin (a mirror, a test server).
``-a source=wayback`` [``-a until=YYYY-MM-DD``] [``-a cdx=URL``] [``-a captures=URL``]
    history from another archive instead: its CDX server API and raw captures
    (crawler/spiders/backfill.py); ``since`` and ``until`` bound the captures' dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from crawler.schemes import why_not_fetchable

if TYPE_CHECKING:
    from scrapy import Spider

    from crawler.spiders.backfill import Backfill
    from crawler.spiders.declaration import OutletDeclaration

#: The arguments every spider reads; any other ``-a`` is an attribute of the spider, as in Scrapy.
URL_ARGUMENTS = ("url", "feeds", "sitemaps", "site", "cdx", "captures")
#: What ``-a source=`` takes.
SOURCES = ("wayback",)


def csv_urls(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def parse_day(name: str, value: str | None) -> date | None:
    """A day argument (``-a since=``, ``--until``) as YYYY-MM-DD, or a ValueError naming it."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: a day as YYYY-MM-DD is expected") from None


def check_urls(name: str, value: str | None) -> None:
    """Every URL of a URL argument is an absolute http(s) URL, or a ValueError names the one that is not."""
    for url in csv_urls(value):
        reason = why_not_fetchable(url)
        if reason:
            raise ValueError(f"-a {name}={url!r}: {reason}")


def check_arguments(spidercls: type[Spider], spargs: dict[str, Any]) -> None:
    """The ``-a`` arguments of one spider, checked before any crawl starts: a ValueError with one
    line naming the argument, its value and what is expected."""
    for name in getattr(spidercls, "required_arguments", ()):
        if not spargs.get(name):
            raise ValueError(f"spider {spidercls.name!r} needs -a {name}=<URL of a feed or sitemap>")
    for name in URL_ARGUMENTS:
        check_urls(name, spargs.get(name))
    # The project's spiders are ArchiveSpiders; one without the declared sources fails here as it would
    # at its start.
    declared = cast("type[OutletDeclaration]", spidercls)
    SpiderArguments.parse(declared, **{k: spargs.get(k) for k in ("since", "url", "feeds", "sitemaps", "site")})
    backfill_from(
        spargs.get("source"), spargs.get("cdx"), spargs.get("captures"), spargs.get("since"), spargs.get("until")
    )


def backfill_from(
    source: str | None, cdx: str | None, captures: str | None, since: str | None, until: str | None
) -> Backfill | None:
    """``-a source=wayback`` and its companions as a Backfill (None without ``source``), or a
    ValueError naming the argument."""
    from crawler.spiders.backfill import WAYBACK_CAPTURES, WAYBACK_CDX, Backfill

    if not source:
        if cdx or captures or until:
            raise ValueError("-a cdx=, captures= and until= go with -a source=wayback")
        return None
    if source not in SOURCES:
        raise ValueError(f"-a source={source!r}: one of {', '.join(SOURCES)} is expected")
    for name, value in (("cdx", cdx), ("captures", captures)):
        check_urls(name, value)
    first, last = parse_day("-a since", since), parse_day("-a until", until)
    if first and last and last < first:
        raise ValueError(f"-a until={until} is before -a since={since}")
    return Backfill(cdx or WAYBACK_CDX, captures or WAYBACK_CAPTURES, first, last)


def rebase(url: str, origin: str) -> str:
    """``url`` with the scheme and host of ``origin``."""
    parts, new = urlsplit(url), urlsplit(origin)
    return parts._replace(scheme=new.scheme, netloc=new.netloc).geturl()


@dataclass(frozen=True)
class SpiderArguments:
    since: date | None
    only_urls: tuple[str, ...]
    feeds: tuple[str, ...]
    sitemaps: tuple[str, ...]
    feed_pages: tuple[str, ...]
    #: Hosts the arguments name (sources, articles, a mirror): allowed besides the declared ones.
    extra_hosts: frozenset[str]

    @classmethod
    def parse(
        cls,
        declared: type[OutletDeclaration],
        since: str | None = None,
        url: str | None = None,
        feeds: str | None = None,
        sitemaps: str | None = None,
        site: str | None = None,
    ) -> SpiderArguments:
        """The arguments against the spider's declaration (its feeds, sitemaps and feed pages)."""
        since_day = parse_day("-a since", since)
        for name, value in (("url", url), ("feeds", feeds), ("sitemaps", sitemaps), ("site", site)):
            check_urls(name, value)
        only_urls = tuple(csv_urls(url))
        sources: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
        if feeds or sitemaps:
            sources = (tuple(csv_urls(feeds)), tuple(csv_urls(sitemaps)), ())
        else:
            moved = (lambda urls: tuple(rebase(u, site) for u in urls)) if site else tuple
            sources = (moved(declared.feeds), moved(declared.sitemaps), moved(declared.feed_pages))
        extra = [*csv_urls(feeds), *csv_urls(sitemaps), *only_urls, *([site] if site else [])]
        hosts = frozenset(h for h in (urlsplit(u).hostname for u in extra) if h)
        return cls(since_day, only_urls, *sources, hosts)
