# kit-mcp: the hosted (Streamable HTTP + SSE) MCP server for Kit, as a non-root image.
#
#   docker build -t kit-mcp .
#   docker run -p 8000:8000 -e MATON_API_KEY=... -e KIT_MCP_AUTH_TOKENS=... kit-mcp
#
# The default command binds 0.0.0.0, so kit-mcp refuses to start until clients must authenticate:
# set KIT_MCP_AUTH_TOKENS (or KIT_MCP_AUTH_TOKENS_FILE), or pass --allow-unauthenticated when a proxy
# in front authenticates callers. Both stages use the same pinned python:3.11 slim tag, so the venv's
# interpreter links stay valid when it is copied across.

FROM python:3.11.15-slim-trixie AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

WORKDIR /build

# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when they change, not on every
# source edit. (README.md is the package's readme, read by the build backend in the next step.)
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && pip install --no-cache-dir -r requirements.txt

# Then the source, and the package itself without touching the dependencies installed above.
COPY kit_mcp/ ./kit_mcp/
RUN pip install --no-cache-dir --no-deps . \
    && kit-mcp --version


FROM python:3.11.15-slim-trixie

LABEL io.modelcontextprotocol.server.name="io.github.kit-mcp/kit-mcp" \
      org.opencontainers.image.title="kit-mcp" \
      org.opencontainers.image.description="MCP server for Kit (formerly ConvertKit): subscribers, tags, forms, sequences and more" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.source="https://github.com/kit-mcp/kit-mcp" \
      org.opencontainers.image.url="https://github.com/kit-mcp/kit-mcp" \
      org.opencontainers.image.documentation="https://github.com/kit-mcp/kit-mcp#readme" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11.15-slim-trixie"

ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# A fixed numeric uid/gid, so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
RUN groupadd --system --gid 10001 kitmcp \
    && useradd --system --no-log-init --uid 10001 --gid kitmcp --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin kitmcp

COPY --from=builder /opt/venv /opt/venv

USER 10001:10001
WORKDIR /tmp

EXPOSE 8000

# /healthz needs no token and never calls Kit; slim has no curl, so python's urllib does the request.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

ENTRYPOINT ["kit-mcp"]
CMD ["--transport", "http", "--host", "0.0.0.0", "--port", "8000", "--stateless"]
