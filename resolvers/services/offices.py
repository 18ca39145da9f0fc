"""Partner offices and the insurer's office categories: manage them, and find the nearest
offices that can take a task (`recommended_offices`).

Keyword-only functions below GraphQL, each inside the caller's transaction. Offices are
not case events: changing one writes no feed entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, case, delete, false, func, literal, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from permissions import rules, scopes
from permissions.principal import Principal, Role
from permissions.rights import Right
from resolvers.services import notification_texts
from resolvers.services.common import portal_row, require, text
from resolvers.services.notifications import Channel
from resolvers.services.settings_changes import record_change, snapshot
from server.db.enums import CaseStatus, CompanyKind
from server.db.models import Case, Company, Office, OfficeCategory, OfficeCategoryLink, User
from server.errors import AppError, ErrorCode, bad_input, forbidden, not_found

MANAGE_OFFICES = "Only the insurer's staff manage partner offices."
MANAGE_CATEGORIES = "Only staff with authority level 5 or more define office categories."
SEE_CATEGORIES = "Office categories are the insurer's; partners see them only as external case "
SEE_CATEGORIES += "handler with the right 'see_office_categories'."
AVAILABILITY_ONLY = "Partner users may change only their own office's availableForNewTasks."
EARTH_RADIUS_KM = 6371.0088  # mean radius
MAX_SERVICES = 30
# What the event log records of an office (its settings; not the users in it).
OFFICE_SETTINGS = ("name", "street", "postal_code", "city", "latitude", "longitude", "services")
OFFICE_SETTINGS += ("available_for_new_tasks",)


@dataclass(slots=True)
class OfficeData:
    """Fields of an office as given by a client; None means 'not given'."""

    name: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    services: list[str] | None = None
    available_for_new_tasks: bool | None = None
    category_ids: list[int] | None = None

    def only_availability(self) -> bool:
        given = [name for name in self.__slots__ if getattr(self, name) is not None]
        return given == ["available_for_new_tasks"]


def coordinates(latitude: float | None, longitude: float | None) -> tuple[float, float] | None:
    """Both or neither, in range: latitude −90…90, longitude −180…180."""
    if latitude is None and longitude is None:
        return None
    if latitude is None or longitude is None:
        field = "latitude" if latitude is None else "longitude"
        raise bad_input("Give both latitude and longitude, or neither.", field)
    if not -90 <= latitude <= 90:
        raise bad_input("'latitude' must be between -90 and 90.", "latitude")
    if not -180 <= longitude <= 180:
        raise bad_input("'longitude' must be between -180 and 180.", "longitude")
    return latitude, longitude


def _services(values: list[str]) -> list[str]:
    """Trimmed, lower case, without duplicates, in the order given."""
    result: list[str] = []
    for index, value in enumerate(values):
        service = text(value, f"services.{index}", max_length=40)
        assert service is not None
        if service.lower() not in result:
            result.append(service.lower())
    if len(result) > MAX_SERVICES:
        raise bad_input(f"An office offers at most {MAX_SERVICES} services.", "services")
    return result


async def _category_ids(session: AsyncSession, office_id: int) -> list[int]:
    stmt = select(OfficeCategoryLink.category_id).where(OfficeCategoryLink.office_id == office_id)
    return sorted((await session.execute(stmt)).scalars())


def _named(category: OfficeCategory) -> dict[str, Any]:
    return snapshot(category, ("name", "description"))


async def _log(
    session: AsyncSession,
    actor: Principal,
    row: Office | OfficeCategory,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await record_change(
        session,
        actor=actor,
        insurer_id=row.insurer_id,
        action=action,
        subject_type=type(row).__name__,
        subject_id=row.id,
        before=before,
        after=after,
    )


async def _set_categories(session: AsyncSession, office: Office, category_ids: list[int]) -> None:
    ids = sorted(set(category_ids))
    if ids:
        stmt = select(OfficeCategory.id).where(
            OfficeCategory.id.in_(ids), OfficeCategory.insurer_id == office.insurer_id
        )
        found = set((await session.execute(stmt)).scalars())
        if missing := [i for i in ids if i not in found]:
            raise bad_input(f"Unknown office category ({len(missing)} of them).", "categoryIds")
    links = delete(OfficeCategoryLink).where(OfficeCategoryLink.office_id == office.id)
    await session.execute(links)
    session.add_all(OfficeCategoryLink(office_id=office.id, category_id=i) for i in ids)


def _apply(office: Office, data: OfficeData) -> None:
    if data.name is not None:
        office.name = text(data.name, "name", max_length=200)  # type: ignore[assignment]
    for name, field, limit in (
        ("street", "street", 200),
        ("postal_code", "postalCode", 20),
        ("city", "city", 100),
    ):
        value = getattr(data, name)
        if value is not None:
            setattr(office, name, text(value, field, max_length=limit, required=False))
    point = coordinates(data.latitude, data.longitude)
    if point is not None:
        office.latitude, office.longitude = point
    if data.services is not None:
        office.services = _services(data.services)
    if data.available_for_new_tasks is not None:
        office.available_for_new_tasks = data.available_for_new_tasks


async def create_office(
    *, session: AsyncSession, actor: Principal, company_id: int, data: OfficeData
) -> Office:
    """A new office of a partner company in the actor's portal."""
    require(rules.can_manage_offices(actor), MANAGE_OFFICES)
    if company_id == actor.insurer_id:  # the insurer's staff belong to no office
        raise bad_input("Offices are created for partner companies.", "companyId")
    company = await portal_row(session, Company, company_id, actor.insurer_id, "company")
    assert company.kind is CompanyKind.PARTNER  # only partners carry an insurer_id
    if data.name is None:
        raise bad_input("'name' is required.", "name")
    office = Office(insurer_id=actor.insurer_id, company_id=company.id, services=[])
    _apply(office, data)
    session.add(office)
    await session.flush()
    if data.category_ids is not None:
        await _set_categories(session, office, data.category_ids)
    after = {
        **snapshot(office, OFFICE_SETTINGS),
        "categoryIds": sorted(set(data.category_ids or [])),
    }
    await _log(session, actor, office, "office.create", None, after)
    return office


async def update_office(
    *, session: AsyncSession, actor: Principal, office_id: int, data: OfficeData
) -> Office:
    """Staff change any field; the office's own partner users only its availability."""
    stmt = select(Office).where(Office.id == office_id).with_for_update()
    office = (await session.execute(stmt)).scalar_one_or_none()
    if office is None or office.insurer_id != actor.insurer_id:
        raise not_found("office")
    if not rules.can_manage_offices(actor):
        require(rules.can_set_office_availability(actor, office), MANAGE_OFFICES)
        require(data.only_availability(), AVAILABILITY_ONLY)
    before = snapshot(office, OFFICE_SETTINGS)
    _apply(office, data)
    after = snapshot(office, OFFICE_SETTINGS)
    if data.category_ids is not None:
        before["categoryIds"] = await _category_ids(session, office.id)
        await _set_categories(session, office, data.category_ids)
        after["categoryIds"] = sorted(set(data.category_ids))
    await _log(session, actor, office, "office.update", before, after)
    return office


# -- categories --------------------------------------------------------------------------


async def _category(session: AsyncSession, actor: Principal, category_id: int) -> OfficeCategory:
    category = await session.get(OfficeCategory, category_id, with_for_update=True)
    if category is None or category.insurer_id != actor.insurer_id:
        raise not_found("office category")
    return category


async def _flush_unique(session: AsyncSession, category: OfficeCategory) -> None:
    """Write the category (a duplicate name is CONFLICT) and read back its defaults."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise AppError(
            ErrorCode.CONFLICT, "The portal has an office category of that name.", field="name"
        ) from exc
    await session.refresh(category)


async def create_category(
    *, session: AsyncSession, actor: Principal, name: str, description: str | None
) -> OfficeCategory:
    require(rules.can_manage_office_categories(actor), MANAGE_CATEGORIES)
    category = OfficeCategory(
        insurer_id=actor.insurer_id,
        name=text(name, "name", max_length=100),
        description=text(description, "description", max_length=2000, required=False),
    )
    session.add(category)
    await _flush_unique(session, category)
    await _log(session, actor, category, "officeCategory.create", None, _named(category))
    return category


async def update_category(
    *,
    session: AsyncSession,
    actor: Principal,
    category_id: int,
    name: str | None,
    description: str | None,
) -> OfficeCategory:
    """Omitted fields stay; an empty description clears it."""
    require(rules.can_manage_office_categories(actor), MANAGE_CATEGORIES)
    category = await _category(session, actor, category_id)
    before = _named(category)
    if name is not None:
        category.name = text(name, "name", max_length=100)  # type: ignore[assignment]
    if description is not None:
        category.description = text(description, "description", max_length=2000, required=False)
    await _flush_unique(session, category)
    await _log(session, actor, category, "officeCategory.update", before, _named(category))
    return category


async def delete_category(*, session: AsyncSession, actor: Principal, category_id: int) -> int:
    """Removes the category and its office links; returns its id."""
    require(rules.can_manage_office_categories(actor), MANAGE_CATEGORIES)
    category = await _category(session, actor, category_id)
    await _log(session, actor, category, "officeCategory.delete", _named(category), None)
    await session.delete(category)
    await session.flush()
    return category_id


async def list_categories(*, session: AsyncSession, actor: Principal) -> list[OfficeCategory]:
    """The portal's categories by name, for those who may see them."""
    if not rules.can_see_office_categories(actor):
        raise forbidden(SEE_CATEGORIES)
    if actor.role is Role.PARTNER and not await handles_open_case(session, actor):
        raise forbidden(SEE_CATEGORIES)
    stmt = (
        select(OfficeCategory)
        .where(OfficeCategory.insurer_id == actor.insurer_id)
        .order_by(OfficeCategory.name, OfficeCategory.id)
    )
    return list((await session.execute(stmt)).scalars())


def _handles_open_case(user_id: Any) -> Any:
    return select(Case.external_case_handler_id).where(
        Case.external_case_handler_id == user_id, Case.status != CaseStatus.CLOSED
    )


async def handles_open_case(session: AsyncSession, actor: Principal) -> bool:
    stmt = _handles_open_case(actor.user_id).limit(1)
    return (await session.execute(stmt)).first() is not None


# -- batches for the request's loaders ---------------------------------------------------


async def categories_by_office(conn: AsyncConnection, office_ids: Sequence[int]) -> list[list[Any]]:
    """Each office's categories, by name."""
    stmt = (
        select(OfficeCategoryLink.office_id, *OfficeCategory.__table__.c)
        .join(OfficeCategory, OfficeCategory.id == OfficeCategoryLink.category_id)
        .where(OfficeCategoryLink.office_id.in_(office_ids))
        .order_by(OfficeCategory.name, OfficeCategory.id)
    )
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in (await conn.execute(stmt)).all():
        grouped[row.office_id].append(row)
    return [grouped.get(i, []) for i in office_ids]


async def users_handling_open_cases(conn: AsyncConnection, user_ids: Sequence[int]) -> list[bool]:
    """Whether each user is the external case handler of an open (not closed) case."""
    stmt = (
        select(Case.external_case_handler_id)
        .where(Case.external_case_handler_id.in_(user_ids), Case.status != CaseStatus.CLOSED)
        .distinct()
    )
    found = set((await conn.execute(stmt)).scalars())
    return [i in found for i in user_ids]


# -- recommended offices -----------------------------------------------------------------


def _distance_km() -> Any:
    """Haversine great-circle distance between the case and the office, in SQL."""
    sin, cos, rad = func.sin, func.cos, func.radians
    lat1, lat2 = rad(Case.latitude), rad(Office.latitude)
    half_dlat = (lat2 - lat1) / 2
    half_dlon = (rad(Office.longitude) - rad(Case.longitude)) / 2
    a = sin(half_dlat) * sin(half_dlat) + cos(lat1) * cos(lat2) * sin(half_dlon) * sin(half_dlon)
    # Rounding can push `a` a hair over 1, outside asin's domain; least() would turn a
    # missing coordinate's NULL into 1, so CASE keeps it NULL.
    a = case((a > 1.0, 1.0), else_=a)
    return (2 * EARTH_RADIUS_KM * func.asin(func.sqrt(a))).cast(Float)


def _may_assign(principal: Principal) -> Any:
    """As rules.can_recommend_offices, evaluated on the case row in the same statement."""
    if rules.can_manage_case(principal):
        return true()
    if principal.role is Role.PARTNER and Right.ASSIGN_TASKS.value in principal.ech_rights:
        return Case.external_case_handler_id == principal.user_id
    return false()


@dataclass(frozen=True, slots=True)
class Recommendation:
    office: Any  # an offices row
    distance_km: float | None


async def recommended_offices(
    *, conn: AsyncConnection, actor: Principal, case_id: int, service: str, first: int | None
) -> list[Recommendation]:
    """Offices of the case's portal that offer `service` and take new tasks, nearest to the
    damage address first; offices without coordinates last, then by name. One statement:
    the case row (visibility and the assign permission) left-joined to the offices."""
    wanted = text(service, "service", max_length=40)
    assert wanted is not None
    limit = 10 if first is None else first
    if not 1 <= limit <= 100:
        raise bad_input("'first' must be between 1 and 100.", "first")
    distance = _distance_km().label("distance_km")
    offices = (
        select(*Office.__table__.c, distance)
        .where(
            Office.insurer_id == Case.insurer_id,
            Office.available_for_new_tasks,
            literal(wanted.lower()) == func.any(Office.services),
        )
        .order_by(distance.asc().nulls_last(), Office.name, Office.id)
        .limit(limit)
        .lateral("offices")
    )
    stmt = (
        select(_may_assign(actor).label("allowed"), offices)
        .select_from(Case)
        .outerjoin(offices, true())
        .where(Case.id == case_id, scopes.visible_cases(actor))
    )
    rows = list((await conn.execute(stmt)).all())
    if not rows:
        raise not_found("case")
    if not rows[0].allowed:
        raise forbidden(
            "Only those who assign tasks (staff, or the external case handler with the "
            "right 'assign_tasks') see recommended offices."
        )
    return [
        Recommendation(office=row, distance_km=row.distance_km)
        for row in rows
        if row.id is not None
    ]


# -- assignment notifications ------------------------------------------------------------


async def notify_office_assigned(
    *, session: AsyncSession, case: Case, task: Any, office: Office
) -> None:
    """Email the office's active users: a task is theirs to staff. (An office without
    active users has no address on file yet, so nobody is emailed.)"""
    stmt = select(User.email).where(User.office_id == office.id, User.active).order_by(User.id)
    for email in (await session.execute(stmt)).scalars():
        await notification_texts.send(
            session,
            kind="task_office_assigned",
            channel=Channel.EMAIL,
            recipient=email,
            case=case,
            values={"task_title": task.title, "office_name": office.name},
        )


async def notify_responsible_assigned(
    *, session: AsyncSession, case: Case, task: Any, user: User
) -> None:
    """Email the person now responsible for the task."""
    await notification_texts.send(
        session,
        kind="task_responsible_assigned",
        channel=Channel.EMAIL,
        recipient=user.email,
        case=case,
        values={"task_title": task.title},
    )
