"""The rewriter's options are declared once (``RewriteOptions``) and reach every shell."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, get_args, get_type_hints

import pytest
from langchain_core.language_models import GenericFakeChatModel

from langchain_s2a import (
    S2AChatModel,
    S2AContext,
    S2ARewriter,
    build_s2a_graph,
    create_s2a_chain,
    create_s2a_conversation_chain,
)
from langchain_s2a._internal.pipeline.graph_state import REWRITE_KEYS
from langchain_s2a.chat_model import CHAIN_OPTIONS
from langchain_s2a.options import REWRITE_OPTIONS, RewriteOptions

FACTORIES = [create_s2a_chain, build_s2a_graph, create_s2a_conversation_chain]


def fake() -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([]))


def test_the_rewriter_has_one_field_per_option_and_the_defaults() -> None:
    assert set(S2ARewriter.model_fields) == REWRITE_OPTIONS | {
        "model",
        "timeout",
        "max_attempts",
        "name",
    }
    assert {"preset", "variant", "prompt_style", "judge_sentences"} <= REWRITE_OPTIONS


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_every_factory_takes_the_options_typed_once(factory: Callable[..., Any]) -> None:
    parameters = inspect.signature(factory).parameters
    options = parameters["options"]
    assert options.kind is inspect.Parameter.VAR_KEYWORD
    assert "Unpack[RewriteOptions]" in str(options.annotation)
    assert not set(parameters) & REWRITE_OPTIONS, "a rewriter option listed again"
    assert {"rewriter", "rewriter_model"} <= set(parameters)


NOT_DEFAULT: RewriteOptions = {
    "preset": "relevance",
    "variant": "split",
    "language": "zh",
    "prompt_style": "paper",
    "on_failure": "raise",
    "structured_output": False,
    "max_input_chars": 7,
    "min_number_share": None,
    "constrained": True,
    "judge_sentences": False,
}


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_every_factory_takes_every_option(factory: Callable[..., Any]) -> None:
    """Each option is taken (and refused beside a ready rewriter, which proves it arrived)."""
    assert set(NOT_DEFAULT) == REWRITE_OPTIONS
    ready = S2ARewriter(fake())
    for name, value in NOT_DEFAULT.items():
        with pytest.raises(ValueError, match=rf"rewriter options \['{name}'\]"):
            factory(fake(), rewriter=ready, **{name: value})


def test_the_conversation_chain_has_the_options_it_had_drifted_from() -> None:
    chain = create_s2a_conversation_chain(fake(), variant="split", prompt_style="paper")
    assert chain is not None
    create_s2a_conversation_chain(fake(), preset="relevance", judge_sentences=True)


def test_a_rewriters_options_build_the_same_rewriter() -> None:
    rewriter = S2ARewriter(fake(), preset="relevance", variant="split", min_number_share=None)
    rebuilt = create_s2a_chain(fake(), **rewriter.options).rewriter
    assert rebuilt.options == rewriter.options


def test_the_chat_model_passes_on_the_chains_options() -> None:
    own = set(inspect.signature(create_s2a_chain).parameters) - {"model", "max_retries", "options"}
    assert REWRITE_OPTIONS | own == CHAIN_OPTIONS
    model = S2AChatModel(model=fake(), rewriter_model=fake(), judge_sentences=True)
    assert model.chain.rewriter.judge_sentences is True


def test_the_graph_context_checks_the_options_types() -> None:
    hints = get_type_hints(RewriteOptions)
    assert set(REWRITE_KEYS) <= REWRITE_OPTIONS
    for name in REWRITE_KEYS:
        choice = get_args(hints[name])[0]
        assert S2AContext(**{name: choice})
        with pytest.raises(ValueError, match=f"S2AContext {name}="):
            S2AContext(**{name: "nope"})
