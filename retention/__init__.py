"""Retention policies and purging (issue 5). Pure policy logic plus a thin storage adapter."""
