"""What a route handler is given (`Call`) and gives back (`Reply`, or a `Problem` for an error answer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kit_mcp.sandbox.store import Account, Row

Reply = tuple[int, Any]  # status and JSON-able payload; None means no body


class Problem(Exception):
    """An error answer in Kit's shape, `{"errors": [...]}`."""

    def __init__(self, status: int, *errors: str) -> None:
        super().__init__(status, errors)
        self.status = status
        self.errors = list(errors) or ["Not Found"]

    def payload(self) -> dict[str, Any]:
        return {"errors": self.errors}


class MatonProblem(Problem):
    """An error Maton itself answers (not passed through from Kit): `{"error": {"message": ...}}`."""

    def payload(self) -> dict[str, Any]:
        return {"error": {"message": self.errors[0]}}


class Malformed:
    """Stands for a request body that is not valid JSON; only handlers that read a body refuse it."""


MALFORMED = Malformed()


@dataclass
class Call:
    account: Account
    ids: dict[str, int]
    query: Mapping[str, str]
    body: Any

    def json(self) -> dict[str, Any]:
        """The body as a JSON object (no body reads as `{}`)."""
        if self.body is None:
            return {}
        if isinstance(self.body, Malformed):
            raise Problem(422, "Request body is not valid JSON")
        if not isinstance(self.body, dict):
            raise Problem(422, "Request body must be a JSON object")
        return self.body


def positive_id(raw: str) -> int:
    """A path id; Kit answers 404 for anything that is not a positive integer."""
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise Problem(404)
    return int(raw)


def found(table: Mapping[int, Row], key: int) -> Row:
    if key not in table:
        raise Problem(404)
    return table[key]
