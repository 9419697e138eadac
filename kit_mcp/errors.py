"""Typed errors raised by the gateway client, each carrying text a model can act on.

    KitError                    base; str(error) is the message shown to the model
    ├── NotConfigured           no credential for the chosen backend
    ├── InvalidArgument         input rejected before any request was sent
    ├── KitHTTPError            Kit or Maton answered with an error status
    │   ├── Unauthorized        401
    │   ├── Forbidden           403
    │   ├── NotFound            404 (and 405 on a route Kit does not have)
    │   ├── Unprocessable       422, carries Kit's errors[]
    │   ├── RateLimited         429, carries retry_after seconds
    │   ├── NoConnection        400 from Maton: no usable Kit connection
    │   └── ServerError         5xx
    ├── NetworkError            timeout or dropped connection on a request safe to repeat
    ├── OutcomeUnknown          a non-repeatable write whose result is unknown
    └── BadUpstreamBody         a body that is not the JSON that was expected

The tool layer turns any KitError into an MCP tool error (`is_error`) in one place.
"""

from __future__ import annotations


class KitError(Exception):
    """Base class. The message is complete: it names what happened and what to do next."""


class NotConfigured(KitError):
    pass


class InvalidArgument(KitError):
    pass


class KitHTTPError(KitError):
    def __init__(self, message: str, *, status: int, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors or []


class Unauthorized(KitHTTPError):
    pass


class Forbidden(KitHTTPError):
    pass


class NotFound(KitHTTPError):
    pass


class Unprocessable(KitHTTPError):
    pass


class RateLimited(KitHTTPError):
    def __init__(self, message: str, *, status: int = 429, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class NoConnection(KitHTTPError):
    pass


class ServerError(KitHTTPError):
    pass


class NetworkError(KitError):
    pass


class OutcomeUnknown(KitError):
    pass


class BadUpstreamBody(KitError):
    pass


def unexpected_answer(upstream: str, status: int | None = None) -> BadUpstreamBody:
    """The one error for an answer that is not what Kit's API describes. It quotes nothing of the body:
    a body that is not what Kit sends may hold anything, a credential echoed back included."""
    detail = f"HTTP {status}, not the JSON its API describes" if status else "not the shape its API describes"
    return BadUpstreamBody(
        f"{upstream} answered something unexpected ({detail}), so the result could not be read. The request may "
        "have been carried out; check with the matching get_ or list_ tool before repeating a change. If it "
        "persists, the upstream service is misbehaving."
    )
