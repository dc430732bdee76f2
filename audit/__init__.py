"""Tamper-evident audit log (issue 6). Pure Merkle logic plus a thin storage adapter."""
