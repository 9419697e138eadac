"""Finding a secret in text, written independently of kit_mcp.redact: any run of 8 characters of the
secret as is, URL-encoded, or base64-encoded (at each byte alignment) counts as a leak."""

from __future__ import annotations

import base64
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
