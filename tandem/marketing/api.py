from django.utils import timezone
from ninja import Query, Router, Status

from tandem.accounts.selectors import user_get
from tandem.contacts.selectors import person_get_for
from tandem.core import access, trash
from tandem.core.api_support import PathId, idempotent_create, list_query, page_out, resolve_refs
from tandem.marketing import selectors, services
from tandem.marketing.schemas import (
    CostIn,
    CostOut,
    IngestIn,
    IngestOut,
    ProgramIn,
    ProgramOut,
    ProgramPage,
    ProgramPatch,
    TouchIn,
    TouchOut,
    TouchPage,
)

ProgramsQuery = list_query("ProgramsQuery", selectors.PROGRAM_LIST)
TouchesQuery = list_query("TouchesQuery", selectors.TOUCH_LIST)
router = Router(tags=["marketing"])


@router.get("/programs", response=ProgramPage)
def list_programs(request, filters: Query[ProgramsQuery]):
    """Filters: channel, status, owner; q searches the name; sort: -start, start, name, -budget."""
    return page_out(selectors.program_list(actor=request.user, params=request.GET))


@router.post("/programs", response={200: ProgramOut, 201: ProgramOut})
def create_program(request, payload: ProgramIn):
    data = resolve_refs(payload.dict(exclude_unset=True), {"owner": lambda i: user_get(id=i)})
    return idempotent_create(
        request,
        lambda: services.program_create(actor=request.user, via="api", data=data),
        lambda pk: selectors.program_get_for(actor=request.user, id=pk),
    )


@router.get("/programs/{program_id}", response=ProgramOut)
def get_program(request, program_id: PathId):
    return selectors.program_get_for(actor=request.user, id=program_id)


@router.patch("/programs/{program_id}", response=ProgramOut)
def update_program(request, program_id: PathId, payload: ProgramPatch):
    program = selectors.program_get_for(actor=request.user, id=program_id, action=access.WRITE)
    return services.program_update(
        actor=request.user, via="api", program=program, data=payload.dict(exclude_unset=True)
    )


@router.post("/programs/{program_id}/costs", response={201: CostOut})
def add_cost(request, program_id: PathId, payload: CostIn):
    program = selectors.program_get_for(actor=request.user, id=program_id, action=access.WRITE)
    cost = services.program_cost_add(
        actor=request.user, via="api", program=program, data=payload.dict()
    )
    return Status(201, cost)


@router.get("/touches", response=TouchPage)
def list_touches(request, filters: Query[TouchesQuery]):
    """Filters: person, program, kind, since (YYYY-MM-DD); sort: -occurred, occurred."""
    return page_out(selectors.touch_list(actor=request.user, params=request.GET))


@router.post("/touches", response={200: TouchOut, 201: TouchOut})
def create_touch(request, payload: TouchIn):
    data = payload.dict(exclude_unset=True)
    data = resolve_refs(
        data,
        {
            "person": lambda i: person_get_for(actor=request.user, id=i),
            "program": lambda i: selectors.program_get_for(actor=request.user, id=i),
        },
    )
    if data.get("occurred_at") is None:
        data["occurred_at"] = timezone.now()
    if access.function_of(request.user) == "sales":
        data["rep"] = request.user
    return idempotent_create(
        request,
        lambda: services.touch_create(actor=request.user, via="api", data=data),
        lambda pk: selectors.touch_get_for(actor=request.user, id=pk),
    )


@router.post("/touches/batch", response=IngestOut)
def ingest_touches(request, payload: IngestIn):
    """Up to 1,000 touches from another system (web visits, ad clicks, event attendance, a
    trade-show list): people are found by normalized email or created; errors come back by
    item index and the good items go in."""
    programs = {}
    items = []
    for item in payload.items:
        data = item.dict()
        person = {k: data.pop(k) for k in ("first_name", "last_name", "title", "country")}
        email, program_id = data.pop("email"), data.pop("program_id")
        if program_id is not None and program_id not in programs:
            programs[program_id] = selectors.program_qs(request.user).filter(pk=program_id).first()
        data["program"] = programs.get(program_id)
        data["occurred_at"] = data["occurred_at"] or timezone.now()
        items.append({"email": email, "person": person, "touch": data, "program_id": program_id})
    bad = {
        i: "No such program."
        for i, it in enumerate(items)
        if it["program_id"] and not programs.get(it["program_id"])
    }
    good = [it for i, it in enumerate(items) if i not in bad]
    result = services.touches_ingest(actor=request.user, via="api", items=good)
    positions = [i for i in range(len(items)) if i not in bad]
    result["errors"] = bad | {positions[i]: msg for i, msg in result["errors"].items()}
    return result


@router.get("/touches/{touch_id}", response=TouchOut)
def get_touch(request, touch_id: PathId):
    return selectors.touch_get_for(actor=request.user, id=touch_id)


@router.delete("/programs/{program_id}", response={204: None}, summary="Move to the trash")
def delete_program(request, program_id: PathId):
    """Its costs and forms go with it; its touches stay, without it. One with campaigns answers
    409. Restorable for 30 days. Managers and admins."""
    program = selectors.program_get_for(actor=request.user, id=program_id, action=access.WRITE)
    trash.move_to_trash(actor=request.user, via="api", obj=program, resource="program")
    return 204, None
