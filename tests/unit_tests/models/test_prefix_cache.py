"""Prefix reuse: aligned KV reuse and snapshots of shared prompt prefixes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest

from langchain_s2a.models import _prefix_cache as pc
from langchain_s2a.models._prefix_cache import (
    ALIGN,
    MIN_BATCH,
    PrefixCache,
    aligned,
    common_prefix,
    plan,
)

BYTES_PER_TOKEN = 10


class FakeKV:
    """A context that records every evaluated batch as (start position, tokens)."""

    def __init__(self, grid: int = 512) -> None:
        self.grid = grid
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
    seen = len(kv.batches)
    reused = cache.prepare(kv, tokens, capacity_bytes=capacity)
    assert kv.held == tokens  # the context holds exactly the prompt, evaluated
    for begin, piece in kv.batches[seen:]:  # pieces a fresh evaluation would round alike
        end = begin + len(piece)
        assert begin % ALIGN == 0 and len(piece) <= kv.grid
        assert begin % kv.grid == 0 or len(piece) >= MIN_BATCH
        assert end == len(tokens) or end % kv.grid == 0
    assert kv.batches[seen][0] == reused
    kv.generate(3)
    return reused


def test_plan() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 3, 4]) == 3 and common_prefix([], [1]) == 0
    assert [aligned(n) for n in (0, 3, 4, 7, 8)] == [0, 0, 4, 4, 8]
    assert plan(0, 1, 512) == (0, [(0, 1)])
    assert plan(50, 40, 512) == (32, [(32, 40)])  # the last token is always read
    assert plan(7, 40, 512) == (4, [(4, 40)])
    assert plan(37, 40, 512) == (32, [(32, 40)])  # never a piece under MIN_BATCH
    assert plan(515, 520, 512) == (512, [(512, 520)])  # a fresh chunk starts at 512
    assert plan(40, 1030, 512) == (40, [(40, 512), (512, 1024), (1024, 1030)])


def test_alternating_families_each_read_only_their_new_tokens() -> None:
    cache, kv = PrefixCache(), FakeKV()
    run(cache, kv, prompt(REWRITE, 0))
    run(cache, kv, prompt(ANSWER, 0))
    before = kv.evaluated()
    assert run(cache, kv, prompt(REWRITE, 1)) == 60  # the first rewrite's copy, restored
    assert kv.evaluated() - before == 9
    before = kv.evaluated()
    assert run(cache, kv, prompt(ANSWER, 1)) == 28  # 30 rounded down to a multiple of 4
    assert kv.evaluated() - before == 11
    assert cache.hits == 2


def test_without_snapshots_the_families_evict_each_other() -> None:
    cache, kv = PrefixCache(), FakeKV()
    for item in range(3):
        run(cache, kv, prompt(REWRITE, item), capacity=0)
        run(cache, kv, prompt(ANSWER, item), capacity=0)
    assert kv.saves == 0 and cache.hits == 0
    assert kv.evaluated() == 3 * (69 + 39)


@pytest.mark.parametrize("grid", [512, 16])
def test_random_prompts_are_read_in_canonical_pieces(grid: int) -> None:
    rng = random.Random(grid)
    cache, kv = PrefixCache(), FakeKV(grid=grid)
    families = [list(range(f * 100, f * 100 + rng.randint(5, 70))) for f in range(4)]
    reused = 0
    for _ in range(300):
        tokens = [*rng.choice(families), *(rng.randint(0, 9) for _ in range(rng.randint(1, 12)))]
        reused += run(cache, kv, tokens, capacity=rng.choice([0, 400, 10**6]))
    assert cache.hits > 0 and reused > 0


def test_repeated_prompt_reads_at_least_a_min_batch() -> None:
    cache, kv = PrefixCache(), FakeKV()
    tokens = prompt(REWRITE, 1, n=8)  # 68 tokens
    run(cache, kv, tokens)
    assert run(cache, kv, tokens) == 60
    assert kv.batches[-1] == (60, tokens[60:])


def test_capacity_count_and_covered_copies() -> None:
    cache, kv = PrefixCache(), FakeKV()
    for family in range(pc.MAX_SNAPSHOTS + 4):
        run(cache, kv, prompt(list(range(family * 100, family * 100 + 40)), 0))
    assert len(cache.snapshot_lengths()) == pc.MAX_SNAPSHOTS
    cache.clear()
    for family in range(3):  # 49 tokens: 490 bytes each, room for two
        run(cache, kv, prompt(list(range(family * 100, family * 100 + 40)), 0), capacity=1000)
    assert cache.snapshot_lengths() == [49, 49] and cache.n_bytes <= 1000
    cache.clear()
    run(cache, kv, prompt(REWRITE, 1), capacity=100)  # 690 bytes do not fit
    assert cache.snapshot_lengths() == []
    run(cache, kv, REWRITE)
    run(cache, kv, prompt(REWRITE, 1))  # the same family: replaces the shorter copy
    run(cache, kv, prompt(REWRITE[:40], 2))  # shares 40 of 69 tokens: a family of its own
    assert cache.snapshot_lengths() == [69, 49]


def test_one_copy_per_family_survives_many_interleaved_families() -> None:
    cache, kv = PrefixCache(), FakeKV()
    families = [list(range(f * 100, f * 100 + 60)) for f in range(10)]  # 10 > MAX_SNAPSHOTS // 2
    for item in range(3):
        reused = [run(cache, kv, prompt(family, item)) for family in families]
    assert reused == [60] * 10  # every family's instructions were still held
    assert sorted(cache.snapshot_lengths()) == [69] * 10  # the newest copy of each


def test_short_prompts_are_not_copied() -> None:
    cache, kv = PrefixCache(), FakeKV()
    run(cache, kv, list(range(pc.MIN_PREFIX - 1)))
    assert kv.saves == 0


def test_context_without_partial_removal_starts_over() -> None:
    cache, kv = PrefixCache(), FakeKV()
    kv.partial_removal = False
    run(cache, kv, prompt(REWRITE, 1), capacity=0)
    assert run(cache, kv, prompt(REWRITE, 2), capacity=0) == 0
    assert kv.evaluated() == 2 * 69
