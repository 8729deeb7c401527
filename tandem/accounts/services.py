import secrets

from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import ApiToken, User, hash_token
from tandem.core import activity
from tandem.core.errors import Invalid, NotFound

TOKEN_PREFIX = "tdm_"


@transaction.atomic
def api_token_create(*, actor: User, name: str, via: str = "ui") -> tuple[ApiToken, str]:
    """Create a token for `actor` and return it with the raw key, which is never stored."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid("Give the token a name of 1 to 100 characters.", field="name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor, name=name, prefix=raw[:12], key_hash=hash_token(raw)
    )
    activity.record(actor=actor, via=via, verb="token_created", target=actor, summary=name)
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int, via: str = "ui") -> ApiToken:
    token = ApiToken.objects.filter(user=actor, pk=token_id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound()
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    activity.record(actor=actor, via=via, verb="token_revoked", target=actor, summary=token.name)
    return token


def user_for_token(raw: str) -> User | None:
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
