"""Demo texts: two standard replies per portal and one notification text of its own,
written through the services as each portal's admin would (so the event log shows them)."""

from __future__ import annotations

from typing import Any

from permissions.principal import Principal, Role
from resolvers.services import notification_texts, standard_replies
from resolvers.services.notifications import Channel

REPLIES = [
    (
        "Inspection booked",
        "Hello {customer_name},\n\nthe inspection for case {case_number} at {address} is "
        "booked; the inspector will call you the day before.\n\nBest regards,\n"
        "{case_handler}, {insurer_name}",
    ),
    (
        "Documents needed",
        "Hello {customer_name},\n\nto continue with case {case_number} (claim "
        "{claim_number}) we need photos of the damage and receipts for damaged items. "
        "Please upload them on this page.\n\n{case_handler}",
    ),
]
# The first portal words the email its case handlers get about customer messages itself.
OWN_TEXT = {
    "kind": "customer_message",
    "channel": Channel.EMAIL,
    "subject": "Sak {case_number}: ny melding fra kunden",
    "body": "Kunden har sendt en melding i sak {case_number} ({address}). Åpne "
    "kundekommunikasjonen i saken for å lese den og merke den som lest.",
}


async def seed_texts(seeder: Any) -> None:
    for index, key in enumerate(seeder.insurers):
        user = seeder.users[f"admin@{key}.test"]
        admin = Principal(
            role=Role.STAFF,
            insurer_id=user.insurer_id,
            user_id=user.id,
            company_id=user.company_id,
            authority_level=user.authority_level,
        )
        for title, body in REPLIES:
            await standard_replies.create_reply(
                session=seeder.session, actor=admin, title=title, body=body
            )
        if index == 0:
            await notification_texts.set_text(session=seeder.session, actor=admin, **OWN_TEXT)
