"""The registry's tables, one module per domain; Alembic migrations are made from this metadata."""

from __future__ import annotations

from .auth import AuthChallenge, LoginLink, Session
from .base import Base, UtcDateTime, utcnow
from .catalogue import CatalogueNode
from .certificates import Certificate
from .contributions import ContributionStatement, ResourceStat
from .credentials import CredentialBatch, GrantSource, IssuedCredential, IssuerAccount, PresentationChallenge, StatusListRecord
from .institutions import Institution, RoleGrant, User
from .jobs import ChainJob, JobStatus
from .programmes import Collection, Nominee, Objection, PanelScore, Programme, ProgrammeEvent, Recommendation
from .resources import AuthorConfirmation, ContentCid, ContentPart, Fingerprint, Resource, ResourceVersion
from .reviews import Review, ReviewAssignment, WorkflowEvent
from .search import SearchChange

__all__ = [
    "AuthChallenge",
    "AuthorConfirmation",
    "Base",
    "CatalogueNode",
    "Certificate",
    "ChainJob",
    "Collection",
    "ContentCid",
    "ContentPart",
    "ContributionStatement",
    "CredentialBatch",
    "Fingerprint",
    "GrantSource",
    "Institution",
    "IssuedCredential",
    "IssuerAccount",
    "PresentationChallenge",
    "JobStatus",
    "LoginLink",
    "Nominee",
    "Objection",
    "PanelScore",
    "Programme",
    "ProgrammeEvent",
    "Recommendation",
    "Resource",
    "ResourceStat",
    "ResourceVersion",
    "Review",
    "ReviewAssignment",
    "RoleGrant",
    "SearchChange",
    "Session",
    "StatusListRecord",
    "User",
    "UtcDateTime",
    "WorkflowEvent",
    "utcnow",
]
