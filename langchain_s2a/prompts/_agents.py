"""The model-facing texts of the agent integrations: the tool's description and reply."""

from __future__ import annotations

__all__ = ["TOOL_DESCRIPTION", "TOOL_NOTHING_RELEVANT"]

TOOL_DESCRIPTION = (
    "Remove every sentence of a passage that is irrelevant to a question or only states "
    "an opinion, keeping the relevant sentences word for word. Use it before answering "
    "from a long or noisy passage."
)
"""What the agent's model reads about ``S2ATool`` when it chooses a tool."""

TOOL_NOTHING_RELEVANT = "No sentence of the passage is relevant to the question."
"""What ``S2ATool`` returns to the agent's model when it keeps nothing."""
