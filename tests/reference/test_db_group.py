"""``Database.group`` (group commit, reference/db.py): each caller's writes are committed before it hears back,
and a caller whose work fails is rolled back alone, whether it was the only caller of its loop turn (a plain
transaction, no savepoint) or one of several (a savepoint each)."""

from __future__ import annotations

import asyncio

import pytest

from reference.db import Database


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "group.sqlite3")
    database.execute("CREATE TABLE t (v TEXT)")
    yield database
    database.close()


def _rows(db: Database) -> list[str]:
    return [row[0] for row in db.all("SELECT v FROM t ORDER BY rowid")]


def _insert(db: Database, value: str, fail: bool = False):
    def work() -> str:
        db.execute("INSERT INTO t (v) VALUES (?)", (value,))
        if fail:
            raise RuntimeError(f"work {value} failed")
        return value
    return work


def test_a_lone_caller_is_committed_and_a_failing_one_rolled_back(db):
    async def run():
        assert await db.group(_insert(db, "a")) == "a"
        assert _rows(db) == ["a"]
        assert not db._conn.in_transaction
        with pytest.raises(RuntimeError, match="work b failed"):
            await db.group(_insert(db, "b", fail=True))
        assert not db._conn.in_transaction
        assert await db.group(_insert(db, "c")) == "c"
    asyncio.run(run())
    assert _rows(db) == ["a", "c"]


def test_callers_of_one_turn_share_a_transaction_and_fail_alone(db):
    async def run():
        return await asyncio.gather(db.group(_insert(db, "a")), db.group(_insert(db, "b", fail=True)),
                                    db.group(_insert(db, "c")), return_exceptions=True)
    a, b, c = asyncio.run(run())
    assert (a, c) == ("a", "c") and isinstance(b, RuntimeError)
    assert _rows(db) == ["a", "c"]


def test_a_lone_callers_nested_transaction_joins_its_group(db):
    def work() -> int:
        with db.transaction():
            db.execute("INSERT INTO t (v) VALUES ('x')")
        raise ValueError("after the nested block")

    async def run():
        with pytest.raises(ValueError):
            await db.group(work)
    asyncio.run(run())
    assert _rows(db) == []  # the nested block joined the group's transaction, rolled back with it


def test_a_rolled_back_lone_caller_moves_the_read_caches_counters(db):
    seen = db.write_count("t")

    async def run():
        with pytest.raises(RuntimeError):
            await db.group(_insert(db, "a", fail=True))
    asyncio.run(run())
    assert db.write_count("t") > seen + 1  # the INSERT, then the rollback
