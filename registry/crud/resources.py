"""Reading resources, versions and their histories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, func, select
from sqlalchemy.orm import Session

from ..core.errors import PermissionDeniedError, ResourceNotFoundError
from ..models import CatalogueNode, Certificate, Resource, ResourceVersion, Review, ReviewAssignment, WorkflowEvent

__all__ = [
    "authored_certificates",
    "authored_resources",
    "can_see_drafts",
    "catalogue_paths",
    "certificate_counts",
    "get_resource",
    "get_version",
    "latest_version",
    "round_review_stats",
    "version_assignments",
    "version_certificates",
    "version_events",
    "version_reviews",
    "versions_in_state",
    "versions_of",
]

PUBLIC_STATES = ("ACCEPTED", "SUPERSEDED", "WITHDRAWN")  # a draft under review is seen by its authors, reviewers, admins


def get_resource(*, session: Session, resource_id: int) -> Resource:
    resource = session.get(Resource, resource_id)
    if resource is None:
        raise ResourceNotFoundError(f"no resource {resource_id}")
    return resource


def versions_of(*, session: Session, resource_id: int) -> list[ResourceVersion]:
    return list(session.scalars(select(ResourceVersion).where(ResourceVersion.resource_id == resource_id).order_by(ResourceVersion.number)))


def latest_version(*, session: Session, resource_id: int) -> ResourceVersion:
    versions = versions_of(session=session, resource_id=resource_id)
    if not versions:
        raise ResourceNotFoundError(f"no resource {resource_id}")
    return versions[-1]


def get_version(*, session: Session, resource_id: int, number: int) -> ResourceVersion:
    version = session.scalar(select(ResourceVersion).where(ResourceVersion.resource_id == resource_id, ResourceVersion.number == number))
    if version is None:
        raise ResourceNotFoundError(f"resource {resource_id} has no version {number}")
    return version


def can_see_drafts(*, version: ResourceVersion, address: str | None, roles: frozenset[str]) -> bool:
    return bool(roles & {"admin", "reviewer"}) or any(a["address"] == address for a in version.authors)


def check_visible(*, version: ResourceVersion, address: str | None, roles: frozenset[str]) -> None:
    if version.state not in PUBLIC_STATES and not can_see_drafts(version=version, address=address, roles=roles):
        if address is None:
            raise ResourceNotFoundError(f"resource {version.resource_id} has no public version {version.number} (sign in to see drafts)")
        raise PermissionDeniedError("a version under review is visible to its authors, reviewers and administrators only")


def catalogue_node(*, session: Session, version: ResourceVersion) -> CatalogueNode:
    return session.get_one(CatalogueNode, version.catalogue_node_id)


def version_certificates(*, session: Session, version_id: int) -> list[Certificate]:
    return list(session.scalars(select(Certificate).where(Certificate.version_id == version_id).order_by(Certificate.id)))


def version_events(*, session: Session, version_id: int) -> list[WorkflowEvent]:
    return list(session.scalars(select(WorkflowEvent).where(WorkflowEvent.version_id == version_id).order_by(WorkflowEvent.seq)))


def version_reviews(*, session: Session, version_id: int) -> list[Review]:
    return list(session.scalars(select(Review).where(Review.version_id == version_id).order_by(Review.round, Review.id)))


def version_assignments(*, session: Session, version_id: int) -> list[ReviewAssignment]:
    return list(session.scalars(select(ReviewAssignment).where(ReviewAssignment.version_id == version_id).order_by(ReviewAssignment.id)))


def review_queue(*, session: Session, reviewer: str) -> tuple[list[ResourceVersion], list[ResourceVersion]]:
    """(assigned to ``reviewer`` and not yet reviewed, open to claim) — versions in review."""
    in_review = list(
        session.scalars(select(ResourceVersion).where(ResourceVersion.state == "IN_REVIEW").order_by(ResourceVersion.created_at))
    )
    assigned = {
        a.version_id: a
        for a in session.scalars(select(ReviewAssignment).where(ReviewAssignment.reviewer == reviewer))
        if any(v.id == a.version_id and v.round == a.round for v in in_review)
    }
    mine = [v for v in in_review if v.id in assigned and assigned[v.id].completed_at is None]
    open_ = [v for v in in_review if v.id not in assigned and not any(a["address"] == reviewer for a in v.authors)]
    return mine, open_


def summary(version: ResourceVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "state": version.state,
        "title": version.title,
        "created_at": version.created_at,
        "accepted_at": version.accepted_at,
    }


def _newest_versions_page(
    *, session: Session, where: Sequence[ColumnElement[bool]], offset: int, limit: int
) -> tuple[int, list[ResourceVersion]]:
    """(how many, a page of) each resource's newest version among those matching ``where``, newest first."""
    newest = (
        select(ResourceVersion.resource_id, func.max(ResourceVersion.number).label("number"))
        .where(*where)
        .group_by(ResourceVersion.resource_id)
        .subquery()
    )
    total = session.scalar(select(func.count()).select_from(newest)) or 0
    versions = session.scalars(
        select(ResourceVersion)
        .join(newest, (ResourceVersion.resource_id == newest.c.resource_id) & (ResourceVersion.number == newest.c.number))
        .order_by(ResourceVersion.created_at.desc(), ResourceVersion.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return total, list(versions)


def authored_resources(*, session: Session, address: str, offset: int, limit: int) -> tuple[int, list[ResourceVersion]]:
    """(how many, a page of) the newest versions of resources ``address`` signed a version of, newest first."""
    mine = select(ResourceVersion.resource_id).where(ResourceVersion.author == address).distinct().scalar_subquery()
    return _newest_versions_page(session=session, where=[ResourceVersion.resource_id.in_(mine)], offset=offset, limit=limit)


def institution_accepted(*, session: Session, institution_id: str, offset: int, limit: int) -> tuple[int, list[ResourceVersion]]:
    """(how many, a page of) the newest accepted (入库) versions of resources submitted from ``institution_id``, newest first."""
    accepted = [ResourceVersion.institution_id == institution_id, ResourceVersion.state == "ACCEPTED"]
    return _newest_versions_page(session=session, where=accepted, offset=offset, limit=limit)


def catalogue_paths(*, session: Session, node_ids: set[str]) -> dict[str, str]:
    if not node_ids:
        return {}
    return dict(session.execute(select(CatalogueNode.id, CatalogueNode.path).where(CatalogueNode.id.in_(node_ids))).all())


def certificate_counts(*, session: Session, version_ids: list[int]) -> dict[int, int]:
    if not version_ids:
        return {}
    rows = session.execute(
        select(Certificate.version_id, func.count()).where(Certificate.version_id.in_(version_ids)).group_by(Certificate.version_id)
    ).all()
    return dict(rows)


def authored_certificates(*, session: Session, address: str) -> list[tuple[Certificate, ResourceVersion]]:
    """Certificates of every version ``address`` signed as lead author, newest first."""
    rows = session.execute(
        select(Certificate, ResourceVersion)
        .join(ResourceVersion, ResourceVersion.id == Certificate.version_id)
        .where(ResourceVersion.author == address)
        .order_by(Certificate.created_at.desc(), Certificate.id.desc())
    ).all()
    return list(rows)


def versions_in_state(*, session: Session, state: str, offset: int, limit: int) -> tuple[int, list[ResourceVersion]]:
    """(how many, a page of) the versions in ``state``, oldest submission first (what waits longest comes first)."""
    where = ResourceVersion.state == state
    total = session.scalar(select(func.count()).select_from(ResourceVersion).where(where)) or 0
    versions = session.scalars(
        select(ResourceVersion).where(where).order_by(ResourceVersion.created_at, ResourceVersion.id).offset(offset).limit(limit)
    )
    return total, list(versions)


def round_review_stats(*, session: Session, versions: list[ResourceVersion]) -> dict[int, tuple[int, bool, float | None]]:
    """Per version id, its current round's reviews: (how many, whether one vetoed (政治性/导向性), mean total)."""
    if not versions:
        return {}
    rounds = {v.id: v.round for v in versions}
    rows = session.execute(
        select(Review.version_id, Review.round, func.count(), func.min(Review.orientation_pass.cast(Integer)), func.avg(Review.total))
        .where(Review.version_id.in_(rounds))
        .group_by(Review.version_id, Review.round)
    ).all()
    stats: dict[int, tuple[int, bool, float | None]] = {v.id: (0, False, None) for v in versions}
    for version_id, round_, count, all_pass, mean in rows:
        if rounds[version_id] == round_:
            stats[version_id] = (int(count), not all_pass, round(float(mean), 2) if mean is not None else None)
    return stats
