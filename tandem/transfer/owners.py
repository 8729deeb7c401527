"""Owners named in a file (deals, activities): found among the users by username or full name,
and given only as the importer could give them by hand. A name that matches nobody is a row
error; an admin may instead choose, on the preview that lists them, to create those people as
users without a login, so that history keeps who did the work."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils.text import slugify

from tandem.core import access
from tandem.core.errors import Invalid
from tandem.core.models import TimelineEntry
from tandem.core.roles import Role

LISTED = 50  # unknown names the preview lists


def _by_name() -> dict[str, object]:
    found = {}
    for user in get_user_model().objects.all():
        for key in (user.username.lower(), user.get_full_name().lower()):
            if key:
                found.setdefault(key, user)
    return found


def unknown(names) -> list[str]:
    """The names that match no user, for the preview."""
    known = _by_name()
    return sorted({n for n in names if n and n.lower() not in known})


def may_create(job) -> bool:
    return bool(job.options.get("create_owners")) and access.is_admin(job.owner)


def resolve(job, names: set[str], resource: str) -> tuple[dict, dict]:
    """({name lower: user} the importer may assign, {name lower: why not} for the others)."""
    users, refused = _by_name(), {}
    owners = {}
    for name in sorted(names):
        user = users.get(name.lower())
        if user is None and may_create(job):
            user = _create(job, name)
            users[name.lower()] = user
        if user is None:
            refused[name.lower()] = f"no user named “{name[:60]}”"
            continue
        try:
            access.check_owner(job.owner, resource, user)
        except Invalid as exc:
            refused[name.lower()] = exc.message
            continue
        owners[name.lower()] = user
    return owners, refused


def _create(job, name: str):
    """A sales rep without a login (inactive), named as the file names them."""
    User = get_user_model()
    first, _, last = name.partition(" ")
    username = slugify(name)[:140] or "rep"
    while User.objects.filter(username=username).exists():
        username += "-1"
    user = User.objects.create(
        username=username,
        first_name=first[:150],
        last_name=last[:150],
        role=Role.SALES_REP,
        password=make_password(None),
        is_active=False,
    )
    TimelineEntry.objects.create(
        actor=job.owner,
        via="import",
        verb="created",
        target_type="user",
        target_id=user.pk,
        summary=f"import {job.pk}: owner “{name[:100]}”",
    )
    return user
