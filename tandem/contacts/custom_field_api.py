"""/api/custom-fields: the custom fields of people and organizations (read by everyone who
signs in; defined by admins and managers, as in Settings)."""

from django.shortcuts import get_object_or_404
from ninja import Router

from tandem.contacts import custom_fields
from tandem.contacts.models import CustomField
from tandem.contacts.schemas import CustomFieldIn, CustomFieldOut, CustomFieldPatch
from tandem.core.api_support import PathId

router = Router(tags=["custom fields"])


@router.get("/custom-fields", response=list[CustomFieldOut], summary="List custom fields")
def list_custom_fields(request, record_type: str = ""):
    fields = CustomField.objects.all()
    return fields.filter(record_type=record_type) if record_type else fields


@router.post("/custom-fields", response={201: CustomFieldOut}, summary="Add a custom field")
def create_custom_field(request, payload: CustomFieldIn):
    return 201, custom_fields.field_create(actor=request.user, via="api", data=payload.dict())


@router.patch("/custom-fields/{field_id}", response=CustomFieldOut)
def update_custom_field(request, field_id: PathId, payload: CustomFieldPatch):
    field = get_object_or_404(CustomField, pk=field_id)
    data = payload.dict(exclude_unset=True)
    return custom_fields.field_update(actor=request.user, via="api", field=field, data=data)


@router.delete("/custom-fields/{field_id}", response={204: None})
def delete_custom_field(request, field_id: PathId):
    """The values already kept stay on each record as text."""
    field = get_object_or_404(CustomField, pk=field_id)
    custom_fields.field_delete(actor=request.user, via="api", field=field)
    return 204, None
