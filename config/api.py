"""The one REST API: /api/, OpenAPI docs at /api/docs."""

import logging
from functools import wraps

from django.db import DataError, IntegrityError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tandem.accounts.api import router as accounts_router
from tandem.accounts.api_auth import ActiveSessionAuth, TokenAuth
from tandem.contacts.api import router as contacts_router
from tandem.contacts.custom_field_api import router as custom_fields_router
from tandem.core.api_support import ErrorOut, NulFreeParser, error_body
from tandem.core.errors import DomainError
from tandem.core.saved_filter_views import router as saved_filter_router
from tandem.core.trash_api import router as trash_router
from tandem.core.webhook_api import router as webhooks_router
from tandem.handoff.api import router as handoff_router
from tandem.insights.api import router as insights_router
from tandem.marketing.api import router as marketing_router
from tandem.marketing.outreach_api import router as outreach_router
from tandem.sales.api import router as sales_router
from tandem.sales.forecast_views import router as forecast_router
from tandem.sales.partner_views import router as partner_router
from tandem.sales.pricing_api import router as pricing_router
from tandem.sales.setup_api import router as sales_setup_router
from tandem.transfer.api import router as transfer_router

log = logging.getLogger(__name__)

# The errors any operation may answer, documented on every one with the same body.
ERRORS = {
    400: "The request cannot be read (malformed JSON, a bad file).",
    401: "No valid session or token.",
    403: "Your role may not do this to this record.",
    404: "No such record that you may see.",
    409: "The record changed or clashes with another (a unique email, a finished job).",
    412: "If-Match named a version of the record that is no longer the stored one.",
    422: "A parameter or field is invalid, unknown or out of range; `loc` names it.",
}


class TandemAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        ref = {"$ref": "#/components/schemas/ErrorOut"}
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorOut"] = ErrorOut.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.update(components["ErrorOut"].pop("$defs", {}))
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, text in ERRORS.items():
                    responses.setdefault(
                        status,
                        {"description": text, "content": {"application/json": {"schema": ref}}},
                    )
        return schema


def strict_query(run):
    """Unknown query parameters answer 422 naming them, as the README says: a misspelt
    filter must not silently return everything."""
    operation = run.__self__
    allowed = set()
    for model in operation.models:
        if model.__ninja_param_source__ == "query":
            allowed |= set(getattr(model, "__ninja_flatten_map__", None) or model.model_fields)
    get_values = operation._get_values

    @wraps(get_values)
    def checked(request, path_params, temporal_response):
        unknown = sorted(set(request.GET) - allowed)
        if unknown:
            raise ValidationError(
                [
                    {"type": "unknown", "loc": ["query", name], "msg": "Unknown parameter."}
                    for name in unknown[:20]
                ]
            )
        return get_values(request, path_params, temporal_response)

    operation._get_values = checked
    return run


api = TandemAPI(
    title="Tandem API",
    version="1",
    description="Marketing and sales on one shared record. Authenticate with a session or "
    "`Authorization: Bearer <token>` (create tokens on your Account page). Lists take "
    "`page` and `page_size` (at most 200) and their declared filters; any other query "
    'parameter answers 422. Every error answers JSON: `{"detail": [{"type", "msg", '
    '"loc"}]}`.',
    auth=[TokenAuth(), ActiveSessionAuth()],
    urls_namespace="api",
    parser=NulFreeParser(),
)
api.add_decorator(strict_query, mode="view")
api.add_router("/", contacts_router)
api.add_router("/", custom_fields_router)
api.add_router("/", webhooks_router)
api.add_router("/", trash_router)
api.add_router("/", sales_setup_router)
api.add_router("/", marketing_router)
api.add_router("/", outreach_router)
api.add_router("/", handoff_router)
api.add_router("/", transfer_router)
api.add_router("/", sales_router)
api.add_router("/", pricing_router)
api.add_router("/", forecast_router)
api.add_router("/", partner_router)
api.add_router("/", saved_filter_router)
api.add_router("/", insights_router)
api.add_router("/", accounts_router)


def _respond(request, status: int, code: str, message: str, loc=None):
    return api.create_response(request, error_body(code, message, loc), status=status)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    loc = ["body", exc.field] if exc.field else None
    return _respond(request, exc.status, exc.code, exc.message, loc)


@api.exception_handler(DataError)
def data_error(request, exc: DataError):
    """Values the database refuses (a NUL byte in text, a number out of range) are bad input."""
    return _respond(
        request, 422, "invalid", "A value contains characters or a size the database refuses."
    )


@api.exception_handler(OverflowError)
def overflow(request, exc: OverflowError):
    return _respond(request, 422, "out_of_range", "A number or a date is out of range.")


@api.exception_handler(IntegrityError)
def integrity_error(request, exc: IntegrityError):
    """A clash the services did not foresee: a conflict for the client, a bug for us."""
    log.warning("IntegrityError reached the API: %s", exc)
    return _respond(request, 409, "conflict", "The change clashes with a stored record.")


@api.exception_handler(Http404)
def not_found(request, exc):
    return _respond(request, 404, "not_found", "Not found.")


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _respond(request, exc.status_code, "error", str(exc))


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _respond(request, 401, "unauthenticated", "Authentication required.")


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    detail = [
        {
            "type": str(e.get("type", "invalid")),
            "msg": str(e.get("msg", "")),
            "loc": list(e.get("loc", [])),
        }
        for e in exc.errors
    ]
    return api.create_response(request, {"detail": detail}, status=422)
