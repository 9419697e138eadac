"""Keep credentials out of every tool result, error text and log line.

A secret is masked wherever any run of `MIN_RUN` or more of its characters appears, so a secret cut
in half by truncation, or echoed in part by an upstream, still leaves nothing usable behind. Its
URL-encoded and base64 forms (as in a query string or an `Authorization: Basic` header) are masked
the same way. Secrets shorter than `MIN_RUN` cannot be masked without blanking ordinary words:
settings and the gatekeeper refuse credentials that short.

Besides its own secrets, every `Redactor` masks those of the request being served
(`secrets_in_scope`), so a tenant's credential is masked in every log line and error written
while its request runs, whichever logger writes it.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
MIN_RUN = 8


def _base64_runs(raw: bytes) -> Iterator[str]:
    """The part of the base64 text that is fixed by `raw` alone, at each of the three byte alignments
    `raw` can have inside a longer encoded value (`user:secret`), in standard and URL-safe alphabets."""
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode().rstrip("=")
        # Characters that mix in the bytes before (the prefix) or after (the unknown tail) are dropped.
        head = -(-offset * 4 // 3)  # ceil(offset * 4 / 3)
        tail = (offset + len(raw)) % 3
        stable = encoded[head : len(encoded) - (1 if tail else 0)]
        yield stable
        yield stable.replace("+", "-").replace("/", "_")


def forms(secret: str) -> set[str]:
    """The ways a secret may be written out: as is, URL-encoded, base64."""
    found = {secret, quote(secret, safe=""), quote_plus(secret, safe="")}
    found |= {f.lower() for f in found if "%" in f}  # percent-escapes in either case
    found.update(_base64_runs(secret.encode()))
    return {f for f in found if len(f) >= MIN_RUN}


class Redactor:
    def __init__(self, secrets: Iterable[str] = (), *, scoped: bool = True) -> None:
        # Every MIN_RUN-character window of every form of every secret.
        self._grams: set[str] = set()
        self._alphabet: set[str] = set()
        self._chars: re.Pattern[str] | None = None
        self._scoped = scoped
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        before = len(self._grams)
        for secret in secrets:
            if len(secret) < MIN_RUN:
                continue
            for form in forms(secret):
                self._grams.update(form[i : i + MIN_RUN] for i in range(len(form) - MIN_RUN + 1))
                self._alphabet.update(form)
        if len(self._grams) != before:
            # Only runs made entirely of characters that occur in some secret can hold a window of one:
            # the regex finds them at C speed, and only their windows are looked up.
            chars = "".join(sorted(self._alphabet))
            self._chars = re.compile(f"[{re.escape(chars)}]{{{MIN_RUN},}}")

    def mask(self, text: str) -> str:
        """This redactor's own secrets masked; the request's scoped secrets are left to `__call__`."""
        if self._chars is None:
            return text
        grams = self._grams
        spans: list[tuple[int, int]] = []
        for run in self._chars.finditer(text):
            start, end = run.span()
            for i in range(start, end - MIN_RUN + 1):
                if text[i : i + MIN_RUN] in grams:
                    if spans and i <= spans[-1][1]:
                        spans[-1] = (spans[-1][0], i + MIN_RUN)
                    else:
                        spans.append((i, i + MIN_RUN))
        if not spans:
            return text
        out: list[str] = []
        last = 0
        for start, end in spans:
            out.append(text[last:start])
            out.append(MASK)
            last = end
        out.append(text[last:])
        return "".join(out)

    def __call__(self, text: str) -> str:
        text = self.mask(text)
        if self._scoped:
            scoped = _scoped.get()
            if scoped is not None and scoped is not self:
                text = scoped.mask(text)
        return text


_scoped: ContextVar[Redactor | None] = ContextVar("kit_mcp_scoped_secrets", default=None)


@contextmanager
def secrets_in_scope(redactor: Redactor | None) -> Iterator[None]:
    """Mask `redactor`'s secrets too, in everything written from this context (the request's task and
    the tasks it starts)."""
    token = _scoped.set(redactor)
    try:
        yield
    finally:
        _scoped.reset(token)


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's final message, whatever handler or formatter prints it."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redactor(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks are formatted later from exc_info; pre-format and mask them here.
            record.exc_text = self.redactor(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redactor(record.exc_text)
        return True
