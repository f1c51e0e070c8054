"""Moved: :class:`S2ARewrite` lives in :mod:`langchain_s2a.result` with the other records."""

from langchain_s2a._types import FallbackReason
from langchain_s2a.result import S2ARewrite

__all__ = ["FallbackReason", "S2ARewrite"]
