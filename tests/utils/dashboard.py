"""Resource versions, their decisions, certificates and issued credentials written straight into the
database in bulk (no chain, no review), for the dashboard's tests and bench/web.py; and the numbers
the dashboard must report for them, computed here in Python from what was written."""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from registry.models import (
    CatalogueNode,
    Certificate,
    CredentialBatch,
    Institution,
    IssuedCredential,
    Resource,
    ResourceVersion,
    StatusListRecord,
    WorkflowEvent,
)

__all__ = ["Expected", "percentile_cont", "seed_dashboard"]

_AUTHOR = "0x" + "cd" * 20
_BEIJING = timedelta(hours=8)
_CHUNK = 5000


def percentile_cont(values: list[float], p: float) -> float | None:
    """Linear interpolation between the closest ranks (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = int(position)
    if low + 1 >= len(ordered):
        return ordered[low]
    return ordered[low] + (position - low) * (ordered[low + 1] - ordered[low])


def month_of(moment: datetime) -> str:
    return (moment + _BEIJING).strftime("%Y-%m")


@dataclass
class Expected:
    """Per dimension and key: submissions, decisions, accepted, turnaround samples, certificates."""

    submissions: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    decisions: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    accepted: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    turnaround: dict[str, dict[str, list[float]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    certificates: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    revoked: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    credentials: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _keys(stage: str, subject: str, school: str, month: str) -> dict[str, str]:
    return {"total": "", "stage": stage, "subject": subject, "school": school, "month": month}


def seed_dashboard(
    session: Session,
    count: int,
    *,
    seed: int = 13,
    schools: int = 24,
    start: datetime = datetime(2025, 10, 1, tzinfo=UTC),
    stored_facts: bool = True,
) -> Expected:
    """``count`` versions over 14 months, 80 % decided (some decided again later: only the first
    decision counts), certificates for the accepted (some revoked, some never issued), and a
    few batches of issued credentials. The caller commits. Without ``stored_facts`` the versions are
    written as before migration 0010 (no months, first decision or turnaround on them)."""
    rng = random.Random(seed)
    nodes = [
        (n.id, n.stage or "", n.subject or "")
        for n in session.scalars(select(CatalogueNode).where(CatalogueNode.subject.is_not(None)).order_by(CatalogueNode.id))
    ]
    assert nodes, "load a catalogue first"
    institutions = []
    for i in range(schools):
        institution_id = "0x" + hashlib.sha256(f"dashboard-school-{seed}-{i}".encode()).hexdigest()
        institutions.append(institution_id)
    session.execute(
        insert(Institution),
        [
            {"id": institution_id, "name": f"第{i + 1}实验学校", "kind": "school", "admin_address": _AUTHOR, "created_at": start}
            for i, institution_id in enumerate(institutions)
        ],
    )
    first_version = int(session.scalar(select(func.max(ResourceVersion.id))) or 0) + 1
    first_resource = int(session.scalar(select(func.max(Resource.id))) or 0) + 1
    expected = Expected()
    resources, versions, events, certificates = [], [], [], []
    span = 14 * 30 * 86400
    for i in range(count):
        version_id, resource_id = first_version + i, first_resource + i
        node_id, stage, subject = nodes[rng.randrange(len(nodes))]
        school = institutions[rng.randrange(len(institutions))]
        created = start + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(1_000_000))
        digest = hashlib.sha256(f"dashboard:{seed}:{version_id}".encode()).hexdigest()
        resources.append({"id": resource_id, "owner": _AUTHOR, "created_at": created})
        state = "IN_REVIEW"
        facts: dict[str, Any] = {
            "stage": stage or None,
            "subject": subject or None,
            "submitted_month": month_of(created),
            "first_decision": None,
            "decided_at": None,
            "decided_month": None,
        }
        facts["turnaround_s"] = None  # what the workflow stores (see registry.workflows.review)
        for dimension, key in _keys(stage, subject, school, month_of(created)).items():
            expected.submissions[dimension][key] += 1
        if rng.random() < 0.8:
            decided = created + timedelta(seconds=rng.lognormvariate(11, 1.2))  # median ≈ 17 hours, long tail
            action = rng.choices(["accept", "request_revisions", "decline"], weights=[60, 25, 15])[0]
            state = {"accept": "ACCEPTED", "request_revisions": "REVISIONS_REQUESTED", "decline": "DECLINED"}[action]
            seconds = (decided - created).total_seconds()
            facts |= {"first_decision": action, "decided_at": decided, "decided_month": month_of(decided), "turnaround_s": seconds}
            for dimension, key in _keys(stage, subject, school, month_of(decided)).items():
                expected.decisions[dimension][key] += 1
                expected.accepted[dimension][key] += action == "accept"
                expected.turnaround[dimension][key].append(seconds)
            events.append(_event(version_id, 1, "submit", created, digest))
            events.append(_event(version_id, 2, action, decided, digest))
            if action == "decline" and rng.random() < 0.3:  # reopened and accepted later: still declined first
                events.append(_event(version_id, 3, "reopen", decided + timedelta(days=2), digest))
                events.append(_event(version_id, 4, "accept", decided + timedelta(days=3), digest))
                state = "ACCEPTED"
            if state == "ACCEPTED":
                issued = decided + timedelta(minutes=1)
                status = rng.choices(["issued", "revoked", "pending", "failed"], weights=[90, 5, 3, 2])[0]
                certificates.append(
                    {"version_id": version_id, "kind": "inclusion", "level": "city", "status": status, "created_at": issued}
                )
                if status in ("issued", "revoked"):
                    for dimension, key in _keys(stage, subject, school, month_of(issued)).items():
                        expected.certificates[dimension][key] += 1
                        expected.revoked[dimension][key] += status == "revoked"
        else:
            events.append(_event(version_id, 1, "submit", created, digest))
        versions.append(
            {
                "id": version_id,
                "resource_id": resource_id,
                "number": 1,
                "author": _AUTHOR,
                "institution_id": school,
                "title": f"资源 {version_id}",
                "description": "",
                "keywords": [],
                "resource_type": "教学设计",
                "catalogue_node_id": node_id,
                "licence": "CC-BY-4.0",
                "authors": [{"address": _AUTHOR, "share": 10000}],
                "parts": [],
                "root_cid": "bafy" + digest[:20],
                "content_hash": "0x" + digest,
                "metadata_hash": "0x" + digest,
                "signature": "0x",
                "nonce": version_id,
                "deadline": 0,
                "state": state,
                "round": 1,
                "lock_version": 1,
                "near_duplicates": [],
                "created_at": created,
                "updated_at": created,
                "accepted_at": None,
                "chain_status": "mined",
                **(facts if stored_facts else {}),
            }
        )
    for table, rows in ((Resource, resources), (ResourceVersion, versions), (WorkflowEvent, events), (Certificate, certificates)):
        for offset in range(0, len(rows), _CHUNK):
            session.connection().execute(insert(table.__table__), rows[offset : offset + _CHUNK])  # Core executemany: fast
    _seed_credentials(session, rng, institutions[:3], start, expected)
    if session.get_bind().dialect.name == "postgresql":  # explicit ids: move the sequences past them
        for table in ("resources", "resource_versions"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    return expected


def _event(version_id: int, seq: int, action: str, moment: datetime, digest: str) -> dict[str, Any]:
    return {
        "version_id": version_id,
        "seq": seq,
        "action": action,
        "actor": _AUTHOR,
        "role": "system",
        "details": {},
        "created_at": moment,
        "prev_hash": "0x" + "00" * 32,
        "hash": f"0x{digest[:56]}{seq:08x}",
    }


def _seed_credentials(session: Session, rng: random.Random, institutions: list[str], start: datetime, expected: Expected) -> None:
    """Two batches per institution, one anchored, one not yet; some credentials revoked or suspended."""
    for n, institution_id in enumerate(institutions):
        list_id = f"dash-{institution_id[2:14]}"
        session.execute(
            insert(StatusListRecord),
            [
                {
                    "id": list_id,
                    "institution_id": institution_id,
                    "bits": b"\0" * 16,
                    "allocated": b"\0" * 16,
                    "allocated_count": 0,
                    "version": 0,
                    "updated_at": start,
                    "lock_version": 1,
                }
            ],
        )
        for anchored in (True, False):
            issued_at = start + timedelta(days=rng.randrange(400), hours=rng.randrange(24))
            batch = session.execute(
                insert(CredentialBatch).returning(CredentialBatch.id),
                [
                    {
                        "institution_id": institution_id,
                        "key": f"batch-{n}-{anchored}",
                        "kind": "growth_record",
                        "issued_by": _AUTHOR,
                        "count": 0,
                        "documents": [],
                        "subjects": [],
                        "tx_hash": "0x" + "ab" * 32 if anchored else None,
                        "created_at": issued_at,
                    }
                ],
            ).scalar_one()
            size = rng.randrange(5, 30)
            rows = []
            for index in range(size):
                status = rng.choices(["active", "revoked", "suspended"], weights=[85, 10, 5])[0]
                rows.append(
                    {
                        "id": f"urn:uuid:{hashlib.sha256(f'{batch}:{index}'.encode()).hexdigest()[:32]}",
                        "batch_id": batch,
                        "institution_id": institution_id,
                        "subject_id": f"s{batch}-{index}",
                        "status_list_id": list_id,
                        "status_index": index,
                        "status": status,
                        "issued_at": issued_at,
                    }
                )
                for key in ("", f"month:{month_of(issued_at)}", f"institution:{institution_id}"):
                    expected.credentials[f"issued{key and '|' + key}"] += 1
                    expected.credentials[f"anchored{key and '|' + key}"] += anchored
                    expected.credentials[f"{status}{key and '|' + key}"] += 1
            session.execute(insert(IssuedCredential), rows)
