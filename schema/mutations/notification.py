"""Your in-app notifications and notification preferences."""

from __future__ import annotations

import strawberry

from resolvers.services import user_notifications
from schema.mutations.runner import UserError, run_mutation
from schema.node import decode_typed_id

ERRORS_HELP = "Why nothing changed; empty on success."


@strawberry.input(description="Which of your notifications to mark read: `ids` or `all`.")
class NotificationsMarkReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="These notifications (at most 100); others' ids match none."
    )
    all: bool = strawberry.field(default=False, description="Every unread notification.")


@strawberry.type(description="Result of marking notifications read.")
class NotificationsMarkReadPayload:
    marked: int = strawberry.field(description="How many changed from unread to read.")
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


@strawberry.input(description="Your preferences; omitted ones keep their value.")
class ViewerPreferencesInput:
    email_on_mention: bool | None = strawberry.field(
        default=None,
        description="Also email me when I am mentioned (the in-app notification is always "
        "written).",
    )


@strawberry.type(description="Your preferences after the change.")
class ViewerPreferencesPayload:
    email_on_mention: bool | None = strawberry.field(
        description="Whether a mention also emails you; null if the change failed."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


async def notifications_mark_read(
    info: strawberry.Info, input: NotificationsMarkReadInput
) -> NotificationsMarkReadPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        ids = (
            None
            if input.ids is None
            else [decode_typed_id(i, "UserNotification", "ids") for i in input.ids]
        )
        return await user_notifications.mark_read(
            session=session, actor=actor, ids=ids, all_=input.all
        )

    outcome = await run_mutation(info, work)
    return NotificationsMarkReadPayload(marked=outcome.value or 0, errors=outcome.errors)


async def viewer_preferences_update(
    info: strawberry.Info, input: ViewerPreferencesInput
) -> ViewerPreferencesPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await user_notifications.update_preferences(
            session=session, actor=actor, email_on_mention=input.email_on_mention
        )

    outcome = await run_mutation(info, work)
    return ViewerPreferencesPayload(email_on_mention=outcome.value, errors=outcome.errors)
