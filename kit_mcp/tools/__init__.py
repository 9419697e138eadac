"""The tool catalogue: one ToolGroup per Kit resource, in the order tools/list shows them."""

from kit_mcp.tools._base import ToolGroup, ToolMeta
from kit_mcp.tools.connections import ConnectionTools
from kit_mcp.tools.content import ContentTools
from kit_mcp.tools.custom_fields import CustomFieldTools
from kit_mcp.tools.forms import FormTools
from kit_mcp.tools.sequences import SequenceTools
from kit_mcp.tools.subscribers import SubscriberTools
from kit_mcp.tools.tags import TagTools
from kit_mcp.tools.webhooks import WebhookTools

GROUPS: tuple[type[ToolGroup], ...] = (
    SubscriberTools,
    TagTools,
    FormTools,
    SequenceTools,
    ContentTools,
    CustomFieldTools,
    WebhookTools,
    ConnectionTools,
)

__all__ = ["GROUPS", "ToolGroup", "ToolMeta"]
