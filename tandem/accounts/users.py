"""The people who use Tandem: an admin invites them (role, team), edits them, deactivates them.
An invitation is a mailed link, good once and for TANDEM_INVITE_DAYS: following it sets the
password and proves the address is theirs (it is then verified)."""

import hashlib
import zoneinfo

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from tandem.accounts.models import ApiToken, Team, User
from tandem.core import access, activity
from tandem.core.errors import Conflict, Forbidden, Invalid, NotFound
from tandem.core.roles import FUNCTION_OF, Role

SALT = "tandem.accounts.invitation"


def _require_admin(actor) -> None:
    if not access.is_admin(actor):
        raise Forbidden("Only an admin manages users.")


def _check_role_team(role: str, team) -> None:
    if role not in Role.values:
        raise Invalid("Choose a role.", field="role")
    if team is not None and role != Role.ADMIN:
        function = FUNCTION_OF[role]
        if team.function != function:
            raise Invalid(f"{team.name} is a {team.get_function_display().lower()} team.",
                          field="team")  # fmt: skip


def _username_for(email: str) -> str:
    base = slugify(email.split("@")[0])[:140] or "user"
    name, n = base, 1
    while User.objects.filter(username=name).exists():
        n += 1
        name = f"{base}{n}"
    return name


@transaction.atomic
def user_invite(
    *, actor, email: str, first_name: str = "", last_name: str = "", role: str, team=None,
    base_url: str = "", via: str = "ui",
) -> User:  # fmt: skip
    """Create the user without a password and mail them the link that sets one."""
    from allauth.account.models import EmailAddress

    _require_admin(actor)
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254:
        raise Invalid("Give the email address to invite.", field="email")
    _check_role_team(role, team)
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict("Someone with this email is a user already.", field="email")
    user = User(
        username=_username_for(email),
        email=email,
        first_name=first_name.strip()[:150],
        last_name=last_name.strip()[:150],
        role=role,
        team=team,
        invited_at=timezone.now(),
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise Conflict("Someone with this email is a user already.", field="email") from None
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    activity.record(actor=actor, via=via, verb="invited", target=user, summary=email)
    link = base_url.rstrip("/") + reverse("accounts:accept", args=[invitation_token(user)])
    transaction.on_commit(lambda: _mail_invitation(actor, user, link))
    return user


def _mail_invitation(actor, user: User, link: str) -> None:
    send_mail(
        subject=f"{actor.display_name} invites you to Tandem",
        message=(
            f"Hello {user.first_name or user.email},\n\n{actor.display_name} invites you to "
            f"Tandem as {user.get_role_display().lower()}. Choose your password here (the link "
            f"works once, for {settings.TANDEM_INVITE_DAYS} days):\n\n{link}\n\n"
            f"Your username is {user.username}; you may also sign in with this address.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )


def _fingerprint(user: User) -> str:
    """Changes when the password is set: a used link stops working."""
    return hashlib.sha256(f"{user.pk}:{user.password}".encode()).hexdigest()[:16]


def invitation_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "f": _fingerprint(user)}, salt=SALT, compress=True)


def invited_user(token: str) -> User:
    """The user a link invites; NotFound when it is forged, used, expired or the user left."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.TANDEM_INVITE_DAYS * 86400)
    except signing.BadSignature:
        raise NotFound("This invitation link is not valid any more.") from None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or _fingerprint(user) != data.get("f") or user.has_usable_password():
        raise NotFound("This invitation link is not valid any more.")
    return user


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    from allauth.account.models import EmailAddress

    user = invited_user(token)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages), field="password1") from None
    user.set_password(password)
    user.save(update_fields=["password"])
    EmailAddress.objects.filter(user=user, email__iexact=user.email).update(verified=True)
    activity.record(actor=user, via="ui", verb="joined", target=user, summary=user.email)
    return user


@transaction.atomic
def user_update(*, actor, user: User, data: dict, via: str = "ui") -> User:
    """Role, team, name, capacity, active. Deactivating ends the user's sessions and tokens."""
    _require_admin(actor)
    data = {k: v for k, v in data.items() if k in ("role", "team", "first_name", "last_name",
                                                   "capacity", "is_active")}  # fmt: skip
    _check_role_team(data.get("role", user.role), data.get("team", user.team))
    if user == actor and (
        data.get("is_active") is False or data.get("role", Role.ADMIN) != Role.ADMIN
    ):
        raise Invalid("You cannot remove your own admin role or deactivate yourself.", field="role")
    changes = activity.apply_changes(user, data)
    if not changes:
        return user
    user.save()
    activity.record(actor=actor, via=via, verb="updated", target=user, changes=changes)
    if "is_active" in changes and not user.is_active:
        end_everything(user)
    return user


def time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})


@transaction.atomic
def preferences_update(*, actor, time_zone: str, via: str = "ui") -> User:
    """One's own preferences: the time zone dates and times are shown in ("" for the
    workspace's)."""
    if time_zone and time_zone not in zoneinfo.available_timezones():
        raise Invalid(f"Unknown time zone {time_zone!r}.", field="time_zone")
    changes = activity.apply_changes(actor, {"time_zone": time_zone})
    if changes:
        actor.save(update_fields=["time_zone"])
        activity.record(actor=actor, via=via, verb="updated", target=actor, changes=changes)
    return actor


def end_everything(user: User) -> None:
    """Every session of the user ends and every token is revoked."""
    from allauth.usersessions.adapter import get_adapter
    from allauth.usersessions.models import UserSession

    get_adapter().end_sessions(list(UserSession.objects.filter(user=user)))
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def log_out_everywhere(*, request) -> None:
    """End all of the user's sessions but this one (which the caller may end too)."""
    from allauth.usersessions.internal.flows.sessions import end_other_sessions

    end_other_sessions(request, request.user)
    activity.record(actor=request.user, via="ui", verb="logged_out_everywhere",
                    target=request.user)  # fmt: skip


def team_create(*, actor, name: str, function: str, manager=None) -> Team:
    _require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise Invalid("A team needs a name.", field="name")
    if function not in ("marketing", "sales"):
        raise Invalid("A team is in marketing or in sales.", field="function")
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name[:100], function=function, manager=manager)
    except IntegrityError:
        raise Conflict("A team with this name exists.", field="name") from None
    activity.record(actor=actor, via="ui", verb="created", target=team, summary=team.name)
    return team
