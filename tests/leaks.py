"""Finding a secret in text, written independently of kit_mcp.redact: any run of 8 characters of the
secret as is, URL-encoded, or base64-encoded (at each byte alignment) counts as a leak."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

RUN = 8


def _encodings(secret: str) -> set[str]:
    out = {secret, quote(secret, safe=""), quote_plus(secret, safe="")}
    raw = secret.encode()
    for pad in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\x00" * pad + raw + b"\x00\x00").decode()
            # Keep the characters that depend on the secret's bytes only.
            out.add(text[(pad * 4 + 2) // 3 : ((pad + len(raw)) // 3) * 4])
    return {e for e in out if len(e) >= RUN}


def leaks(text: str, secrets: Iterable[str]) -> list[str]:
    """Each secret (shown by its first 4 characters only) of which some 8-character run appears in `text`."""
    found = []
    for secret in secrets:
        for form in _encodings(secret):
            if any(form[i : i + RUN] in text for i in range(len(form) - RUN + 1)):
                found.append(secret[:4] + "...")
                break
    return found


class LeakFinder:
    """`leaks` for many secrets over a lot of text: every 8-character window of every encoding of every
    secret goes in one set, and only runs of characters that occur in some secret are looked at."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._owner: dict[str, str] = {}
        for secret in secrets:
            for form in _encodings(secret):
                for i in range(len(form) - RUN + 1):
                    self._owner.setdefault(form[i : i + RUN], secret[:4] + "...")
        alphabet = "".join(sorted({c for gram in self._owner for c in gram}))
        self._runs = re.compile(f"[{re.escape(alphabet)}]{{{RUN},}}") if alphabet else None

    def find(self, text: str) -> set[str]:
        found: set[str] = set()
        if self._runs is None:
            return found
        owner = self._owner
        for run in self._runs.finditer(text):
            word = run.group()
            for i in range(len(word) - RUN + 1):
                if (secret := owner.get(word[i : i + RUN])) is not None:
                    found.add(secret)
        return found


# What the whole suite checks at its end (tests/conftest.py): every credential any test used, against
# every tool result and error the tests saw, every log line, and every file tests wrote (subprocess logs).
IN_USE: set[str] = set()
OUTPUTS: list[str] = []


def in_use(*secrets: str) -> None:
    IN_USE.update(s for s in secrets if len(s) >= RUN)


def seen(*texts: str) -> None:
    OUTPUTS.extend(texts)
