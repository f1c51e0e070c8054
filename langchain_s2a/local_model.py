"""Moved to :mod:`langchain_s2a.models.llama`; this module re-exports its names."""

from __future__ import annotations

from langchain_s2a.models.llama import (
    THREADS_ENV,
    ChatLocalLlama,
    ContextWindowExceededError,
    LocalModelNotInstalledError,
    available_cores,
    clear_local_model_cache,
    convert_messages,
    load_local_chat_model,
)

__all__ = [
    "THREADS_ENV",
    "ChatLocalLlama",
    "ContextWindowExceededError",
    "LocalModelNotInstalledError",
    "available_cores",
    "clear_local_model_cache",
    "convert_messages",
    "load_local_chat_model",
]
