"""Reuse of evaluated prompt prefixes in one llama.cpp context (one copy of the weights).

S2A alternates two prompt families on one model: the rewrite prompt (fixed instructions,
then the user's text) and the answer prompt. llama.cpp keeps only the KV cache of the
last prompt, so each family evicts the other's instructions. :class:`PrefixCache` keeps
small snapshots of the KV cache of each family's shared prefix (found automatically: the
longest prefix a prompt shares with a recent one) and restores the best one before a
prompt is evaluated, so only the rest is read.

Reuse never changes the logits. llama.cpp's CPU kernels process prompt rows in blocks of
:data:`ALIGN` (4) tokens counted from the start of each batch, and the rounding of a row
depends on whether it falls in such a block or in the tail; a prompt evaluated in two
batches split at a multiple of 4 gives logits bit-identical to one batch, a split
anywhere else does not (measured on the embedded Q4_K_M models). So KV is reused, and
snapshots are taken, only at multiples of :data:`ALIGN`, and the last prompt token is
always evaluated: every prompt's logits equal those of evaluating it from an empty
context in one batch, whatever came before (llama-cpp-python's own prefix matching,
which reuses any length, does not have that property).

Example:
    >>> common_prefix([1, 2, 3, 4], [1, 2, 5])
    2
    >>> aligned(11)
    8
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

ALIGN = 4
"""KV cache is reused and snapshotted only at multiples of this many tokens."""
MIN_PREFIX = 16
"""Shared prefixes shorter than this are not worth a snapshot."""
HISTORY = 16
"""How many recent prompts a new prompt is compared with to find its shared prefix."""
MAX_SNAPSHOTS = 8
"""At most this many snapshots are kept (least recently used are dropped)."""


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def aligned(n: int) -> int:
    """``n`` rounded down to a multiple of :data:`ALIGN` (never below 0)."""
    return max(0, n - n % ALIGN)


class KVStore(Protocol):
    """The operations on a llama.cpp context that prefix reuse needs."""

    def tokens(self) -> list[int]:
        """The tokens whose KV cache the context holds, in order."""

    def truncate(self, n: int) -> bool:
        """Keep only the first ``n`` tokens; ``False`` if partial removal is unsupported."""

    def clear(self) -> None:
        """Drop every token."""

    def eval(self, tokens: Sequence[int]) -> None:
        """Evaluate ``tokens`` after the ones held."""

    def save(self) -> tuple[Any, int]:
        """A copy of the KV state and its size in bytes."""

    def restore(self, state: Any, n_bytes: int, tokens: Sequence[int]) -> bool:
        """Replace the context by a saved state holding ``tokens``; ``False`` on failure."""


@dataclass
class _Snapshot:
    tokens: tuple[int, ...]
    state: Any
    n_bytes: int


class PrefixCache:
    """Snapshots of shared prompt prefixes for one llama.cpp context.

    Not thread-safe: call it under the context's lock.

    Example:
        >>> cache = PrefixCache()
        >>> cache.n_bytes, cache.hits
        (0, 0)
    """

    def __init__(self) -> None:
        self._history: deque[tuple[int, ...]] = deque(maxlen=HISTORY)
        self._snapshots: OrderedDict[tuple[int, ...], _Snapshot] = OrderedDict()
        self.hits = 0
        """Prompts that started from a restored snapshot."""

    @property
    def n_bytes(self) -> int:
        """Bytes held by the snapshots."""
        return sum(s.n_bytes for s in self._snapshots.values())

    def snapshot_lengths(self) -> list[int]:
        """Token lengths of the snapshots, least recently used first."""
        return [len(s.tokens) for s in self._snapshots.values()]

    def clear(self) -> None:
        """Forget every snapshot and the prompt history."""
        self._snapshots.clear()
        self._history.clear()

    def prepare(self, kv: KVStore, tokens: Sequence[int], *, capacity_bytes: int) -> int:
        """Make ``kv`` hold exactly ``tokens``, evaluated; return how many were reused.

        Args:
            kv: The context.
            tokens: The prompt (at least one token).
            capacity_bytes: Memory the snapshots may take (0: reuse the live context
                only, save nothing).

        Returns:
            The number of leading prompt tokens whose KV cache was reused (not
            evaluated by this call); always a multiple of :data:`ALIGN`.
        """
        prompt = tuple(tokens)
        limit = aligned(len(prompt) - 1)  # the last token is always evaluated
        start = min(aligned(common_prefix(kv.tokens(), prompt)), limit)
        best: _Snapshot | None = None
        for snap in self._snapshots.values():
            reach = min(aligned(common_prefix(snap.tokens, prompt)), limit)
            if reach > start:
                best, start = snap, reach
        if best is not None:
            if kv.restore(best.state, best.n_bytes, best.tokens):
                self._snapshots.move_to_end(best.tokens)
                self.hits += 1
            else:  # pragma: no cover - a failed restore leaves nothing usable
                kv.clear()
                start = 0
        if not kv.truncate(start):
            kv.clear()
            start = 0
        reused = start
        shared = max((common_prefix(h, prompt) for h in self._history), default=0)
        cut = min(aligned(shared), limit)
        covered = any(common_prefix(s.tokens, prompt) >= cut for s in self._snapshots.values())
        if capacity_bytes > 0 and cut >= MIN_PREFIX and not covered:
            if start < cut:
                kv.eval(prompt[start:cut])
                start = cut
            self._save(kv, prompt[:start], capacity_bytes)
        kv.eval(prompt[start:])
        self._history.append(prompt)
        return reused

    def _save(self, kv: KVStore, tokens: tuple[int, ...], capacity_bytes: int) -> None:
        state, n_bytes = kv.save()
        if n_bytes > capacity_bytes:
            return
        self._snapshots[tokens] = _Snapshot(tokens, state, n_bytes)
        while len(self._snapshots) > MAX_SNAPSHOTS or self.n_bytes > capacity_bytes:
            self._snapshots.popitem(last=False)


class LlamaKV:
    """:class:`KVStore` over a ``llama_cpp.Llama`` (sequence 0 of its context)."""

    def __init__(self, llama: Any) -> None:
        self.llama = llama

    def tokens(self) -> list[int]:
        """The tokens the context holds."""
        held: list[int] = self.llama.input_ids[: self.llama.n_tokens].tolist()
        return held

    def truncate(self, n: int) -> bool:
        """Keep the first ``n`` tokens."""
        if not self.llama._ctx.kv_cache_seq_rm(-1, n, -1):
            return False
        self.llama.n_tokens = n
        self.llama._requires_eval = True
        return True

    def clear(self) -> None:
        """Drop every token."""
        self.llama.reset()
        self.llama._ctx.kv_cache_clear()

    def eval(self, tokens: Sequence[int]) -> None:
        """Evaluate ``tokens`` (in ``n_batch`` chunks from the current position)."""
        if tokens:
            self.llama.eval(list(tokens))

    def save(self) -> tuple[Any, int]:
        """Copy the KV cache of sequence 0 (no logits, unlike ``Llama.save_state``)."""
        import llama_cpp

        ctx = self.llama._ctx.ctx
        size = int(llama_cpp.llama_state_seq_get_size(ctx, 0))
        buffer = (ctypes.c_uint8 * size)()
        n_bytes = int(llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0))
        return buffer, n_bytes

    def restore(self, state: Any, n_bytes: int, tokens: Sequence[int]) -> bool:
        """Load a saved sequence state holding ``tokens``."""
        import llama_cpp

        self.clear()
        if int(llama_cpp.llama_state_seq_set_data(self.llama._ctx.ctx, state, n_bytes, 0)) == 0:
            return False
        self.llama.input_ids[: len(tokens)] = tokens
        self.llama.n_tokens = len(tokens)
        self.llama._requires_eval = True
        return True
