"""`python -m kit_mcp` is the same as the `kit-mcp` command."""

from kit_mcp.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
