"""Corrections suggested by visitors: how one is received, and how editors review them.

A suggestion is stored for the editors only; nothing in it reaches a public page. Reviewing one records
who decided and when, and does not change the project: the editor edits the project in the admin.

How many suggestions one client address may send is counted in the default cache (settings.CACHES, shared
by every process when CACHE_URL names a Redis), over CORRECTION_RATE_WINDOW from the first one.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from registry.enums import CorrectionStatus

from ..models import CorrectionSuggestion, Project


def correction_create(
    *, project: Project, message: str, source: str, sender_name: str = "", sender_email: str = ""
) -> CorrectionSuggestion:
    """Store a visitor's suggestion as new, checked with the model's own rules (lengths, address)."""
    correction = CorrectionSuggestion(
        project=project,
        message=message.strip(),
        source=source.strip(),
        sender_name=sender_name.strip(),
        sender_email=sender_email.strip(),
    )
    correction.full_clean()
    correction.save()
    return correction


def correction_review(
    *, correction: CorrectionSuggestion, status: str, reviewer: AbstractBaseUser, note: str | None = None
) -> CorrectionSuggestion:
    """Set a suggestion's status (and the editors' note, unless None). A change of status records the reviewer
    and the time; set back to new, it is unreviewed again."""
    status = CorrectionStatus(status)
    fields = []
    if note is not None and note != correction.note:
        correction.note = note
        fields.append("note")
    if status != correction.status:
        correction.status = status
        reviewed = status != CorrectionStatus.NEW
        correction.reviewed_by = reviewer if reviewed else None
        correction.reviewed_at = timezone.now() if reviewed else None
        fields += ["status", "reviewed_by", "reviewed_at"]
    if fields:
        correction.save(update_fields=fields)
    return correction


def corrections_review(*, corrections: QuerySet, status: str, reviewer: AbstractBaseUser) -> int:
    """Give many suggestions one status (the admin's actions); how many changed. Those already in it keep
    their reviewer and time."""
    status = CorrectionStatus(status)
    reviewed = status != CorrectionStatus.NEW
    return corrections.exclude(status=status).update(
        status=status,
        reviewed_by=reviewer if reviewed else None,
        reviewed_at=timezone.now() if reviewed else None,
    )


def _quota_key(address: str) -> str:
    # Hashed: an IPv6 address holds characters some cache backends refuse in a key.
    return "corrections:sent:" + hashlib.sha256(address.encode()).hexdigest()[:32]


def correction_quota_spent(*, address: str) -> bool:
    """Whether this address has sent as many suggestions as the window allows."""
    return (cache.get(_quota_key(address)) or 0) >= settings.CORRECTION_RATE_LIMIT


def correction_quota_take(*, address: str) -> bool:
    """Count one more suggestion from this address; False if it is over the limit (then nothing is to be saved).

    Counted with the cache's atomic increment, so that requests sent at once cannot pass the limit together.
    """
    key = _quota_key(address)
    window = int(settings.CORRECTION_RATE_WINDOW.total_seconds())
    cache.add(key, 0, timeout=window)  # the window starts with the first suggestion, and lasts that long
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls: this suggestion starts a new window
        cache.add(key, 1, timeout=window)
        count = 1
    return count <= settings.CORRECTION_RATE_LIMIT
