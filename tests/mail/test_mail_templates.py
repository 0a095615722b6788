"""Templates render as GOV.UK Notify renders them, and refuse what Notify would refuse."""

from __future__ import annotations

import pytest

from services.chassis.mail import MailTemplate, MissingPersonalisation

INVITATION = MailTemplate(
    name="invitation",
    subject="((Inviter name)) invited you to Convene",
    body="Dear ((first_name)),\n\nAccept: ((link))\n((personal note??They added a note.))",
)


def test_placeholders_are_listed_once_in_order_of_appearance() -> None:
    assert INVITATION.placeholders == ("Inviter name", "first_name", "link", "personal note")


def test_names_match_ignoring_case_spaces_hyphens_and_underscores() -> None:
    subject, body = INVITATION.render(
        {
            "inviter_name": "Sam",
            "First-Name": "Jane",
            "LINK": "https://x.example/a",
            "personal_note": "no",
        }
    )
    assert subject == "Sam invited you to Convene"
    assert body == "Dear Jane,\n\nAccept: https://x.example/a\n"


@pytest.mark.parametrize("value", ["yes", "Yes", "true", "1", "show"])
def test_conditional_text_shows_for_a_yes(value: str) -> None:
    rendered = INVITATION.render(
        {"inviter name": "Sam", "first name": "J", "link": "L", "personal note": value}
    )
    assert rendered.body.endswith("They added a note.")


def test_missing_values_are_named_in_the_error() -> None:
    with pytest.raises(MissingPersonalisation) as raised:
        INVITATION.render({"first_name": "Jane", "unused": "ignored"})
    assert raised.value.missing == ["Inviter name", "link", "personal note"]
    assert "invitation" in str(raised.value)
    assert "Inviter name, link, personal note" in str(raised.value)


def test_a_value_cannot_inject_lines_into_the_subject() -> None:
    template = MailTemplate(name="t", subject="Hello ((name))", body="b")
    assert template.render({"name": "Jane\nBcc: x@example.com"}).subject == (
        "Hello Jane Bcc: x@example.com"
    )


@pytest.mark.parametrize("name", ["", " sign-in", "sign in"])
def test_a_template_name_is_one_word(name: str) -> None:
    with pytest.raises(ValueError, match="template name"):
        MailTemplate(name=name, subject="s", body="b")
