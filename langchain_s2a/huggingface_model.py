"""Moved to :mod:`langchain_s2a.models.huggingface`; this module re-exports its names."""

from __future__ import annotations

from langchain_s2a.models.huggingface import load_huggingface_chat_model

__all__ = ["load_huggingface_chat_model"]
