"""/api/trash: what managers and admins deleted in the last 30 days, and putting it back."""

from datetime import datetime

from ninja import Router, Schema

from tandem.core import trash
from tandem.core.api_support import PathId
from tandem.core.errors import NotFound

router = Router(tags=["trash"])


class TrashedOut(Schema):
    id: int
    object: str
    object_id: int
    label: str
    rows: int
    deleted_at: datetime
    deleted_by_id: int | None

    @staticmethod
    def resolve_object(obj):
        return obj.target_type

    @staticmethod
    def resolve_object_id(obj):
        return obj.target_id

    @staticmethod
    def resolve_rows(obj):
        return len(obj.rows)


class RestoredOut(Schema):
    object: str
    id: int


@router.get("/trash", response=list[TrashedOut], summary="Deleted records, restorable")
def list_trash(request):
    return list(trash.visible(request.user).order_by("-deleted_at")[:500])


@router.post("/trash/{trashed_id}/restore", response=RestoredOut, summary="Put a record back")
def restore(request, trashed_id: PathId):
    record = trash.visible(request.user).filter(pk=trashed_id).first()
    if record is None:
        raise NotFound()
    target = trash.restore(actor=request.user, via="api", record=record)
    return {"object": target._meta.model_name, "id": target.pk}
