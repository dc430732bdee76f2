"""Keeping client faults out of the error log.

python-socketio, python-engineio and aiohttp log a full traceback at ERROR when a client
sends a frame they cannot parse. That is a client's mistake, not a bug of ours, and a
traceback can quote the frame. This filter turns such records into one WARNING line that
names the exception type only.
"""

from __future__ import annotations

import logging

LIBRARY_LOGGERS = ("steuntje.transport", "aiohttp.server")


class ClientFaultFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            kind = record.exc_info[0].__name__
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = (
                "dropped input a client sent that could not be parsed (%s)",
                (kind,),
            )
        return True


def transport_logger() -> logging.Logger:
    """The logger python-socketio and python-engineio get: warnings and up only (their INFO
    lines name session ids and events per message), client faults reduced to one line."""
    logger = logging.getLogger("steuntje.transport")
    logger.setLevel(logging.WARNING)
    return logger


def quiet_client_faults() -> None:
    """Install the filter once on the libraries' loggers."""
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ClientFaultFilter) for f in logger.filters):
            logger.addFilter(ClientFaultFilter())
