"""Logging for every mode: one handler on stderr (in stdio mode stdout carries only protocol
messages), every line masked for secrets, and uvicorn's access lines without query strings."""

from __future__ import annotations

import logging
import sys

from kit_mcp.redact import RedactingFilter, Redactor


class PathOnlyAccessLog(logging.Filter):
    """uvicorn's access line is `%s - "%s %s HTTP/%s" %d` with the path and query as the third value.
    A query can carry a client token (`/mcp?access_token=...`) or an email address: keep the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].partition("?")[0], args[3], args[4])
        return True


# The SDK's SSE transports write whole protocol messages at DEBUG, tool results included (a webhook
# endpoint's signing secret, subscribers' addresses): their lines keep what happened, not the message.
_MESSAGE_DUMPS = {
    "mcp.server.sse": (
        "Sending message via SSE",
        "Received JSON",
        "Validated client message",
        "Sending session message to writer",
    ),
    "sse_starlette.sse": ("chunk",),
}


class NoMessageBodies(logging.Filter):
    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        prefix = next((p for p in self.prefixes if message.startswith(p)), None)
        if prefix is not None:
            record.msg, record.args = f"{prefix}: (content not logged)", None
        return True


def hide_message_bodies() -> None:
    """Attach `NoMessageBodies` to the loggers that dump messages (once; the hosted app calls it)."""
    for name, prefixes in _MESSAGE_DUMPS.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, NoMessageBodies) for f in logger.filters):
            logger.addFilter(NoMessageBodies(prefixes))


def setup_logging(level: str, redactor: Redactor) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, PathOnlyAccessLog) for f in access.filters):
        access.addFilter(PathOnlyAccessLog())
