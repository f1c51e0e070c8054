"""Moved to ``langchain_s2a.models._weights``; this module re-exports its names."""

from __future__ import annotations

from langchain_s2a.models._weights import (
    CACHE_DIR_ENV,
    MODEL_SPECS,
    LocalModelNotInstalledError,
    ModelIntegrityError,
    ModelSpec,
    default_cache_dir,
    ensure_model_file,
    model_spec,
)

__all__ = [
    "CACHE_DIR_ENV",
    "MODEL_SPECS",
    "LocalModelNotInstalledError",
    "ModelIntegrityError",
    "ModelSpec",
    "default_cache_dir",
    "ensure_model_file",
    "model_spec",
]
