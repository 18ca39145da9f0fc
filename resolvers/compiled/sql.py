"""SQL text pieces for the compiled path: parameters, scopes, and value encodings that
produce exactly the JSON the resolver path produces."""

from __future__ import annotations

import enum as _enum
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, bindparam, literal_column, select
from sqlalchemy.dialects import postgresql

from permissions.principal import Principal, Role
from resolvers.compiled.selection import NotCompilable
from resolvers.formats import SQL_DATETIME_FORMAT

_DIALECT = postgresql.dialect(paramstyle="pyformat")
_PYFORMAT = re.compile(r"%\((\w+)\)s")

# Principal attributes a scope may use; each becomes a parameter bound per request.
SYMBOLIC = ("insurer_id", "user_id", "company_id", "office_id", "case_id", "contact_id", "grant_id")


def principal_shape(principal: Principal) -> tuple[Any, ...]:
    """What a plan depends on besides parameter values: role, which ids exist, scopes."""
    present = tuple(getattr(principal, name) is not None for name in SYMBOLIC)
    return (principal.role, present, principal.scopes, principal.partner_integration)


def symbolic(principal: Principal) -> Principal:
    """The principal with its ids replaced by bind parameters named `p_<attribute>`."""
    values = {
        name: bindparam(f"p_{name}", type_=BigInteger)
        if getattr(principal, name) is not None
        else None
        for name in SYMBOLIC
    }
    return Principal(
        role=principal.role,
        scopes=principal.scopes,
        partner_integration=principal.partner_integration,
        **values,  # type: ignore[arg-type]
    )


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a parameter's value comes from: the principal, the request, or the plan."""

    kind: str  # "principal" | "value" | "const"
    key: Any


@dataclass
class Params:
    """Numbers the parameters of one SQL statement as $1, $2, … in order of first use."""

    slots: list[Slot] = field(default_factory=list)
    _index: dict[Slot, int] = field(default_factory=dict)

    def ref(self, slot: Slot) -> str:
        index = self._index.get(slot)
        if index is None:
            self.slots.append(slot)
            index = self._index[slot] = len(self.slots)
        return f"${index}"

    def value(self, index: int) -> str:
        """A per-request value: `values[index]` of the request's argument values."""
        return self.ref(Slot("value", index))

    def const(self, value: Any) -> str:
        return self.ref(Slot("const", _hashable(value)))

    def bind(self, principal: Principal, values: list[Any]) -> list[Any]:
        out: list[Any] = []
        for slot in self.slots:
            if slot.kind == "principal":
                out.append(getattr(principal, slot.key))
            elif slot.kind == "value":
                out.append(values[slot.key])
            else:
                out.append(list(slot.key) if isinstance(slot.key, tuple) else slot.key)
        return out


def _hashable(value: Any) -> Any:
    if isinstance(value, _enum.Enum):
        return value.value
    return tuple(_hashable(v) for v in value) if isinstance(value, list | tuple) else value


def condition(params: Params, table: Any, clause: ColumnElement[bool]) -> str:
    """A SQLAlchemy condition over `table` (e.g. a scope from permissions.scopes) as SQL
    text referring to the table by its own name, with its parameters numbered in `params`."""
    stmt = select(literal_column("1")).select_from(table).where(clause)
    compiled = stmt.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    where = compiled.string.split("\nWHERE ", 1)[1]

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("p_") and name[2:] in SYMBOLIC:
            return params.ref(Slot("principal", name[2:]))
        return params.const(compiled.params[name])

    return _PYFORMAT.sub(number, where)


_BIGINT_DIGITS = 20  # '-9223372036854775808'
# PostgreSQL's base64 breaks lines after every 76 characters, that is every 57 bytes (a
# text of exactly 57 bytes already ends in a newline).
_BASE64_LINE_BYTES = 57


def global_id(type_name: str, id_sql: str) -> str:
    """base64url('<Type>:<id>') without padding, as schema.node.encode_global_id; `id_sql`
    is a bigint."""
    return _base64url(f"'{type_name}:' || {id_sql}", len(type_name) + 1 + _BIGINT_DIGITS)


def cursor(raw_sql: str, *, of_id: bool = False) -> str:
    """As resolvers.pagination.encode_cursor: base64url('c:' || raw) without padding;
    `of_id` when `raw_sql` is a bigint."""
    return _base64url(f"'c:' || {raw_sql}", 2 + _BIGINT_DIGITS if of_id else None)


def _base64url(text_sql: str, max_bytes: int | None) -> str:
    encoded = f"encode(convert_to({text_sql}, 'UTF8'), 'base64')"
    if max_bytes is None or max_bytes >= _BASE64_LINE_BYTES:
        encoded = f"replace({encoded}, E'\\n', '')"  # longer text comes in lines
    return f"rtrim(translate({encoded}, '+/', '-_'), '=')"


def enum(column: str) -> str:
    """Stored values are the lower-case GraphQL enum names."""
    return f"upper({column})"


def datetime(column: str) -> str:
    """In the session's time zone, which the compiled reads' connections set to UTC."""
    return f"to_char({column}, '{SQL_DATETIME_FORMAT}')"


def money(column: str) -> str:
    """Decimal is a string in the API ('125000.00'), as numeric's text form."""
    return f"({column})::text"


def json_object(pairs: list[tuple[str, str]]) -> str:
    """json_build_object over (response key, SQL value) pairs, in selection order."""
    if not pairs:
        return "json_build_object()"
    if len(pairs) > 50:
        raise NotCompilable("more than 50 fields in one object")  # json_build_object's limit
    return "json_build_object(" + ", ".join(f"'{key}', {value}" for key, value in pairs) + ")"


def principal_guard(params: Params, principal: Principal) -> str:
    """True exactly when the database still backs a principal taken from a token's hint:
    the user active with the same portal, company, office and kind (and level, for staff),
    or the grant live for the same case and contact."""

    def ref(name: str) -> str:
        return params.ref(Slot("principal", name))

    if principal.role is Role.CUSTOMER:
        return (
            "EXISTS (SELECT 1 FROM customer_access_grants g JOIN cases c ON c.id = g.case_id "
            f"WHERE g.id = {ref('grant_id')} AND g.revoked_at IS NULL "
            f"AND g.case_id = {ref('case_id')} AND g.contact_id = {ref('contact_id')} "
            f"AND c.insurer_id = {ref('insurer_id')})"
        )
    if principal.role not in (Role.STAFF, Role.PARTNER):
        raise NotCompilable("only users and customers carry hints")
    office = "IS NULL" if principal.office_id is None else f"= {ref('office_id')}"
    staff = principal.role is Role.STAFF
    level = f" AND u.authority_level = {ref('authority_level')}" if staff else ""
    return (
        f"EXISTS (SELECT 1 FROM users u WHERE u.id = {ref('user_id')} AND u.active "
        f"AND u.insurer_id = {ref('insurer_id')} AND u.company_id = {ref('company_id')} "
        f"AND u.office_id {office} AND u.kind = '{'staff' if staff else 'partner'}'{level})"
    )
