"""Notes on records: whoever may see a record may leave a note on it (the team works it
together); the note goes on its timeline."""

from django.db import transaction

from tandem.core import access
from tandem.core.errors import Invalid, NotFound
from tandem.core.models import Note

MAX = 10_000


@transaction.atomic
def note_add(*, actor, target, resource: str, body: str) -> Note:
    if not access.can_read(actor, target, resource):
        raise NotFound()
    body = (body or "").strip()
    if not body:
        raise Invalid("Write the note first.", field="body")
    if len(body) > MAX:
        raise Invalid(f"A note holds at most {MAX:,} characters.", field="body")
    if "\x00" in body:
        raise Invalid("A note may not contain NUL.", field="body")
    return Note.objects.create(
        target_type=target._meta.model_name, target_id=target.pk, body=body, author=actor
    )
