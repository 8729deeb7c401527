import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import ApiToken, User, credential_tag, hash_token
from tandem.core import access, activity
from tandem.core.errors import Invalid, NotFound

TOKEN_PREFIX = "tdm_"


@transaction.atomic
def api_token_create(
    *, actor: User, name: str, expires_in_days: int | None = None, via: str = "ui"
) -> tuple[ApiToken, str]:
    """Create a token for `actor` and return it with the raw key, which is never stored.
    It works until it expires, is revoked, or the actor's password changes."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid("Give the token a name of 1 to 100 characters.", field="name")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise Invalid("A token lasts 1 to 3,650 days.", field="expires_in_days")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=raw[:12],
        key_hash=hash_token(raw),
        expires_at=expires,
        credential=credential_tag(actor),
    )
    activity.record(actor=actor, via=via, verb="token_created", target=actor, summary=name)
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int, via: str = "ui") -> ApiToken:
    """The owner revokes their token; an admin revokes anyone's."""
    tokens = ApiToken.objects.select_related("user").filter(pk=token_id, revoked_at__isnull=True)
    token = (tokens if access.is_admin(actor) else tokens.filter(user=actor)).first()
    if token is None:
        raise NotFound()
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    activity.record(
        actor=actor, via=via, verb="token_revoked", target=token.user, summary=token.name
    )
    return token


def user_for_token(raw: str) -> User | None:
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .exclude(expires_at__lte=now)
        .first()
    )
    if token is None or token.credential != credential_tag(token.user):
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
