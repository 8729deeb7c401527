"""API for imports: upload, see the proposed mapping, set it, start, follow, cancel, undo."""

from datetime import datetime
from typing import Literal

from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from tandem.contacts.selectors import person_get_for
from tandem.core.api_support import Id, PathId
from tandem.transfer import column_map, dedupe_views, engine, merge, selectors
from tandem.transfer.models import Policy, RowAction

router = Router(tags=["import"])


class JobOut(Schema):
    id: int
    kind: str
    filename: str
    format: str
    encoding: str
    delimiter: str
    header: list[str]
    mapping: dict[str, str]
    policy: str
    status: str
    total: int
    processed: int
    created: int
    updated: int
    skipped: int
    failed: int
    removed: int
    rows_per_second: float | None
    seconds_left: float | None
    error: str
    sample: list[list[str]] = Field(..., description="The first rows, cut short")
    notes: dict = Field(
        ...,
        description="What reading found: unknown_owners (names); date_orders ({column: dmy, "
        "mdy, ambiguous or mixed}, from all the column's values)",
    )
    time_warning: str = Field(..., description="Set when no column says when things happened")
    options: dict
    stalled: bool = Field(..., description="Running, but its worker is gone: resume or undo it")
    created_at: datetime

    @staticmethod
    def resolve_rows_per_second(obj):
        return obj.rate

    @staticmethod
    def resolve_seconds_left(obj):
        return obj.seconds_left

    @staticmethod
    def resolve_time_warning(obj):
        return column_map.time_warning(obj.kind, obj.mapping) if obj.header else ""

    @staticmethod
    def resolve_stalled(obj):
        return engine.stalled(obj)


class OptionsIn(Schema):
    create_owners: bool = Field(
        False, description="Admins: create a user without a login for each unknown owner name"
    )
    loss_reason_id: Id | None = Field(
        None, description="Opportunities: the loss reason of lost deals whose row gives none"
    )
    dates: dict[str, Literal["dmy", "mdy"]] = Field(
        default_factory=dict,
        description="{column index: dmy or mdy}: how to read a time column whose dates fit "
        "both orders (notes.date_orders says 'ambiguous' or 'mixed')",
    )


class MappingIn(Schema):
    mapping: dict[str, str] = Field(..., description="{column index: field or 'custom'}")
    policy: Policy = Policy.UPDATE
    program_id: Id | None = Field(None, description="Touches: the program of every row")
    options: OptionsIn = Field(default_factory=OptionsIn)


class RowError(Schema):
    row: int
    column: str
    reason: str


@router.post("/imports", response={201: JobOut})
def upload(request, kind: Form[str], file: File[UploadedFile]):
    """Upload a CSV or XLSX. The answer comes at once with the status `reading`; a worker
    reads the file, then the job is `preview` with its header, a sample and the proposed
    mapping (or `failed` with the reason). Nothing is written to the records yet."""
    job = engine.job_create(actor=request.user, kind=kind, upload=file, filename=file.name)
    return Status(201, job)


@router.get("/imports/{job_id}", response=JobOut)
def get_job(request, job_id: PathId):
    return selectors.job_get_for(actor=request.user, id=job_id)


@router.put("/imports/{job_id}/mapping", response=JobOut)
def set_mapping(request, job_id: PathId, payload: MappingIn):
    job = selectors.job_get_for(actor=request.user, id=job_id)
    program = (
        selectors.program_for(actor=request.user, id=payload.program_id)
        if payload.program_id
        else None
    )
    return engine.job_configure(
        actor=request.user, job=job, mapping=payload.mapping, policy=payload.policy,
        program=program, options=payload.options.dict(),
    )  # fmt: skip


@router.post("/imports/{job_id}/start", response={202: JobOut})
def start(request, job_id: PathId):
    """Start, or resume after a failure, a cancel or a worker that died, in the background;
    a cancel asked for before is forgotten."""
    job = selectors.job_get_for(actor=request.user, id=job_id)
    return Status(202, engine.job_start(actor=request.user, job=job))


@router.post("/imports/{job_id}/cancel", response=JobOut)
def cancel(request, job_id: PathId):
    job = selectors.job_get_for(actor=request.user, id=job_id)
    return engine.job_cancel(actor=request.user, job=job)


@router.post("/imports/{job_id}/undo", response={202: JobOut})
def undo(request, job_id: PathId):
    """Remove what the import created, in the background: follow the job until "undone"."""
    job = selectors.job_get_for(actor=request.user, id=job_id)
    return Status(202, engine.job_undo(actor=request.user, job=job))


@router.get("/imports/{job_id}/errors", response=list[RowError])
def errors(request, job_id: PathId):
    """Refused rows: the row number as a spreadsheet shows it, the column, the reason."""
    job = selectors.job_get_for(actor=request.user, id=job_id)
    rows = job.rows.filter(action=RowAction.FAILED).order_by("number")[:10_000]
    return [{"row": r.number, "column": r.column, "reason": r.message} for r in rows]


class CandidateOut(Schema):
    id: int
    first_id: int
    second_id: int
    confidence: float
    reason: str
    status: str


class MergeIn(Schema):
    survivor_id: Id
    other_id: Id
    take: dict[str, bool] = Field(default_factory=dict, description="{field: take the other's}")


class MergeOut(Schema):
    id: int
    survivor_id: int | None
    merged_id: int
    chosen: dict
    moved: dict[str, int]
    dropped: list


@router.get("/duplicates", response=list[CandidateOut])
def duplicates(request):
    """Open pairs (both people visible to you), the surest first; at most 500."""
    return list(dedupe_views.candidates_for(request.user)[:500])


@router.post("/duplicates/{candidate_id}/dismiss", response={204: None})
def dismiss_duplicate(request, candidate_id: PathId):
    merge.dismiss(actor=request.user, candidate=dedupe_views._candidate(request, candidate_id))
    return Status(204, None)


@router.post("/merges", response=MergeOut)
def merge_people(request, payload: MergeIn):
    """Merge `other` into `survivor`; `take` picks the fields whose value comes from `other`."""
    survivor = person_get_for(actor=request.user, id=payload.survivor_id)
    other = person_get_for(actor=request.user, id=payload.other_id)
    return merge.merge(actor=request.user, via="api", survivor=survivor, other=other,
                       take=payload.take)  # fmt: skip
