"""Capture and replay: WARC records written as the bytes come off the wire, read back offline.

``capture`` (downloader middleware) decides what each exchange becomes, ``writer`` only appends,
rolls over and renames, ``recovery`` mends files a crash left open, ``replay`` serves a crawl from
the archive, ``item_records`` puts each extracted item beside its response.
"""
