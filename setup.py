"""For scrapyd-deploy, which builds a Scrapyd egg with ``python setup.py bdist_egg``; everything
the package is (name, version, packages, the ``scrapy`` entry point) is in pyproject.toml."""

from setuptools import setup

setup()
