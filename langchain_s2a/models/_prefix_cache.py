"""Reuse of evaluated prompt prefixes in one llama.cpp context (one copy of the weights).

S2A alternates two prompt families on one model: the rewrite prompt (fixed instructions,
then the user's text) and the answer prompt. llama.cpp keeps only the KV cache of the
last prompt, so each family evicts the other's instructions. :class:`PrefixCache` keeps
a copy of the KV cache of the latest prompt of each recent prompt family (sequence
state only, a few MB each; a new prompt sharing 80% of a copy replaces it) and, before a
prompt is evaluated, restores the one sharing the longest prefix with it, so only the
rest is read.

Reuse never changes the logits. llama.cpp's CPU kernels round a prompt row differently
depending on where it falls in its batch: rows are processed in blocks of :data:`ALIGN`
(4) counted from the batch start, and batches of fewer than :data:`MIN_BATCH` (8) rows
take another path. Measured on the embedded Q4_K_M models, a prompt evaluated in pieces
split at multiples of 4, each piece at least 8 tokens long, gives logits bit-identical to
one batch; a 4-token piece or a split elsewhere does not. So :func:`plan` only reuses KV
up to such a point and evaluates the rest in pieces that end on the same ``n_batch`` grid
as a fresh evaluation: every prompt's logits equal those of evaluating it from an empty
context, whatever came before (llama-cpp-python's own prefix matching, which reuses any
length, does not have that property).

Example:
    >>> common_prefix([1, 2, 3, 4], [1, 2, 5])
    2
    >>> plan(102, 130, 512)  # reuse 100 tokens, then read 30 in one batch
    (100, [(100, 130)])
    >>> plan(102, 104, 512)  # a 4-token piece would round differently: read 8
    (96, [(96, 104)])
    >>> plan(600, 1100, 512)  # pieces end on the grid of a fresh evaluation
    (600, [(600, 1024), (1024, 1100)])
"""

from __future__ import annotations

import ctypes
import itertools
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "ALIGN",
    "MAX_SNAPSHOTS",
    "MIN_BATCH",
    "MIN_PREFIX",
    "SAME_FAMILY",
    "KVStore",
    "LlamaKV",
    "PrefixCache",
    "aligned",
    "common_prefix",
    "plan",
]

ALIGN = 4
"""KV cache is reused only up to multiples of this many tokens (within a batch)."""
MIN_BATCH = 8
"""A prompt piece evaluated apart from the rest has at least this many tokens."""
MIN_PREFIX = 16
"""Prompts shorter than this are not worth a snapshot."""
MAX_SNAPSHOTS = 16
"""At most this many snapshots are kept (least recently used are dropped)."""
SAME_FAMILY = 0.8
"""A new copy replaces one whose first 80% it shares (the same prompt family)."""


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


def plan(reach: int, n: int, grid: int) -> tuple[int, list[tuple[int, int]]]:
    """Where to start reading an ``n``-token prompt whose first ``reach`` tokens are held.

    Args:
        reach: Leading prompt tokens whose KV cache is available.
        n: Prompt length (at least 1).
        grid: Batch size of a fresh evaluation (``min(n_batch, n_ubatch)``).

    Returns:
        ``(start, pieces)``: reuse ``start`` tokens, then evaluate the ``(begin, end)``
        pieces in order; the rows come out bit-identical to a fresh evaluation.
    """
    start = min(reach, n - 1)  # the last token is always evaluated
    while start > 0:
        chunk = start - start % grid
        start = chunk + aligned(start - chunk)
        if start == chunk or min(chunk + grid, n) - start >= MIN_BATCH:
            break
        start -= 1
    start = max(start, 0)
    bounds = [start, *range(start - start % grid + grid, n, grid), n]
    return start, list(itertools.pairwise(bounds))


class KVStore(Protocol):
    """The operations on a llama.cpp context that prefix reuse needs."""

    grid: int
    """Batch size of a fresh evaluation (``min(n_batch, n_ubatch)``)."""

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
    """Copies of the KV cache of recent prompts for one llama.cpp context.

    Not thread-safe: call it under the context's lock.

    Example:
        >>> cache = PrefixCache()
        >>> cache.n_bytes, cache.hits
        (0, 0)
    """

    def __init__(self) -> None:
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
        """Forget every snapshot."""
        self._snapshots.clear()

    def prepare(self, kv: KVStore, tokens: Sequence[int], *, capacity_bytes: int) -> int:
        """Make ``kv`` hold exactly ``tokens``, evaluated; return how many were reused.

        Args:
            kv: The context.
            tokens: The prompt (at least one token).
            capacity_bytes: Memory the snapshots may take (0: reuse the live context
                only, keep no copies).

        Returns:
            The number of leading prompt tokens whose KV cache was reused (not
            evaluated by this call).
        """
        prompt = tuple(tokens)
        start, pieces = plan(common_prefix(kv.tokens(), prompt), len(prompt), kv.grid)
        best: _Snapshot | None = None
        for snap in self._snapshots.values():
            reach, snap_pieces = plan(common_prefix(snap.tokens, prompt), len(prompt), kv.grid)
            if reach > start:
                best, start, pieces = snap, reach, snap_pieces
        if best is not None:
            if kv.restore(best.state, best.n_bytes, best.tokens):
                self._snapshots.move_to_end(best.tokens)
                self.hits += 1
            else:  # pragma: no cover - a failed restore leaves nothing usable
                start, pieces = plan(0, len(prompt), kv.grid)
        if start == 0 or not kv.truncate(start):
            kv.clear()  # an empty cache places new cells from the first one, as fresh
            start, pieces = plan(0, len(prompt), kv.grid)
        for begin, end in pieces:
            kv.eval(prompt[begin:end])
        if capacity_bytes > 0 and len(prompt) >= MIN_PREFIX:
            self._save(kv, prompt, capacity_bytes)
        return start

    def _save(self, kv: KVStore, tokens: tuple[int, ...], capacity_bytes: int) -> None:
        # One copy per prompt family: the newest serves its shared prefix as well.
        for held in list(self._snapshots):
            if common_prefix(held, tokens) >= SAME_FAMILY * len(held):
                del self._snapshots[held]
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
        self.grid = int(min(llama.n_batch, llama.context_params.n_ubatch))

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
        """Evaluate ``tokens`` (at most ``n_batch`` of them: one batch)."""
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
