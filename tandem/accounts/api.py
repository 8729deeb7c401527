"""API of one's own account: personal tokens, listed, created and revoked."""

from datetime import datetime

from ninja import Field, Router, Schema, Status

from tandem.accounts import selectors, services
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
