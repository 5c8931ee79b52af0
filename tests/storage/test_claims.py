"""Slack retries and double clicks are de-duplicated across processes by claiming a key once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest

from storage import Store
from storage.errors import InvalidValueError


def test_a_key_is_claimed_only_once_even_from_another_store(
    open_store: Callable[[], Store],
) -> None:
    first, second = open_store(), open_store()
    key = f"retry:{uuid.uuid4()}"
    assert first.claim_once(key=key) is True
    assert first.claim_once(key=key) is False
    assert second.claim_once(key=key) is False
    assert second.claim_once(key=f"{key}:other") is True


def test_racing_claims_have_exactly_one_winner(open_store: Callable[[], Store]) -> None:
    stores = [open_store() for _ in range(2)]
    key = f"click:{uuid.uuid4()}"
    barrier = threading.Barrier(8, timeout=30)
    results: list[bool] = []

    def claim(n: int) -> None:
        barrier.wait()
        results.append(stores[n % 2].claim_once(key=key))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_keys_outside_the_column_limit_are_refused(store: Store, key: str) -> None:
    with pytest.raises(InvalidValueError):
        store.claim_once(key=key)
