"""The customer-page configuration as GraphQL types: what admins set and staff read."""

from __future__ import annotations

import enum
from typing import Any

import strawberry

from permissions import customer_page as page
from resolvers.services.common import camel_case
from schema.enums import FeedEventType
from server.errors import bad_input


def _enum(cls: Any, description: str, values: dict[Any, str]) -> Any:
    """A GraphQL enum over a permissions enum, with a description for every value."""
    graphql_enum = strawberry.enum(cls, description=description)
    for value in graphql_enum.__strawberry_definition__.values:
        value.description = values[cls[value.name]]
    return graphql_enum


M, R, T, D = page.Milestone, page.AccessRecipients, page.LinkTrigger, page.ChatDirection
Milestone = _enum(
    M,
    "When a setting takes effect, as the case progresses.",
    {
        M.CASE_CREATED: "From the case's creation.",
        M.INSPECTOR_ASSIGNED: "Once the main inspection has a responsible person.",
        M.POSITIVE_DECISION: "Once the compensation decision is ACCEPTED.",
        M.NEVER: "Never.",
    },
)
AccessRecipients = _enum(
    R,
    "Which contacts of a case get the customer page.",
    {
        R.POLICYHOLDER: "The policyholder.",
        R.CONTACT_PERSON: "The contact person.",
        R.BOTH: "The policyholder and the contact person.",
        R.ALL_CONTACTS: "Every contact on the case.",
    },
)
LinkTrigger = _enum(
    T,
    "When the access link is sent automatically.",
    {
        T.CASE_CREATED: "When the case is created.",
        T.INSPECTOR_ASSIGNED: "When an inspector is assigned.",
        T.POSITIVE_DECISION: "Upon a positive compensation decision.",
        T.MANUAL: "Never automatically: staff grant access per contact.",
    },
)
ChatDirection = _enum(
    D,
    "Which way the communication page carries messages.",
    {
        D.BOTH_WAYS: "The customer and the insurer's side both write.",
        D.ONLY_TO_CUSTOMER: "Only the insurer's side writes; the customer reads.",
        D.ONLY_FROM_CUSTOMER: "Only the customer writes (and uploads).",
    },
)

_SettingName = enum.Enum(  # type: ignore[misc]
    "CustomerPageSetting", {name.upper(): name for name in page.CustomerPageSettings.model_fields}
)
# One value per setting, for resetting a case's override to the portal's value.
CustomerPageSetting = _enum(
    _SettingName,
    "A customer-page setting, by name.",
    {member: f"The `{camel_case(member.value)}` setting." for member in _SettingName},
)


@strawberry.type(description="The customer page's colours (#RRGGBB) and logo.")
class CustomerPageBranding:
    page_background: str = strawberry.field(description="Page background colour.")
    menu_background: str = strawberry.field(description="Menu background colour.")
    selected_menu: str = strawberry.field(description="Background of the selected menu item.")
    font: str = strawberry.field(description="Font colour.")
    selected_font: str = strawberry.field(description="Font colour of the selected menu item.")
    headings: str = strawberry.field(description="Heading colour.")
    logo_url: str | None = strawberry.field(
        description="The logo; null in settings means the company's default logo."
    )

    @classmethod
    def of(cls, branding: page.Branding) -> CustomerPageBranding:
        return cls(**branding.model_dump())


@strawberry.type(
    description="Everything the customer page shows and when. Timed settings take a "
    "milestone; the page follows the case's current milestones."
)
class CustomerPageSettings:
    branding: CustomerPageBranding = strawberry.field(description="Colours and logo.")
    sms_code_required: bool = strawberry.field(
        description="Signing in needs a security code sent by SMS to the contact's phone."
    )
    access_recipients: AccessRecipients = strawberry.field(  # type: ignore[valid-type]
        description="Who gets access to the customer page."
    )
    link_trigger: LinkTrigger = strawberry.field(  # type: ignore[valid-type]
        description="When the access link is sent."
    )
    days_visible_after_closing: int = strawberry.field(
        description="Days a closed case stays on the customer page."
    )
    show_budget: Milestone = strawberry.field(  # type: ignore[valid-type]
        description="When the case budget tile appears."
    )
    show_feed: Milestone = strawberry.field(  # type: ignore[valid-type]
        description="When the news feed appears."
    )
    feed_filter: list[FeedEventType] = strawberry.field(
        description="The customer-facing event types the news feed shows."
    )
    show_schedule: bool = strawberry.field(
        description="Show the schedule tile: upcoming meeting times, partner and person."
    )
    show_project_plan: Milestone = strawberry.field(  # type: ignore[valid-type]
        description="When the project plan page (tasks, descriptions, partners) appears."
    )
    show_communication: Milestone = strawberry.field(  # type: ignore[valid-type]
        description="When the communication page appears."
    )
    communication_direction: ChatDirection = strawberry.field(  # type: ignore[valid-type]
        description="Which way the communication page carries messages."
    )
    show_documents: Milestone = strawberry.field(  # type: ignore[valid-type]
        description="When the documents page appears (shared documents only)."
    )
    auto_share_inspection_report: Milestone = strawberry.field(  # type: ignore[valid-type]
        description="When inspection reports are shared automatically."
    )
    auto_share_settlement_report: Milestone = strawberry.field(  # type: ignore[valid-type]
        description="When customer settlement reports are shared automatically."
    )
    show_case_handler_name: bool = strawberry.field(
        description="Show the case handler's name in the case information."
    )
    show_case_handler_mobile: bool = strawberry.field(
        description="Show the case handler's mobile (only together with the name)."
    )
    show_partner_contact: bool = strawberry.field(
        description="Show the assigned partners' contact information (office, person, phone)."
    )
    sms_help_text: str | None = strawberry.field(
        description="Whom to contact when the SMS security code does not arrive or fails."
    )

    @classmethod
    def of(cls, settings: page.CustomerPageSettings) -> CustomerPageSettings:
        values: dict[str, Any] = dict(settings)
        values["branding"] = CustomerPageBranding.of(settings.branding)
        values["feed_filter"] = sorted(settings.feed_filter, key=list(FeedEventType).index)
        return cls(**values)


@strawberry.type(description="A case's customer page as staff see it: settings and progress.")
class CaseCustomerPageConfig:
    settings: CustomerPageSettings = strawberry.field(
        description="The effective settings: the portal's with this case's override applied."
    )
    overridden: list[CustomerPageSetting] = strawberry.field(  # type: ignore[valid-type]
        description='Settings this case overrides ("Sending customer access" on the case).'
    )
    milestones: list[Milestone] = strawberry.field(  # type: ignore[valid-type]
        description="Milestones the case has reached."
    )


@strawberry.input(description="New colours or logo; omitted fields keep their value.")
class CustomerPageBrandingInput:
    page_background: str | None = strawberry.field(default=strawberry.UNSET, description="#RRGGBB.")
    menu_background: str | None = strawberry.field(default=strawberry.UNSET, description="#RRGGBB.")
    selected_menu: str | None = strawberry.field(default=strawberry.UNSET, description="#RRGGBB.")
    font: str | None = strawberry.field(default=strawberry.UNSET, description="#RRGGBB.")
    selected_font: str | None = strawberry.field(default=strawberry.UNSET, description="#RRGGBB.")
    headings: str | None = strawberry.field(default=strawberry.UNSET, description="#RRGGBB.")
    logo_url: str | None = strawberry.field(
        default=strawberry.UNSET, description="An https URL; null for the company's default."
    )


@strawberry.input(
    description="Settings to change; omitted fields keep their value. Null is only "
    "accepted where the setting itself may be null (logo, help text)."
)
class CustomerPageSettingsInput:
    branding: CustomerPageBrandingInput | None = strawberry.field(
        default=strawberry.UNSET, description="Colours and logo."
    )
    sms_code_required: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Require an SMS security code to sign in."
    )
    access_recipients: AccessRecipients | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="Who gets access."
    )
    link_trigger: LinkTrigger | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="When the link is sent."
    )
    days_visible_after_closing: int | None = strawberry.field(
        default=strawberry.UNSET, description="0–3650 days."
    )
    show_budget: Milestone | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="When the budget tile appears."
    )
    show_feed: Milestone | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="When the news feed appears."
    )
    feed_filter: list[FeedEventType] | None = strawberry.field(
        default=strawberry.UNSET, description="Customer-facing event types only."
    )
    show_schedule: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Show the schedule tile."
    )
    show_project_plan: Milestone | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="When the project plan appears."
    )
    show_communication: Milestone | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="When the communication page appears."
    )
    communication_direction: ChatDirection | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="Which way messages go."
    )
    show_documents: Milestone | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="When the documents page appears."
    )
    auto_share_inspection_report: Milestone | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="When inspection reports are shared."
    )
    auto_share_settlement_report: Milestone | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="When settlement reports are shared."
    )
    show_case_handler_name: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Show the case handler's name."
    )
    show_case_handler_mobile: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Show the case handler's mobile (needs the name)."
    )
    show_partner_contact: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Show partner contact information."
    )
    sms_help_text: str | None = strawberry.field(
        default=strawberry.UNSET, description="Whom to contact when the SMS code fails."
    )


def changes_of(value: Any) -> dict[str, Any]:
    """The fields an input actually sets, as the JSON the settings are stored in."""
    changes: dict[str, Any] = {}
    for name, field_value in vars(value).items():
        if field_value is strawberry.UNSET:
            continue
        if field_value is None and name == "branding":
            raise bad_input("'branding' cannot be null; omit it to keep the colours.", name)
        if isinstance(field_value, CustomerPageBrandingInput):
            changes[name] = changes_of(field_value)
        elif isinstance(field_value, list):
            changes[name] = sorted({item.value for item in field_value})
        elif isinstance(field_value, enum.Enum):
            changes[name] = field_value.value
        else:
            changes[name] = field_value
    return changes
