"""The transcript texts of the conversation chain: role labels and header."""

from __future__ import annotations

__all__ = ["TRANSCRIPT_HEADER", "TRANSCRIPT_ROLES"]

TRANSCRIPT_ROLES = {
    "en": {"human": "User", "ai": "Assistant", "tool": "Tool result"},
    "zh": {"human": "用户", "ai": "助手", "tool": "工具结果"},
}
"""Role label of each transcript turn, by language and message type."""
TRANSCRIPT_HEADER = {
    "en": "Conversation so far; the user's last turn holds the question to answer.",
    "zh": "到目前为止的对话；用户的最后一轮包含要回答的问题。",
}
"""The line above a transcript, by language."""
