"""The soak of tests/test_soak.py, standalone: the hosted server (`python -m kit_mcp --transport http
--credentials request`, its own process) against a loopback sandbox, 20 concurrent clients of 10 tenants mixing
reads and writes while about 10% of upstream requests get an injected fault. Prints the figures (calls, faults,
errors by kind, latency, throughput, the server's memory) and every check that failed; exits 1 if any did.

Run from the repository root: python benchmarks/soak.py --calls 20000
(CI runs the same soak with 2,000 calls in tests/test_soak.py; `pytest -m soak` runs 20,000.)
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the soak lives in tests/test_soak.py

from kit_mcp.sandbox import SandboxState
from kit_mcp.sandbox.serve import running_sandbox
from tests.test_soak import CI_CALLS, FAULT_RATE, run_soak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=CI_CALLS, help=f"tool calls in all (default {CI_CALLS})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the call mix and of the faults (default 0)")
    parser.add_argument(
        "--fault-rate", type=float, default=FAULT_RATE, help=f"share of upstream requests faulted ({FAULT_RATE})"
    )
    args = parser.parse_args()
    state = SandboxState()
    started = time.perf_counter()
    with running_sandbox(state) as url, tempfile.TemporaryDirectory() as workdir:
        # The sandbox's server logs an error for each connection a fault drops on purpose.
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
        soak = run_soak(url, state, args.calls, Path(workdir), seed=args.seed, fault_rate=args.fault_rate)
    command = f"python benchmarks/soak.py --calls {args.calls}"
    if args.seed:
        command += f" --seed {args.seed}"
    if args.fault_rate != FAULT_RATE:
        command += f" --fault-rate {args.fault_rate}"
    print(f"$ {command}  ({time.perf_counter() - started:.0f} s in all)")
    print(soak.table())
    failed = {name: found for name, found in soak.problems.items() if found}
    for name, found in failed.items():
        print(f"\nFAILED: {name} ({len(found)})")
        for line in found[:20]:
            print(f"  {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
