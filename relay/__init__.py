"""Steuntje relay: durable store-and-forward of opaque envelopes over Socket.IO."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("steuntje")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+unknown"
