"""Rendering of pages and self-contained reports; the templates live in the top-level reports/."""
