"""The one REST API: /api/, OpenAPI docs at /api/docs."""

from django.db import DataError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from tandem.accounts.api_auth import ActiveSessionAuth, TokenAuth
from tandem.contacts.api import router as contacts_router
from tandem.core.api_support import NulFreeParser
from tandem.core.errors import DomainError
from tandem.core.saved_filter_views import router as saved_filter_router
from tandem.handoff.api import router as handoff_router
from tandem.insights.api import router as insights_router
from tandem.marketing.api import router as marketing_router
from tandem.marketing.outreach_api import router as outreach_router
from tandem.sales.api import router as sales_router
from tandem.sales.forecast_views import router as forecast_router
from tandem.sales.partner_views import router as partner_router
from tandem.sales.pricing_api import router as pricing_router
from tandem.transfer.api import router as transfer_router

api = NinjaAPI(
    title="Tandem API",
    version="1",
    description="Marketing and sales on one shared record. Authenticate with a session or "
    "`Authorization: Bearer <token>` (create tokens on your Account page).",
    auth=[TokenAuth(), ActiveSessionAuth()],
    urls_namespace="api",
    parser=NulFreeParser(),
)
api.add_router("/", contacts_router)
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


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    detail = {"type": exc.code, "msg": exc.message}
    if exc.field:
        detail["loc"] = ["body", exc.field]
    return api.create_response(request, {"detail": [detail]}, status=exc.status)


@api.exception_handler(DataError)
def data_error(request, exc: DataError):
    """Values the database refuses (a NUL byte in text, a number out of range) are bad input."""
    detail = [
        {"type": "invalid", "msg": "A value contains characters or a size the database refuses."}
    ]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": "Authentication required."}, status=401)


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    return api.create_response(request, {"detail": exc.errors}, status=422)
