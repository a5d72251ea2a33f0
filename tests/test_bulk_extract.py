"""Re-extraction at archive scale (crawler/bulk/): the direct path's output folder (one file per
WARC file, resumable), Parquet, what it counts instead of failing, and the Spark engine in local
mode against the direct path. That the direct path and the replay crawl give the crawl's own
items on every fixture outlet is tests/test_outlet_crawls.py's
``test_scrapy_extract_over_the_crawls_warc_equals_its_items``.

The WARCs: the bundled sample (The Moscow Times, a crawl's WARC with its items' conversion
records), tests/fixtures/warc/example.warc.gz (a revisit record) and, for ranges of records, a
WARC of 300 pages written here from the sample's article pages under other URLs.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.bulk.output import DONE, OutputFolder, parquet_schema, part_name
from tests.support.run import PROJECT, scrapy

SAMPLE = PROJECT / "samples" / "moscowtimes-sample.warc.gz"
REVISIT = PROJECT / "tests" / "fixtures" / "warc" / "example.warc.gz"


def items_in(path: Path) -> list[str]:
    """The items of a JSON lines file or of an output folder, canonical and sorted."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    lines = [line for f in files for line in f.read_text(encoding="utf-8").splitlines() if line]
    return sorted(json.dumps(json.loads(line), sort_keys=True, ensure_ascii=False) for line in lines)


def sample_pages() -> list[bytes]:
    """The HTML of the sample's article captures (as archived: gzip-encoded or not)."""
    pages = []
    with open(SAMPLE, "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response" and "/20" in (record.rec_headers.get_header("WARC-Target-URI") or ""):
                body = record.content_stream().read()
                if b"<article" in body or b"article__" in body:
                    pages.append(body)
    assert pages
    return pages


def split_revisit(folder: Path) -> tuple[Path, Path]:
    """example.warc.gz as two files: its response record in one, the revisit of it in the other."""
    data = REVISIT.read_bytes()
    members: list[tuple[str, int]] = []
    with open(REVISIT, "rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            members.append((record.rec_type, iterator.get_record_offset()))
    bounds = [offset for _, offset in members] + [len(data)]
    cut = next(i for i, (kind, _) in enumerate(members) if kind == "revisit")
    original, revisit = folder / "original.warc.gz", folder / "revisit.warc.gz"
    original.write_bytes(data[: bounds[cut]])
    revisit.write_bytes(data[bounds[cut] :])
    return original, revisit


def write_pages_warc(path: Path, count: int) -> None:
    """``count`` gzip-encoded response records of the sample's article pages, one URL each."""
    pages = sample_pages()
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for i in range(count):
            body = gzip.compress(pages[i % len(pages)])
            headers = StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
                protocol="HTTP/1.1",
            )
            writer.write_record(
                writer.create_warc_record(
                    f"https://news.example.org/2024/05/{i % 28 + 1:02d}/story-{i}",
                    "response",
                    payload=io.BytesIO(body),
                    http_headers=headers,
                    warc_headers_dict={"WARC-Date": f"2024-05-{i % 28 + 1:02d}T12:00:00Z"},
                )
            )


@pytest.mark.slow
def test_an_output_folder_holds_a_file_per_warc_and_a_run_resumes_what_died(tmp_path):
    out = tmp_path / "items"
    first = scrapy("extract", str(SAMPLE), str(REVISIT), "-o", f"{out}/", archive=tmp_path)
    assert first.returncode == 0, first.log
    files = sorted(p.name for p in out.glob("*.jsonl"))
    assert files == sorted(f"{part_name(w)}.jsonl" for w in (SAMPLE, REVISIT))
    whole = items_in(out)
    single = tmp_path / "single.jsonl"
    assert scrapy("extract", str(SAMPLE), str(REVISIT), "-o", str(single), archive=tmp_path).returncode == 0
    assert whole == items_in(single) and len(whole) == 5
    # A run that died on the second file: its output half-written (.part), no done record.
    kept = out / f"{part_name(SAMPLE)}.jsonl"
    kept_time = kept.stat().st_mtime_ns
    redo = out / f"{part_name(REVISIT)}.jsonl"
    redo.rename(redo.with_name(redo.name + ".part"))
    (out / DONE / f"{part_name(REVISIT)}.json").unlink()
    again = scrapy("extract", str(SAMPLE), str(REVISIT), "-o", f"{out}/", archive=tmp_path)
    assert again.returncode == 0, again.log
    assert "1 files done by an earlier run, kept" in again.log
    assert kept.stat().st_mtime_ns == kept_time  # not redone
    assert items_in(out) == whole  # nothing twice, nothing lost
    assert not list(out.glob("*.part"))
    record = json.loads((out / DONE / f"{part_name(REVISIT)}.json").read_text(encoding="utf-8"))
    assert record["items"] == 2 and record["source"] == str(REVISIT)


def test_a_changed_warc_file_is_not_taken_as_done(tmp_path):
    warc = tmp_path / "a.warc.gz"
    warc.write_bytes(REVISIT.read_bytes())
    folder = OutputFolder(tmp_path / "out")
    folder.finish(warc, folder.open(warc), {"items": 0})
    assert folder.done(warc) is not None
    warc.write_bytes(REVISIT.read_bytes() + REVISIT.read_bytes())  # grown: another file now
    assert folder.done(warc) is None


@pytest.mark.slow
def test_parquet_holds_the_same_items_with_one_schema(tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "items.parquet"
    run = scrapy("extract", str(SAMPLE), "-o", str(out), archive=tmp_path)
    assert run.returncode == 0, run.log
    jsonl = tmp_path / "items.jsonl"
    assert scrapy("extract", str(SAMPLE), "-o", str(jsonl), archive=tmp_path).returncode == 0
    table = pq.read_table(out)
    assert table.schema.equals(parquet_schema())
    rows = sorted(table.to_pylist(), key=lambda r: r["url"])
    items = sorted(
        (json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()), key=lambda i: i["url"]
    )
    assert [r["url"] for r in rows] == [i["url"] for i in items] and len(rows) == 3
    for row, item in zip(rows, items, strict=True):
        assert row["text"] == item["text"] and row["revision"] == item["revision"]
        assert json.loads(row["warc"]) == item["warc"]  # records as JSON text
        assert json.loads(row["authors"]) == item["authors"]


@pytest.mark.slow
def test_bad_records_are_counted_and_named_never_fatal(tmp_path):
    warcs = PROJECT / "tests" / "fixtures" / "warc"
    out = tmp_path / "items.jsonl"
    run = scrapy("extract", str(warcs), "-o", str(out), archive=tmp_path)
    assert run.returncode == 1, run.log  # something could not be read: not a whole result
    assert "unreadable after offset" in run.log and "example-wrong-chunks.warc.gz" in run.log
    assert "unreadable record" in run.log  # the clipped record, counted by name of its fault
    assert len(items_in(out)) >= 7  # every good capture of every file still extracted


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # warcio's writer's spooled files
def test_spark_in_local_mode_gives_the_direct_paths_items_by_ranges_and_resumes(tmp_path):
    pytest.importorskip("pyspark")
    big = tmp_path / "pages.warc.gz"
    write_pages_warc(big, 300)
    original, revisit = split_revisit(tmp_path)
    inputs = [str(big), str(original), str(revisit)]  # 3 files on 2 cores: ranges of records
    direct = tmp_path / "direct.jsonl"
    assert scrapy("extract", *inputs, "-o", str(direct), archive=tmp_path, timeout=300).returncode == 0
    out = tmp_path / "spark"
    line = ("extract", *inputs, "--engine", "spark", "--master", "local[2]", "-o", f"{out}/")
    run = scrapy(*line, archive=tmp_path, timeout=600)
    assert run.returncode == 0, run.log
    assert "tasks (ranges of 250 captures)" in run.log
    # Per-task counts: the big file in two ranges; the revisit resolved in its own range, its
    # original being in another file (the range carries its part of the driver's index).
    assert "pages.warc.gz-r0000: 250 -> " in run.log and "pages.warc.gz-r0001: 50 -> " in run.log
    assert "revisit.warc.gz-r0000: 1 -> 1" in run.log
    assert items_in(out) == items_in(direct) and len(items_in(direct)) == 242
    again = scrapy(*line, archive=tmp_path, timeout=600)
    assert again.returncode == 0, again.log
    assert "0 tasks" in again.log and items_in(out) == items_in(direct)


@pytest.fixture(scope="module")
def bucket(s3):
    """The loopback S3 server with a bucket holding the sample and the revisit WARC."""
    client, settings = s3
    client.create_bucket(Bucket="archive")
    for warc in (SAMPLE, REVISIT):
        client.upload_file(str(warc), "archive", f"warc/2024/{warc.name}")
    return settings


@pytest.mark.slow
def test_s3_inputs_give_the_local_files_items(bucket, tmp_path):
    local = tmp_path / "local.jsonl"
    assert scrapy("extract", str(SAMPLE), str(REVISIT), "-o", str(local), archive=tmp_path).returncode == 0
    out = tmp_path / "from-s3.jsonl"
    run = scrapy("extract", "s3://archive/warc/", "-o", str(out), *bucket, archive=tmp_path)
    assert run.returncode == 0, run.log
    assert items_in(out) == items_in(local) and len(items_in(local)) == 5
    cached = tmp_path / "cache" / "s3" / "archive" / "warc" / "2024" / SAMPLE.name
    assert cached.read_bytes() == SAMPLE.read_bytes()  # a whole local copy, kept for the next run
    again = scrapy(
        "extract", "s3://archive/warc/2024/moscowtimes-sample.warc.gz", "-o", str(out), *bucket, archive=tmp_path
    )
    assert again.returncode == 0 and len(items_in(out)) == 3


@pytest.mark.slow
def test_s3_faults_are_one_line_naming_the_part(bucket, tmp_path):
    missing = scrapy("extract", "s3://no-such-bucket/warc/", "-o", str(tmp_path / "x.jsonl"), *bucket, archive=tmp_path)
    assert missing.returncode != 0 and "no such bucket or object" in missing.log and "no-such-bucket" in missing.log
    empty = scrapy("extract", "s3://archive/nothing-here/", *bucket, archive=tmp_path)
    assert empty.returncode != 0 and "no WARC files at s3://archive/nothing-here/" in empty.log
    port = next(a for a in bucket if a.startswith("AWS_ENDPOINT_URL=")).rsplit(":", 1)[1]
    dead = [a.replace(f":{port}", ":9") if a.startswith("AWS_ENDPOINT_URL=") else a for a in bucket]
    unreachable = scrapy("extract", "s3://archive/warc/", *dead, archive=tmp_path, timeout=180)
    assert unreachable.returncode != 0 and "cannot be reached" in unreachable.log


@pytest.mark.slow
def test_spark_reads_warcs_from_s3_in_its_executors(bucket, tmp_path):
    pytest.importorskip("pyspark")
    local = tmp_path / "local.jsonl"
    assert scrapy("extract", str(SAMPLE), str(REVISIT), "-o", str(local), archive=tmp_path).returncode == 0
    out = tmp_path / "spark"
    line = ("extract", "s3://archive/warc/", "--engine", "spark", "--master", "local[2]", "-o", f"{out}/", *bucket)
    run = scrapy(*line, archive=tmp_path, timeout=600)
    assert run.returncode == 0, run.log
    assert "2 tasks (files)" in run.log and items_in(out) == items_in(local)
    done = sorted(json.loads(p.read_text())["source"] for p in (out / DONE).glob("*.json"))
    assert done == [f"s3://archive/warc/2024/{w.name}" for w in sorted((REVISIT, SAMPLE), key=lambda w: w.name)]
    again = scrapy(*line, archive=tmp_path, timeout=600)
    assert again.returncode == 0 and "0 tasks" in again.log


def test_a_file_done_for_another_selection_is_done_again(tmp_path):
    warc = tmp_path / "a.warc.gz"
    warc.write_bytes(REVISIT.read_bytes())
    generic = OutputFolder(tmp_path / "out")
    generic.finish(warc, generic.open(warc), {"items": 2})
    assert generic.done(warc) is not None
    assert OutputFolder(tmp_path / "out", selection={"spider": "rferl"}).done(warc) is None


def test_a_whole_file_supersedes_the_ranges_of_it(tmp_path):
    warc = tmp_path / "a.warc.gz"
    warc.write_bytes(REVISIT.read_bytes())
    folder = OutputFolder(tmp_path / "out")
    for part in ("-r0000", "-r0001"):
        folder.finish(warc, folder.open(warc, part), {"items": 1}, part)
    assert folder.done(warc, "-r0001") is not None
    folder.finish(warc, folder.open(warc), {"items": 2})
    names = sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert names == sorted([f"{part_name(warc)}.jsonl", f"{part_name(warc)}.json"])  # no range left beside it


@pytest.mark.slow
def test_an_output_that_cannot_be_written_stops_the_run_with_one_line(tmp_path):
    import asyncio

    from scrapy.utils.project import get_project_settings

    from crawler.bulk.direct import OutputError, extract_groups
    from crawler.commands.extract import extraction_settings, plan_extraction

    settings = get_project_settings()
    from scrapy.spiderloader import SpiderLoader

    plan = plan_extraction(settings, SpiderLoader.from_settings(settings), [str(SAMPLE)], None, None)
    extraction_settings(settings, plan.warcs, {})

    def full_disk(item, response, spider):
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="No space left on device"):
        asyncio.run(extract_groups(plan.index, plan.groups.items(), settings, full_disk))
    url = scrapy("extract", str(SAMPLE), "--url", "https://x.example/", "-o", f"{tmp_path}/out/", archive=tmp_path)
    assert url.returncode == 2 and "--url writes one article" in url.log
    # A file in a folder that is not there yet: made, as a crawl's feed export makes it ...
    nested = scrapy("extract", str(SAMPLE), "-o", f"{tmp_path}/new/items.jsonl", archive=tmp_path)
    assert nested.returncode == 0 and len((tmp_path / "new" / "items.jsonl").read_text().splitlines()) == 3, nested.log
    # ... and one that cannot be made is one line, no traceback.
    (tmp_path / "a-file").write_text("")
    blocked = scrapy("extract", str(SAMPLE), "-o", f"{tmp_path}/a-file/items.jsonl", archive=tmp_path)
    assert blocked.returncode == 2 and f"cannot write {tmp_path}/a-file/items.jsonl" in blocked.log, blocked.log
    assert "Traceback" not in blocked.log
