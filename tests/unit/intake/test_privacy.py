"""A resident's phone is shown in full to the estate's own staff only."""

from services.intake.privacy import shown_phone
from shared.auth import Principal

PHONE = "13812345678"


def who(*roles, estates=("e1",), contractor=None):
    return Principal(
        sub="u", group="g", roles=frozenset(roles), estates=tuple(estates), contractor=contractor
    )


def test_the_estates_desk_sees_the_number():
    assert shown_phone(PHONE, who("agent"), "e1") == PHONE
    assert shown_phone(PHONE, who("manager", estates=("*",)), "e1") == PHONE


def test_head_office_admins_contractors_and_other_estates_see_it_masked():
    assert shown_phone(PHONE, who("head_office", estates=("*",)), "e1") == "138****5678"
    assert shown_phone(PHONE, who("admin", estates=("*",)), "e1") == "138****5678"
    assert shown_phone(PHONE, who("contractor", contractor="lift-co"), "e1") == "138****5678"
    assert shown_phone(PHONE, who("technician", contractor="lift-co"), "e1") == "138****5678"
    assert shown_phone(PHONE, who("agent", estates=("e2",)), "e1") == "138****5678"
