"""What a call to Kit or Maton is made of, each part in its own module:

- `request`: the request object (`KitRequest`) and its answer (`Reply`); path ids checked and filled.
- `backends`: where a request goes and with which credential (`Backends`: the server's, or a tenant's
  named by the resolver the hosting layer passes in), and each credential's lane (pacing, slots).
- `pacing`: sliding windows that keep a credential under its upstream's rate limit.
- `statuses`: turning statuses, timeouts and bodies into the typed errors of `kit_mcp.errors`.

`kit_mcp.gateway.Gateway` sends requests through one pooled HTTP client using all four.
"""
