"""The reading room: the archive's own pages, as a Datasette plugin.

Datasette (``scrapy serve`` starts it on the catalogue) gives the tables, facets, JSON and CSV;
this plugin adds the pages a reader starts from (``register_routes``), rendered with its
templates (``templates/``, extending Datasette's ``base.html``) on Datasette's read-only
connections:

    /                          the outlets, the latest articles, articles per month
    /search?q=...              ranked results, highlighted; facets (outlet, language, month,
                               author); matches per month         (/search.json: the same as JSON)
    /article/<id>              the latest text and metadata, every revision with its diff, links to
                               the original, its replay, its text file and its WARC record
    /article/<id>/text         the text file          /article/<id>/record/<n>  a WARC record
    /outlet/<name>             articles per day, the latest, the last crawls and their quality
    /story/<id>                a story: each outlet's version side by side, in order of
                               publication, the sentences only one outlet carries marked

Configuration (``scrapy serve`` writes it into Datasette's metadata): ``plugins.
"archive-reading-room"`` with ``archive_dir`` and ``replay_url`` (``REPLAY_URL``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

from crawler.reading_room import pages
from crawler.reading_room.files import text_file, warc_path, warc_record_bytes

#: The plugin's name in Datasette's metadata ("plugins") and in its /-/plugins list.
PLUGIN = "archive-reading-room"
#: The catalogue's database name in Datasette (its file's stem).
DATABASE = "catalog"


def _config(datasette) -> tuple[Path, str]:
    config = datasette.plugin_config(PLUGIN) or {}
    return Path(config.get("archive_dir") or "archives"), config.get("replay_url") or ""


async def _run(datasette, fn):
    """``fn(conn)`` on one of Datasette's read-only connections to the catalogue."""
    return await datasette.get_database(DATABASE).execute_fn(fn)


async def _html(datasette, request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    body = await datasette.render_template(template, context, request=request)
    return Response.html(body, status=status)


async def home(datasette, request):
    context = await _run(datasette, pages.home_page)
    return await _html(datasette, request, "archive_home.html", context)


async def _search(datasette, request) -> dict[str, Any]:
    """The search page's content for the request's query string (the page and its JSON share it)."""
    args = {key: request.args.get(key) or "" for key in request.args}
    context: dict[str, Any] = await _run(datasette, lambda conn: pages.search_page(conn, args))
    return context


async def search_view(datasette, request):
    context = await _search(datasette, request)
    status = 400 if context["error"] else 200
    return await _html(datasette, request, "archive_search.html", context, status=status)


async def search_json(datasette, request):
    context = await _search(datasette, request)
    if context["error"]:
        return Response.json({"ok": False, "error": context["error"]}, status=400)
    found = context["found"]
    return Response.json(
        {
            "ok": True,
            "query": context["q"],
            "total": found.total if found else 0,
            "results": [r.as_json() for r in found.results] if found else [],
            "facets": found.facets if found else {},
            "timeline": found.timeline if found else [],
        },
        default=str,
    )


def _article_id(request) -> int:
    return int(request.url_vars["id"])  # the route only matches digits


async def article(datasette, request):
    _, replay = _config(datasette)
    q = request.args.get("q") or ""
    context = await _run(datasette, lambda conn: pages.article_page(conn, _article_id(request), replay, q))
    if context is None:
        raise NotFound("No article with this number in the catalogue")
    return await _html(datasette, request, "archive_article.html", context)


async def article_text(datasette, request):
    archive_dir, _ = _config(datasette)
    number = request.url_vars.get("n")

    def find(conn):
        row = pages.revision(conn, _article_id(request), int(number) if number else None, "text_file")
        return row["text_file"] if row is not None else None

    path = text_file(archive_dir, await _run(datasette, find))
    if path is None:
        raise NotFound("This article's text file is not in the archive")
    return Response.text(
        path.read_text(encoding="utf-8"), headers={"Content-Disposition": f'inline; filename="{path.name}"'}
    )


async def article_record(datasette, request):
    archive_dir, _ = _config(datasette)
    number = int(request.url_vars["n"])

    def find(conn):
        row = pages.revision(conn, _article_id(request), number, "warc_file, warc_offset, warc_record_id")
        if row is None or row["warc_offset"] is None:
            return None
        path = warc_path(conn, archive_dir, row["warc_file"])
        return (path, row["warc_offset"], row["warc_record_id"]) if path is not None else None

    found = await _run(datasette, find)
    data = warc_record_bytes(*found) if found else None
    if data is None:
        raise NotFound("This capture's WARC record is not in the archive")
    name = f"article-{_article_id(request)}-r{number}.warc" + (".gz" if data[:2] == b"\x1f\x8b" else "")
    return Response(
        data,
        content_type="application/warc",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def story(datasette, request):
    number = int(request.url_vars["id"])
    context = await _run(datasette, lambda conn: pages.story_page(conn, number))
    if context is None:
        raise NotFound("No story with this number in the catalogue")
    return await _html(datasette, request, "archive_story.html", context)


async def outlet(datasette, request):
    archive_dir, _ = _config(datasette)
    name = request.url_vars["name"]
    context = await _run(datasette, lambda conn: pages.outlet_page(conn, name, archive_dir))
    if context is None:
        raise NotFound("No outlet of this name in the catalogue")
    return await _html(datasette, request, "archive_outlet.html", context)


@hookimpl
def register_routes(datasette):
    return [
        (r"^/$", home),
        (r"^/search$", search_view),
        (r"^/search\.json$", search_json),
        (r"^/article/(?P<id>\d{1,12})$", article),
        (r"^/article/(?P<id>\d{1,12})/text$", article_text),
        (r"^/article/(?P<id>\d{1,12})/text/(?P<n>\d{1,6})$", article_text),
        (r"^/article/(?P<id>\d{1,12})/record/(?P<n>\d{1,6})$", article_record),
        (r"^/outlet/(?P<name>[A-Za-z0-9_.-]{1,80})$", outlet),
        (r"^/story/(?P<id>\d{1,12})$", story),
    ]


@hookimpl
def extra_css_urls(datasette):
    return ["/-/static-plugins/crawler.reading_room/reading-room.css"]


@hookimpl
def menu_links(datasette, actor, request):
    return [{"href": "/", "label": "Reading room"}, {"href": "/search", "label": "Search"}]
