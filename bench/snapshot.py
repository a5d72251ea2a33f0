"""A snapshot of extraction output over every corpus page and every fixture page, to diff.

    python -m bench.snapshot OUT.jsonl [--corpus ../shared/corpus] [--workers 2]
    diff <(python -m bench.snapshot /dev/stdout) before.jsonl

One JSON line per page, sorted by page: the fields, the reason a page was skipped, the
warnings and the notes that ``extract_article`` returned. A refactoring that claims to leave
behaviour unchanged shows an empty diff between the snapshots taken before and after it. The
fixture pages are read with their outlet's rules (the spider named by their folder), the corpus
pages (fundus, the article-extraction benchmark) with the generic rules.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import sys
from pathlib import Path

from bench.common import run_pool

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FETCHED_AT = "2026-11-01T00:00:00Z"


def _read(path: Path) -> str:
    data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return data.decode("utf-8", "replace")


def corpus_jobs(corpus: Path) -> list[tuple]:
    jobs: list[tuple] = []
    fundus = corpus / "fundus"
    mapping = fundus / "fundus_html_to_expected.json"
    if mapping.exists():
        for page, info in sorted(json.loads(mapping.read_text(encoding="utf-8")).items()):
            path = fundus / (page + ".gz")
            if path.exists():
                crawl = info.get("crawl_date")
                fetched = crawl.replace(" ", "T") + "+00:00" if crawl else None
                jobs.append((f"fundus/{page}", str(path), info.get("url"), None, fetched))
    aeb = corpus / "article-extraction-benchmark"
    truth = aeb / "ground-truth.json"
    if truth.exists():
        for key, entry in sorted(json.loads(truth.read_text(encoding="utf-8")).items()):
            path = aeb / "html" / f"{key}.html.gz"
            if path.exists():
                jobs.append((f"aeb/{key}", str(path), entry.get("url"), None, None))
    return jobs


def fixture_jobs() -> list[tuple]:
    """Every fixture page under an outlet's folder, with the URL its expected.json gives it."""
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    jobs: list[tuple] = []
    for name in sorted(loader.list()):
        folder = FIXTURES / name
        if not folder.is_dir():
            continue
        spider = loader.load(name)
        urls = {}
        expected = folder / "expected.json"
        if expected.exists():
            urls = {entry["_page"]: entry["url"] for entry in json.loads(expected.read_text(encoding="utf-8")).values()}
        pages = sorted(p for p in folder.rglob("*") if p.name.endswith((".html", ".html.gz", ".json")))
        for path in pages:
            relative = path.relative_to(folder).as_posix()
            if path.suffix == ".json" and relative not in urls:
                continue  # expected.json, site.json and the like
            url = urls.get(relative) or f"{spider.site or 'https://example.org'}/{relative}"
            jobs.append((f"fixtures/{name}/{relative}", str(path), url, name, FETCHED_AT))
    return jobs


def _plain(fields: object) -> object:
    """Extracted fields as the JSON they are compared in (a dataclass as its dict)."""
    return dataclasses.asdict(fields) if dataclasses.is_dataclass(fields) else fields


def snapshot_one(job: tuple) -> str:
    key, path, url, spider_name, fetched = job
    record: dict = {"page": key}
    try:
        if spider_name is not None:
            from scrapy.spiderloader import SpiderLoader
            from scrapy.utils.project import get_project_settings

            spider = SpiderLoader.from_settings(get_project_settings()).load(spider_name)
            if path.endswith(".json"):
                record["fields"] = _plain(spider.extract_json(Path(path).read_bytes(), spider.fetch_url(spider(), url)))
                return json.dumps(record, ensure_ascii=False, sort_keys=True)
            rules = spider.rules
        else:
            from crawler.extraction.rules import PageRules

            rules = PageRules()
        from crawler.extraction import extract_article

        result = extract_article(_read(Path(path)), url=url, rules=rules, fetched_at=fetched)
        record.update(
            fields=_plain(result.fields), skipped=result.skipped, warnings=result.warnings, notes=result.notes
        )
    except Exception as exc:  # a crash is output too: it must not change either
        record["error"] = f"{type(exc).__name__}: {exc}"
    return json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    jobs = fixture_jobs() + corpus_jobs(args.corpus)
    lines = run_pool(snapshot_one, jobs, args.workers, "snapshot")
    with open(args.output, "w", encoding="utf-8") as out:
        for line in lines:
            out.write(line + "\n")
    print(f"{len(lines)} pages -> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
