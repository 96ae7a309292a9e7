"""What staff outside an estate may see of a resident (complaint information is not disclosed)."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough to recognise the resident, not enough to call them."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    keep_head = 3 if len(digits) >= 8 else 0
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]
