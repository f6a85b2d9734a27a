"""Data in and out: the export format, importers from other helpdesks (docs/data-export.md)."""
