"""The embedded model through Hugging Face transformers instead of llama.cpp.

``load_huggingface_chat_model`` de-quantises the bundled GGUF file with transformers
(``gguf_file=``) and wraps a local ``text-generation`` pipeline in
``langchain_huggingface.ChatHuggingFace``. Nothing is fetched from the Hub: the
tokenizer comes from the GGUF file and is passed in explicitly. This path is much
slower and hungrier than :mod:`langchain_s2a.models.llama` (it runs in float32); use it
when you need a transformers model object, e.g. for research on attention.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from langchain_s2a.errors import LocalModelNotInstalledError
from langchain_s2a.models._weights import ensure_model_file, model_spec

__all__ = ["load_huggingface_chat_model"]

_INSTALL_HINT = "pip install 'langchain-s2a[hf]'"
_OFFLINE_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
_CACHE: dict[tuple[str, int], Any] = {}
_LOCK = threading.Lock()


def _load_pipeline(path: str, max_new_tokens: int) -> tuple[Any, Any]:
    """Load tokenizer + model from a local GGUF file and build a greedy pipeline."""
    for name in _OFFLINE_ENV:  # make sure nothing below reaches for the network
        os.environ.setdefault(name, "1")
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline
    except ImportError as exc:
        raise LocalModelNotInstalledError(
            f"torch and transformers are not installed; install them with: {_INSTALL_HINT}"
        ) from exc
    directory, filename = os.path.split(path)
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=filename, local_files_only=True)
    model: Any = AutoModelForCausalLM.from_pretrained(
        directory, gguf_file=filename, local_files_only=True, dtype=torch.float32
    )
    model.eval()
    generation_config = model.generation_config
    generation_config.do_sample = False
    generation_config.temperature = None
    generation_config.top_p = None
    generation_config.top_k = None
    generation_config.max_new_tokens = max_new_tokens
    if generation_config.pad_token_id is None:
        generation_config.pad_token_id = tokenizer.eos_token_id
    pipe = pipeline(
        "text-generation",
        model=model,
        tokenizer=tokenizer,
        return_full_text=False,
        max_new_tokens=max_new_tokens,
        do_sample=False,
    )
    return pipe, tokenizer


def load_huggingface_chat_model(
    size: str = "135m", *, max_new_tokens: int = 256, **kwargs: Any
) -> Any:
    """Return a ``ChatHuggingFace`` over a local transformers pipeline, fully offline.

    The pipeline decodes greedily (deterministic) and returns only the new text.
    Loaded pipelines are cached per (file, ``max_new_tokens``). ``ChatHuggingFace``
    requires the last message to be a human message and has no native async (its
    async methods run the sync code in an executor).

    Args:
        size: ``"135m"`` (default; ~25 s load, ~14 tok/s on 2 cores), ``"0.5b"`` or
            ``"1.5b"`` (~9 GB RAM, ~2 tok/s).
        max_new_tokens: Maximum number of generated tokens per call.
        **kwargs: Extra fields for ``ChatHuggingFace``.

    Returns:
        A ``langchain_huggingface.ChatHuggingFace`` chat model.

    Raises:
        LocalModelNotInstalledError: If torch / transformers / gguf or the model
            packages are missing.

    Example:
        >>> llm = load_huggingface_chat_model("135m", max_new_tokens=32)  # doctest: +SKIP
        >>> llm.invoke("What is the capital of France?").content  # doctest: +SKIP
        'The capital of France is Paris.'
    """
    spec = model_spec(size)
    try:
        from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise LocalModelNotInstalledError(
            f"langchain-huggingface is not installed; install it with: {_INSTALL_HINT}"
        ) from exc
    path = str(ensure_model_file(spec.size, progress=True))
    key = (path, max_new_tokens)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = _load_pipeline(path, max_new_tokens)
        pipe, tokenizer = _CACHE[key]
    llm = HuggingFacePipeline(pipeline=pipe, model_id=spec.model_name)
    # Passing the tokenizer stops ChatHuggingFace from downloading one by model id.
    return ChatHuggingFace(llm=llm, tokenizer=tokenizer, model_id=spec.model_name, **kwargs)
