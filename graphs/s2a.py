"""The S2A graph served by the LangGraph server (see ``langgraph.json``).

The model is ``$S2A_MODEL`` (an ``init_chat_model`` name such as
``openai:gpt-4o-mini``, or ``local:1.5b``/``local:0.5b``/``local:135m``), the embedded
local model by default. It is loaded on the first run, not at import. Each run can
pick another model, preset or variant through the runtime context
(:class:`langchain_s2a.S2AContext`), e.g. ``context={"model": "local:0.5b"}``.

Input is ``{"input": text}`` or, as chat UIs and the SDK send it,
``{"messages": [{"role": "user", "content": ...}]}``: on a thread, each messages run
answers the conversation so far and appends its answer to ``messages``.
"""

from __future__ import annotations

import os

from langchain_s2a import build_s2a_graph
from langchain_s2a.models import LazyChatModel

graph = build_s2a_graph(
    LazyChatModel(os.environ.get("S2A_MODEL") or "local"),
    preset="opinion",
    max_retries=1,
    name="s2a",
)
