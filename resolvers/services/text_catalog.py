"""Every email and SMS the server sends, with its built-in wording and its placeholders.

An insurer may replace the wording of any of them per channel (`notification_texts`);
`notification_texts.send` renders through this catalog, so a kind that is not here cannot
be sent. The built-in texts are the server's wording before texts were configurable.

Three kinds are new with configurable texts and go only to the customer side:
`case_created`, `case_closed` and `message_to_customer`. Nothing like them was sent
before, and an insurer may tell its customers by other means, so they are sent only once
the insurer has written its own text for them (`sent_by_default` False): defining the text
is switching them on, resetting it switches them off.
"""

from __future__ import annotations

from dataclasses import dataclass

from resolvers.services.notifications import Channel

CASE = {
    "case_number": "The case number.",
    "address": "The damage address: street, city.",
    "insurer_name": "The insurer's company name.",
}
CUSTOMER = {
    **CASE,
    "customer_name": "The policyholder's name.",
    "claim_number": "The claim number (empty when the case has none).",
    "case_handler": "The case handler's name (the insurer's name when none is named).",
}


@dataclass(frozen=True, slots=True)
class Wording:
    subject: str | None  # None for SMS
    body: str


@dataclass(frozen=True, slots=True)
class TextKind:
    kind: str
    description: str
    recipient: str
    defaults: dict[Channel, Wording]
    placeholders: dict[str, str]
    # Placeholders every text of the kind must contain: the secret it exists to deliver.
    # They are never allowed in a subject (only the body is removed after delivery).
    required: tuple[str, ...] = ()
    sent_by_default: bool = True


def _email(subject: str, body: str) -> dict[Channel, Wording]:
    return {Channel.EMAIL: Wording(subject, body)}


KINDS: dict[str, TextKind] = {
    kind.kind: kind
    for kind in (
        TextKind(
            "customer_link",
            "The personal link to the customer page (email when the contact has an "
            "address, else SMS).",
            "A contact of the case",
            {
                Channel.EMAIL: Wording(
                    "Your case {case_number} with {insurer_name}",
                    "Hello {contact_name},\n\nyou can follow your case {case_number} "
                    "({address}) on our customer page:\n\n{link}\n\n"
                    "The link is personal: please do not share it.\n\n{insurer_name}",
                ),
                Channel.SMS: Wording(
                    None, "{insurer_name}: follow your case {case_number} here: {link}"
                ),
            },
            {
                **CASE,
                "contact_name": "The contact's name.",
                "link": "The personal link (required).",
            },
            required=("link",),
        ),
        TextKind(
            "customer_grant_link",
            "The personal link to the cases a customer grant covers (email when the holder "
            "has an address, else SMS).",
            "The holder of a customer grant (a household member, a property manager)",
            {
                Channel.EMAIL: Wording(
                    "Your cases with {insurer_name}",
                    "Hello {holder_name},\n\nyou can follow the cases you were given access "
                    "to on our customer page:\n\n{link}\n\nThe link is personal: please do "
                    "not share it.\n\n{insurer_name}",
                ),
                Channel.SMS: Wording(None, "{insurer_name}: follow your cases here: {link}"),
            },
            {
                "insurer_name": "The insurer's company name.",
                "holder_name": "The grant holder's name.",
                "link": "The personal link (required).",
            },
            required=("link",),
        ),
        TextKind(
            "customer_login_code",
            "The security code for signing in to the customer page.",
            "A contact of the case (SMS)",
            {
                Channel.SMS: Wording(
                    None,
                    "Your security code for the customer page: {code} (valid {minutes} minutes).",
                )
            },
            {
                "code": "The security code (required).",
                "minutes": "How many minutes the code is valid.",
            },
            required=("code",),
        ),
        TextKind(
            "case_created",
            "A new case was opened (sent only once the insurer has defined this text).",
            "The policyholder, when they have an email address",
            _email(
                "Your case {case_number} with {insurer_name}",
                "Hello {customer_name},\n\nwe have opened case {case_number} for the damage "
                "at {address}. {case_handler} will be in touch.\n\n{insurer_name}",
            ),
            CUSTOMER,
            sent_by_default=False,
        ),
        TextKind(
            "case_closed",
            "A case was closed (sent only once the insurer has defined this text).",
            "The policyholder, when they have an email address",
            _email(
                "Your case {case_number} is closed",
                "Hello {customer_name},\n\nyour case {case_number} ({address}) is now "
                "closed.\n\n{insurer_name}",
            ),
            CUSTOMER,
            sent_by_default=False,
        ),
        TextKind(
            "message_to_customer",
            "The insurer's side wrote in the customer chat (sent only once the insurer has "
            "defined this text). The message itself is not included.",
            "Contacts with live access to the customer page and an email address",
            _email(
                "New message on your case {case_number}",
                "Hello {customer_name},\n\nyou have a new message on your case "
                "{case_number}. Open the customer page to read it.\n\n{insurer_name}",
            ),
            CUSTOMER,
            sent_by_default=False,
        ),
        TextKind(
            "customer_message",
            "The customer sent a message (the message itself is not included).",
            "The case handler and, with chat_notifications, the external case handler",
            _email(
                "Case {case_number}: the customer sent a message",
                "The customer sent a message on case {case_number}. Open the case's "
                "customer communication to see it and mark it as read.",
            ),
            CASE,
        ),
        TextKind(
            "customer_upload",
            "The customer uploaded a file.",
            "The case handler and, with chat_notifications, the external case handler",
            _email(
                "Case {case_number}: the customer uploaded a file",
                "The customer uploaded a file on case {case_number}. Open the case's "
                "customer communication to see it and mark it as read.",
            ),
            CASE,
        ),
        TextKind(
            "task_office_assigned",
            "A task was assigned to an office.",
            "The office's active users",
            _email(
                "New task on case {case_number}: {task_title}",
                "Your office {office_name} has been given the task '{task_title}' on case "
                "{case_number} ({address}). Name the person responsible.",
            ),
            {**CASE, "task_title": "The task's title.", "office_name": "The office's name."},
        ),
        TextKind(
            "task_responsible_assigned",
            "Someone was named responsible for a task.",
            "The person named",
            _email(
                "You are responsible for '{task_title}' on case {case_number}",
                "You have been named responsible for the task '{task_title}' on case "
                "{case_number} ({address}).",
            ),
            {**CASE, "task_title": "The task's title."},
        ),
        TextKind(
            "external_case_handler_office_assigned",
            "An office was given a case's external case handler role.",
            "The office's users eligible for the role",
            _email(
                "Case {case_number}: name an external case handler",
                "Your office {office_name} holds the external case handler role on case "
                "{case_number} ({address}). Name the user who will handle it.",
            ),
            {**CASE, "office_name": "The office's name."},
        ),
        TextKind(
            "external_case_handler_assigned",
            "A user was named a case's external case handler.",
            "The user named",
            _email(
                "Case {case_number}: you are the external case handler",
                "You are now the external case handler of case {case_number} ({address}).",
            ),
            CASE,
        ),
        TextKind(
            "comment_mention",
            "Someone mentioned a user in an internal comment (sent when the user's "
            "`emailOnMention` preference is on).",
            "The mentioned user",
            _email(
                "You were mentioned on case {case_number}",
                "{author_name} mentioned you in a comment on case {case_number}.\n\n{comment}",
            ),
            {
                **CASE,
                "author_name": "Who wrote the comment.",
                "comment": "The comment, mentions shown as names (up to 500 characters).",
            },
        ),
        TextKind(
            "budget_submitted",
            "A budget waits for approval.",
            "The case handler and the external case handler who approves budgets",
            _email(
                "Budget for approval on case {case_number}",
                "A budget of {amount} for '{task_title}' on case {case_number} waits for approval.",
            ),
            {**CASE, "amount": "The budget's amount.", "task_title": "The task's title."},
        ),
        *(
            TextKind(
                f"budget_{outcome}",
                f"A budget was {outcome}.",
                "Who submitted the budget",
                _email(
                    f"Budget {outcome} on case {{case_number}}",
                    f"Your budget of {{amount}} for '{{task_title}}' on case {{case_number}} "
                    f"was {outcome}.{{note}}",
                ),
                {
                    **CASE,
                    "amount": "The budget's amount.",
                    "task_title": "The task's title.",
                    "note": "The decision note, after an empty line (empty without a note).",
                },
            )
            for outcome in ("approved", "rejected")
        ),
    )
}
