"""Search through the API: Chinese words, English stems, facets (multi-select), pages, the index
following acceptance, withdrawal, reinstatement and catalogue renames, suggestions, bad input."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from registry.crud.catalogue import SAMPLE_CATALOGUE, read_catalogue_file
from tests.utils.registry import People, drain, lesson_metadata, office_document, review_and_accept, set_up_people


def publish(
    people: People,
    title: str,
    node: str,
    *,
    description: str = "",
    keywords: list[str] | None = None,
    resource_type: str = "教学设计",
    licence: str = "CC-BY-4.0",
) -> int:
    files = {"教学设计.docx": office_document("word", title + description + uuid.uuid4().hex)}
    metadata = lesson_metadata(
        people.teacher.signer.address,
        files,
        title=title,
        description=description,
        keywords=keywords or [],
        catalogue_node=node,
        resource_type=resource_type,
        licence=licence,
        parts=[{"name": "教学设计.docx", "role": "教学设计"}],
    )
    return int(review_and_accept(people, people.teacher.submit(files, metadata))["resource_id"])


@pytest.fixture
def catalogue(client: TestClient) -> tuple[TestClient, People, dict[str, int]]:
    people = set_up_people(client)
    ids = {
        "fractions": publish(
            people, "认识分数（几分之一）", "primary.math.g3.pep.vol1.c8.s1", description="通过分月饼认识几分之一。", keywords=["分数"]
        ),
        "fraction_sums": publish(people, "分数的简单计算", "primary.math.g3.pep.vol1.c8.s3", keywords=["同分母加减"]),
        "clock": publish(people, "认识钟表", "primary.math.g1.pep.vol1.c7", description="整时与半时。"),
        "colours": publish(
            people,
            "Unit 2 Colours: learning colour words",
            "primary.english.g3.pep.vol1.u2",
            description="Pupils name colours and play games with crayons.",
            licence="CC-BY-NC-4.0",
        ),
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
    assert {h["resource_id"] for h in search(client, node="primary.math.g3.pep.vol1.c8")["items"]} == {
        ids["fractions"],
        ids["fraction_sums"],
    }
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
    people.teacher.submit(
        files,
        lesson_metadata(
            people.teacher.signer.address,
            files,
            title="未审核的钟表课",
            resource_type="教学设计",
            parts=[{"name": "教学设计.docx", "role": "教学设计"}],
        ),
    )
    assert search(client, q="钟表")["total"] == 0


def test_several_values_of_a_facet_are_alternatives(catalogue: tuple[TestClient, People, dict[str, int]]) -> None:
    client, _, ids = catalogue
    either = search(client, resource_type=["教学设计"], licence=["CC-BY-4.0", "CC-BY-NC-4.0"], subject=["数学", "英语"])
    assert either["total"] == 4
    narrowed = search(client, subject=["英语", "科学"])
    assert [hit["resource_id"] for hit in narrowed["items"]] == [ids["colours"]]
    subject = {f["value"]: (f["count"], f["selected"]) for f in narrowed["facets"]["subject"]}
    assert subject == {"数学": (3, False), "英语": (1, True)}, "a selected facet still counts its other values"
    assert search(client, node=["primary.english", "primary.math.g1"])["total"] == 2


def test_reinstatement_and_a_catalogue_rename_are_followed(catalogue: tuple[TestClient, People, dict[str, int]]) -> None:
    client, people, ids = catalogue
    path = f"/resources/{ids['clock']}/versions/1"
    people.admin.request("POST", path + "/withdrawal", json={"reason_code": "outdated"})
    assert search(client, q="钟表")["total"] == 0
    people.admin.request("POST", path + "/reinstate", json={"reason": "误操作"})
    assert [hit["resource_id"] for hit in search(client, q="钟表")["items"]] == [ids["clock"]]
    data = read_catalogue_file(SAMPLE_CATALOGUE)
    data["children"][0]["children"][0]["children"][0]["name"] = "一年级（2024版）"
    people.admin.request("PUT", "/catalogue", json=data)
    hit = search(client, q="钟表")["items"][0]
    assert hit["catalogue_path"].startswith("小学 / 数学 / 一年级（2024版） / ")
    assert search(client, grade="一年级（2024版）")["total"] == 1 and search(client, grade="一年级")["total"] == 0


def test_suggestions_complete_knowledge_points_and_titles(catalogue: tuple[TestClient, People, dict[str, int]]) -> None:
    client, _, _ = catalogue
    answer = client.get("/search/suggest", params={"q": "分数"})
    assert answer.status_code == 200
    suggestions = answer.json()["suggestions"]
    points = [s["text"] for s in suggestions if s["kind"] == "knowledge_point"]
    titles = [s["text"] for s in suggestions if s["kind"] == "title"]
    assert points[0] == "分数的初步认识" and "primary.math.g3.pep.vol1.c8" in suggestions[0]["nodes"]
    assert {"分数的简单计算", "分数的简单应用"} <= set(points)
    assert set(titles) == {"认识分数（几分之一）", "分数的简单计算"}
    typed = client.get("/search/suggest", params={"q": "Unit 2 colo"}).json()["suggestions"]
    assert [(s["kind"], s["text"]) for s in typed] == [
        ("knowledge_point", "Unit 2 Colours"),
        ("title", "Unit 2 Colours: learning colour words"),
    ], "the last word unfinished"
    assert client.get("/search/suggest", params={"q": ""}).json()["suggestions"] == []
    assert client.get("/search/suggest", params={"q": "😀"}).json()["suggestions"] == []


@pytest.mark.parametrize(
    "query", ["！？。，", "😀🎉🚀", '"', "*", "NEAR", "OR", ":", '"分数" OR title:* NEAR(a b)', "'; DROP TABLE resource_versions; --"]
)
def test_operator_and_symbol_queries_are_plain_text(client: TestClient, query: str) -> None:
    answer = client.get("/search", params={"q": query})
    assert answer.status_code == 200, answer.text
    assert answer.json()["total"] == 0 and answer.json()["items"] == []


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"q": "a" * 10_000}, 422),
        ({"q": "分数" * 2_500}, 422),
        ({"q": "a" * 201}, 422),
        ({"page": 10_001}, 422),
        ({"page": 0}, 422),
        ({"per_page": 0}, 422),
        ({"subject": [f"学科{i}" for i in range(21)]}, 422),
        ({"stage": "小" * 121}, 422),
    ],
)
def test_bad_search_parameters_are_refused_with_a_reason(client: TestClient, params: dict[str, object], status: int) -> None:
    answer = client.get("/search", params=params)
    assert answer.status_code == status
    assert set(answer.json()) >= {"error", "message"}


def test_a_very_long_suggestion_prefix_is_refused(client: TestClient) -> None:
    answer = client.get("/search/suggest", params={"q": "a" * 10_000})
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_request"


def test_unknown_values_and_far_pages_are_empty_not_errors(catalogue: tuple[TestClient, People, dict[str, int]]) -> None:
    client, _, _ = catalogue
    assert search(client, subject="火星学")["total"] == 0
    assert search(client, node="nowhere.at.all")["total"] == 0
    far = search(client, q="分数", page=10_000)
    assert far["items"] == [] and far["total"] == 2
    assert search(client, page=10_000, per_page=100)["items"] == []
