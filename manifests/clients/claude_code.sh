#!/bin/sh
# Register kit-mcp with Claude Code (`claude mcp add`). Pick one way; the secrets come from your shell's
# environment, so nothing secret is written into this file:
#
#   MATON_API_KEY=... sh manifests/clients/claude_code.sh stdio         # local, through Maton
#   KIT_API_KEY=...   sh manifests/clients/claude_code.sh stdio-kit     # local, Kit directly
#                     sh manifests/clients/claude_code.sh sandbox       # local, no account
#   MCP_CLIENT_TOKEN=... MCP_URL=https://kit-mcp.example.com/mcp \
#                     sh manifests/clients/claude_code.sh hosted        # a hosted kit-mcp
#                     sh manifests/clients/claude_code.sh local-http    # kit-mcp --transport http on loopback
#
# Until kit-mcp is on PyPI, replace `uvx kit-mcp` with the absolute path of .venv/bin/kit-mcp in a clone.
set -eu

case "${1:-}" in
  stdio)
    : "${MATON_API_KEY:?set MATON_API_KEY to your Maton API key}"
    claude mcp add kit --env "MATON_API_KEY=${MATON_API_KEY}" -- uvx kit-mcp
    ;;
  stdio-kit)
    : "${KIT_API_KEY:?set KIT_API_KEY to your Kit v4 API key}"
    claude mcp add kit --env "KIT_API_KEY=${KIT_API_KEY}" -- uvx kit-mcp
    ;;
  sandbox)
    claude mcp add kit-sandbox -- uvx kit-mcp --sandbox
    ;;
  hosted)
    : "${MCP_CLIENT_TOKEN:?set MCP_CLIENT_TOKEN to one of the server's KIT_MCP_AUTH_TOKENS}"
    claude mcp add --transport http kit "${MCP_URL:-https://kit-mcp.example.com/mcp}" \
      --header "Authorization: Bearer ${MCP_CLIENT_TOKEN}"
    ;;
  local-http)
    claude mcp add --transport http kit-local http://localhost:8000/mcp
    ;;
  *)
    echo "usage: sh $0 stdio | stdio-kit | sandbox | hosted | local-http" >&2
    exit 2
    ;;
esac
