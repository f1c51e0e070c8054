"""Prefix reuse: aligned KV reuse and snapshots of shared prompt prefixes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest

from langchain_s2a import _prefix_cache as pc
from langchain_s2a._prefix_cache import ALIGN, PrefixCache, aligned, common_prefix

BYTES_PER_TOKEN = 10


class FakeKV:
    """A context that records every evaluated batch as (start position, tokens)."""

    def __init__(self) -> None:
        self.held: list[int] = []
        self.batches: list[tuple[int, list[int]]] = []
        self.saves = 0
        self.restores = 0
        self.partial_removal = True

    def tokens(self) -> list[int]:
        return list(self.held)

    def truncate(self, n: int) -> bool:
        if not self.partial_removal and n not in (0, len(self.held)):
            return False
        del self.held[n:]
        return True

    def clear(self) -> None:
        self.held = []

    def eval(self, tokens: Sequence[int]) -> None:
        if tokens:
            self.batches.append((len(self.held), list(tokens)))
            self.held.extend(tokens)

    def save(self) -> tuple[Any, int]:
        self.saves += 1
        return tuple(self.held), BYTES_PER_TOKEN * len(self.held)

    def restore(self, state: Any, n_bytes: int, tokens: Sequence[int]) -> bool:
        assert tuple(tokens) == state and n_bytes == BYTES_PER_TOKEN * len(state)
        self.restores += 1
        self.held = list(state)
        return True

    def generate(self, n: int) -> None:
        """Append ``n`` generated tokens, as sampling does after a prompt."""
        self.held.extend(range(10_000, 10_000 + n))

    def evaluated(self) -> int:
        return sum(len(t) for _, t in self.batches)


REWRITE = list(range(100, 160))  # 60 tokens of fixed instructions
ANSWER = list(range(200, 230))  # 30 tokens


def prompt(family: list[int], item: int, n: int = 9) -> list[int]:
    return [*family, *range(1000 * item, 1000 * item + n)]


def run(cache: PrefixCache, kv: FakeKV, tokens: list[int], capacity: int = 10**6) -> int:
    reused = cache.prepare(kv, tokens, capacity_bytes=capacity)
    assert kv.held == tokens  # the context holds exactly the prompt, evaluated
    kv.generate(3)
    return reused


def test_helpers() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 3, 4]) == 3
    assert common_prefix([], [1]) == 0
    assert [aligned(n) for n in (0, 3, 4, 7, 8)] == [0, 0, 4, 4, 8]


def test_alternating_families_each_read_only_their_new_tokens() -> None:
    cache, kv = PrefixCache(), FakeKV()
    for item in range(4):
        run(cache, kv, prompt(REWRITE, item))
        run(cache, kv, prompt(ANSWER, item))
    before = kv.evaluated()
    assert run(cache, kv, prompt(REWRITE, 9)) == 60  # restored, not re-read
    assert kv.evaluated() - before == 9
    before = kv.evaluated()
    assert run(cache, kv, prompt(ANSWER, 9)) == 28  # 30 rounded down to a multiple of 4
    assert kv.evaluated() - before == 11
    assert cache.hits >= 2


def test_without_snapshots_the_families_evict_each_other() -> None:
    cache, kv = PrefixCache(), FakeKV()
    for item in range(3):
        run(cache, kv, prompt(REWRITE, item), capacity=0)
        run(cache, kv, prompt(ANSWER, item), capacity=0)
    assert kv.saves == 0 and cache.hits == 0
    assert kv.evaluated() == 3 * (69 + 39)


def test_every_batch_starts_at_a_multiple_of_align() -> None:
    """The property that makes reuse bit-identical to evaluating from scratch."""
    rng = random.Random(0)
    cache, kv = PrefixCache(), FakeKV()
    families = [list(range(f * 100, f * 100 + rng.randint(5, 70))) for f in range(4)]
    for _ in range(200):
        tokens = [*rng.choice(families), *(rng.randint(0, 9) for _ in range(rng.randint(1, 12)))]
        reused = run(cache, kv, tokens, capacity=rng.choice([0, 400, 10**6]))
        assert reused % ALIGN == 0 and reused < len(tokens)
    assert all(start % ALIGN == 0 for start, _ in kv.batches)
    assert cache.hits > 0


def test_repeated_prompt_still_evaluates_its_last_token() -> None:
    cache, kv = PrefixCache(), FakeKV()
    tokens = prompt(REWRITE, 1, n=8)  # 68 tokens: a multiple of ALIGN
    run(cache, kv, tokens)
    assert run(cache, kv, tokens) == 64
    assert kv.batches[-1] == (64, tokens[64:])


def test_capacity_and_count_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    cache, kv = PrefixCache(), FakeKV()
    families = [list(range(f * 100, f * 100 + 40)) for f in range(12)]
    for item in range(2):
        for family in families:
            run(cache, kv, prompt(family, item))
    assert len(cache.snapshot_lengths()) == pc.MAX_SNAPSHOTS
    cache.clear()
    for item in range(2):
        for family in families[:3]:
            run(cache, kv, prompt(family, item), capacity=900)  # room for two 40-token snapshots
    assert cache.snapshot_lengths() == [40, 40] and cache.n_bytes <= 900
    cache.clear()
    run(cache, kv, prompt(REWRITE, 1), capacity=100)
    run(cache, kv, prompt(REWRITE, 2), capacity=100)  # the 60-token snapshot does not fit
    assert cache.snapshot_lengths() == []


def test_short_shared_prefixes_are_not_snapshotted() -> None:
    cache, kv = PrefixCache(), FakeKV()
    short = list(range(pc.MIN_PREFIX - ALIGN))
    run(cache, kv, prompt(short, 1))
    run(cache, kv, prompt(short, 2))
    assert kv.saves == 0


def test_context_without_partial_removal_starts_over() -> None:
    cache, kv = PrefixCache(), FakeKV()
    kv.partial_removal = False
    run(cache, kv, prompt(REWRITE, 1))
    assert run(cache, kv, prompt(REWRITE, 2)) == 0
    assert kv.evaluated() == 2 * 69
