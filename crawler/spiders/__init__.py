"""Base spiders: one per publishing platform, all built on ``ArchiveSpider``."""
