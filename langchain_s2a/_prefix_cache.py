"""Moved to ``langchain_s2a.models._prefix_cache``; this module re-exports its names."""

from __future__ import annotations

from langchain_s2a.models._prefix_cache import (
    ALIGN,
    MAX_SNAPSHOTS,
    MIN_BATCH,
    MIN_PREFIX,
    SAME_FAMILY,
    KVStore,
    LlamaKV,
    PrefixCache,
    aligned,
    common_prefix,
    plan,
)

__all__ = [
    "ALIGN",
    "MAX_SNAPSHOTS",
    "MIN_BATCH",
    "MIN_PREFIX",
    "SAME_FAMILY",
    "KVStore",
    "LlamaKV",
    "PrefixCache",
    "aligned",
    "common_prefix",
    "plan",
]
