"""The parts of the README and of the bundle manifest that are built from the catalogue and the settings
table: `python -m kit_mcp.docs` rewrites them; a test fails when they disagree with the code."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kit_mcp.catalogue import CATALOGUE, TOOLSETS
from kit_mcp.kit_api import MATON_OPERATIONS, OPERATIONS
from kit_mcp.prompts import RECIPES
from kit_mcp.settings import markdown_table

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MANIFEST = ROOT / "manifests" / "mcpb" / "manifest.json"

# Kit's bulk operations, and the agent-scale tools that are to cover them (they are not tools yet).
PLANNED = {
    "POST /v4/bulk/subscribers": "upsert_subscribers",
    "POST /v4/bulk/tags": "create_tags",
    "DELETE /v4/bulk/tags": "delete_tags",
    "POST /v4/bulk/tags/subscribers": "tag_subscribers",
    "DELETE /v4/bulk/tags/subscribers": "untag_subscribers",
    "POST /v4/bulk/forms/subscribers": "add_subscribers_to_form",
    "POST /v4/bulk/custom_fields": "create_custom_fields",
    "POST /v4/bulk/custom_fields/subscribers": "update_custom_field_values",
}


def tools_table() -> str:
    """Every Kit v4 operation (and Maton's connection operations) with the tool that calls it."""
    by_key: dict[str, list[str]] = {}
    for op in CATALOGUE:
        for key in op.operations:
            by_key.setdefault(key, []).append(op.name)
    toolsets = {op.name: op.toolset for op in CATALOGUE}
    rows = ["| Kit operation | tool | toolset |", "|---|---|---|"]
    for operation in (*OPERATIONS, *MATON_OPERATIONS):
        names = by_key.get(operation.key, [])
        if names:
            tools = ", ".join(f"`{n}`" for n in names)
            toolset = ", ".join(sorted({toolsets[n] for n in names}))
        else:
            planned = PLANNED.get(f"{operation.method} {operation.path}")
            tools = f"planned: `{planned}` (bulk)" if planned else "—"
            toolset = ""
        marks = " (OAuth)" if operation.oauth_only else ""
        rows.append(f"| `{operation.method} {operation.path}`{marks} | {tools} | {toolset} |")
    return "\n".join(rows)


def toolsets_table() -> str:
    rows = ["| toolset | tools (**bold**: in the default set) |", "|---|---|"]
    for toolset in TOOLSETS:
        names = [f"**{op.name}**" if op.default else op.name for op in CATALOGUE if op.toolset == toolset]
        rows.append(f"| `{toolset}` | {', '.join(names)} |")
    return "\n".join(rows)


BLOCKS = {"tools": tools_table, "toolsets": toolsets_table, "settings": markdown_table}


def _filler(block: str) -> Callable[[re.Match[str]], str]:
    def fill(match: re.Match[str]) -> str:
        return match.group(1) + block + "\n" + match.group(2)

    return fill


def render_readme(text: str) -> str:
    for name, make in BLOCKS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> block")
        text = pattern.sub(_filler(make()), text)
    return text


def manifest_tools() -> list[dict[str, Any]]:
    """The bundle lists the tools a default install serves."""
    return [{"name": op.name, "description": op.doc} for op in CATALOGUE if op.default]


def manifest_prompts() -> list[dict[str, Any]]:
    """The prompts a default install offers, their arguments as the bundle's `${arguments.name}` placeholders."""
    served = {op.name for op in CATALOGUE if op.default}
    return [
        {
            "name": r.name,
            "description": r.description,
            "arguments": [name for name, _ in r.arguments],
            "text": r.render({name: f"${{arguments.{name}}}" for name, _ in r.arguments}),
        }
        for r in RECIPES
        if r.tools <= served
    ]


def render_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    return {**manifest, "tools": manifest_tools(), "prompts": manifest_prompts()}


def main() -> int:
    README.write_text(render_readme(README.read_text()))
    manifest = json.loads(MANIFEST.read_text())
    MANIFEST.write_text(json.dumps(render_manifest(manifest), indent=2, ensure_ascii=False) + "\n")
    print(f"rewrote {README.name} and {MANIFEST.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
