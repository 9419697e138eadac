"""(filled in below)"""

from __future__ import annotations

from kit_mcp.catalogue.op import Op

OPS: tuple[Op, ...] = ()
