"""API of one's own account: who you are and your preferences; personal tokens, listed, created
and revoked."""

from datetime import datetime

from ninja import Field, Router, Schema, Status

from tandem.accounts import selectors, services, users
from tandem.core.api_support import PathId

router = Router(tags=["accounts"])


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    user_id: int
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    expires_in_days: int | None = Field(
        None, ge=1, le=3650, description="Days until the token stops working; null: never."
    )


class TokenCreated(TokenOut):
    key: str = Field(..., description="The token itself: shown this once, never stored.")


@router.get("/tokens", response=list[TokenOut], summary="List API tokens")
def list_tokens(request):
    """Your tokens; an admin sees everyone's."""
    return list(selectors.tokens_visible_to(actor=request.user)[:500])


@router.post("/tokens", response={201: TokenCreated}, summary="Create an API token")
def create_token(request, payload: TokenIn):
    token, raw = services.api_token_create(
        actor=request.user, name=payload.name, expires_in_days=payload.expires_in_days, via="api"
    )
    token.key = raw
    return Status(201, token)


@router.post("/tokens/{token_id}/revoke", response=TokenOut, summary="Revoke an API token")
def revoke_token(request, token_id: PathId):
    return services.api_token_revoke(actor=request.user, token_id=token_id, via="api")


class MeOut(Schema):
    id: int
    username: str
    email: str
    name: str = Field(..., alias="display_name")
    role: str
    team_id: int | None
    time_zone: str = Field(..., description="Blank: the workspace's time zone.")


class MePatch(Schema):
    time_zone: str = Field(..., max_length=64, description="An IANA zone, or blank.")


@router.get("/me", response=MeOut, summary="Who you are")
def me(request):
    return request.user


@router.patch("/me", response=MeOut, summary="Change your preferences")
def update_me(request, payload: MePatch):
    return users.preferences_update(actor=request.user, time_zone=payload.time_zone, via="api")
