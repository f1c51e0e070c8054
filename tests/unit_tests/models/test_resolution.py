import pytest
from langchain_openai import ChatOpenAI

from langchain_s2a.models import LazyChatModel, model_label, resolve_chat_model
from tests.fakes import fake


@pytest.mark.parametrize("name", ["qwen2.5:7b", "my-model", "openai:qwen2.5:7b"])
def test_openai_compatible_names_with_base_url(name: str) -> None:
    model = resolve_chat_model(name, base_url="http://127.0.0.1:9/v1", api_key="none")
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == name.removeprefix("openai:")


def test_provider_prefix_is_kept() -> None:
    model = resolve_chat_model("openai:gpt-4o-mini", api_key="sk-test")
    assert isinstance(model, ChatOpenAI) and model.model_name == "gpt-4o-mini"


def test_model_objects_pass_through_and_bad_types_fail() -> None:
    m = fake("x")
    assert resolve_chat_model(m) is m
    with pytest.raises(TypeError, match="got int"):
        resolve_chat_model(3)  # type: ignore[arg-type]


def test_lazy_model_resolves_once_on_first_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    inner = fake(None, "hello")

    def resolve(name: object = None, **kw: object) -> object:
        calls.append(str(name))
        return inner

    monkeypatch.setattr("langchain_s2a.models.resolve_chat_model", resolve)
    lazy = LazyChatModel("local:0.5b")
    assert not lazy.resolved and calls == []
    assert lazy.invoke("hi").text == "hello"
    assert lazy.invoke("hi").text == "hello"
    assert calls == ["local:0.5b"] and lazy.resolved
    assert model_label(lazy) == "fake-chat"


def test_context_copy_labels_the_embedded_model_only() -> None:
    from langchain_s2a.models import context_copy
    from langchain_s2a.models.llama import ChatLocalLlama

    llm = ChatLocalLlama(model_path="m.gguf")
    copy = context_copy(llm, "s2a_rewrite")
    assert isinstance(copy, ChatLocalLlama) and copy is not llm
    assert (copy.context_name, llm.context_name) == ("s2a_rewrite", "default")
    other = fake("hi")
    assert context_copy(other, "s2a_rewrite") is other
    bound = llm.bind(max_tokens=3)  # a wrapper keeps its binding: not copied
    assert context_copy(bound, "s2a_rewrite") is bound


@pytest.mark.parametrize(
    "old",
    [
        "langchain_s2a.local_model",
        "langchain_s2a.huggingface_model",
        "langchain_s2a._model_files",
        "langchain_s2a._llama_backend",
        "langchain_s2a._prefix_cache",
    ],
)
def test_old_module_paths_are_gone(old: str) -> None:
    """The re-export shims were removed (issue 24): ``langchain_s2a.models`` is the one home."""
    from pathlib import Path

    import langchain_s2a

    package = Path(langchain_s2a.__file__).parent
    assert not (package / f"{old.removeprefix('langchain_s2a.')}.py").exists()
