"""The one authorization check.

Every selector scopes its queryset with `scope()` and fetches single records with `get_for()`,
so UI, API, import, export, reports and tasks all see the same records for the same actor.
Reps see their own records and their team's, managers their function, admins everything.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, F, Func, Model, Q, QuerySet

from tandem.core.errors import Forbidden, Invalid, NotFound
from tandem.core.roles import FUNCTION_OF, MARKETING_ROLES, SALES_ROLES, Function, Role

READ, WRITE = "read", "write"


@dataclass(frozen=True)
class Policy:
    """Per role, which records of a resource may be read and written, and who may create."""

    owner: str
    read: dict = field(default_factory=dict)
    write: dict = field(default_factory=dict)
    create: tuple = ()


def _own(actor, owner: str) -> Q:
    return Q(**{owner: actor.pk})


class _AnyOf(Func):
    """PostgreSQL's `column = ANY(ARRAY(subquery))`: the list is computed once, when the
    statement runs, and the rest is planned as for a list of values. As `IN (subquery)` it was
    planned as a join: a rep's name search ran the trigram scan once per teammate (155 ms
    against 16 ms at 1,000,000 people)."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        column, values = self.source_expressions
        lhs, lhs_params = compiler.compile(column)
        rhs, rhs_params = compiler.compile(values)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def _team(actor, owner: str) -> Q:
    """Owned by the actor or a teammate, the teammates read when the query runs (never kept,
    so a move between teams counts at once); on the owner column, so its index serves."""
    if not actor.team_id:
        return _own(actor, owner)
    teammates = get_user_model().objects.filter(team_id=actor.team_id).values("pk")
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        return Q(_AnyOf(F(owner), ArraySubquery(teammates)))
    return Q(**{f"{owner}__in": teammates})


def _unowned(actor, owner: str) -> Q:
    """Marketing's side of the shared record: people nobody in sales holds yet."""
    return Q(**{f"{owner}__isnull": True}) | Q(**{f"{owner}__role__in": MARKETING_ROLES})


SCOPES = {
    "all": lambda actor, owner: Q(),
    "own": _own,
    "team": _team,
    "unowned": _unowned,
}

_MKT_ALL = {Role.MARKETER: "all", Role.MARKETING_MANAGER: "all"}
_SALES_TEAM = {Role.SALES_REP: "team", Role.SALES_MANAGER: "all"}
_SALES_OWN = {Role.SALES_REP: "own", Role.SALES_MANAGER: "all"}

POLICIES: dict[str, Policy] = {
    "person": Policy(
        owner="owner",
        read={**_MKT_ALL, **_SALES_TEAM},
        write={Role.MARKETER: "unowned", Role.MARKETING_MANAGER: "unowned", **_SALES_OWN},
        create=(*MARKETING_ROLES, *SALES_ROLES),
    ),
    "organization": Policy(
        owner="owner",
        read={**_MKT_ALL, **_SALES_TEAM},
        write={Role.MARKETER: "unowned", Role.MARKETING_MANAGER: "unowned", **_SALES_OWN},
        create=(*MARKETING_ROLES, *SALES_ROLES),
    ),
    "program": Policy(
        owner="owner",
        read={**_MKT_ALL, Role.SALES_REP: "all", Role.SALES_MANAGER: "all"},
        write={Role.MARKETER: "own", Role.MARKETING_MANAGER: "all"},
        create=MARKETING_ROLES,
    ),
    "touch": Policy(
        owner="person__owner",
        read={**_MKT_ALL, **_SALES_TEAM},
        write={Role.MARKETING_MANAGER: "all"},
        create=(*MARKETING_ROLES, *SALES_ROLES),
    ),
    "opportunity": Policy(
        owner="owner",
        read={Role.MARKETING_MANAGER: "all", **_SALES_TEAM},
        write=_SALES_OWN,
        create=SALES_ROLES,
    ),
    "handoff": Policy(
        owner="rep",
        read={**_MKT_ALL, **_SALES_TEAM},
        write=_SALES_OWN,
        create=(),
    ),
    **{
        resource: Policy(
            owner="owner",
            read=_MKT_ALL,
            write={Role.MARKETER: "own", Role.MARKETING_MANAGER: "all"},
            create=MARKETING_ROLES,
        )
        for resource in ("form", "segment", "campaign")
    },
    "activity": Policy(
        owner="owner",
        read=_SALES_TEAM,
        write=_SALES_OWN,
        create=SALES_ROLES,
    ),
}


def function_of(actor) -> str | None:
    return FUNCTION_OF.get(getattr(actor, "role", None))


def is_admin(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and (
        actor.role == Role.ADMIN or actor.is_superuser
    )


def rule(actor, resource: str, action: str = READ) -> Q | None:
    """The filter that limits `resource` to what `actor` may `action`; None when nothing."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return None
    if is_admin(actor):
        return Q()
    policy = POLICIES[resource]
    scope_name = (policy.read if action == READ else policy.write).get(actor.role)
    if scope_name is None:
        return None
    return SCOPES[scope_name](actor, policy.owner)


def scope(actor, queryset: QuerySet, resource: str, action: str = READ) -> QuerySet:
    q = rule(actor, resource, action)
    return queryset.none() if q is None else queryset.filter(q)


def can_see(actor, resource: str) -> bool:
    return rule(actor, resource, READ) is not None


def require_see(actor, resource: str) -> None:
    if not can_see(actor, resource):
        raise Forbidden(f"Your role has no access to {resource} records.")


def can_create(actor, resource: str) -> bool:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return is_admin(actor) or actor.role in POLICIES[resource].create


def require_create(actor, resource: str) -> None:
    if not can_create(actor, resource):
        raise Forbidden(f"Your role may not create a {resource}.")


def get_for(actor, queryset: QuerySet, resource: str, pk, action: str = READ) -> Model:
    """Fetch one record and authorize it: 404 when missing or unreadable, 403 when read-only."""
    try:
        obj = scope(actor, queryset, resource, READ).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if action == WRITE and not can_write(actor, obj, resource):
        raise Forbidden()
    return obj


def can_write(actor, obj: Model, resource: str) -> bool:
    q = rule(actor, resource, WRITE)
    if q is None:
        return False
    return type(obj)._default_manager.filter(q, pk=obj.pk).exists()


def is_function(actor, function: Function) -> bool:
    return function_of(actor) == function


def can_read(actor, obj: Model, resource: str) -> bool:
    q = rule(actor, resource, READ)
    return q is not None and type(obj)._default_manager.filter(q, pk=obj.pk).exists()


def require_write(actor, obj: Model, resource: str) -> None:
    """The check every service makes before changing `obj` for a user: NotFound when the
    actor may not even see it (the same answer as for a missing record), Forbidden when only
    reading. System writes (a form, a task: actor None) are the caller's responsibility."""
    if actor is None:
        return
    if not can_read(actor, obj, resource):
        raise NotFound()
    if not can_write(actor, obj, resource):
        raise Forbidden()


def require_read(actor, obj: Model | None, resource: str, field: str) -> None:
    """A reference to another record (the deal an activity is logged on) must be one the
    actor may see: otherwise the same words as for a record that does not exist."""
    if obj is not None and actor is not None and not can_read(actor, obj, resource):
        raise Invalid(f"No {resource} with id {obj.pk} that you can see.", field=field)


# Who may own what: the function each kind of record belongs to.
OWNER_FUNCTIONS = {
    "person": (Function.MARKETING, Function.SALES),
    "organization": (Function.MARKETING, Function.SALES),
    "opportunity": (Function.SALES,),
    "activity": (Function.SALES,),
    **{r: (Function.MARKETING,) for r in ("program", "form", "segment", "campaign")},
}


def check_owner(actor, resource: str, owner, *, field: str = "owner") -> None:
    """Whether `actor` may make `owner` the owner of a `resource` record: a rep or a marketer
    only themselves, a manager anyone active in their own function, an admin anyone active in
    the record's function (or an admin). None (no owner) is checked by the caller."""
    if owner is None or actor is None:
        return
    if not owner.is_active and not is_admin(actor):  # an admin may keep history's owners
        raise Invalid(f"{owner} is not an active user.", field=field)
    allowed = OWNER_FUNCTIONS[resource]
    owner_function = function_of(owner)
    if owner_function not in (*allowed, Function.ADMIN):
        names = " or ".join(Function(f).label.lower() for f in allowed)
        raise Invalid(f"The owner of a {resource} must be in {names}.", field=field)
    if owner == actor or is_admin(actor):
        return
    if actor.role not in (Role.SALES_MANAGER, Role.MARKETING_MANAGER):
        raise Invalid(f"You may only make yourself the owner of a {resource}.", field=field)
    if owner_function != function_of(actor):
        raise Invalid("A manager gives records only to people of their own function.", field=field)
