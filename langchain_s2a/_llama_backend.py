"""Moved to ``langchain_s2a.models._llama_backend``; this module re-exports its names."""

from __future__ import annotations

from langchain_s2a.models._llama_backend import (
    INSTALL_HINT,
    SampleCounter,
    clear_local_model_cache,
    compile_grammar,
    convert_messages,
)

__all__ = [
    "INSTALL_HINT",
    "SampleCounter",
    "clear_local_model_cache",
    "compile_grammar",
    "convert_messages",
]
