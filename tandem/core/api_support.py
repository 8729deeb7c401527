"""Shared pieces of the REST API: bounded ids, declared list parameters, the error envelope,
paging, resolving referenced ids, and creating once per idempotency key."""

from typing import Annotated, Literal

from django.db import IntegrityError, transaction
from ninja import Field, Path, Query, Schema, Status
from ninja.errors import ValidationError
from ninja.parser import Parser
from pydantic import create_model

from tandem.core.errors import Conflict, Invalid, NotFound
from tandem.core.listing import MAX_ID, MAX_PAGE, MAX_PAGE_SIZE, ListSpec, Page
from tandem.core.models import IdempotencyKey

# Ids a database column can hold: anything else is a 422 naming the field, never an overflow.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]


class ErrorItem(Schema):
    type: str
    msg: str
    loc: list[str | int] | None = None


class ErrorOut(Schema):
    """Every error the API answers: a list of problems, each with the field it is about."""

    detail: list[ErrorItem]


def error_body(code: str, message: str, loc: list | None = None) -> dict:
    item = {"type": code, "msg": message}
    if loc:
        item["loc"] = loc
    return {"detail": [item]}


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class SearchPageQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="Search text")


def list_query(name: str, spec: ListSpec, **extra) -> type[Schema]:
    """The query parameters of a list endpoint, declared from its allow-list so that the
    OpenAPI document (and every client and fuzzer) sees them."""
    fields = {
        flt_name: (str | None, Field(None, description=flt.label or flt_name, max_length=200))
        for flt_name, flt in spec.filters.items()
    }
    if spec.search is not None:
        fields["q"] = (str | None, Field(None, max_length=200, description="Search text"))
    sorts = tuple(spec.sorts)
    fields["sort"] = (Literal[sorts] | None, Field(None, description="Order of the results"))
    fields["page"] = (int, Field(1, ge=1, le=MAX_PAGE))
    fields["page_size"] = (int, Field(50, ge=1, le=MAX_PAGE_SIZE))
    fields["after"] = (
        int | None,
        Field(None, ge=0, le=MAX_ID, description="A cursor for exports: the records after this "
              "id, in id order (start at 0; meta.next_after gives the next one)"),
    )  # fmt: skip
    fields.update(extra)
    return create_model(name, __base__=Schema, **fields)


class PageMeta(Schema):
    page: int
    size: int
    total: int
    total_exact: bool
    has_next: bool
    next_after: int | None = Field(None, description="With `after`: the cursor of the next page")


def page_out(page: Page) -> dict:
    return {
        "items": page.items,
        "meta": {
            "page": page.number,
            "size": page.size,
            "total": page.total,
            "total_exact": page.total_exact,
            "has_next": page.has_next,
            "next_after": page.next_after,
        },
    }


def resolve_refs(data: dict, resolvers: dict, clearable=()) -> dict:
    """Turn `<name>_id` inputs into objects through the caller's scoped getters. A null
    clears the reference where the name is `clearable` (an update removing an organization),
    and elsewhere means "not given", so the service's default applies (the owner is you)."""
    for name, getter in resolvers.items():
        key = f"{name}_id"
        if key not in data:
            continue
        raw = data.pop(key)
        if raw is None:
            if name in clearable:
                data[name] = None
            continue
        try:
            data[name] = getter(raw)
        except NotFound:
            raise Invalid(f"No {name} with id {raw} that you can see.", field=key) from None
    return data


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class NulFreeParser(Parser):
    """JSON bodies with a NUL character are refused alike on SQLite and PostgreSQL."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if _has_nul(data):
            raise ValidationError(
                [{"loc": ["body"], "msg": "Text may not contain NUL.", "type": "invalid"}]
            )
        return data


def idempotent_create(request, create, fetch):
    """Create once per `Idempotency-Key` header: a retry with the same key answers 200 with
    the record the first call created, instead of creating another."""
    key = (request.headers.get("Idempotency-Key") or "").strip()[:64]
    if not key:
        return Status(201, create())
    done = IdempotencyKey.objects.filter(user=request.user, key=key).first()
    if done is not None:
        return Status(200, fetch(_same_request(done, request)))
    try:
        with transaction.atomic():
            obj = create()
            IdempotencyKey.objects.create(
                user=request.user, key=key, result_url=request.path, target_id=obj.pk
            )
    except IntegrityError:
        done = IdempotencyKey.objects.filter(user=request.user, key=key).first()
        if done is None:
            raise
        return Status(200, fetch(_same_request(done, request)))
    return Status(201, obj)


def _same_request(done: IdempotencyKey, request) -> int:
    if done.result_url != request.path or done.target_id is None:
        raise Conflict(
            "That Idempotency-Key was used for another request.", field="Idempotency-Key"
        )
    return done.target_id


def etag(schema: type[Schema], obj) -> str:
    """A weak ETag of the record as the API shows it: any change to what it returns changes it,
    whichever way the row was written."""
    import hashlib

    body = schema.from_orm(obj).model_dump_json()
    return 'W/"' + hashlib.sha256(body.encode()).hexdigest()[:24] + '"'


def check_if_match(request, schema: type[Schema], obj) -> None:
    """A write that names the version it read (If-Match) applies only to that version: two
    editors do not overwrite each other (412). No header: the write applies as before."""
    from tandem.core.errors import Stale

    wanted = request.headers.get("If-Match", "").strip()
    if not wanted or wanted == "*":
        return
    tags = {t.strip().removeprefix("W/") for t in wanted.split(",")}
    if etag(schema, obj).removeprefix("W/") not in tags:
        raise Stale()
