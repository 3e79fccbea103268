"""What may be submitted: resource types, the parts each holds, what a part's bytes may be, licences.

A 课例 is the full bundle (the 五件套: 微课视频, 教学设计, 学习任务单, 课件, 作业练习); other types are
one kind of file, optionally with companions. A part's declared role fixes which media families
its bytes may be (checked by sniffing, not by trusting names).
"""

from __future__ import annotations

__all__ = ["LICENCES", "PART_ROLES", "RESOURCE_TYPES", "WITHDRAWAL_REASONS", "ResourceType"]

from dataclasses import dataclass

_DOCUMENTS = frozenset({"document", "pdf", "text"})

# Part role → the media families (ledger_service.content.media_family) its bytes may be.
PART_ROLES: dict[str, frozenset[str]] = {
    "微课视频": frozenset({"video"}),
    "教学设计": _DOCUMENTS,
    "学习任务单": _DOCUMENTS,
    "课件": frozenset({"presentation", "pdf"}),
    "作业练习": _DOCUMENTS | {"spreadsheet"},
    "试卷": _DOCUMENTS,
    "音频": frozenset({"audio"}),
    "素材": frozenset({"image", "audio", "video", "pdf", "text", "document", "presentation", "spreadsheet", "archive"}),
}


@dataclass(frozen=True)
class ResourceType:
    required: frozenset[str]  # roles that must be present
    allowed: frozenset[str]  # roles that may be present


_LESSON = frozenset({"微课视频", "教学设计", "学习任务单", "课件", "作业练习", "素材"})

RESOURCE_TYPES: dict[str, ResourceType] = {
    "课例": ResourceType(frozenset({"教学设计"}), _LESSON),
    "微课": ResourceType(frozenset({"微课视频"}), _LESSON),
    "教学设计": ResourceType(frozenset({"教学设计"}), frozenset({"教学设计", "素材"})),
    "课件": ResourceType(frozenset({"课件"}), frozenset({"课件", "素材"})),
    "学习任务单": ResourceType(frozenset({"学习任务单"}), frozenset({"学习任务单", "素材"})),
    "作业练习": ResourceType(frozenset({"作业练习"}), frozenset({"作业练习", "素材"})),
    "试卷": ResourceType(frozenset({"试卷"}), frozenset({"试卷", "素材"})),
    "音频": ResourceType(frozenset({"音频"}), frozenset({"音频", "素材"})),
    "素材": ResourceType(frozenset({"素材"}), frozenset({"素材"})),
}

LICENCES = (
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC-BY-NC-4.0",
    "CC-BY-NC-SA-4.0",
    "CC-BY-ND-4.0",
    "CC-BY-NC-ND-4.0",
    "CC0-1.0",
    "LicenseRef-EduLedger-Platform-Use",  # free use on education platforms, rights reserved otherwise
)

# 出库 reason codes: name → the code recorded on chain with the status change and certificate revocation.
WITHDRAWAL_REASONS = {"author_request": 1, "infringement": 2, "content_finding": 3, "outdated": 4, "not_selected": 5}
