"""Content of versions not accepted is readable only by their authors, assigned reviewers and
administrators; accepted content is public on the trustless gateway (issue 10 item 10: anyone with
a CID downloaded versions still in review or declined)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger_service.content import CID
from tests.utils.registry import GOOD_RUBRIC, drain, lesson_bundle, lesson_metadata, new_signer, review_and_accept, set_up_people, sign_in
from wallet_cli._registry import RegistryClient, RegistryError

pytestmark = pytest.mark.anvil  # the registry's module chain is an anvil


def urls(version: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """Every way to the version's content: its root (as sent and as CIDv0), a part by path and by
    its own CID, a raw block, a CAR, the directory listing."""
    root = version["cid"]
    v0 = str(CID.v0(CID.parse(root).digest))
    part = version["parts"][0]
    return [
        (f"/ipfs/{root}/{part['name']}", {}),
        (f"/ipfs/{part['cid']}", {}),
        (f"/ipfs/{root}", {}),
        (f"/ipfs/{v0}", {}),
        (f"/ipfs/{root}", {"format": "raw"}),
        (f"/ipfs/{root}", {"format": "car"}),
        (f"/ipfs/{part['cid']}", {"format": "car"}),
    ]


def reads(client: TestClient, version: dict[str, Any], who: RegistryClient | None, *, public: bool = False) -> set[int]:
    headers = {"Authorization": f"Bearer {who.token}"} if who else {}
    statuses = set()
    for url, params in urls(version):
        response = client.get(url, params=params, headers=headers)
        statuses.add(response.status_code)
        if response.status_code == 200:
            cache = response.headers["cache-control"]
            assert ("immutable" in cache) if public else (cache == "private, no-store"), (url, cache)
        else:
            assert response.json()["error"] in ("not_found", "forbidden")
    return statuses


def submitted(people: Any, files: dict[str, bytes] | None = None, resource_id: int | None = None) -> dict[str, Any]:
    files = files or lesson_bundle(f"access-{uuid.uuid4()}")
    teacher = people.teacher
    return teacher.submit(files, lesson_metadata(teacher.signer.address, files), resource_id=resource_id)  # type: ignore[no-any-return]


def a_teacher(client: TestClient, people: Any) -> RegistryClient:
    key = new_signer()
    people.admin.request("PUT", f"/users/{key.address}", json={"institution_id": people.school_id, "roles": ["teacher"]})
    return sign_in(client, key)


def test_content_in_review_is_for_its_author_assigned_reviewers_and_admins(client: TestClient) -> None:
    people = set_up_people(client, reviewers=2)
    version = submitted(people)
    client.headers.pop("Authorization", None)
    assert reads(client, version, None) == {404}, "anonymous: no such public content"
    assert reads(client, version, a_teacher(client, people)) == {403}, "another teacher"
    assert reads(client, version, people.reviewers[0]) == {403}, "a reviewer not assigned to it"
    assert reads(client, version, people.teacher) == {200}, "its author"
    assert reads(client, version, people.admin) == {200}, "an administrator"
    path = f"/resources/{version['resource_id']}/versions/1"
    people.reviewers[0].request("POST", path + "/claim")
    assert reads(client, version, people.reviewers[0]) == {200}, "once assigned"
    assert reads(client, version, people.reviewers[1]) == {403}


def test_a_declined_version_stays_private_an_accepted_one_is_public(client: TestClient) -> None:
    people = set_up_people(client, reviewers=2)
    declined, accepted = submitted(people), submitted(people)
    path = f"/resources/{declined['resource_id']}/versions/1"
    for reviewer in people.reviewers:
        reviewer.request("POST", path + "/claim")
        reviewer.request("POST", path + "/reviews", json={"orientation_pass": True, "scores": GOOD_RUBRIC, "recommendation": "decline"})
    people.admin.request("POST", path + "/decision", json={"decision": "decline"})
    review_and_accept(people, accepted)
    client.headers.pop("Authorization", None)
    assert reads(client, declined, None) == {404}
    assert reads(client, declined, people.teacher) == {200} and reads(client, declined, people.reviewers[1]) == {200}
    assert reads(client, accepted, None, public=True) == {200}, "accepted content is public, cached for ever"
    assert reads(client, accepted, a_teacher(client, people), public=True) == {200}


def test_a_cid_shared_by_an_accepted_and_a_new_version_is_public_the_new_content_is_not(client: TestClient) -> None:
    people = set_up_people(client, reviewers=2)
    files = lesson_bundle(f"shared-{uuid.uuid4()}")
    first = review_and_accept(people, submitted(people, files))
    drain(client)  # on chain: the next version names it as its predecessor
    changed = {**files, "作业练习.txt": "修订后的作业练习：1. 涂色。2. 比较大小。3. 新增一题。".encode()}
    second = submitted(people, changed, resource_id=first["resource_id"])
    client.headers.pop("Authorization", None)
    kept = next(p for p in second["parts"] if p["name"] == "微课视频.mp4")
    new = next(p for p in second["parts"] if p["name"] == "作业练习.txt")
    assert kept["cid"] == next(p for p in first["parts"] if p["name"] == "微课视频.mp4")["cid"]
    assert client.get(f"/ipfs/{kept['cid']}").status_code == 200, "already public under the accepted version"
    assert client.get(f"/ipfs/{new['cid']}").status_code == 404
    assert client.get(f"/ipfs/{second['cid']}").status_code == 404
    assert client.get(f"/ipfs/{second['cid']}/微课视频.mp4").status_code == 404, "the root in review decides its paths"
    assert client.get(f"/ipfs/{first['cid']}/作业练习.txt").status_code == 200


def test_a_bad_token_is_refused_not_treated_as_anonymous(client: TestClient) -> None:
    people = set_up_people(client, reviewers=0)
    version = submitted(people)
    client.headers.pop("Authorization", None)
    response = client.get(f"/ipfs/{version['cid']}", headers={"Authorization": "Bearer not-a-session"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"


def test_the_migration_fills_content_cids_for_versions_recorded_before_it(client: TestClient) -> None:
    from alembic import command
    from sqlalchemy import select

    from registry.core import migrations
    from registry.models import ContentCid

    people = set_up_people(client, reviewers=0)
    version = submitted(people)
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        recorded = sorted(db.execute(select(ContentCid.digest, ContentCid.version_id)).all())
    expected = {"0x" + CID.parse(c).digest.hex() for c in [version["cid"], *(p["cid"] for p in version["parts"])]}
    assert {digest for digest, _ in recorded} == expected
    config = migrations._config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")  # the revision before content_cids
    migrations.upgrade(engine)
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        assert sorted(db.execute(select(ContentCid.digest, ContentCid.version_id)).all()) == recorded


def test_pages_get_content_links_for_what_their_reader_may_read(client: TestClient) -> None:
    """<img>, <video> and download links cannot send a bearer token: the preview API hands an allowed
    reader ``?access=`` links, good for that CID only, for an hour."""
    people = set_up_people(client, reviewers=1)
    version = submitted(people)
    client.headers.pop("Authorization", None)
    part = f"/resources/{version['resource_id']}/versions/1/parts/微课视频.mp4/preview"
    preview = people.teacher.request("GET", part)
    assert preview["kind"] == "video" and "&access=" in preview["url"] and preview["url"] == preview["original_url"]
    opened = client.get(preview["url"], headers={"Range": "bytes=0-99"})
    assert opened.status_code == 206 and opened.headers["cache-control"] == "private, no-store"
    assert client.get(preview["url"].split("&access=")[0]).status_code == 404, "without the link: not public"
    token = preview["url"].split("&access=")[1]
    assert client.get(preview["url"][:-1] + ("0" if token[-1] != "0" else "1")).status_code == 404, "a tampered link"
    other = next(p["cid"] for p in version["parts"] if p["name"] != "微课视频.mp4")
    assert client.get(f"/ipfs/{other}?access={token}").status_code == 404, "a link opens its own CID only"
    # A reviewer not assigned sees the version's page, not its content: no preview, no link.
    with pytest.raises(RegistryError) as refused:
        people.reviewers[0].request("GET", part)
    assert refused.value.status == 403 and "claim" in str(refused.value)
    bare = preview["url"].split("&access=")[0]
    assert client.get(bare, headers={"Authorization": f"Bearer {people.reviewers[0].token}"}).status_code == 403


def test_content_links_expire() -> None:
    from registry.workflows.content_access import ContentLinks

    cid = CID.parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")
    fresh, stale = ContentLinks(b"k" * 32), ContentLinks(b"k" * 32, ttl=-1)
    assert fresh.reader(fresh.issue(cid, "0xabc"), cid) == "0xabc"
    assert fresh.reader(stale.issue(cid, "0xabc"), cid) is None
    assert ContentLinks(b"j" * 32).reader(fresh.issue(cid, "0xabc"), cid) is None, "another service's key"
    assert fresh.reader("not.a.link", cid) is None and fresh.reader("", cid) is None
