"""kit-mcp: an MCP server for Kit (formerly ConvertKit)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kit-mcp")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
