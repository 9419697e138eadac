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
