"""LangChain's standard chat-model integration suite on the small embedded model (0.5B).

Two classes: ``ChatLocalLlama`` itself, and ``S2AChatModel`` in front of it (every
call is a rewrite and an answer, so it is the slower of the two). Only the cases a
1.5B model served by llama.cpp cannot do are switched off, each with its reason
below; the suite skips them with langchain-tests' own messages ("Test requires
tool calling.", ...). Run with ``S2A_LLAMA_THREADS=1`` on a busy machine.

The suite has about a hundred cases, so it runs on ``local:0.5b`` (the embedded model
of the ``[local-small]`` extra, about four times faster than the default 1.5B) to keep
the default CI run short; the contract it checks does not depend on the model's size.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_s2a import S2AChatModel
from langchain_s2a.errors import LocalModelNotInstalledError
from langchain_s2a.models._weights import ensure_model_file, model_spec

pytestmark = pytest.mark.local_model

SIZE = "0.5b"
MAX_TOKENS = 64
"""Enough for the suite's short prompts and for a rewrite of them; keeps each call short."""


def _local_params() -> dict[str, Any]:
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (langchain-s2a[local])")
    try:
        path = ensure_model_file(SIZE)
    except LocalModelNotInstalledError as exc:
        pytest.skip(f"model {SIZE} not installed: {exc}")
    return {
        "model_path": str(path),
        "model_name": model_spec(SIZE).model_name,
        "max_tokens": MAX_TOKENS,
    }


class _EmbeddedModelLimits(ChatModelIntegrationTests):
    """What the embedded model cannot do, for both classes."""

    @property
    def supports_model_override(self) -> bool:
        # One GGUF file per instance: there is no other model to switch to per call.
        return False


class TestChatLocalLlamaIntegration(_EmbeddedModelLimits):
    """ChatLocalLlama has no bind_tools / with_structured_output, so langchain-tests
    already skips the tool-calling and structured-output cases."""

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        from langchain_s2a.models.llama import ChatLocalLlama

        return ChatLocalLlama

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _local_params()


class TestS2AChatModelIntegration(_EmbeddedModelLimits):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return S2AChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        from langchain_s2a.models.llama import ChatLocalLlama

        return {"model": ChatLocalLlama(**_local_params())}

    # S2AChatModel binds tools and schemas on the model it wraps; the embedded model
    # (ChatLocalLlama, a small model without a tool-calling template in our renderer)
    # has neither. Both paths are covered with fake models in the unit tests.
    @property
    def has_tool_calling(self) -> bool:
        return False

    @property
    def has_tool_choice(self) -> bool:
        return False

    @property
    def has_structured_output(self) -> bool:
        return False
