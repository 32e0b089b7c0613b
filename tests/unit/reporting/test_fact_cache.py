"""The bookkeeping of reporting's cached facts."""

from __future__ import annotations

from services.reporting.fact_cache import FactCache
from services.reporting.store import with_set


def test_a_year_is_used_only_while_the_other_writers_counts_are_unchanged() -> None:
    cache = FactCache()
    cache.put(("p", "2020-21"), [(("contacts", "p|c1"), {"fy": "2020-21"})], {"q|w2": 3})
    assert cache.get(("p", "2020-21"), {"q|w2": 3}) is not None
    assert cache.get(("p", "2020-21"), {"q|w2": 4}) is None
    assert cache.get(("p", "2020-21"), {"q|w2": 3}) is None  # dropped, read again next time


def test_own_writes_go_to_the_year_the_document_now_belongs_to() -> None:
    cache = FactCache()
    key = ("recommendations", "p|r1|1")
    cache.put(("p", "2020-21"), [(key, {"fy": "2020-21", "v": 1})], {})
    cache.put(("p", "2021-22"), [], {})
    cache.put(("x", "2020-21"), [], {})
    cache.written("p", {key: {"fy": "2021-22", "v": 2}})
    assert key not in cache.get(("p", "2020-21"), {}).docs  # type: ignore[union-attr]
    assert cache.get(("p", "2021-22"), {}).docs[key]["v"] == 2  # type: ignore[union-attr]
    assert cache.get(("x", "2020-21"), {}).docs == {}  # type: ignore[union-attr]


def test_least_recently_used_years_go_first_and_forget_clears_one_partnership() -> None:
    cache = FactCache(max_years=2)
    cache.put(("p", "2019-20"), [], {})
    cache.put(("p", "2020-21"), [], {})
    cache.get(("p", "2019-20"), {})
    cache.put(("q", "2020-21"), [], {})
    assert cache.get(("p", "2020-21"), {}) is None
    assert len(cache) == 2
    cache.forget("p")
    assert cache.get(("p", "2019-20"), {}) is None
    assert cache.get(("q", "2020-21"), {}) is not None


def test_with_set_is_what_an_upsert_with_set_leaves() -> None:
    found = {"_id": "a", "x": 1, "_versions": {"g": {"o1": {"s": 1}}}}
    after = with_set(found, "a", {"y": 2, "_versions.g.o2": {"s": 2}})
    assert after == {
        "_id": "a",
        "x": 1,
        "y": 2,
        "_versions": {"g": {"o1": {"s": 1}, "o2": {"s": 2}}},
    }
    assert found["_versions"] == {"g": {"o1": {"s": 1}}}  # the document read is left alone
    assert with_set(None, "b", {"a.b": 1}) == {"_id": "b", "a": {"b": 1}}
