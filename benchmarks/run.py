"""kit-mcp's figures, each beside its baseline measured in the same run, as medians and ratios; with --peers, the
same figures for four public Kit MCP servers side by side.

Everything talks to the Kit sandbox served over HTTP on a loopback port (`kit-mcp sandbox`, its own process).
Timed pairs are interleaved call by call (or round by round), so a noisy machine slows both alike; the figure to
quote is the ratio of the medians.

  1. tokens the model is given per tool set (cl100k_base): compact JSON of {name, description, inputSchema};
     sum and mean for the default set and for `all`, the 10 most expensive tools     [default <= 2,000; all <= 5,500]
  2. a 100-subscriber page: the text block the model reads / Kit's raw JSON for the same request, in tokens;
     every id, email, first name, state and the next cursor must be in the text                         [<= 0.25]
  3. list_subscribers per_page=100 over stdio, bare JSON-RPC client / httpx GET of the same URL + JSON parse
                                                                                                         [<= 2.0x]
  4. the same through the Python MCP SDK's client (stdio_client + ClientSession)                        [<= 3.0x]
  5. cold start: process start to the tools/list answer / `python -c "import mcp, httpx, pydantic"`      [<= 1.0x]
  6. hosted (`--transport http --stateless`), 8 concurrent clients doing list_tags with JSON-RPC POSTs /
     8 concurrent httpx GETs of the same URL: calls per second                                           [>= 0.5x]
  7. VmRSS of the stdio server after start and after --calls calls (the report uses 10,000)         [growth < 20 MB]
  --profile: the server side of figure 3 under cProfile, top functions.

Run from the repository root:  python benchmarks/run.py [--peers /work/peers] [--calls 10000] [--profile]
The peers' work trees are built outside the repository (see servers.py); nothing of theirs is kept here.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import figures as fig
from harness import LOGS, Sandbox, ServerSpec, median, ms, node_binary, quantile, running, verdict
from servers import kit_mcp, kit_mcp_all, peer_specs

TARGETS = {
    "1d": "<= 2,000",
    "1a": "<= 5,500",
    "2": "<= 0.25",
    "3": "<= 2.0x",
    "4": "<= 3.0x",
    "5": "<= 1.0x",
    "6": ">= 0.5x",
    "7": "< 20 MB",
}


def out(line: str = "") -> None:
    print(line, flush=True)


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.wanted = set(args.figures.split(","))
        self.sandbox = Sandbox()
        self.kit = kit_mcp(self.sandbox.url)
        self.peers: list[ServerSpec] = []
        self.left_out: list[str] = []
        if args.peers:
            node = node_binary(args.peers, args.node)
            if node is None:
                self.left_out.append("all peers: no Node binary (give --node)")
            else:
                self.peers, self.left_out = peer_specs(args.peers.resolve(), node, self.sandbox.url)
        self.servers = [self.kit, *self.peers]
        if args.servers:
            chosen = {name.strip() for name in args.servers.split(",")}
            self.servers = [s for s in self.servers if s.name in chosen]
        # Summary cells: figure -> server name -> text.
        self.cells: dict[str, dict[str, str]] = {}
        self.urls: dict[str, str] = {}

    def cell(self, figure: str, server: str, text: str) -> None:
        self.cells.setdefault(figure, {})[server] = text

    def each(self, figure: str, specs: list[ServerSpec], measure: Callable[[ServerSpec], None]) -> None:
        for spec in specs:
            try:
                measure(spec)
            except Exception as exc:
                out(f"  {spec.name}: FAILED: {type(exc).__name__}: {exc}")
                if self.args.verbose:
                    traceback.print_exc()
                self.cell(figure, spec.name, "failed")

    # -- 1 and 2 -----------------------------------------------------------------------------------------------------

    def tokens_and_page(self) -> None:
        if "1" in self.wanted:
            self.tokens()
        if "2" in self.wanted:
            self.page()

    def tokens(self) -> None:
        out("== 1. Tokens the model is given per tool (cl100k_base; compact JSON of name, description, inputSchema)")
        kit_all = kit_mcp_all(self.sandbox.url)
        for spec, key in ((self.kit, "1d"), (kit_all, "1a")) if self.kit in self.servers else ():
            with running(spec) as server:
                found = fig.tool_tokens(server)
            limit = 2000 if key == "1d" else 5500
            ok = found.total <= limit
            out(
                f"  {spec.name:<28} {len(found.per_tool):>3} tools: sum {found.total:>6,}, mean {found.mean:6.1f} "
                f"tokens; tools/list answer {found.answer_bytes:,} bytes  [{TARGETS[key]}: {verdict(ok)}]"
            )
            self.cell(key, "kit-mcp", f"{found.total:,} ({len(found.per_tool)} tools, mean {found.mean:.0f})")
            if key == "1a":
                top = sorted(found.per_tool.items(), key=lambda kv: -kv[1])[:10]
                out("  10 most expensive (all): " + ", ".join(f"{name} {n}" for name, n in top))

        def peer_tokens(spec: ServerSpec) -> None:
            with running(spec) as server:
                found = fig.tool_tokens(server)
            out(
                f"  {spec.name:<28} {len(found.per_tool):>3} tools: sum {found.total:>6,}, mean {found.mean:6.1f} "
                f"tokens; tools/list answer {found.answer_bytes:,} bytes"
            )
            self.cell("1a", spec.name, f"{found.total:,} ({len(found.per_tool)} tools, mean {found.mean:.0f})")

        self.each("1a", [s for s in self.servers if s is not self.kit], peer_tokens)
        out()

    def page(self) -> None:
        out("== 2. A 100-subscriber page: tokens of the text the model reads / of Kit's raw JSON for the same request")

        def measure(spec: ServerSpec) -> None:
            with running(spec) as server:
                found = fig.page(server, self.sandbox)
            missing = ", ".join(f"{n} {kind}s" for kind, n in found.missing.items() if n)
            cursor = {None: "no next page", True: "next cursor kept", False: "next cursor MISSING"}[found.cursor_kept]
            complete = "all ids, emails, first names, states kept" if not missing else f"MISSING {missing}"
            target = (
                f"  [{TARGETS['2']}: {verdict(found.ratio <= 0.25 and found.complete)}]" if spec is self.kit else ""
            )
            out(
                f"  {spec.name:<28} text {found.text_tokens:>6,} / raw {found.raw_tokens:>6,} tokens = "
                f"{found.ratio:.3f}; {complete}; {cursor}{target}"
            )
            out(f"  {'':<28} ({found.subscribers} subscribers; GET {found.url}; {found.upstream_requests} request(s))")
            flag = "" if found.complete else " (incomplete)"
            self.cell("2", spec.name, f"{found.ratio:.3f}{flag}")

        self.each("2", self.servers, measure)
        out()

    # -- 3 and 4 -----------------------------------------------------------------------------------------------------

    def latency(self) -> None:
        n = self.args.iterations
        if "3" in self.wanted:
            out(f"== 3. list_subscribers per_page=100 over stdio, bare JSON-RPC client, {n} calls interleaved with")
            out("       httpx GET of the same URL + JSON parse (medians; p90)")

        def bare(spec: ServerSpec) -> None:
            found = fig.latency_bare(spec, self.sandbox, n)
            self.urls[spec.name] = found.url
            self.report_latency("3", spec, found, 2.0)

        if "3" in self.wanted:
            self.each("3", self.servers, bare)
            out()
        if "4" not in self.wanted:
            return
        out(f"== 4. The same through the Python MCP SDK's client (stdio_client + ClientSession), {n} calls")
        out("       interleaved with httpx.AsyncClient GETs of the same URL + JSON parse in the same event loop")

        def sdk(spec: ServerSpec) -> None:
            url = self.urls.get(spec.name) or fig.upstream_url(spec, self.sandbox)
            self.report_latency("4", spec, fig.latency_sdk(spec, self.sandbox, n, url), 3.0)

        self.each("4", self.servers, sdk)
        out()

    def report_latency(self, figure: str, spec: ServerSpec, found: fig.Latency, limit: float) -> None:
        s, d = median(found.server), median(found.direct)
        ratio = s / d
        target = f"  [{TARGETS[figure]}: {verdict(ratio <= limit)}]" if spec is self.kit else ""
        extra = f"; {found.processes} processes (pacing budget)" if found.processes > 1 else ""
        upstream = ""
        if found.upstream_requests:
            upstream = f"; {found.upstream_requests / len(found.server):.2f} upstream requests a call"
        out(
            f"  {spec.name:<28} server {ms(s)} (p90 {ms(quantile(found.server, 0.9))}), direct {ms(d)} "
            f"(p90 {ms(quantile(found.direct, 0.9))}): ratio {ratio:.2f}x{target}"
        )
        if found.direct_sync:
            sync = median(found.direct_sync)
            extra += f"; figure 3's blocking httpx.Client {ms(sync)}: ratio {s / sync:.2f}x"
        out(f"  {'':<28} ({len(found.server)} {'triples' if found.direct_sync else 'pairs'}{upstream}{extra})")
        self.cell(figure, spec.name, f"{ratio:.2f}x ({ms(s)} vs {ms(d)})")

    # -- 5 -----------------------------------------------------------------------------------------------------------

    def cold(self) -> None:
        runs = self.args.cold_runs
        out(
            "== 5. Cold start: process start to the tools/list answer over stdio / "
            f'`python -c "{fig.BASELINE_IMPORT[-1]}"`'
        )
        out(f"       (whole processes, {runs} runs each alternated after one uncounted; medians, min-max)")

        def measure(spec: ServerSpec) -> None:
            found = fig.cold_start(spec, runs)
            s, b = median(found.server), median(found.baseline)
            target = f"  [{TARGETS['5']}: {verdict(s / b <= 1.0)}]" if spec is self.kit else ""
            out(
                f"  {spec.name:<28} {ms(s)} ({ms(min(found.server))}-{ms(max(found.server))}), baseline {ms(b)} "
                f"({ms(min(found.baseline))}-{ms(max(found.baseline))}): ratio {s / b:.2f}x{target}"
            )
            self.cell("5", spec.name, f"{s / b:.2f}x ({ms(s)} vs {ms(b)})")

        self.each("5", self.servers, measure)
        out()

    # -- 6 -----------------------------------------------------------------------------------------------------------

    def hosted(self) -> None:
        rounds, per = self.args.rounds, self.args.per_client
        out("== 6. Hosted: 8 concurrent clients, list_tags by JSON-RPC POSTs / 8 concurrent httpx GETs of the same")
        out(f"       URL; calls per second, {rounds} rounds of 8 x {per} calls each, alternated (medians)")
        with_http = [s for s in self.servers if s.hosted is not None]
        for spec in self.servers:
            if spec.hosted is None:
                self.cell("6", spec.name, "n/a (stdio only)")

        def measure(spec: ServerSpec) -> None:
            found = fig.hosted(spec, self.sandbox, rounds, per)
            s, d = median(found.server), median(found.direct)
            target = f"  [{TARGETS['6']}: {verdict(s / d >= 0.5)}]" if spec is self.kit else ""
            out(f"  {spec.name:<28} server {s:,.0f} calls/s, direct {d:,.0f} calls/s: ratio {s / d:.2f}x{target}")
            out(
                f"  {'':<28} (GET {found.url.split('/', 3)[-1]}; "
                f"{found.upstream_requests / found.calls:.2f} upstream requests a call; {found.processes} process(es))"
            )
            self.cell("6", spec.name, f"{s / d:.2f}x ({s:,.0f} vs {d:,.0f}/s)")

        self.each("6", with_http, measure)
        out()

    # -- 7 -----------------------------------------------------------------------------------------------------------

    def memory(self) -> None:
        calls = self.args.calls
        out(f"== 7. VmRSS of the stdio server: after the handshake and tools/list, then over {calls:,} calls of the")
        out("       subscribers tool (per_page=100) in pipelined batches of 20")

        def measure(spec: ServerSpec) -> None:
            found = fig.memory(spec, self.sandbox, calls, self.args.rss_real_pacing)
            mb = [kb * 1024 / 1e6 for _, kb in found.samples]
            target = f"  [{TARGETS['7']}: {verdict(found.growth_mb < 20)}]" if spec is self.kit else ""
            note = f"; {found.note}" if found.note else ""
            out(
                f"  {spec.name:<28} start {mb[0]:.1f} MB, after {found.samples[1][0]:,} calls {mb[1]:.1f} MB, "
                f"after {calls:,} {mb[-1]:.1f} MB: growth {found.growth_mb:+.1f} MB "
                f"(after warm-up {found.steady_growth_mb:+.1f} MB){target}"
            )
            out(f"  {'':<28} (samples MB: {' '.join(f'{v:.1f}' for v in mb)}; {found.seconds:.0f} s{note})")
            self.cell("7", spec.name, f"{found.growth_mb:+.1f} MB ({mb[0]:.0f} -> {mb[-1]:.0f})")

        for spec in self.servers:
            try:
                measure(spec)
            except fig.RpcError as exc:
                if "paces itself" not in str(exc):
                    raise
                out(f"  {spec.name:<28} n/a: {exc}")
                self.cell("7", spec.name, "n/a (paced)")
            except Exception as exc:
                out(f"  {spec.name}: FAILED: {type(exc).__name__}: {exc}")
                self.cell("7", spec.name, "failed")
        out()

    # -- profile -------------------------------------------------------------------------------------------------

    def profile(self) -> None:
        calls = self.args.profile_calls
        out(f"== Profile: the stdio server under cProfile, {calls} list_subscribers per_page=100 calls (bare client)")
        out(fig.profile(self.kit, calls))
        out()

    # -- summary -------------------------------------------------------------------------------------------------

    def summary(self) -> None:
        rows = [
            ("1d", "1. tokens, default set"),
            ("1a", "1. tokens, all tools"),
            ("2", "2. page text/raw tokens"),
            ("3", "3. stdio bare / direct"),
            ("4", "4. stdio SDK / direct"),
            ("5", "5. cold start / imports"),
            ("6", "6. hosted calls/s ratio"),
            ("7", f"7. RSS growth, {self.args.calls:,} calls"),
        ]
        names = [s.name for s in self.servers]
        out("== Summary (kit-mcp's target in brackets)")
        for key, label in rows:
            if key not in self.cells:
                continue
            out(f"  {label:<30} [{TARGETS[key]}]")
            for name in names:
                value = self.cells[key].get(name)
                if value is not None:
                    out(f"    {name:<30} {value}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--peers", type=Path, help="folder of the peers' built work trees (owner+name each)")
    parser.add_argument("--node", help="Node 22 binary for the peers (default: DIR/node22/..., else node on PATH)")
    parser.add_argument("--servers", help="only these servers, by name, comma-separated (default: all)")
    parser.add_argument("--figures", default="1,2,3,4,5,6,7", help="which figures (default all: 1,2,3,4,5,6,7)")
    parser.add_argument("--iterations", type=int, default=400, help="interleaved calls for figures 3, 4 (400)")
    parser.add_argument("--cold-runs", type=int, default=9, help="counted runs of each for figure 5 (9)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each side for figure 6 (3)")
    parser.add_argument("--per-client", type=int, default=20, help="calls per client per round, figure 6 (20)")
    parser.add_argument("--calls", type=int, default=2000, help="calls for figure 7 (2,000; the report uses 10,000)")
    parser.add_argument(
        "--rss-real-pacing",
        action="store_true",
        help="figure 7 with each server's own pacing, calls spaced under it (slow: 10,000 calls take ~17 min)",
    )
    parser.add_argument("--profile", action="store_true", help="profile the server side of figure 3 (cProfile)")
    parser.add_argument("--profile-calls", type=int, default=500, help="calls for --profile (500)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print tracebacks of failures")
    args = parser.parse_args()
    started = time.perf_counter()
    run = Run(args)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    out(
        f"kit-mcp {version('kit-mcp')} benchmarks: Python {platform.python_version()}, mcp {version('mcp')}, "
        f"{os.cpu_count()} cores, load average {load}"
    )
    out(f"sandbox {run.sandbox.url} (kit-mcp sandbox, its own process); servers' stderr in {LOGS}")
    if run.peers:
        out("peers: " + ", ".join(s.name for s in run.peers) + f" (node {run.peers[0].command[0]})")
    for why in run.left_out:
        out(f"left out: {why}")
    out()
    steps: list[tuple[set[str], Callable[[], Any]]] = [
        ({"1", "2"}, run.tokens_and_page),
        ({"3", "4"}, run.latency),
        ({"5"}, run.cold),
        ({"6"}, run.hosted),
        ({"7"}, run.memory),
    ]
    try:
        for keys, step in steps:
            if keys & run.wanted:
                step()
        if args.profile:
            run.profile()
        run.summary()
    finally:
        run.sandbox.close()
    out(f"\n({time.perf_counter() - started:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
