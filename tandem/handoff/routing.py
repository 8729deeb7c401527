"""Who gets an MQL, and why: rules in priority order, each assignment names the rule."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count

from tandem.core.roles import Role
from tandem.handoff.models import Handoff, HandoffStatus
from tandem.sales.models import Territory


@dataclass
class Route:
    rep: object
    rule: str


def _reps(team_id=None):
    reps = get_user_model().objects.filter(role=Role.SALES_REP, is_active=True, capacity__gt=0)
    return reps.filter(team_id=team_id) if team_id else reps


def _sales_owner(person):
    for owner in (person.owner, person.organization.owner if person.organization_id else None):
        if owner is not None and owner.is_active and owner.role in (Role.SALES_REP,):
            return owner
    return None


def _territory(person) -> Territory | None:
    org = person.organization if person.organization_id else None
    country = (person.country or (org.country if org else "")).upper()
    region = person.region or (org.region if org else "")
    industry = org.industry if org else ""
    size = org.size if org else ""
    best, best_hits = None, 0
    for territory in Territory.objects.exclude(team=None).order_by("pk"):
        checks = [
            (territory.countries, country),
            (territory.regions, region),
            (territory.industries, industry),
            (territory.company_sizes, size),
        ]
        hits = 0
        for allowed, value in checks:
            if not allowed:
                continue
            if value not in allowed:
                hits = -1
                break
            hits += 1
        if hits > best_hits:
            best, best_hits = territory, hits
    return best


def _round_robin(team_id, cap: int, exclude=()):
    """The rep furthest below their capacity-weighted share of open handoffs, under the cap."""
    reps = list(_reps(team_id).exclude(pk__in=exclude))
    open_now = dict(
        Handoff.objects.filter(status=HandoffStatus.PENDING, rep__in=reps)
        .values_list("rep_id")
        .annotate(n=Count("pk"))
    )
    candidates = [
        (open_now.get(rep.pk, 0) / rep.capacity, rep.pk, rep)
        for rep in reps
        if open_now.get(rep.pk, 0) < cap
    ]
    return min(candidates)[2] if candidates else None


def route(person, config, *, exclude=()) -> Route | None:
    """1. the existing account owner; 2. the territory (country, region, industry, company
    size; the most specific match wins) and its team; 3. round robin over all reps. Round
    robin weighs by capacity and skips reps at the open-handoff cap."""
    owner = _sales_owner(person)
    if owner is not None and owner.pk not in exclude:
        return Route(owner, f"account owner: {owner.display_name} already owns this account")
    territory = _territory(person)
    if territory is not None:
        rep = _round_robin(territory.team_id, config.max_open_per_rep, exclude)
        if rep is not None:
            return Route(
                rep,
                f"territory {territory.name} (team {territory.team}), round robin by capacity",
            )
    rep = _round_robin(None, config.max_open_per_rep, exclude)
    if rep is not None:
        return Route(rep, "no territory matched: round robin over all reps by capacity")
    return None
