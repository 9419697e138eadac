"""The server's prompts: offered only with their tools, rendered from their steps, and each prompt's steps
run against the sandbox over HTTP through an MCP client, as a model following the prompt would run them. A
`Follow` only lets a test call the step it names, with the step's arguments, so a prompt whose steps name a
wrong tool or argument fails here."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from kit_mcp.catalogue import BY_NAME, DEFAULT
from kit_mcp.catalogue.build import input_model
from kit_mcp.catalogue.select import Selection
from kit_mcp.prompts import RECIPES, Recipe, step_args
from tests.helpers import call, kit_settings, mcp_client

BY_RECIPE = {r.name: r for r in RECIPES}


class Follow:
    """Runs a recipe's steps: `await follow(n, **args)` calls step n's tool, checking the arguments against
    the step (only its arguments, with the values it gives)."""

    def __init__(self, kit: Client, recipe: Recipe, prompt_args: dict[str, str]) -> None:
        self.kit, self.recipe, self.prompt_args = kit, recipe, prompt_args
        self.done: set[int] = set()

    async def __call__(self, number: int, **args: Any) -> dict[str, Any]:
        step = self.recipe.steps[number - 1]
        allowed = step_args(step, self.prompt_args)
        assert set(args) <= set(allowed), f"step {number} ({step.tool}) takes {sorted(allowed)}, got {sorted(args)}"
        for name, value in allowed.items():
            if value is not None and name != "after":
                assert str(args.get(name)) == value, f"step {number}: {name} should be {value}"
        self.done.add(number)
        return await call(self.kit, step.tool, **args)

    async def pages(self, number: int, items: str, **args: Any) -> list[dict[str, Any]]:
        """Every page of a list step, following next_cursor as `after`."""
        out: list[dict[str, Any]] = []
        after = None
        while True:
            page = await self(number, **args, **({"after": after} if after else {}))
            out += page[items]
            after = page["next_cursor"]
            if after is None:
                return out

    def finished(self) -> None:
        assert self.done == set(range(1, len(self.recipe.steps) + 1)), "every step was taken"


def client(sandbox: Any) -> Any:
    return mcp_client(kit_settings(sandbox.url, token=True), Selection.of(["all"]))


def test_every_step_names_a_tool_and_its_arguments() -> None:
    for recipe in RECIPES:
        for step in recipe.steps:
            assert step.tool in BY_NAME, f"{recipe.name}: no tool {step.tool}"
            fields = input_model(BY_NAME[step.tool]).model_fields
            names = {a.partition("=")[0] for a in step.args}
            assert names <= set(fields), f"{recipe.name}: {step.tool} has no {sorted(names - set(fields))}"


async def test_prompts_are_offered_with_their_tools(sandbox: Any) -> None:
    async with mcp_client(kit_settings(sandbox.url)) as kit:
        default = {p.name for p in (await kit.list_prompts()).prompts}
    async with client(sandbox) as kit:
        every = (await kit.list_prompts()).prompts
    assert default == {r.name for r in RECIPES if r.tools <= set(DEFAULT)}
    assert {"tag_form_subscribers", "onboard_to_sequence"} <= default, "the everyday ones need only the default set"
    assert {p.name for p in every} == set(BY_RECIPE)
    for listed in every:
        recipe = BY_RECIPE[listed.name]
        assert [(a.name, a.required) for a in listed.arguments or []] == [(n, True) for n, _ in recipe.arguments]


async def test_a_prompt_reads_as_its_steps_with_the_arguments_filled(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        got = await kit.get_prompt("growth_report", {"starting": "2026-01-01", "ending": "2026-03-31"})
    [message] = got.messages
    text = message.content.text  # type: ignore[union-attr]
    assert text.startswith("Write a growth report for 2026-01-01 to 2026-03-31.")
    assert "`list_broadcast_stats` (sent_after=2026-01-01, sent_before=2026-03-31, max_items=1000)" in text
    assert all(f"`{step.tool}`" in text for step in BY_RECIPE["growth_report"].steps)


async def test_tag_form_subscribers_steps(sandbox: Any) -> None:
    args = {"form": "Webinar signup", "tag": "webinar-2026"}
    async with client(sandbox) as kit:
        follow = Follow(kit, BY_RECIPE["tag_form_subscribers"], args)
        forms = (await follow(1, status="all"))["forms"]
        [form] = [f for f in forms if f["name"] == args["form"]]
        tag = (await follow(2, name=args["tag"]))["tag"]
        members = (await follow(3, form_id=form["id"], status="all", max_items=10000))["subscribers"]
        tagged = await follow(4, tag_id=tag["id"], subscriber_ids=[m["id"] for m in members])
        check = await follow(5, tag_id=tag["id"], per_page=1)
    follow.finished()
    ids = {m["id"] for m in members}
    assert len(ids) == len(members) == 150, "the seeded webinar form's members, each once"
    assert (tagged["succeeded"], tagged["unchanged"], tagged["failed"]) == (150, 0, 0)
    assert check["total_count"] == len(ids)


async def test_onboard_to_sequence_steps(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        first = (await call(kit, "list_sequences"))["sequences"][0]
        known = (await call(kit, "list_subscribers", per_page=1))["subscribers"][0]["email_address"]
        emails = ["new.one@example.com", "new.two@example.com", known]
        args = {"sequence": first["name"], "emails": ", ".join(emails)}
        follow = Follow(kit, BY_RECIPE["onboard_to_sequence"], args)
        [sequence] = [s for s in (await follow(1))["sequences"] if s["name"] == args["sequence"]]
        made = await follow(2, subscribers=[{"email_address": e} for e in emails])
        enrol = await follow(3, sequence_id=sequence["id"], email_addresses=emails)
        check = await follow(4, sequence_id=sequence["id"], per_page=1)
        enrolled = await call(kit, "list_sequence_subscribers", sequence_id=sequence["id"], per_page=1000)
    follow.finished()
    assert (made["succeeded"], made["unchanged"], made["unchanged_items"]) == (2, 1, [known]), "two new, one there"
    assert enrol["failed"] == 0 and enrol["succeeded"] + enrol["unchanged"] == 3
    assert set(emails) <= {s["email_address"] for s in enrolled["subscribers"]}
    assert check["total_count"] == len(enrolled["subscribers"])


async def test_clean_bounced_and_complained_steps(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        follow = Follow(kit, BY_RECIPE["clean_bounced_and_complained"], {})
        bounced = (await follow(1, status="bounced", max_items=10000))["subscribers"]
        complained = (await follow(2, status="complained", max_items=10000))["subscribers"]
        for subscriber in bounced + complained:
            await follow(3, subscriber_id=subscriber["id"])
        left = [
            (await call(kit, "list_subscribers", status=state))["subscribers"] for state in ("bounced", "complained")
        ]
        cancelled = {
            s["id"] for s in (await call(kit, "list_subscribers", status="cancelled", per_page=1000))["subscribers"]
        }
    follow.finished()
    assert bounced and complained, "the seeded account has both"
    assert left == [[], []]
    assert {s["id"] for s in bounced + complained} <= cancelled


async def test_growth_report_steps(sandbox: Any) -> None:
    args = {"starting": "2026-01-01", "ending": "2026-11-30"}
    async with client(sandbox) as kit:
        follow = Follow(kit, BY_RECIPE["growth_report"], args)
        growth = await follow(1, starting=args["starting"], ending=args["ending"])
        email = await follow(2)
        page = await follow(3, sent_after=args["starting"], sent_before=args["ending"], max_items=1000)
        broadcasts = page["broadcasts"]
    follow.finished()
    assert growth and email
    assert isinstance(broadcasts, list) and page["next_cursor"] is None, "every page read in one call"


async def test_a_prompt_without_its_arguments_is_refused_by_name(sandbox: Any) -> None:
    async with client(sandbox) as kit:
        with pytest.raises(MCPError) as missing:
            await kit.get_prompt("tag_form_subscribers", {"tag": "x", "colour": "red"})
        with pytest.raises(MCPError) as blank:
            await kit.get_prompt("growth_report", {"starting": " ", "ending": "2026-01-31"})
    assert missing.value.code == INVALID_PARAMS
    assert missing.value.message == "tag_form_subscribers needs form (the form's name or id). It takes no colour."
    assert blank.value.message == "growth_report needs starting (first day, YYYY-MM-DD)."
