"""The HTTP side: JSON API and HTML pages, thin routes over service and repository functions."""
