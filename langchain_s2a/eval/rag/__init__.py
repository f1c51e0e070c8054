"""Context cleaners in a RAG pipeline, measured on RGB and NQ-open (``s2a eval --task rgb``).

Example:
    >>> from langchain_s2a.eval.rag import load_rag_items
    >>> items = load_rag_items("nq-docs", settings=[10], limit=1)  # from a source checkout
    >>> len(items[0].documents), items[0].setting
    (10, 'k=10')

Then ``run_rag(model, items, ["baseline", "oracle", "s2a_judge"], cache_dir=None)`` and
``render_rag_markdown(records)``.
"""

from __future__ import annotations

from langchain_s2a.eval.rag.conditions import (
    DEFAULT_RAG_CONDITIONS,
    LANGCHAIN_CONDITIONS,
    RAG_CONDITIONS,
    make_compressor,
)
from langchain_s2a.eval.rag.data import (
    RagDoc,
    RagItem,
    load_nq_docs,
    load_rag_items,
    load_rgb,
    nq_correct,
    rgb_correct,
)
from langchain_s2a.eval.rag.report import (
    compare,
    render_rag_markdown,
    summarize,
    write_rag_report,
)
from langchain_s2a.eval.rag.runner import run_rag

__all__ = [
    "DEFAULT_RAG_CONDITIONS",
    "LANGCHAIN_CONDITIONS",
    "RAG_CONDITIONS",
    "RagDoc",
    "RagItem",
    "compare",
    "load_nq_docs",
    "load_rag_items",
    "load_rgb",
    "make_compressor",
    "nq_correct",
    "render_rag_markdown",
    "rgb_correct",
    "run_rag",
    "summarize",
    "write_rag_report",
]
