from tandem.accounts.models import ApiToken, User
from tandem.core import access
from tandem.core.errors import NotFound


def user_get(*, id) -> User:
    try:
        return User.objects.get(pk=id, is_active=True)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such active user.") from None


def tokens_of(*, user: User):
    return ApiToken.objects.filter(user=user).select_related("user").order_by("-created_at")


def tokens_visible_to(*, actor: User):
    """One's own tokens; an admin's list holds everyone's."""
    tokens = ApiToken.objects.select_related("user").order_by("-created_at")
    return tokens if access.is_admin(actor) else tokens.filter(user=actor)


def owners_choices(*, functions: tuple[str, ...] = ()):
    qs = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    return qs.filter(role__in=functions) if functions else qs


def has_two_factors(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def users_list():
    """Everyone, for Settings → Users: active first, then by name."""
    return User.objects.select_related("team").order_by(
        "-is_active", "first_name", "last_name", "username"
    )


def teams():
    from tandem.accounts.models import Team

    return Team.objects.order_by("name")


def user_picks(*, actor, q: str) -> list[dict]:
    """Active users by name, username or email: an owner's picker."""
    from tandem.core import picks

    qs = owners_choices().select_related("team")
    fields = ("first_name", "last_name", "username", "email")
    return picks.by_name(
        qs, q, *fields, sub=lambda u: " · ".join(filter(None, [u.get_role_display(),
                                                             u.team.name if u.team else ""]))
    )  # fmt: skip


def user_label(pk: int) -> str:
    user = User.objects.filter(pk=pk).first()
    return user.display_name if user else ""
