from tandem.core import access
from tandem.core.errors import NotFound
from tandem.marketing.models import Program
from tandem.transfer.models import ImportJob


def job_qs(actor):
    jobs = ImportJob.objects.select_related("owner")
    return jobs if access.is_admin(actor) else jobs.filter(owner=actor)


def job_get_for(*, actor, id) -> ImportJob:
    """An import belongs to whoever started it (and admins)."""
    job = job_qs(actor).filter(pk=id).first()
    if job is None:
        raise NotFound()
    return job


def programs(*, actor):
    return access.scope(actor, Program.objects.order_by("name"), "program")


def program_for(*, actor, id) -> Program:
    return access.get_for(actor, Program.objects.all(), "program", id)


def loss_reasons():
    from tandem.sales.models import LossReason

    return LossReason.objects.filter(active=True).order_by("name")
