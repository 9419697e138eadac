"""Cost of one tool call through the stdio server, against a direct httpx request to the same upstream.

Both hit the sandbox served by uvicorn on a loopback port (GET /v4/tags?per_page=50). The two are
measured interleaved in the same run, so machine noise hits both alike; the figure that matters is
the ratio of the medians.

Run: python benchmarks/latency.py [iterations]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

import httpx
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from kit_mcp.sandbox import SandboxState
from kit_mcp.sandbox.serve import running_sandbox

TOKEN = "benchmark-oauth-token"  # OAuth's 600 requests/minute keeps the client's pacing out of the way


async def measure(url: str, iterations: int) -> tuple[list[float], list[float]]:
    env = {"KIT_ACCESS_TOKEN": TOKEN, "KIT_API_URL": url}
    server = StdioServerParameters(command=sys.executable, args=["-m", "kit_mcp"], env=env)
    direct: list[float] = []
    tool: list[float] = []
    async with (
        httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as http,
        Client(server) as client,
    ):
        for _ in range(10):  # warm up both paths: connections, imports, caches
            await http.get("/v4/tags", params={"per_page": 50})
            await client.call_tool("list_tags", {"per_page": 50})
        for _ in range(iterations):
            started = time.perf_counter()
            response = await http.get("/v4/tags", params={"per_page": 50})
            response.json()
            direct.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = await client.call_tool("list_tags", {"per_page": 50})
            tool.append(time.perf_counter() - started)
            assert not result.is_error
    return direct, tool


def main() -> None:
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with running_sandbox(SandboxState()) as url:
        direct, tool = asyncio.run(measure(url, iterations))
    d, t = statistics.median(direct) * 1000, statistics.median(tool) * 1000
    print(f"{iterations} interleaved calls, GET /v4/tags?per_page=50 on a loopback sandbox")
    print(f"direct httpx: median {d:.2f} ms; list_tags over stdio: median {t:.2f} ms; ratio {t / d:.2f}")


if __name__ == "__main__":
    main()
