"""The catalogue's search at scale: index rate, size, query latency beside ripgrep and SQL LIKE.

    python -m bench.search [--articles 100000] [--corpus ../shared/corpus] [--repeat 5]

Texts: the article texts of the shared corpus (the article-extraction benchmark's ground truth,
the fundus pages' expected bodies, the WikiRef220 stories, the seed documents) and the project's
own outlet fixtures (``tests/fixtures/*/expected.json``: the only Ukrainian texts at hand), a few
hundred distinct ones, cycled to N articles. Each copy gets its own outlet, URL, date (spread over
several years) and record id, and two pairs of neighbouring words swapped; the texts repeat.

In one run: the catalogue is built with ``crawler.catalog.store.Catalog`` (articles/s, its file
against the raw text); the same N texts are written as Markdown text files (the archive's
rendering) for ripgrep; 20 fixed queries are timed through ``crawler.catalog.search.search``,
``rg`` over the text files and an SQL ``LIKE`` scan of the same database, all warm (each run once
before timing); and, when the command exists, the memory of ``scrapy serve`` under repeated
searches. Writes ``docs/BENCHMARK-search.md``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import json
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bench.common import header, proc_bytes, process_tree
from crawler.catalog.schema import catalog_path, connect
from crawler.catalog.search import search
from crawler.catalog.store import Catalog

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT.parent / "shared" / "corpus"
FIXTURES = PROJECT / "tests" / "fixtures"


# --------------------------------------------------------------------------- the texts
@dataclass(frozen=True)
class Source:
    """One distinct article text and what the corpus says of it."""

    origin: str  # which part of the corpus (or the fixtures) it comes from
    url: str
    title: str
    subtitle: str | None
    text: str
    language: str | None
    authors: tuple[str, ...]


def _language(text: str, declared: str | None = None) -> str | None:
    from crawler.extraction.language import detect_language

    return declared or detect_language(text[:4000])


def extraction_benchmark(corpus: Path) -> list[Source]:
    """The article-extraction benchmark: the ground-truth body, the page's <title>."""
    folder = corpus / "article-extraction-benchmark"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    found = []
    for digest, entry in sorted(truth.items()):
        page = folder / "html" / f"{digest}.html.gz"
        title = ""
        if page.exists():
            head = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
            match = re.search(r"<title[^>]*>(.*?)</title>", head, re.S | re.I)
            title = " ".join(html.unescape(match.group(1)).split()) if match else ""
        text = entry.get("articleBody") or ""
        found.append(Source("article-extraction-benchmark", entry["url"], title, None, text, _language(text), ()))
    return found


def fundus(corpus: Path) -> list[Source]:
    """The fundus pages: their expected title, authors and body (summary as the subtitle)."""
    folder = corpus / "fundus"
    pages = json.loads((folder / "fundus_html_to_expected.json").read_text(encoding="utf-8"))
    expected: dict[str, dict[str, Any]] = {}
    found = []
    for _, entry in sorted(pages.items()):
        if entry["json"] not in expected:
            expected[entry["json"]] = json.loads((folder / entry["json"]).read_text(encoding="utf-8"))
        value = expected[entry["json"]].get(entry["version_key"])
        if not value:
            continue
        body = value.get("body") or {}
        paragraphs = [
            line
            for section in body.get("sections", [])
            for line in [*section.get("headline", []), *section.get("paragraphs", [])]
        ]
        text = "\n\n".join(paragraphs)
        summary = " ".join(body.get("summary") or []) or None
        authors = tuple(value.get("authors") or ())
        found.append(Source("fundus", entry["url"], value.get("title") or "", summary, text, _language(text), authors))
    return found


def stories(corpus: Path) -> list[Source]:
    """WikiRef220: a title line, then the body."""
    found = []
    for path in sorted((corpus / "stories" / "wikiref220").glob("*.txt")):
        title, _, text = path.read_text(encoding="utf-8", errors="replace").strip().partition("\n")
        slug = re.sub(r"\W+", "-", path.stem.lower()).strip("-")
        found.append(Source("stories", f"https://stories.example/{slug}", title.strip(), None, text.strip(), "en", ()))
    return found


def seeds(corpus: Path) -> list[Source]:
    """The seed documents next to the corpus (``../seeds``): a '# ' title line, then the rest."""
    found = []
    for path in sorted((corpus.parent / "seeds").glob("0*.txt")):
        content = path.read_text(encoding="utf-8", errors="replace")
        match = re.search(r"^# (.+)$", content, re.M)
        title = match.group(1).strip() if match else path.stem
        text = content[match.end() :].strip() if match else content
        found.append(Source("seeds", f"https://seeds.example/{path.stem}", title, None, text, _language(text), ()))
    return found


def fixtures(folder: Path = FIXTURES) -> list[Source]:
    """The project's outlet fixtures: the expected items of their pages (Russian, Ukrainian, English)."""
    found = []
    for path in sorted(folder.glob("*/expected.json")):
        for key, item in json.loads(path.read_text(encoding="utf-8")).items():
            if not isinstance(item, dict) or not item.get("text"):
                continue
            found.append(
                Source(
                    "fixtures",
                    item.get("url") or key,
                    item.get("title") or "",
                    item.get("subtitle"),
                    item["text"],
                    _language(item["text"], item.get("language")),
                    tuple(item.get("authors") or ()),
                )
            )
    return found


def gather(corpus: Path | None) -> tuple[list[Source], list[str]]:
    """The distinct texts (no empty or repeated ones), and what was missing of the corpus."""
    missing, found = [], fixtures()
    readers = {
        "article-extraction-benchmark": extraction_benchmark,
        "fundus": fundus,
        "stories": stories,
        "seeds": seeds,
    }
    for name, reader in readers.items():
        try:
            found += reader(corpus) if corpus is not None else []
        except (OSError, ValueError) as exc:
            missing.append(f"{name}: {exc}")
    if corpus is None:
        missing.append("the shared corpus (none given, none at ../shared/corpus)")
    seen: set[str] = set()
    distinct = []
    for source in found:
        digest = hashlib.sha1(" ".join(source.text.split()).encode("utf-8")).hexdigest()
        if len(source.text.split()) >= 20 and digest not in seen:
            seen.add(digest)
            distinct.append(source)
    return distinct, missing


# --------------------------------------------------------------------------- the articles
OUTLETS = {
    "moscowtimes": "www.themoscowtimes.com",
    "rferl": "www.rferl.org",
    "radiosvoboda": "www.radiosvoboda.org",
    "svoboda": "www.svoboda.org",
    "currenttime": "www.currenttime.tv",
    "meduza": "meduza.io",
    "kyivindependent": "kyivindependent.com",
    "justthenews": "justthenews.com",
    "defensenews": "www.defensenews.com",
    "breakingdefense": "breakingdefense.com",
    "thedefensepost": "thedefensepost.com",
    "warontherocks": "warontherocks.com",
    "isw": "www.understandingwar.org",
}
AUTHORS = ("Staff", "AFP", "Reuters", "Anna Petrova", "John Smith", "Олена Коваль", "Андрей Иванов")
#: Publication dates are spread over these years (minutes from the first day, by a fixed stride).
FIRST_DAY = datetime(2019, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 6 * 365 * 24 * 60
#: Two neighbouring words, the first at the start of a word (after a space).
_PAIR = re.compile(r"(?<=\s)([^\W_]+)(\s+)([^\W_]+)(?![^\W_])")


def swap_words(text: str, copy: int) -> str:
    """The text with two pairs of neighbouring words swapped, at places that depend on the copy
    (the first copy is the text as it is)."""
    if copy == 0 or len(text) < 200:
        return text
    for k in (1, 2):
        at = (copy * 7919 * k) % (len(text) - 100)
        text = text[:at] + _PAIR.sub(r"\3\2\1", text[at:], count=1)
    return text


def article(sources: list[Source], i: int) -> dict[str, Any]:
    """Article ``i`` of the cycle: source ``i mod S``, copy ``i div S``, with its own outlet,
    date, URL and WARC record."""
    source = sources[i % len(sources)]
    copy = i // len(sources)
    outlet = list(OUTLETS)[i % len(OUTLETS)]
    published = FIRST_DAY + timedelta(minutes=(i * 104_729) % SPAN_MINUTES)
    slug = re.sub(r"[^\w]+", "-", source.title.lower()).strip("-")[:60] or "article"
    url = f"https://{OUTLETS[outlet]}/{published:%Y/%m/%d}/{slug}-{i:06d}"
    text = swap_words(source.text, copy)
    return {
        "url": url,
        "outlet": outlet,
        "title": source.title,
        "subtitle": source.subtitle,
        "text": text,
        "language": source.language,
        "authors": list(source.authors) or [AUTHORS[i % len(AUTHORS)]],
        "published": published.isoformat(),
        "word_count": len(text.split()),
        "warc": {
            "file": f"bench-{i // 10_000:04d}.warc.gz",
            "record_id": f"<urn:uuid:{uuid.UUID(int=(0xBE7C << 112) + i)}>",
            "offset": (i % 10_000) * 8192,
        },
        "fetched_at": (published + timedelta(hours=1 + i % 20)).isoformat(),
    }


def raw_bytes(item: dict[str, Any]) -> int:
    """The raw text of an article: its title, subtitle and text, in UTF-8."""
    return sum(len((item.get(key) or "").encode("utf-8")) for key in ("title", "subtitle", "text"))


def text_file_path(item: dict[str, Any], i: int) -> str:
    """Where the archive would put the article's text file (an outlet, a month, one file each)."""
    day = item["published"][:10].split("-")
    return f"text/{item['outlet']}/{day[0]}/{day[1]}/{i:06d}.md"


# --------------------------------------------------------------------------- building
@dataclass
class Build:
    """What building the catalogue (and the text files beside it) measured."""

    articles: int
    seconds: float  # in Catalog.add and its commits only
    wall: float  # the whole loop: making the articles, the catalogue, the text files
    raw_bytes: int
    catalog_bytes: int
    text_files_bytes: int
    tables: dict[str, int]
    lemmas_per_article: float  # seconds of lemma_text (title, subtitle, text) per article, cache warm

    @property
    def rate(self) -> float:
        return self.articles / self.seconds


def write_text_files(items: list[dict[str, Any]], first: int, root: Path) -> int:
    """The articles' text files, rendered as the archive renders them; their size in bytes."""
    from crawler.output.text_files import render

    size = 0
    for i, item in enumerate(items, first):
        path = root / text_file_path(item, i)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = render(item).encode("utf-8")
        path.write_bytes(data)
        size += len(data)
    return size


def table_sizes(path: Path) -> dict[str, int]:
    """Bytes of the catalogue's pages by what they hold (SQLite's dbstat), when SQLite has it."""
    groups = {"article_fts": "full-text index (article_fts_*)", "revisions": "revisions (the texts)"}
    sizes: dict[str, int] = {}
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    except sqlite3.OperationalError:
        return {}
    finally:
        conn.close()
    for name, size in rows:
        group = next((label for prefix, label in groups.items() if name.startswith(prefix)), "the rest")
        sizes[group] = sizes.get(group, 0) + size
    return sizes


def lemma_seconds(sources: list[Source], count: int, sample: int = 2000) -> float:
    """Seconds per article of ``lemma_text`` on its title, subtitle and text (what ``Catalog.add``
    hands the full-text index), over a sample spread over the articles, the lemma cache warm."""
    from crawler.catalog.lemmas import lemma_text

    items = [article(sources, i) for i in range(0, count, max(1, count // sample))]
    began = time.perf_counter()
    for item in items:
        for key in ("title", "subtitle", "text"):
            lemma_text(item.get(key), item["language"])
    return (time.perf_counter() - began) / len(items)


def build(sources: list[Source], count: int, work: Path, batch: int = 1000) -> Build:
    """The catalogue of ``count`` articles (committed every ``batch``) and their text files."""
    path = catalog_path(work / "archive")
    started = time.perf_counter()
    catalog = Catalog(path, autocommit=False)
    seconds, raw, text_size = 0.0, 0, 0
    with tqdm(total=count, desc="catalogue", unit="article", file=sys.stderr) as bar:
        for first in range(0, count, batch):
            items = [article(sources, i) for i in range(first, min(count, first + batch))]
            began = time.perf_counter()
            for item in items:
                catalog.add(item, item["outlet"], item["fetched_at"])
            catalog.commit()
            seconds += time.perf_counter() - began
            raw += sum(raw_bytes(item) for item in items)
            text_size += write_text_files(items, first, work)
            bar.update(len(items))
    began = time.perf_counter()
    catalog.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    seconds += time.perf_counter() - began
    wall = time.perf_counter() - started
    lemmas = lemma_seconds(sources, count)
    return Build(count, seconds, wall, raw, path.stat().st_size, text_size, table_sizes(path), lemmas)


# --------------------------------------------------------------------------- the queries
@dataclass(frozen=True)
class Query:
    """A query in the search language, and what one types for the same with ripgrep and LIKE.

    ``rg``: the ripgrep scans, each a list of arguments after ``rg -i``: the first over all the
    text files, each next one over the files the one before listed (as ``rg -l A | xargs rg -l B``
    does); ``--files-without-match`` in a scan keeps the files without its pattern (NOT).
    ``like``: the condition on ``revisions.text`` (LIKE folds ASCII case only)."""

    text: str
    rg: tuple[tuple[str, ...], ...]
    like: str
    kind: str


def _word(*words: str) -> tuple[str, ...]:
    return ("-l", "-w", *(arg for word in words for arg in ("-e", word)))


def _stem(*stems: str) -> tuple[str, ...]:
    return ("-l", *(arg for stem in stems for arg in ("-e", stem)))


def _like(*patterns: str) -> str:
    return "(" + " OR ".join(f"text LIKE '%{p}%'" for p in patterns) + ")"


SANCTION = ("sanction", "sanctions", "sanctioned")
QUERIES = (
    Query("Gerasimov", (_word("Gerasimov"),), _like("Gerasimov"), "word"),
    Query("Kyiv", (_word("Kyiv"),), _like("Kyiv"), "word"),
    Query("Pentagon", (_word("Pentagon"),), _like("Pentagon"), "word"),
    Query("sanctions", (_word(*SANCTION),), _like("sanction"), "word, its forms"),
    Query("Obama", (_word("Obama"),), _like("Obama"), "word, frequent"),
    Query("war", (_word("war", "wars"),), _like("war"), "word, very frequent"),
    Query('"nuclear weapons"', (("-l", "-F", "-e", "nuclear weapons"),), _like("nuclear weapons"), "phrase"),
    Query('"Malaysia Airlines"', (("-l", "-F", "-e", "Malaysia Airlines"),), _like("Malaysia Airlines"), "phrase"),
    Query("sanction*", (_stem(r"\bsanction"),), _like("sanction"), "prefix"),
    Query("Kyiv OR Kiev", (_word("Kyiv", "Kiev"),), _like("Kyiv", "Kiev"), "OR"),
    Query("Milley OR Gerasimov", (_word("Milley", "Gerasimov"),), _like("Milley", "Gerasimov"), "OR"),
    Query(
        "drone NOT Iran",
        (_word("drone", "drones"), ("--files-without-match", "-w", "-e", "Iran")),
        _like("drone") + " AND NOT " + _like("Iran"),
        "NOT",
    ),
    Query(
        "Ukraine NOT Trump",
        (_word("Ukraine"), ("--files-without-match", "-w", "-e", "Trump")),
        _like("Ukraine") + " AND NOT " + _like("Trump"),
        "NOT",
    ),
    Query(
        "(Putin OR Kremlin) sanctions",
        (_word("Putin", "Kremlin"), _word(*SANCTION)),
        _like("Putin", "Kremlin") + " AND " + _like("sanction"),
        "grouping, AND",
    ),
    Query("Герасимова", (_stem("Герасимов"),), _like("Герасимов"), "Russian/Ukrainian name, inflected"),
    Query("Москвы", (_stem("Москв"),), _like("Москв"), "Russian, inflected"),
    Query("Украина", (_stem("Украин"),), _like("Украин"), "Russian, inflected"),
    Query("Україна", (_stem("Україн"),), _like("Україн"), "Ukrainian, inflected"),
    Query("генштаб", (_stem("генштаб"),), _like("генштаб", "Генштаб"), "Russian and Ukrainian forms"),
    Query("рецепты", (_stem("рецепт"),), _like("рецепт", "Рецепт"), "Russian, many forms"),
)


# --------------------------------------------------------------------------- timing the queries
RG = shutil.which("rg") or "/usr/bin/rg"
#: Paths given to one rg call of a later scan at most (xargs splits its list the same way).
PATHS_PER_CALL = 5_000
TOOLS = ("catalogue", "facets", "rg", "like")


def ripgrep(query: Query, root: Path) -> int:
    """The files ripgrep finds for ``query`` under ``root``, each scan over what the one before found."""
    files: list[str] | None = None
    for scan in query.rg:
        if files is not None and not files:
            break
        calls = (
            [["."]] if files is None else [files[k : k + PATHS_PER_CALL] for k in range(0, len(files), PATHS_PER_CALL)]
        )
        found: list[str] = []
        for targets in calls:
            run = subprocess.run(
                [RG, "-i", "--no-messages", *scan, "--", *targets], cwd=root, capture_output=True, text=True
            )
            if run.returncode > 1:
                raise RuntimeError(f"rg {' '.join(scan)} failed: {run.stderr.strip()[:300]}")
            found += run.stdout.splitlines()
        files = found
    return len(files or [])


def like_scan(conn: sqlite3.Connection, query: Query) -> int:
    """The revisions an SQL LIKE scan finds for ``query``."""
    return int(conn.execute(f"SELECT count(*) FROM revisions WHERE {query.like}").fetchone()[0])


@dataclass
class Timings:
    """Seconds of each run of each query by each tool, and what each found."""

    seconds: dict[str, dict[str, list[float]]]
    found: dict[str, dict[str, int]]
    snippets: dict[str, float] = field(default_factory=dict)  # seconds of a search cutting snippets

    def median(self, tool: str, query: str) -> float:
        return statistics.median(self.seconds[tool][query])

    def pooled(self, tool: str) -> list[float]:
        return [s for runs in self.seconds[tool].values() for s in runs]


def time_queries(db: Path, texts: Path, queries: tuple[Query, ...], repeat: int) -> Timings:
    """Every query by every tool, side by side: one warm-up round (not timed), then ``repeat``
    rounds; in each, every query is run by each tool in turn."""
    conn, scan_conn = connect(db, readonly=True), connect(db, readonly=True)
    runs: dict[str, Callable[[Query], int]] = {
        "catalogue": lambda q: search(conn, q.text, limit=20).total,
        "facets": lambda q: search(conn, q.text, limit=20, facets=True).total,
        "rg": lambda q: ripgrep(q, texts),
        "like": lambda q: like_scan(scan_conn, q),
    }
    timings = Timings({tool: {q.text: [] for q in queries} for tool in TOOLS}, {tool: {} for tool in TOOLS})
    with tqdm(total=(repeat + 1) * len(queries), desc="queries", unit="query", file=sys.stderr) as bar:
        for round_ in range(repeat + 1):
            for query in queries:
                for tool, run in runs.items():
                    began = time.perf_counter()
                    found = run(query)
                    elapsed = time.perf_counter() - began
                    if round_:
                        timings.seconds[tool][query.text].append(elapsed)
                    else:
                        timings.found[tool][query.text] = found
                bar.update()
    timings.snippets = {q.text: snippet_seconds(conn, q.text) for q in queries}
    conn.close()
    scan_conn.close()
    return timings


def snippet_seconds(conn: sqlite3.Connection, text: str, repeat: int = 5) -> float:
    """Of a search's time, what cutting its results' snippets takes: ``highlight`` of the texts
    and titles of the 20 results ``search`` returns (the median of ``repeat`` runs)."""
    from crawler.catalog.search import highlight

    found = search(conn, text, limit=20)
    ids = [r.id for r in found.results]
    rows = conn.execute(
        "SELECT r.text, a.title, a.language FROM articles a JOIN revisions r ON r.id = a.latest_revision"
        f" WHERE a.id IN ({','.join('?' * len(ids))})",
        ids,
    ).fetchall()
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        for body, title, language in rows:
            highlight(body or "", found.query.terms, language)
            highlight(title or "", found.query.terms, language, window=None)
        runs.append(time.perf_counter() - began)
    return statistics.median(runs)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) of ``values``, linearly interpolated."""
    ordered = sorted(values)
    at = (len(ordered) - 1) * p / 100
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


# --------------------------------------------------------------------------- scrapy serve's memory
SERVE_COMMAND = PROJECT / "crawler" / "commands" / "serve.py"


def tree_vmrss(pid: int) -> int:
    """VmRSS of a process and of all its descendants, in bytes."""
    return sum(proc_bytes(p, "status", "VmRSS:") or 0 for p in process_tree(pid))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrapy_command() -> list[str]:
    script = Path(sys.executable).with_name("scrapy")
    return [str(script)] if script.exists() else [sys.executable, "-m", "scrapy"]


def wait_until_serving(process: subprocess.Popen[bytes], base: str, timeout: float = 180) -> str | None:
    """None once ``/search?q=x`` answers 200; else why not (the process ended, an error, no answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"scrapy serve ended with exit code {process.returncode} before answering"
        try:
            with urllib.request.urlopen(f"{base}/search?q=x", timeout=30) as response:
                response.read()
                return None
        except urllib.error.HTTPError as exc:
            return f"/search?q=x answered HTTP {exc.code}"
        except OSError:
            time.sleep(0.5)
    return f"/search?q=x did not answer within {timeout:.0f} s"


@dataclass
class ServeMemory:
    """The RSS of ``scrapy serve``'s process tree before the searches and after each batch of them."""

    skipped: str | None = None
    before: int = 0
    samples: list[tuple[int, int]] = field(default_factory=list)  # (requests answered, bytes)
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def growth(self) -> float:
        return self.samples[-1][1] / self.samples[0][1] - 1


def serve_memory(archive: Path, queries: tuple[Query, ...], requests: int, every: int, log: Path) -> ServeMemory:
    """Start ``scrapy serve`` on the catalogue, send ``requests`` searches (the queries cycled),
    sample its memory every ``every`` requests; stop it."""
    if not SERVE_COMMAND.exists():
        return ServeMemory(
            skipped=f"no `scrapy serve` in this checkout ({SERVE_COMMAND.relative_to(PROJECT)} is missing)"
        )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [*scrapy_command(), "serve", "--port", str(port), "-s", f"ARCHIVE_DIR={archive}"]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=PROJECT, stdout=output, stderr=subprocess.STDOUT)
    try:
        problem = wait_until_serving(process, base)
        if problem:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
            return ServeMemory(skipped=f"{problem}" + (f": {' / '.join(tail)}" if tail else ""))
        memory = ServeMemory(before=tree_vmrss(process.pid))
        for n in tqdm(range(1, requests + 1), desc="scrapy serve", unit="request", file=sys.stderr):
            query = queries[(n - 1) % len(queries)].text
            began = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{base}/search?q={urllib.parse.quote(query)}", timeout=60) as response:
                    response.read()
            except OSError:
                memory.errors += 1
            memory.latencies.append(time.perf_counter() - began)
            if n % every == 0 or n == requests:
                memory.samples.append((n, tree_vmrss(process.pid)))
        return memory
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --------------------------------------------------------------------------- the report
TARGETS = {"p95_ms": 50.0, "vs_rg": 100.0, "rate": 1000.0, "size": 2.0, "memory_growth": 0.10}
TARGET_ARTICLES = 100_000
MB = 2**20


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def tool_versions() -> str:
    from importlib.metadata import version

    rg = subprocess.run([RG, "--version"], capture_output=True, text=True).stdout.splitlines()
    return (
        f"- search tools: SQLite {sqlite3.sqlite_version}, simplemma {version('simplemma')}, "
        f"{rg[0] if rg else 'ripgrep (not found)'}"
    )


def articles_section(sources: list[Source], missing: list[str], count: int, corpus: Path | None) -> list[str]:
    origins = Counter(s.origin for s in sources)
    languages = Counter(s.language or "unknown" for s in sources)
    shown = ", ".join(f"{lang} {n}" for lang, n in languages.most_common(8))
    others = f", and {len(languages) - 8} others" if len(languages) > 8 else ""
    lines = [
        "## The articles",
        "",
        f"{count:,} articles cycled from {len(sources)} distinct texts ("
        + ", ".join(f"{origin}: {n}" for origin, n in origins.most_common())
        + f") of `{corpus}` and the project's outlet fixtures (`tests/fixtures/*/expected.json`, the only "
        "Ukrainian text at hand: the shared corpus has none; its one page from a Ukrainian outlet, "
        f"pravda.com.ua, is of the Russian edition). Languages of the texts: {shown}{others}.",
        "",
        f"The texts repeat: article *i* is text *i* mod {len(sources)}, so each text is there about "
        f"{count / len(sources):.0f} times. Each copy has its own outlet (one of {len(OUTLETS)}, in turn), URL, "
        "publication date (spread over 2019–2024), capture date, WARC record id and author when the text has "
        "none; from the second copy on, two pairs of neighbouring words are swapped at places that depend on "
        "the copy. Titles and languages are the text's own.",
        "",
    ]
    for problem in missing:
        lines.append(f"- **Missing from the corpus:** {problem}")
    return lines + ([""] if missing else [])


def build_section(built: Build) -> list[str]:
    lines = [
        "## Building the catalogue",
        "",
        "`Catalog(path, autocommit=False).add(item, outlet, captured)` for each article, a commit every "
        "1,000; the time counted is the time in `add` and the commits (and the final close and WAL "
        "checkpoint), not making the articles nor writing the text files.",
        "",
        "| | |",
        "|---|---|",
        f"| articles | {built.articles:,} |",
        f"| time in `Catalog.add` and commits | {built.seconds:.1f} s |",
        f"| **index rate** | **{built.rate:,.0f} articles/s** ({1000 / built.rate:.2f} ms an article) |",
        f"| … of which lemmatising (`lemma_text` of title, subtitle and text, timed apart on a sample, "
        f"lemma cache warm) | {built.lemmas_per_article * 1000:.2f} ms an article, "
        f"{built.lemmas_per_article * built.rate:.0%} |",
        f"| the whole loop, with making the articles and writing the text files | {built.wall:.1f} s |",
        f"| raw text: titles, subtitles and texts, UTF-8 | {built.raw_bytes / MB:,.1f} MB |",
        f"| **catalogue file** (`catalog.sqlite3` after `PRAGMA wal_checkpoint(TRUNCATE)`) | "
        f"**{built.catalog_bytes / MB:,.1f} MB, {built.catalog_bytes / built.raw_bytes:.2f}× the raw text** |",
    ]
    for name, size in sorted(built.tables.items(), key=lambda kv: -kv[1]):
        lines.append(f"| … of which {name} | {size / MB:,.1f} MB, {size / built.raw_bytes:.2f}× |")
    lines += [
        f"| text files for ripgrep (the archive's Markdown rendering, front matter included) | "
        f"{built.text_files_bytes / MB:,.1f} MB |",
        "",
    ]
    return lines


def ratio(timings: Timings, tool: str, query: str) -> float:
    """How many times the catalogue's median time ``tool``'s median time is, for ``query``."""
    return timings.median(tool, query) / timings.median("catalogue", query)


def times(value: float) -> str:
    return f"{value:.1f}×" if value < 10 else f"{value:,.0f}×"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}" if seconds < 10 else f"{seconds * 1000:,.0f}"


def query_section(timings: Timings, queries: tuple[Query, ...], repeat: int) -> list[str]:
    lines = [
        "## Queries",
        "",
        f"20 fixed queries; one warm-up round (page cache and SQLite's cache warm, not timed), then {repeat} "
        "rounds, each running every query through every tool in turn. Times are the median of the rounds, in "
        "ms. *catalogue*: `crawler.catalog.search.search(conn, q, limit=20)` on a read-only connection "
        "(the best 20 with their snippets, and the count of all matches); *+ facets*: the same with "
        "`facets=True` (what the reading room's search page asks: facet counts and the timeline too); "
        "*rg*: `rg -i` over the text files, a new process each time as a user runs it, listing the files "
        "(`-l`); *LIKE*: `SELECT count(*) FROM revisions WHERE text LIKE '%…%'` on the same database.",
        "",
        "*of which snippets*: `highlight` of the 20 results' texts and titles, timed apart.",
        "",
        "| query | kind | found: catalogue / rg / LIKE | catalogue | of which snippets | + facets | rg | LIKE "
        "| rg / catalogue | LIKE / catalogue |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for q in queries:
        cat, rg, like = (timings.median(tool, q.text) for tool in ("catalogue", "rg", "like"))
        found = " / ".join(f"{timings.found[tool][q.text]:,}" for tool in ("catalogue", "rg", "like"))
        lines.append(
            f"| `{q.text}` | {q.kind} | {found} | {ms(cat)} | {ms(timings.snippets[q.text])} | "
            f"{ms(timings.median('facets', q.text))} | "
            f"{ms(rg)} | {ms(like)} | {times(rg / cat)} | {times(like / cat)} |"
        )
    lines += ["", "| all runs of all queries | p50 (ms) | p95 (ms) | max (ms) |", "|---|---|---|---|"]
    for tool, label in (
        ("catalogue", "catalogue"),
        ("facets", "catalogue + facets"),
        ("rg", "ripgrep"),
        ("like", "LIKE"),
    ):
        runs = timings.pooled(tool)
        lines.append(f"| {label} | {ms(percentile(runs, 50))} | {ms(percentile(runs, 95))} | {ms(max(runs))} |")
    lines += [
        "",
        "| ratio of the medians, per query | median over the queries | lowest | highest |",
        "|---|---|---|---|",
    ]
    for tool, label in (
        ("rg", "ripgrep / catalogue"),
        ("like", "LIKE / catalogue"),
        ("facets", "+ facets / catalogue"),
    ):
        ratios = sorted(ratio(timings, tool, q.text) for q in queries)
        lines.append(f"| {label} | {times(statistics.median(ratios))} | {times(ratios[0])} | {times(ratios[-1])} |")
    lines += [
        "",
        "What ripgrep and LIKE were asked (rg has no ranking and no lemmas: a word is `-w` with the forms "
        "the catalogue would find, an inflected Russian or Ukrainian word its stem, a phrase a fixed string "
        "on one line; NOT and AND are a second rg over the files the first listed, as `rg -l A | xargs rg "
        "-l B`; LIKE is a substring test and folds ASCII case only). The counts differ for these reasons: "
        "a stem or a substring also finds other words (`Украин` finds `украинский`, LIKE `%war%` finds "
        "`award`), the text files hold the title and front matter too, a phrase across a line break is "
        "missed by rg.",
        "",
        "| query | rg | LIKE |",
        "|---|---|---|",
    ]
    for q in queries:
        scans = " \\| ".join("rg -i " + " ".join(_shell(arg) for arg in scan) for scan in q.rg)
        lines.append(f"| `{q.text}` | `{scans}` | `{q.like}` |")
    return lines + [""]


def _shell(arg: str) -> str:
    return arg if re.fullmatch(r"[\w.-]+", arg) else "'" + arg.replace("|", "\\|") + "'"


def serve_section(memory: ServeMemory, requests: int) -> list[str]:
    lines = ["## Memory of `scrapy serve`", ""]
    if memory.skipped:
        return lines + [f"Not measured: {memory.skipped}.", ""]
    lines += [
        f"`scrapy serve --port P -s ARCHIVE_DIR=…` on the catalogue above, {requests:,} requests to "
        "`/search?q=…` (the 20 queries in turn, one at a time); VmRSS of its process and any children, "
        f"before the first request and after every {memory.samples[0][0]}. Errors: {memory.errors}. "
        f"Request time: p50 {ms(percentile(memory.latencies, 50))} ms, p95 {ms(percentile(memory.latencies, 95))} "
        "ms (the whole page, over HTTP).",
        "",
        "| requests answered | RSS (MB) |",
        "|---|---|",
        f"| 0 | {memory.before / MB:.1f} |",
    ]
    lines += [f"| {n:,} | {rss / MB:.1f} |" for n, rss in memory.samples]
    return lines + ["", f"Growth from the first sample (after warm-up) to the last: {memory.growth:+.1%}.", ""]


def targets_section(built: Build, timings: Timings, memory: ServeMemory) -> list[str]:
    p95 = percentile(timings.pooled("catalogue"), 95) * 1000
    ratios = {q: ratio(timings, "rg", q) for q in timings.seconds["rg"]}
    median_ratio, low = statistics.median(ratios.values()), min(ratios, key=ratios.__getitem__)
    below = [q for q, r in ratios.items() if r < TARGETS["vs_rg"]]
    size = built.catalog_bytes / built.raw_bytes
    at = "" if built.articles == TARGET_ARTICLES else f" (measured at {built.articles:,} articles, not 100,000)"
    rg_note = (
        "every query at least 100×"
        if not below
        else f"{len(below)} of {len(ratios)} below 100×: " + ", ".join(f"`{q}` {times(ratios[q])}" for q in below)
    )
    rows = [
        ("query latency p95 ≤ 50 ms at 100,000 articles", f"{p95:.1f} ms{at}", p95 <= TARGETS["p95_ms"]),
        (
            "≥ 100× faster than ripgrep on the same queries (judged on the median over the queries)",
            f"median over the queries {times(median_ratio)}, lowest {times(ratios[low])} (`{low}`); {rg_note}",
            median_ratio >= TARGETS["vs_rg"],
        ),
        ("indexing ≥ 1,000 articles/s", f"{built.rate:,.0f} articles/s", built.rate >= TARGETS["rate"]),
        ("size ≤ 2× the raw text", f"{size:.2f}×", size <= TARGETS["size"]),
    ]
    lines = ["## Targets", "", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {verdict(ok)} |" for name, value, ok in rows]
    if memory.skipped:
        lines.append(f"| `scrapy serve` memory flat under repeated queries | not measured: {memory.skipped} | – |")
    else:
        growth = memory.growth
        lines.append(
            f"| `scrapy serve` memory flat under repeated queries (growth < 10% after warm-up) | "
            f"{memory.samples[0][1] / MB:.0f} → {memory.samples[-1][1] / MB:.0f} MB, {growth:+.1%} | "
            f"{verdict(growth < TARGETS['memory_growth'])} |"
        )
    return lines + [""] + why(built, timings) + [""]


def why(built: Build, timings: Timings) -> list[str]:
    """Where the time goes, for the targets: the slowest queries and their snippets, the catalogue
    without its snippets beside ripgrep, the share of lemmatising in indexing."""
    cat = {q: timings.median("catalogue", q) for q in timings.seconds["catalogue"]}
    slowest = sorted(cat, key=cat.__getitem__, reverse=True)[:3]
    bare = {q: max(cat[q] - timings.snippets[q], 1e-6) for q in cat}
    without = statistics.median(timings.median("rg", q) / bare[q] for q in cat)
    share = statistics.median(timings.snippets[q] / cat[q] for q in cat)
    return [
        "- Slowest queries in the catalogue: "
        + ", ".join(f"`{q}` {ms(cat[q])} ms (snippets {ms(timings.snippets[q])} ms)" for q in slowest)
        + f". Cutting the snippets is a median {min(share, 1):.0%} of a search's time.",
        f"- Without its snippets (its time less theirs, an estimate), the catalogue would be a median "
        f"{times(without)} faster than ripgrep.",
        f"- Indexing: lemmatising is {built.lemmas_per_article * 1000:.2f} ms of the {1000 / built.rate:.2f} ms an "
        "article takes; the rest is SQLite (the FTS5 insert, the rows, their indexes) and hashing.",
    ]


def report(
    command: str,
    corpus: Path | None,
    sources: list[Source],
    missing: list[str],
    built: Build,
    timings: Timings,
    memory: ServeMemory,
    args: argparse.Namespace,
) -> str:
    lines = header("Search: the catalogue beside ripgrep and SQL LIKE", command)
    lines.insert(-1, tool_versions())
    lines += targets_section(built, timings, memory)
    lines += articles_section(sources, missing, built.articles, corpus)
    lines += build_section(built)
    lines += query_section(timings, QUERIES, args.repeat)
    lines += serve_section(memory, args.requests)
    return "\n".join(lines)


# --------------------------------------------------------------------------- the command
def corpus_dir(given: Path | None) -> Path | None:
    """The corpus to read: the one given (it must exist), else ../shared/corpus if there."""
    if given is not None:
        if not given.is_dir():
            raise SystemExit(f"no corpus at {given}")
        return given
    if DEFAULT_CORPUS.is_dir():
        return DEFAULT_CORPUS
    print(
        f"No shared corpus at {DEFAULT_CORPUS}: only the project's {len(fixtures())} fixture texts are cycled "
        "(give one with --corpus DIR).",
        file=sys.stderr,
    )
    return None


def work_dir(keep: Path | None) -> tuple[Path, bool]:
    """Where the catalogue and text files go, and whether to remove it at the end."""
    if keep is None:
        return Path(tempfile.mkdtemp(prefix="bench-search-")), True
    if keep.exists() and any(keep.iterdir()):
        raise SystemExit(f"--keep {keep}: not empty (the catalogue is built from nothing)")
    keep.mkdir(parents=True, exist_ok=True)
    return keep, False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=TARGET_ARTICLES, help="articles in the catalogue")
    parser.add_argument("--corpus", type=Path, help=f"the shared corpus (default {DEFAULT_CORPUS}, if there)")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds of the queries (after one warm-up)")
    parser.add_argument("--requests", type=int, default=2000, help="searches sent to scrapy serve")
    parser.add_argument("--every", type=int, default=200, help="requests between two memory samples")
    parser.add_argument("--keep", type=Path, help="build in this (empty) folder and keep it")
    parser.add_argument("--output", type=Path, default=PROJECT / "docs" / "BENCHMARK-search.md")
    args = parser.parse_args(argv)
    corpus = corpus_dir(args.corpus)
    sources, missing = gather(corpus)
    work, remove = work_dir(args.keep)
    try:
        built = build(sources, args.articles, work)
        db = catalog_path(work / "archive")
        timings = time_queries(db, work / "text", QUERIES, args.repeat)
        memory = serve_memory(work / "archive", QUERIES, args.requests, args.every, work / "serve.log")
        if memory.skipped:
            print(f"scrapy serve: {memory.skipped}", file=sys.stderr)
    finally:
        if remove:
            shutil.rmtree(work, ignore_errors=True)
    command = " ".join(["python -m bench.search", *(argv if argv is not None else sys.argv[1:])])
    text = report(command, corpus, sources, missing, built, timings, memory, args)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
