from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tandem.core import access
from tandem.core.errors import DomainError, Invalid
from tandem.core.web import guarded
from tandem.transfer import column_map, engine, selectors, times, uploads
from tandem.transfer.models import ImportKind, JobStatus, Policy


@guarded
def imports(request):
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a file to import.")
            return redirect("transfer:imports")
        try:
            job = engine.job_create(
                actor=request.user,
                kind=request.POST.get("kind", ""),
                upload=upload,
                filename=upload.name,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("transfer:imports")
        return redirect(job.get_absolute_url())
    context = {"jobs": selectors.job_qs(request.user).order_by("-created_at")[:50],
               "kinds": ImportKind.choices}  # fmt: skip
    return render(request, "transfer/imports.html", context)


def _job_context(request, job) -> dict:
    preview = job.status == JobStatus.PREVIEW
    orders = (job.notes or {}).get("date_orders", {})
    columns = [
        {
            "index": str(i),
            "name": name,
            "field": job.mapping.get(str(i), ""),
            "values": [row[i] for row in job.sample if i < len(row) and row[i]],
            "order": orders.get(str(i), ""),
            "chosen": (job.options or {}).get("dates", {}).get(str(i), ""),
        }
        for i, name in enumerate(job.header if preview else [])
    ]
    stalled = engine.stalled(job)
    return {
        "job": job,
        "columns": columns,
        "targets": column_map.choices(job.kind),
        "time_warning": column_map.time_warning(job.kind, job.mapping) if preview else "",
        "date_orders": list(times.ORDERS.items()),
        "policies": Policy.choices,
        "stalled": stalled,
        "running": job.status in (JobStatus.QUEUED, JobStatus.RUNNING) and not stalled,
        "following": job.status in FOLLOWED and not stalled,
        "resumable": (job.status in (JobStatus.FAILED, JobStatus.CANCELLED) or stalled)
        and bool(job.header and job.path),
        "undoable": job.status in (JobStatus.DONE, JobStatus.CANCELLED, JobStatus.FAILED)
        and job.processed > 0
        or stalled,
        "programs": selectors.programs(actor=request.user) if job.kind == "touches" else [],
        "loss_reasons": selectors.loss_reasons() if job.kind == "opportunities" else [],
        "may_create_owners": access.is_admin(request.user),
    }


FOLLOWED = (JobStatus.READING, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.UNDOING)


@guarded
def job(request, pk: int):
    obj = selectors.job_get_for(actor=request.user, id=pk)
    if request.method == "POST":
        mapping = {str(i): request.POST.get(f"map-{i}", "") for i in range(len(obj.header))}
        program = None
        if request.POST.get("program"):
            program = selectors.program_for(actor=request.user, id=request.POST["program"])
        try:
            options = {
                "create_owners": request.POST.get("create_owners") == "1",
                "loss_reason_id": request.POST.get("loss_reason") or None,
                "dates": {
                    str(i): request.POST.get(f"date-{i}", "") for i in range(len(obj.header))
                },
            }
            engine.job_configure(
                actor=request.user, job=obj, mapping=mapping,
                policy=request.POST.get("policy", ""), program=program, options=options,
            )  # fmt: skip
            engine.job_start(actor=request.user, job=obj)
            messages.success(request, "Import started.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(obj.get_absolute_url())
    context = _job_context(request, obj)
    if request.htmx and obj.status == JobStatus.PREVIEW:
        return HttpResponse(headers={"HX-Refresh": "true"})  # the file is read: show the mapping
    if request.htmx:
        return render(request, "transfer/job.html#progress", context)
    return render(request, "transfer/job.html", context)


def _act(request, pk, action, done):
    obj = selectors.job_get_for(actor=request.user, id=pk)
    try:
        action(obj)
        messages.success(request, done)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(obj.get_absolute_url())


@require_POST
@guarded
def cancel(request, pk: int):
    return _act(request, pk, lambda j: engine.job_cancel(actor=request.user, job=j), "Cancelling.")


@require_POST
@guarded
def resume(request, pk: int):
    return _act(request, pk, lambda j: engine.job_start(actor=request.user, job=j), "Resumed.")


@require_POST
@guarded
def undo(request, pk: int):
    return _act(request, pk, lambda j: engine.job_undo(actor=request.user, job=j),
                "Undoing: what this import created is being removed.")  # fmt: skip


@guarded
def errors(request, pk: int):
    obj = selectors.job_get_for(actor=request.user, id=pk)
    if obj.status == JobStatus.PREVIEW:
        raise Invalid("The import has not run yet.")
    response = StreamingHttpResponse(
        uploads.errors_report(obj), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{obj.pk}-errors.csv"'
    return response
