"""Item pipelines: item work only (records of what was extracted, text files)."""
