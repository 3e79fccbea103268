"""Search over accepted resources: Chinese without spaces, English stems, facets, pages, stable order."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from tests.utils.registry import People, drain, lesson_metadata, office_document, review_and_accept, set_up_people

def publish(people: People, title: str, node: str, *, description: str = "", keywords: list[str] | None = None,
            resource_type: str = "教学设计", licence: str = "CC-BY-4.0") -> int:
    files = {"教学设计.docx": office_document("word", title + description + uuid.uuid4().hex)}
    metadata = lesson_metadata(people.teacher.signer.address, files, title=title, description=description, keywords=keywords or [],
                               catalogue_node=node, resource_type=resource_type, licence=licence,
                               parts=[{"name": "教学设计.docx", "role": "教学设计"}])
    return int(review_and_accept(people, people.teacher.submit(files, metadata))["resource_id"])


@pytest.fixture
def catalogue(client: TestClient) -> tuple[TestClient, People, dict[str, int]]:
    people = set_up_people(client)
    ids = {
        "fractions": publish(people, "认识分数（几分之一）", "primary.math.g3.pep.vol1.c8.s1",
                             description="通过分月饼认识几分之一。", keywords=["分数"]),
        "fraction_sums": publish(people, "分数的简单计算", "primary.math.g3.pep.vol1.c8.s3", keywords=["同分母加减"]),
        "clock": publish(people, "认识钟表", "primary.math.g1.pep.vol1.c7", description="整时与半时。"),
        "colours": publish(people, "Unit 2 Colours: learning colour words", "primary.english.g3.pep.vol1.u2",
                           description="Pupils name colours and play games with crayons.", licence="CC-BY-NC-4.0"),
    }
    drain(client)
    return client, people, ids


def search(client: TestClient, **params: object) -> dict:  # type: ignore[type-arg]
    answer = client.get("/search", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_chinese_needs_no_spaces(catalogue: tuple[TestClient, People, dict[str, int]]) -> None:
    client, _, ids = catalogue
    found = search(client, q="分数")
    assert {hit["resource_id"] for hit in found["items"]} == {ids["fractions"], ids["fraction_sums"]}
    assert found["items"][0]["resource_id"] == ids["fractions"], "a title and keyword match outranks a title match"
    assert [hit["resource_id"] for hit in search(client, q="分月饼")["items"]] == [ids["fractions"]]
    assert [hit["resource_id"] for hit in search(client, q="分数的认识")["items"]] == [ids["fractions"]], "words, in any order"
    assert search(client, q="分数的乘法")["total"] == 0, "every word of the query must match"
    assert [hit["resource_id"] for hit in search(client, q="钟")["items"]] == [ids["clock"]]


def test_english_words_are_stemmed_and_case_folded(catalogue: tuple[TestClient, People, dict[str, int]]) -> None:
    client, _, ids = catalogue
    for query in ("colour", "COLOURS", "crayon games"):
        assert [hit["resource_id"] for hit in search(client, q=query)["items"]] == [ids["colours"]], query
    assert search(client, q="colours photosynthesis")["total"] == 0


def test_facets_count_the_matches_and_filters_narrow_them(catalogue: tuple[TestClient, People, dict[str, int]]) -> None:
    client, _, ids = catalogue
    everything = search(client)
    assert everything["total"] == 4
    facets = {name: {f["value"]: f["count"] for f in values} for name, values in everything["facets"].items()}
    assert facets["subject"] == {"数学": 3, "英语": 1}
    assert facets["grade"] == {"三年级": 3, "一年级": 1}
    assert facets["licence"] == {"CC-BY-4.0": 3, "CC-BY-NC-4.0": 1}
    assert search(client, subject="数学", grade="三年级")["total"] == 2
    assert {h["resource_id"] for h in search(client, node="primary.math.g3.pep.vol1.c8")["items"]} == {ids["fractions"], ids["fraction_sums"]}
    assert search(client, node="primary.math")["total"] == 3
    assert search(client, licence="CC-BY-NC-4.0")["items"][0]["resource_id"] == ids["colours"]


def test_pages_are_stable_and_complete(catalogue: tuple[TestClient, People, dict[str, int]]) -> None:
    client, _, _ = catalogue
    whole = [hit["resource_id"] for hit in search(client, per_page=100)["items"]]
    paged = [hit["resource_id"] for page in (1, 2) for hit in search(client, per_page=2, page=page)["items"]]
    assert paged == whole and len(set(whole)) == 4
    assert search(client, per_page=2)["pages"] == 2
    assert search(client, per_page=2, page=3)["items"] == []
    assert client.get("/search", params={"per_page": 500}).status_code == 422


def test_withdrawn_and_unaccepted_resources_are_not_found(catalogue: tuple[TestClient, People, dict[str, int]]) -> None:
    client, people, ids = catalogue
    people.admin.request("POST", f"/resources/{ids['clock']}/versions/1/withdrawal", json={"reason_code": "outdated"})
    assert search(client, q="钟表")["total"] == 0
    files = {"教学设计.docx": office_document("word", "draft" + uuid.uuid4().hex)}
    people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files, title="未审核的钟表课",
                                                 resource_type="教学设计", parts=[{"name": "教学设计.docx", "role": "教学设计"}]))
    assert search(client, q="钟表")["total"] == 0
