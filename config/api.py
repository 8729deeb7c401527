"""The one REST API: /api/, OpenAPI docs at /api/docs."""

from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from tandem.accounts.api_auth import ActiveSessionAuth, TokenAuth
from tandem.contacts.api import router as contacts_router
from tandem.core.errors import DomainError
from tandem.core.saved_filter_views import router as saved_filter_router
from tandem.marketing.api import router as marketing_router
from tandem.sales.api import router as sales_router
from tandem.sales.forecast_views import router as forecast_router
from tandem.sales.partner_views import router as partner_router
from tandem.sales.pricing_api import router as pricing_router

api = NinjaAPI(
    title="Tandem API",
    version="1",
    description="Marketing and sales on one shared record. Authenticate with a session or "
    "`Authorization: Bearer <token>` (create tokens on your Account page).",
    auth=[TokenAuth(), ActiveSessionAuth()],
    urls_namespace="api",
)
api.add_router("/", contacts_router)
api.add_router("/", marketing_router)
api.add_router("/", sales_router)
api.add_router("/", pricing_router)
api.add_router("/", forecast_router)
api.add_router("/", partner_router)
api.add_router("/", saved_filter_router)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    detail = {"type": exc.code, "msg": exc.message}
    if exc.field:
        detail["loc"] = ["body", exc.field]
    return api.create_response(request, {"detail": [detail]}, status=exc.status)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": "Authentication required."}, status=401)


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    return api.create_response(request, {"detail": exc.errors}, status=422)
