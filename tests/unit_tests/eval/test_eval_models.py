"""The runner's models: resolved lazily, a request cache each, a labelled rewriter copy."""

from __future__ import annotations

from langchain_core.language_models import GenericFakeChatModel

from langchain_s2a.eval.cache import RequestCache
from langchain_s2a.eval.runner import _Models
from langchain_s2a.models.llama import ChatLocalLlama


def test_embedded_model_rewrites_on_a_labelled_copy() -> None:
    llm = ChatLocalLlama(model_path="m.gguf")
    answer, rewriter = _Models(llm, None, None).get()
    assert isinstance(answer, ChatLocalLlama) and isinstance(rewriter, ChatLocalLlama)
    assert (answer.context_name, rewriter.context_name) == ("default", "s2a_rewrite")
    assert isinstance(answer.cache, RequestCache) and isinstance(rewriter.cache, RequestCache)
    assert answer.cache is not rewriter.cache
    assert llm.cache is None  # the caller's model is not changed


def test_other_models_and_separate_rewriters_are_not_relabelled() -> None:
    fake = GenericFakeChatModel(messages=iter([]))
    answer, rewriter = _Models(fake, None, None).get()
    assert type(answer) is type(rewriter) is GenericFakeChatModel
    llm = ChatLocalLlama(model_path="m.gguf")
    other = ChatLocalLlama(model_path="other.gguf")
    _, rewriter = _Models(llm, other, None).get()
    assert isinstance(rewriter, ChatLocalLlama)
    assert (rewriter.model_path, rewriter.context_name) == ("other.gguf", "default")
