"""/api/webhooks: the endpoints and their deliveries (admins)."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from tandem.core import webhooks
from tandem.core.api_support import PathId
from tandem.core.errors import Forbidden
from tandem.core.models import WebhookDelivery, WebhookEndpoint

router = Router(tags=["webhooks"])


class EndpointIn(Schema):
    url: str = Field(..., min_length=1, max_length=500)
    description: str = Field("", max_length=200)
    events: list[str] = Field(
        default_factory=list, max_length=50, description="Event types; none: every one"
    )


class EndpointPatch(Schema):
    description: str = Field(None, max_length=200)
    events: list[str] = Field(None, max_length=50)
    active: bool = None


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    active: bool
    disabled_reason: str
    secret: str = Field(..., description="whsec_…: verify each request's webhook-signature")
    created_at: datetime


class DeliveryOut(Schema):
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime


def _admin(request) -> None:
    if not webhooks.may_manage(request.user):
        raise Forbidden("Admins manage webhooks.")


@router.get("/webhooks/events", response=list[str], summary="The event types")
def event_types(request):
    return webhooks.EVENT_TYPES


@router.get("/webhooks", response=list[EndpointOut], summary="List webhooks")
def list_webhooks(request):
    _admin(request)
    return list(WebhookEndpoint.objects.order_by("-created_at"))


@router.post("/webhooks", response={201: EndpointOut}, summary="Add a webhook")
def create_webhook(request, payload: EndpointIn):
    """The URL must resolve to public addresses unless Settings → Webhooks allows private
    ones (422 otherwise)."""
    return 201, webhooks.endpoint_create(actor=request.user, via="api", **payload.dict())


@router.patch("/webhooks/{webhook_id}", response=EndpointOut)
def update_webhook(request, webhook_id: PathId, payload: EndpointPatch):
    _admin(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=webhook_id)
    data = payload.dict(exclude_unset=True)
    return webhooks.endpoint_update(actor=request.user, via="api", endpoint=endpoint, data=data)


@router.delete("/webhooks/{webhook_id}", response={204: None})
def delete_webhook(request, webhook_id: PathId):
    _admin(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=webhook_id)
    webhooks.endpoint_delete(actor=request.user, via="api", endpoint=endpoint)
    return 204, None


@router.get("/webhooks/{webhook_id}/deliveries", response=list[DeliveryOut])
def list_deliveries(request, webhook_id: PathId):
    """The newest 200 deliveries of the endpoint."""
    _admin(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=webhook_id)
    return list(endpoint.deliveries.order_by("-created_at", "-pk")[:200])


@router.post("/webhooks/deliveries/{delivery_id}/retry", response={202: DeliveryOut})
def retry_delivery(request, delivery_id: PathId):
    """Send again an event not delivered (the same webhook-id); a delivered one answers 422."""
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id)
    webhooks.send_again(actor=request.user, delivery=delivery)
    return 202, delivery
