"""No credential appears in any tool result, error text or log line."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kit_mcp.redact import MASK, RedactingFilter, Redactor
from kit_mcp.sandbox import Fault
from tests.helpers import KIT_KEY, KIT_TOKEN, MATON_KEY, SECRETS, kit_settings, maton_settings, mcp_client, text


async def test_no_secret_in_results_errors_or_logs(sandbox: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    outputs: list[str] = []
    configurations = [
        (kit_settings(sandbox.url), KIT_KEY),
        (kit_settings(sandbox.url, token=True), KIT_TOKEN),
        (maton_settings(sandbox.url), MATON_KEY),
    ]
    for settings, secret in configurations:
        # Upstream bodies that echo the server's own credential back must still come out masked.
        sandbox.state.faults.add(Fault(status=401, body=f'{{"errors":["key {secret} is invalid"]}}'))
        sandbox.state.faults.add(Fault(status=200, body=f"<html>{secret}</html>"))
        sandbox.state.faults.add(Fault(status=500, body=f"trace: {secret}", times=3))
        sandbox.state.faults.add(Fault(status=200, body="{}", drop=True, method="PUT"))
        async with mcp_client(settings) as client:
            outputs.append(repr((await client.list_tools()).tools))
            for name, args in [
                ("list_tags", {}),
                ("list_tags", {}),
                ("list_tags", {"per_page": 1}),
                ("get_subscriber", {"subscriber_id": 5}),
                ("update_tag", {"tag_id": 1, "name": "x"}),
                ("list_connections", {}),
                ("create_connection", {}),
            ]:
                result = await client.call_tool(name, args)
                outputs.append(text(result))
                outputs.append(repr(result.structured_content))
    everything = "\n".join(outputs + [r.getMessage() for r in caplog.records])
    for secret in SECRETS:
        assert secret not in everything, f"{secret[:10]}... leaked"
    assert everything.count(MASK) >= 6, "the echoed secrets should show up masked"
    assert any("/v4/" in r.getMessage() for r in caplog.records), "requests should have been logged"
    # Each configuration's credential did reach the sandbox, so the masking above was tested for real.
    sent = {r.headers.get("x-kit-api-key") or r.headers.get("authorization") for r in sandbox.state.journal}
    assert {KIT_KEY, f"Bearer {KIT_TOKEN}", f"Bearer {MATON_KEY}"} <= sent


def test_redacting_filter_masks_messages_args_and_tracebacks(capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("kit_mcp.test_redaction")
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter(Redactor([KIT_KEY, MATON_KEY])))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("key=%s", KIT_KEY)
        try:
            raise RuntimeError(f"bad {MATON_KEY}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    err = capsys.readouterr().err
    assert KIT_KEY not in err and MATON_KEY not in err
    assert err.count(MASK) == 2 and "RuntimeError" in err


def test_short_values_are_not_treated_as_secrets() -> None:
    assert Redactor(["abc"])("abc def") == "abc def"
    assert Redactor([KIT_TOKEN])(f"x{KIT_TOKEN}y") == f"x{MASK}y"
