"""Which policy row decides whether a viewer may see an object of a node type at all.

``node(id:)``, executed (``resolvers.query``) or compiled (``schema.compiled``), asks this
table: an object is visible when its log's row for this field admits the viewer, with the
object's own facts for conditional cells (an adults-only note is no node for the youth).
"""

from __future__ import annotations

from auth.policy import PolicyField

__all__ = ["NODE_POLICY", "REGISTER_NODE_TYPES"]

NODE_POLICY: dict[str, PolicyField] = {
    "RelayLog": PolicyField.LOG_SUMMARY,
    "PointOfAttention": PolicyField.POINTS,
    "Measure": PolicyField.MEASURES,
    "Meeting": PolicyField.MEETINGS,
    "Evaluation": PolicyField.MEASURES,
    "Note": PolicyField.NOTES,
    "AttentionConversation": PolicyField.NOTES,
    "Sparkle": PolicyField.SPARKLES,
    "Consent": PolicyField.CONSENT_STATUS,
    "Actor": PolicyField.ACTOR_CONTACT,
    "Guardian": PolicyField.GUARDIAN_CONTACT,
}

# Not log content: the municipality's registers, visible to its admin only.
REGISTER_NODE_TYPES = frozenset({"Organisation", "StaffAccount"})
