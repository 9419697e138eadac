"""MCP prompts for requests people often make, declared as data: what the user asks, the arguments, and the
steps (which tool, with which arguments) the model should take. The prompt's text is written from the steps,
a server offers a prompt only when it serves every tool the prompt uses, and the tests run each prompt's
steps against the sandbox, so a prompt cannot name a tool or an argument that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS


@dataclass(frozen=True)
class Step:
    """One step: the tool, the arguments it is given, and the words around it ({name}: a prompt argument)."""

    tool: str
    args: tuple[str, ...]
    say: str


@dataclass(frozen=True)
class Recipe:
    name: str
    title: str
    description: str
    arguments: tuple[tuple[str, str], ...]  # (name, description); all required
    goal: str
    steps: tuple[Step, ...]
    finish: str

    @property
    def tools(self) -> frozenset[str]:
        return frozenset(step.tool for step in self.steps)

    def render(self, args: Mapping[str, str]) -> str:
        lines = [self.goal.format(**args), ""]
        for number, step in enumerate(self.steps, 1):
            given = ", ".join(a.format(**args) for a in step.args)
            lines.append(f"{number}. `{step.tool}`{f' ({given})' if given else ''}: {step.say.format(**args)}")
        lines += ["", self.finish.format(**args)]
        return "\n".join(lines)


RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "tag_form_subscribers",
        "Tag everyone who joined through a form",
        "Tag every subscriber of a form (say, the webinar form) with a tag, created if needed.",
        (("form", "the form's name or id"), ("tag", "the tag's name")),
        "Tag everyone who joined through the form {form} with the tag {tag}.",
        (
            Step("list_forms", ("status=all",), "find the form {form} and its id; if several match, ask which."),
            Step("create_tag", ("name",), 'create the tag "{tag}" (or get the existing one) and its id.'),
            Step(
                "list_form_subscribers",
                ("form_id", "status=all", "max_items=10000"),
                "every subscriber of the form in one call (if it stops early, pass next_cursor as `after`).",
            ),
            Step(
                "tag_subscribers",
                ("tag_id", "subscriber_ids"),
                "tag them all in one call (dry_run=true first shows what would change); tagging may start "
                "automations. If it returns resume, call again with it and the same arguments.",
            ),
            Step("list_tag_subscribers", ("tag_id", "per_page=1"), "check: total_count is the number tagged."),
        ),
        "Say how many were newly tagged, how many already had the tag, and any that failed with the reason.",
    ),
    Recipe(
        "onboard_to_sequence",
        "Onboard a list of emails into a sequence",
        "Make sure each email is a subscriber, then enrol each in a sequence (which starts its emails).",
        (("sequence", "the sequence's name or id"), ("emails", "the email addresses, separated by commas")),
        "Onboard these emails into the sequence {sequence}: {emails}.",
        (
            Step("list_sequences", (), "find the sequence {sequence} and its id; if several match, ask which."),
            Step(
                "upsert_subscribers",
                ("subscribers",),
                "make each email a subscriber in one call: new ones are added, existing ones come back unchanged.",
            ),
            Step(
                "add_subscribers_to_sequence",
                ("sequence_id", "email_addresses"),
                "enrol them all in one call; the sequence's first email follows its schedule.",
            ),
            Step("list_sequence_subscribers", ("sequence_id", "per_page=1"), "check: total_count grew."),
        ),
        "Report how many were new, already subscribers, and enrolled; name any that failed and why.",
    ),
    Recipe(
        "clean_bounced_and_complained",
        "Clean up bounced and complained subscribers",
        "Find subscribers whose email bounced or who marked mail as spam, and unsubscribe them once approved.",
        (),
        "Clean up the subscribers whose email bounced or who complained (marked an email as spam).",
        (
            Step(
                "list_subscribers",
                ("status=bounced", "max_items=10000"),
                "every bounced subscriber in one call (if it stops early, pass next_cursor as `after`).",
            ),
            Step(
                "list_subscribers",
                ("status=complained", "max_items=10000"),
                "the same for complained subscribers.",
            ),
            Step(
                "unsubscribe_subscriber",
                ("subscriber_id",),
                "only after the user has seen the counts and agreed: unsubscribe each (their state becomes "
                "cancelled; Kit already sends them nothing). The user may be asked to confirm each one.",
            ),
        ),
        "Report how many bounced and complained subscribers were found and how many were unsubscribed.",
    ),
    Recipe(
        "growth_report",
        "Growth report for a date range",
        "New subscribers, cancellations, email engagement and broadcasts sent between two dates.",
        (("starting", "first day, YYYY-MM-DD"), ("ending", "last day, YYYY-MM-DD")),
        "Write a growth report for {starting} to {ending}.",
        (
            Step("get_growth_stats", ("starting", "ending"), "new subscribers, cancellations and the net change."),
            Step("get_email_stats", (), "sends, opens and clicks of the last 90 days, for context."),
            Step(
                "list_broadcast_stats",
                ("sent_after={starting}", "sent_before={ending}", "max_items=1000"),
                "each broadcast sent in the range, with its open and click rates.",
            ),
        ),
        "Summarise the growth, the best and worst broadcasts by open and click rate, and one or two observations.",
    ),
)


class RecipePrompt(Prompt):
    """A recipe as an MCP prompt; missing or unknown arguments are an invalid-params error that names them
    (the SDK's own check answers an internal error)."""

    async def render(self, arguments: dict[str, Any] | None, context: Any) -> Any:
        given = arguments or {}
        wanted = {a.name: a.description for a in self.arguments or []}
        missing = [f"{n} ({d})" for n, d in wanted.items() if not str(given.get(n) or "").strip()]
        unknown = sorted(set(given) - set(wanted))
        if missing or unknown:
            problems = [f"{self.name} needs {', '.join(missing)}."] if missing else []
            problems += [f"It takes no {', '.join(unknown)}."] if unknown else []
            raise MCPError(INVALID_PARAMS, " ".join(problems))
        return await super().render(given, context)


def prompt(recipe: Recipe) -> Prompt:
    async def render(**args: str) -> str:
        return recipe.render(args)

    return RecipePrompt(
        name=recipe.name,
        title=recipe.title,
        description=recipe.description,
        arguments=[PromptArgument(name=n, description=d, required=True) for n, d in recipe.arguments],
        fn=render,
        context_kwarg=None,
    )


def prompts_for(tools: Iterable[str]) -> list[Prompt]:
    """The prompts whose every tool is served."""
    served = set(tools)
    return [prompt(r) for r in RECIPES if r.tools <= served]


def step_args(step: Step, args: Mapping[str, str]) -> dict[str, Any]:
    """A step's arguments by name, with the value the step gives (`status=all`) or None (the model's choice)."""
    out: dict[str, Any] = {}
    for given in step.args:
        name, _, value = given.partition("=")
        out[name] = value.format(**args) if value else None
    return out
