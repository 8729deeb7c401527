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


# --- users and teams (admins), as Settings → Users and Teams -----------------------------


class UserOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    role: str
    team_id: int | None
    capacity: int
    is_active: bool


class InviteIn(Schema):
    email: str = Field(..., min_length=3, max_length=254)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    role: str = Field(
        ..., description="marketer, marketing_manager, sales_rep, sales_manager, admin"
    )
    team_id: int | None = Field(None, ge=1, le=2**63 - 1)


class UserPatch(Schema):
    first_name: str = Field(None, max_length=150)
    last_name: str = Field(None, max_length=150)
    role: str = None
    team_id: int | None = Field(None, ge=1, le=2**63 - 1)
    capacity: int = Field(None, ge=0, le=1000)
    is_active: bool = None


class TeamOut(Schema):
    id: int
    name: str
    function: str
    manager_id: int | None


class TeamIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    function: str = Field(..., description="marketing or sales")
    manager_id: int | None = Field(None, ge=1, le=2**63 - 1)


def _admin(request) -> None:
    from tandem.core import access
    from tandem.core.errors import Forbidden

    if not access.is_admin(request.user):
        raise Forbidden("Only an admin manages users and teams.")


def _team(pk):
    from tandem.accounts.models import Team
    from tandem.core.errors import Invalid

    if pk is None:
        return None
    team = Team.objects.filter(pk=pk).first()
    if team is None:
        raise Invalid("No such team.", field="team_id")
    return team


@router.get("/users", response=list[UserOut], summary="Users (admins)")
def list_users(request):
    _admin(request)
    return list(selectors.users_list())


@router.post("/users", response={201: UserOut}, summary="Invite a user (admins)")
def invite_user(request, payload: InviteIn):
    """They get an email with a one-time link that sets their password."""
    data = payload.dict()
    team = _team(data.pop("team_id"))
    return 201, users.user_invite(
        actor=request.user, via="api", base_url=request.build_absolute_uri("/"), team=team, **data
    )


@router.patch("/users/{user_id}", response=UserOut, summary="Change a user (admins)")
def update_user(request, user_id: PathId, payload: UserPatch):
    """Role, team, name, share of routed leads, active; deactivating ends their sessions and
    revokes their tokens."""
    from tandem.accounts.models import User
    from tandem.core.errors import NotFound

    _admin(request)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    data = payload.dict(exclude_unset=True)
    if "team_id" in data:
        data["team"] = _team(data.pop("team_id"))
    return users.user_update(actor=request.user, via="api", user=user, data=data)


@router.get("/teams", response=list[TeamOut], summary="Teams")
def list_teams(request):
    return list(selectors.teams())


@router.post("/teams", response={201: TeamOut}, summary="Add a team (admins)")
def create_team(request, payload: TeamIn):
    from tandem.accounts.models import User

    manager = None
    if payload.manager_id is not None:
        manager = User.objects.filter(pk=payload.manager_id, is_active=True).first()
    return 201, users.team_create(actor=request.user, name=payload.name,
                                  function=payload.function, manager=manager)  # fmt: skip
