"""The index follows the database: logged acceptances, withdrawals, new versions and catalogue
renames; it survives crashes (replays, rebuilds) and never shows what the database does not."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from registry.crud import catalogue as catalogue_crud
from registry.crud import search as search_crud
from registry.models import ResourceVersion, SearchChange
from registry.search import SearchService, TantivyIndex
from tests.utils.search import NewVersion, seed_versions

FRACTIONS = "primary.math.g3.pep.vol1.c8.s1"
CLOCK = "primary.math.g1.pep.vol1.c7"


def found(service: SearchService, text: str = "", **filters: tuple[str, ...]) -> list[str]:
    page = service.search(text=text, filters=filters, nodes=(), offset=0, limit=100)
    return [hit.title for hit, _ in page.items]


def accepted_ids(sessions: sessionmaker[Session]) -> set[int]:
    with sessions() as session:
        return set(session.scalars(select(ResourceVersion.id).where(ResourceVersion.state == "ACCEPTED")))


def set_state(sessions: sessionmaker[Session], version_id: int, state: str) -> None:
    """A workflow's state change and its log row, in one transaction (what inclusion.py does)."""
    with sessions() as session:
        session.execute(update(ResourceVersion).where(ResourceVersion.id == version_id).values(state=state))
        search_crud.record_version_change(session, version_id)
        session.commit()


def test_acceptance_withdrawal_and_reinstatement_are_followed(service: SearchService, sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        fractions, clock = seed_versions(session, [NewVersion("认识几分之一", FRACTIONS), NewVersion("认识钟表", CLOCK)])
        session.commit()
    assert found(service, "认识") == ["认识钟表", "认识几分之一"], "seen by the next query, newest first among equals"
    set_state(sessions, clock, "WITHDRAWN")
    assert found(service, "认识") == ["认识几分之一"]
    set_state(sessions, clock, "ACCEPTED")
    assert sorted(found(service, "认识")) == ["认识几分之一", "认识钟表"]
    assert service.index.stored_ids() == accepted_ids(sessions) == {fractions, clock}


def test_a_new_version_replaces_the_old_one(service: SearchService, sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        (old,) = seed_versions(session, [NewVersion("分数的初步认识（旧版）", FRACTIONS)])
        session.commit()
    assert found(service, "分数") == ["分数的初步认识（旧版）"]
    with sessions() as session:  # acceptance of version 2: the old one superseded, both logged
        (new,) = seed_versions(session, [NewVersion("分数的初步认识（修订版）", FRACTIONS)])
        session.execute(update(ResourceVersion).where(ResourceVersion.id == old).values(state="SUPERSEDED"))
        search_crud.record_version_change(session, old)
        session.commit()
    assert found(service, "分数") == ["分数的初步认识（修订版）"]
    assert service.index.document_count() == 1


def test_the_same_change_applied_twice_leaves_one_document(service: SearchService, sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        (version,) = seed_versions(session, [NewVersion("认识钟表", CLOCK)])
        for _ in range(3):
            search_crud.record_version_change(session, version)
        session.commit()
    assert found(service, "钟表") == ["认识钟表"]
    assert service.index.document_count() == 1


def test_a_catalogue_rename_changes_facets_paths_and_the_vocabulary(service: SearchService, sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        seed_versions(session, [NewVersion("几分之一 教学设计", FRACTIONS), NewVersion("认识钟表", CLOCK)])
        session.commit()
    assert dict(service.search(text="", filters={}, nodes=(), offset=0, limit=10).facets["grade"]) == {"三年级": 1, "一年级": 1}
    data = catalogue_crud.read_catalogue_file(catalogue_crud.SAMPLE_CATALOGUE)
    grade3 = data["children"][0]["children"][0]["children"][1]
    assert grade3["key"] == "g3"
    grade3["name"] = "三年级（新课标）"
    chapter = grade3["children"][0]["children"][0]["children"][7]
    chapter["children"].append({"key": "s9", "name": "分数墙探究"})
    with sessions() as session:
        counts = catalogue_crud.load_catalogue(session=session, data=data)
        session.commit()
    assert counts["added"] == 1 and counts["updated"] > 1
    page = service.search(text="", filters={"grade": ("三年级（新课标）",)}, nodes=(), offset=0, limit=10)
    assert [hit.title for hit, _ in page.items] == ["几分之一 教学设计"]
    assert page.items[0][0].path.startswith("小学 / 数学 / 三年级（新课标） / ")
    assert found(service, "", grade=("三年级",)) == []
    assert "分数墙探究" in service.index.read_vocabulary(), "the user dictionary is generated from the catalogue"
    assert "分数墙探究" in (service.index.directory / "userdict.txt").read_text(encoding="utf-8").split()
    assert [s.text for s in service.suggest("分数墙")][:1] == ["分数墙探究"]


def test_facets_multi_select_and_the_subtree_filter(service: SearchService, sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        seed_versions(
            session,
            [
                NewVersion("几分之一 教学设计", FRACTIONS, resource_type="教学设计"),
                NewVersion("几分之一 课件", FRACTIONS, resource_type="课件", licence="CC-BY-NC-4.0"),
                NewVersion("认识钟表 微课", CLOCK, resource_type="微课"),
                NewVersion("Colours", "primary.english.g3.pep.vol1.u2", resource_type="课件"),
            ],
        )
        session.commit()
    both = service.search(text="", filters={"resource_type": ("课件", "微课")}, nodes=(), offset=0, limit=10)
    assert both.total == 3
    # a selected facet is counted without its own selection: the other choices stay visible
    assert dict(both.facets["resource_type"]) == {"课件": 2, "教学设计": 1, "微课": 1}
    assert dict(both.facets["subject"]) == {"数学": 2, "英语": 1}
    narrowed = service.search(text="", filters={"resource_type": ("课件", "微课"), "subject": ("数学",)}, nodes=(), offset=0, limit=10)
    assert narrowed.total == 2 and dict(narrowed.facets["subject"]) == {"数学": 2, "英语": 1}
    assert dict(narrowed.facets["resource_type"]) == {"教学设计": 1, "课件": 1, "微课": 1}
    subtree = service.search(text="", filters={}, nodes=("primary.math.g3",), offset=0, limit=10)
    assert sorted(hit.title for hit, _ in subtree.items) == ["几分之一 教学设计", "几分之一 课件"]
    assert service.search(text="", filters={}, nodes=("primary.math.g3", "primary.english"), offset=0, limit=10).total == 3
    assert service.search(text="几分之一", filters={"licence": ("CC-BY-NC-4.0",)}, nodes=(), offset=0, limit=10).total == 1


def test_pages_are_stable_and_ties_go_to_the_newest(service: SearchService, sessions: sessionmaker[Session]) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with sessions() as session:  # identical texts: equal relevance, so acceptance time decides
        ids = seed_versions(session, [NewVersion("认识钟表", CLOCK, accepted_at=start + timedelta(hours=i)) for i in range(150)])
        seed_versions(session, [NewVersion("认识钟表 认识钟表", CLOCK, accepted_at=start - timedelta(days=1))])  # more relevant, oldest
        session.commit()
    newest_first = list(reversed(ids))
    whole = [hit.title for hit, _ in service.search(text="钟表", filters={}, nodes=(), offset=0, limit=100).items]
    assert whole[0] == "认识钟表 认识钟表", "relevance first"
    pages = [
        hit.id
        for offset in range(1, 151, 20)
        for hit, _ in service.search(text="钟表", filters={}, nodes=(), offset=offset, limit=20).items
    ]
    assert pages == newest_first, "then the newest; pages run on without repeats or gaps"
    browse = [
        hit.id for offset in range(0, 151, 50) for hit, _ in service.search(text="", filters={}, nodes=(), offset=offset, limit=50).items
    ]
    assert browse[:150] == newest_first


def test_a_large_tie_is_newest_first_and_one_past_the_limit_still_pages_as_one_order(
    service: SearchService, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with sessions() as session:
        ids = seed_versions(session, [NewVersion("认识钟表", CLOCK, accepted_at=start + timedelta(minutes=i)) for i in range(1100)])
        session.commit()
    seen = [
        hit.id
        for offset in range(0, 1100, 100)
        for hit, _ in service.search(text="钟表", filters={}, nodes=(), offset=offset, limit=100).items
    ]
    assert seen == list(reversed(ids)), "1,100 equal scores: newest first across every page"
    monkeypatch.setattr("registry.search.tantivy_index.TIE_GROUP_MAX", 300)  # a group past the limit: the index's order
    seen = [
        hit.id
        for offset in range(0, 1100, 100)
        for hit, _ in service.search(text="钟表", filters={}, nodes=(), offset=offset, limit=100).items
    ]
    assert len(seen) == 1100 and set(seen) == set(ids), "no repeats, no gaps"


def test_a_hole_in_the_log_holds_the_watermark_until_it_fills(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """PostgreSQL can make id 11 visible before id 10: 10 must not be skipped for good."""
    service = SearchService(tmp_path / "search", sessions, gap_grace=3600)
    service.open()
    with sessions() as session:
        first, second = seed_versions(session, [NewVersion("认识钟表", CLOCK), NewVersion("几分之一", FRACTIONS)], log_changes=False)
        newest = int(session.scalar(select(func.max(SearchChange.id))) or 0)
        session.execute(insert(SearchChange), [{"id": newest + 2, "version_id": second, "created_at": datetime.now(UTC)}])
        session.commit()
    service.catch_up()
    assert found(service) == ["几分之一"]
    assert service.index.watermark == newest, "not past the hole"
    with sessions() as session:  # the slower transaction commits
        session.execute(insert(SearchChange), [{"id": newest + 1, "version_id": first, "created_at": datetime.now(UTC)}])
        session.commit()
    service.catch_up()
    assert sorted(found(service)) == ["几分之一", "认识钟表"]
    assert service.index.watermark == newest + 2
    service.close()


def test_a_hole_that_never_fills_is_passed_after_the_grace(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    service = SearchService(tmp_path / "search", sessions, gap_grace=0.2)
    service.open()
    with sessions() as session:
        (version,) = seed_versions(session, [NewVersion("认识钟表", CLOCK)], log_changes=False)
        newest = int(session.scalar(select(func.max(SearchChange.id))) or 0)
        session.execute(insert(SearchChange), [{"id": newest + 5, "version_id": version, "created_at": datetime.now(UTC)}])
        session.commit()
    service.catch_up()
    assert service.index.watermark == newest
    time.sleep(0.3)
    service.catch_up()
    assert service.index.watermark == newest + 5  # a rolled-back transaction's ids
    service.close()


def test_a_crash_between_the_index_commit_and_the_watermark_replays_harmlessly(
    service: SearchService, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions() as session:
        seed_versions(session, [NewVersion(f"认识钟表 第{i}课时", CLOCK) for i in range(5)])
        session.commit()
    service.catch_up()
    meta = service.index.directory / "eduledger-search.json"
    service.close()
    meta.write_text(json.dumps({"schema": 1, "watermark": 0}))  # the index has the documents, the watermark is old
    again = SearchService(tmp_path / "search", sessions)
    again.open()
    assert again.index.document_count() == 5 and again.index.stored_ids() == accepted_ids(sessions)
    again.close()


@pytest.mark.parametrize("damage", ["index deleted", "meta garbage", "other schema", "current points nowhere"])
def test_an_unusable_index_is_rebuilt_from_the_database(
    service: SearchService, sessions: sessionmaker[Session], tmp_path: Path, damage: str
) -> None:
    with sessions() as session:
        seed_versions(session, [NewVersion("认识钟表", CLOCK), NewVersion("几分之一", FRACTIONS)])
        session.commit()
    service.catch_up()
    directory = service.index.directory
    service.close()
    if damage == "index deleted":
        for path in directory.iterdir():
            path.unlink()
    elif damage == "meta garbage":
        (directory / "eduledger-search.json").write_text("{not json")
    elif damage == "other schema":
        (directory / "eduledger-search.json").write_text(json.dumps({"schema": 0, "watermark": 99}))
    else:
        (tmp_path / "search" / "CURRENT").write_text("gone\n")
    again = SearchService(tmp_path / "search", sessions)
    again.open()
    assert sorted(found(again)) == ["几分之一", "认识钟表"]
    assert again.index.directory != directory
    again.close()


def test_an_index_the_pruned_log_no_longer_reaches_is_rebuilt(
    service: SearchService, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions() as session:
        (clock,) = seed_versions(session, [NewVersion("认识钟表", CLOCK)])
        session.commit()
    service.catch_up()
    service.close()  # the service is away; meanwhile a version is withdrawn and the log is pruned
    with sessions() as session:
        session.execute(update(ResourceVersion).where(ResourceVersion.id == clock).values(state="WITHDRAWN"))
        search_crud.record_version_change(session, clock)
        seed_versions(session, [NewVersion("几分之一", FRACTIONS)])
        session.execute(update(SearchChange).values(created_at=datetime.now(UTC) - timedelta(days=60)))
        session.commit()
        assert search_crud.prune_changes(session, before=datetime.now(UTC) - timedelta(days=30)) > 0
        session.commit()
    again = SearchService(tmp_path / "search", sessions)
    again.open()
    assert found(again) == ["几分之一"]
    again.close()


def test_a_reindex_by_another_process_is_picked_up(service: SearchService, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with sessions() as session:
        seed_versions(session, [NewVersion("认识钟表", CLOCK)])
        session.commit()
    assert found(service) == ["认识钟表"]
    old = service.index.directory
    command = SearchService(tmp_path / "search", sessions)  # what `python -m registry reindex` runs
    assert command.rebuild() == 1
    command.close()
    with sessions() as session:
        seed_versions(session, [NewVersion("几分之一", FRACTIONS)])
        session.commit()
    assert sorted(found(service)) == ["几分之一", "认识钟表"]
    assert service.index.directory != old and not old.exists()


@pytest.mark.slow
def test_kill_9_during_catch_up_leaves_an_index_that_catches_up(tmp_path: Path) -> None:
    """A real crash: the process applying 3,000 logged acceptances is killed (SIGKILL) midway."""
    from registry.core import migrations
    from registry.core.db import make_engine, session_factory

    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        catalogue_crud.load_catalogue(session=session, data=catalogue_crud.read_catalogue_file(catalogue_crud.SAMPLE_CATALOGUE))
        session.commit()
    first = SearchService(tmp_path / "search", sessions)
    first.open()
    first.close()
    with sessions() as session:
        seed_versions(session, [NewVersion(f"认识钟表 第{i}课时", CLOCK, description="整时与半时。" * 20) for i in range(3000)])
        session.commit()
    script = (
        "import sys; from registry.core.db import make_engine, session_factory; from registry.search import SearchService\n"
        f"s = SearchService(__import__('pathlib').Path({str(tmp_path / 'search')!r}), session_factory(make_engine({url!r})))\n"
        "print('open', flush=True); s.open()\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parents[2])
    assert process.stdout is not None
    with process.stdout:
        assert process.stdout.readline().strip() == b"open"
    meta = TantivyIndex.current_generation(tmp_path / "search")
    assert meta is not None
    deadline = time.monotonic() + 60
    while json.loads((meta / "eduledger-search.json").read_text())["watermark"] <= 1 and time.monotonic() < deadline:
        time.sleep(0.01)  # until the first batch of 500 is committed
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    after = SearchService(tmp_path / "search", sessions)
    after.open()
    assert after.index.stored_ids() == accepted_ids(sessions)
    assert after.index.document_count() == 3000
    after.close()
    engine.dispose()


def test_the_index_directory_is_the_current_generation(service: SearchService, tmp_path: Path) -> None:
    assert TantivyIndex.current_generation(tmp_path / "search") == service.index.directory


def test_knowledge_points_are_suggested_by_name_and_by_pinyin(service: SearchService) -> None:
    assert [s.text for s in service.suggest("分数的")] == ["分数的初步认识", "分数的简单应用", "分数的简单计算"]
    assert [s.text for s in service.suggest("fenshu")][:1] == ["分数的初步认识"], "pinyin spelt out"
    assert [s.text for s in service.suggest("fsdcbrs")] == ["分数的初步认识"], "initials"
    assert "认识钟表" in [s.text for s in service.suggest("rszb")]
    assert service.suggest("zzzzzz") == []
    point = service.suggest("几分之一")[0]
    assert (point.kind, point.nodes) == ("knowledge_point", ("primary.math.g3.pep.vol1.c8.s1",))


def test_an_index_that_cannot_be_written_still_answers_and_never_shows_withdrawn(
    service: SearchService, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions() as session:
        (clock,) = seed_versions(session, [NewVersion("认识钟表", CLOCK)])
        session.commit()
    assert found(service) == ["认识钟表"]
    other = SearchService(tmp_path / "search", sessions)  # a second process on the same directory
    other.open()
    with sessions() as session:  # holds the writer; this one cannot take it
        seed_versions(session, [NewVersion("几分之一", FRACTIONS)])
        session.commit()
    other.catch_up()
    set_state(sessions, clock, "WITHDRAWN")
    assert "认识钟表" not in found(service), "the stale index still lists it; the page rows come from the database"
    other.close()
    assert sorted(found(service)) == ["几分之一"], "caught up once the writer is free"


def test_searches_running_while_changes_arrive_never_fail_and_end_consistent(
    service: SearchService, sessions: sessionmaker[Session]
) -> None:
    import threading

    errors: list[BaseException] = []
    stop = threading.Event()

    def searching() -> None:
        while not stop.is_set():
            try:
                service.search(text="钟表", filters={"subject": ("数学",)}, nodes=(), offset=0, limit=20)
                service.suggest("认识")
            except BaseException as exc:  # noqa: BLE001 — collected and re-raised below
                errors.append(exc)
                return

    threads = [threading.Thread(target=searching) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(10):
            with sessions() as session:
                ids = seed_versions(session, [NewVersion(f"认识钟表 {round_}-{i}", CLOCK) for i in range(5)])
                session.commit()
            set_state(sessions, ids[0], "WITHDRAWN")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    service.catch_up()
    assert service.index.stored_ids() == accepted_ids(sessions) and len(accepted_ids(sessions)) == 40
