"""Contribution records (教师评优评先, 职级评价): counts per teacher and school, views and downloads
without viewer data, and the signed contribution statement verified through the API and the wallet."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.cli.test_wallet import wallet
from tests.registry.conftest import ClientFactory
from tests.utils.programmes import CHAPTERS, Year, accepted_design, refused, selected_programme, set_up_year, submit_design
from tests.utils.registry import drain


@pytest.fixture
def year(make_client: ClientFactory) -> Year:
    return set_up_year(make_client(MIN_REVIEWS=1, AUTO_ACCEPT_SCORE=10))


def test_records_count_what_a_teachers_resources_achieved(year: Year, tmp_path: Path) -> None:
    http, admin = year.http, year.admin
    school = year.schools[0]
    ann, colleague = year.teachers[school]
    pid = selected_programme(year, nominees=2, recommend_count=1)  # ann's is first (selected + recommended)
    extra = accepted_design(year, ann, CHAPTERS[10])
    submit_design(ann, CHAPTERS[11])  # in review: registered, not accepted
    admin.request("POST", f"/resources/{extra['resource_id']}/versions/1/collection", json={"level": "city"})
    drain(http)

    path = f"/resources/{extra['resource_id']}/versions/1"
    for _ in range(3):
        assert http.get(path, headers={"Authorization": ""}).status_code == 200
    ann.request("GET", path)  # the author's own view is not counted
    download = http.get(path + "/download", headers={"Authorization": ""}, follow_redirects=False)
    assert download.status_code == 307 and download.headers["location"] == f"/ipfs/{extra['cid']}?format=car"
    part = http.get(path + "/download", params={"part": "教学设计.docx"}, headers={"Authorization": ""}, follow_redirects=False)
    assert part.status_code == 307 and part.headers["location"].startswith(f"/ipfs/{extra['cid']}/")
    assert http.get(path + "/download", params={"part": "nope.exe"}).status_code == 404

    record = ann.request("GET", f"/contributions/teachers/{ann.signer.address}")
    assert record["counts"] == {
        "registered": 3,
        "accepted": 2,
        "withdrawn": 0,
        "selected": 1,
        "recommended": 1,
        "collected": 1,
        "views": 3,
        "downloads": 2,
    }
    assert record["selected_by_level"] == {"district": 1}
    assert sorted(c["kind"] for c in record["certificates"]) == ["collection", "inclusion", "inclusion", "recommendation", "selection"]
    refused(lambda: colleague.request("GET", f"/contributions/teachers/{ann.signer.address}"), 403, "forbidden")
    assert admin.request("GET", f"/contributions/teachers/{ann.signer.address}")["counts"]["views"] == 3
    school_record = colleague.request("GET", f"/contributions/schools/{school}")
    assert school_record["counts"]["accepted"] >= 2 and school_record["counts"]["selected"] >= 1
    refused(lambda: colleague.request("GET", "/contributions/schools/0xnope"), 404, "not_found")
    refused(lambda: ann.request("GET", "/contributions/teachers/not-an-address"), 422, "invalid_request")

    # The signed statement: valid through POST /verify and the wallet; a changed count is not.
    statement = ann.request("POST", "/contributions/me/statement")
    assert statement["credentialSubject"]["id"].endswith(ann.signer.address)
    assert len(statement["evidence"]) == 5 and statement["proof"]
    values = {r["resultDescription"].rsplit("-", 1)[-1]: r["value"] for r in statement["credentialSubject"]["result"]}
    assert values["selected"] == "1" and values["views"] == "3"
    assert http.get(f"/contributions/statements/{statement['id']}").json() == statement
    check = http.post("/verify", json={"credential": statement}).json()
    assert check["outcome"] == "valid", check
    forged = copy.deepcopy(statement)
    forged["credentialSubject"]["result"][0]["value"] = "99"
    assert http.post("/verify", json={"credential": forged}).json()["outcome"] == "invalid"
    chain = http.get("/chain").json()
    deployment = tmp_path / "chain.json"
    deployment.write_text(json.dumps({"chain_id": chain["chain_id"], "contracts": chain["contracts"]}))
    (tmp_path / "statement.json").write_text(json.dumps(statement, ensure_ascii=False))
    ledger = http.app.state.ledger  # type: ignore[attr-defined]
    done = wallet("verify", str(tmp_path / "statement.json"), "--deployment", str(deployment), "--rpc-url", ledger.node.url)
    assert done.returncode == 0 and "outcome: valid" in done.stdout, done.stdout + done.stderr
    refused(lambda: year.panel[0].request("POST", "/contributions/me/statement"), 403, "forbidden")

    # 出库 of the selected resource: its certificates are revoked and stop counting.
    selected = admin.request("GET", f"/programmes/{pid}/selection")["selected"][0]
    admin.request(
        "POST",
        f"/resources/{selected['resource_id']}/versions/{selected['version']}/withdrawal",
        json={"reason_code": "infringement", "reason": "侵权"},
    )
    drain(http)
    after = ann.request("GET", f"/contributions/teachers/{ann.signer.address}")["counts"]
    assert after["withdrawn"] == 1 and after["selected"] == 0 and after["recommended"] == 0
