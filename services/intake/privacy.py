"""Who sees a resident's full phone number: the estate's own staff only (complaint privacy, 隐私)."""

from __future__ import annotations

from shared.auth import Principal
from shared.privacy import mask_phone

ESTATE_STAFF = ("agent", "supervisor", "manager", "technician")


def sees_full_phone(principal: Principal, estate_id: str) -> bool:
    """Head office, admins and contractors see `138****5678`; the estate's desk sees the number."""
    if principal.contractor or principal.has_role("contractor"):
        return False
    if not principal.has_role(*ESTATE_STAFF):
        return False
    return principal.all_estates or estate_id in principal.estates


def shown_phone(phone: str | None, principal: Principal, estate_id: str) -> str | None:
    return phone if sees_full_phone(principal, estate_id) else mask_phone(phone)
