"""Prefix reuse in ChatLocalLlama: the options, the rounding rule, and output identity.

Three measurements on the embedded model, one thread recommended on a busy machine:

1. ``options``: memory and time of the ways llama-cpp-python can keep an evaluated
   prompt: ``Llama.save_state()`` / ``load_state()`` (what ``LlamaRAMCache`` and
   ``LlamaDiskCache`` store after every call) and the KV cache of sequence 0 alone
   (``llama_state_seq_get_data``, what :mod:`langchain_s2a.models._prefix_cache` keeps).
2. ``splits``: whether a prompt's last-token logits are bit-identical when the prompt is
   evaluated in two or three pieces instead of one batch, for several split points.
3. ``identity``: S2A runs (baseline and the default extractive chain) on a few items
   with prefix reuse on; every recorded model call is then replayed with prefix reuse
   and from an empty context, and the greedy outputs compared.

Usage:
    S2A_LLAMA_THREADS=1 python benchmarks/prefix_reuse.py --size 1.5b --items 3

Writes ``benchmarks/results/prefix_reuse.json``.
"""

from __future__ import annotations

import argparse
import ctypes
import itertools
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = ROOT / "benchmarks" / "results" / "prefix_reuse.json"
SPLITS: tuple[tuple[int, ...], ...] = ((4,), (8,), (12,), (16,), (5,), (8, 12), (8, 16))


def _logits(llama: Any) -> Any:
    import numpy as np

    return np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),)).copy()


def _fresh(llama: Any) -> None:
    llama.reset()
    llama._ctx.kv_cache_clear()


def options(llm: Any, tokens: Sequence[int]) -> dict[str, Any]:
    """Size and time of ``Llama.save_state`` vs the sequence-0 KV state."""
    import llama_cpp

    llama = llm._get().llama
    _fresh(llama)
    llama.eval(list(tokens))
    started = time.perf_counter()
    state = llama.save_state()
    save_s = time.perf_counter() - started
    started = time.perf_counter()
    llama.load_state(state)
    load_s = time.perf_counter() - started
    ctx = llama._ctx.ctx
    started = time.perf_counter()
    size = llama_cpp.llama_state_seq_get_size(ctx, 0)
    buffer = (ctypes.c_uint8 * size)()
    n_bytes = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
    seq_save_s = time.perf_counter() - started
    llama._ctx.kv_cache_clear()
    started = time.perf_counter()
    llama_cpp.llama_state_seq_set_data(ctx, buffer, n_bytes, 0)
    seq_load_s = time.perf_counter() - started
    return {
        "prompt_tokens": len(tokens),
        "save_state_mb": round((state.llama_state_size + state.scores.nbytes) / 1e6, 1),
        "save_state_scores_mb": round(state.scores.nbytes / 1e6, 1),
        "save_state_ms": round(save_s * 1e3, 1),
        "load_state_ms": round(load_s * 1e3, 1),
        "seq_state_mb": round(n_bytes / 1e6, 1),
        "seq_save_ms": round(seq_save_s * 1e3, 1),
        "seq_restore_ms": round(seq_load_s * 1e3, 1),
    }


def splits(llm: Any, tokens: Sequence[int]) -> list[dict[str, Any]]:
    """Last-token logits of piecewise evaluations compared with one batch."""
    import numpy as np

    llama = llm._get().llama

    def run(points: Sequence[int]) -> Any:
        _fresh(llama)
        bounds = [0, *points, len(tokens)]
        for begin, end in itertools.pairwise(bounds):
            llama.eval(list(tokens[begin:end]))
        return _logits(llama)

    whole = run(())
    out = []
    for points in SPLITS:
        got = run(points)
        out.append(
            {
                "split_at": list(points),
                "identical": bool(np.array_equal(whole, got)),
                "max_abs_diff": float(np.abs(whole - got).max()),
            }
        )
    return out


def identity(llm: Any, n_items: int) -> dict[str, Any]:
    """Greedy outputs with prefix reuse vs from an empty context, on S2A's real calls."""
    from langchain_core.callbacks import BaseCallbackHandler
    from stages import build_chain  # type: ignore[import-not-found]

    from langchain_s2a.eval import load_items

    calls: list[list[Any]] = []

    class Record(BaseCallbackHandler):
        def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
            calls.append(messages[0])

    for task in ("trivia", "gsm-ic"):
        for item in load_items(task, limit=n_items, split="tune")[:n_items]:
            for condition in ("baseline", "extractive"):
                chain = build_chain(llm, condition, task)
                chain.invoke(item.prompt, config={"callbacks": [Record()]})
    backend = llm._get()
    plain = llm.model_copy(update={"prefix_cache_mb": 0})
    results: dict[str, list[dict[str, Any]]] = {"reuse": [], "fresh": []}
    for mode in results:
        backend.prefix.clear()
        _fresh(backend.llama)
        for messages in calls:
            if mode == "fresh":
                _fresh(backend.llama)
            started = time.perf_counter()
            reply = (llm if mode == "reuse" else plain).invoke(messages)
            usage = reply.usage_metadata or {}
            results[mode].append(
                {
                    "text": reply.text,
                    "input_tokens": usage.get("input_tokens"),
                    "cache_read": (usage.get("input_token_details") or {}).get("cache_read"),
                    "seconds": round(time.perf_counter() - started, 2),
                }
            )
    same = [a["text"] == b["text"] for a, b in zip(*results.values(), strict=True)]
    return {"calls": len(calls), "identical": sum(same), "per_call": results}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the three measurements and write the JSON report."""
    from langchain_core.messages import HumanMessage

    from langchain_s2a import S2ARewriter
    from langchain_s2a.eval import load_items
    from langchain_s2a.models.llama import convert_messages, load_local_chat_model
    from langchain_s2a.testing import FakeS2AChatModel

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1.5b")
    parser.add_argument("--items", type=int, default=3, help="items per task for identity")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    llm = load_local_chat_model(args.size, max_tokens=512).load()
    backend = llm._get()
    item = load_items("trivia", limit=2, split="tune")[1]
    rewriter = S2ARewriter(FakeS2AChatModel(replies=[]))
    rewrite_prompt = rewriter.build_messages(item.prompt, language="en")
    long_tokens = llm._tokenize(backend, convert_messages(rewrite_prompt))
    short_tokens = llm._tokenize(backend, convert_messages([HumanMessage(item.prompt)]))
    report = {
        "command": "python benchmarks/prefix_reuse.py " + " ".join(argv or sys.argv[1:]),
        "model": llm.model_name,
        "threads": backend.llama.n_threads,
        "options": options(llm, long_tokens),
        "splits": {"prompt_tokens": len(short_tokens), "results": splits(llm, short_tokens)},
        "identity": identity(llm, args.items),
    }
    print(json.dumps({k: v for k, v in report.items() if k != "identity"}, indent=1))
    print(f"identity: {report['identity']['identical']}/{report['identity']['calls']} identical")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return report


if __name__ == "__main__":
    main()
