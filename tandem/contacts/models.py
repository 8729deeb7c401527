from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from tandem.core.models import TimeStamped


class LifecycleStage(models.TextChoices):
    SUBSCRIBER = "subscriber", "Subscriber"
    LEAD = "lead", "Lead"
    MQL = "mql", "Marketing-qualified"
    SAL = "sal", "Sales-accepted"
    SQL = "sql", "Sales-qualified"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    ADVOCATE = "advocate", "Advocate"
    DISQUALIFIED = "disqualified", "Disqualified"
    NURTURE = "nurture", "Recycled to nurture"


class ConsentStatus(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    GRANTED = "granted", "Granted"
    WITHDRAWN = "withdrawn", "Withdrawn"


class CompanySize(models.TextChoices):
    MICRO = "1-10", "1–10"
    SMALL = "11-50", "11–50"
    MEDIUM = "51-200", "51–200"
    LARGE = "201-1000", "201–1000"
    ENTERPRISE = "1000+", "1000+"


USER = settings.AUTH_USER_MODEL


class Organization(TimeStamped):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True, default="")
    industry = models.CharField(max_length=100, blank=True, default="")
    size = models.CharField(max_length=10, choices=CompanySize.choices, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="", help_text="ISO 3166 alpha-2")
    region = models.CharField(max_length=100, blank=True, default="")
    city = models.CharField(max_length=100, blank=True, default="")
    owner = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # org_owner_idx leads with it
    )
    is_customer = models.BooleanField(default=False)
    custom = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(
        max_length=100, blank=True, default="", help_text="Its id in another system."
    )
    search_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["name"], name="org_name_idx"),
            models.Index(fields=["owner", "name"], name="org_owner_idx"),
            models.Index(fields=["country", "region"], name="org_geo_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["domain"], condition=~Q(domain=""), name="org_unique_domain"
            ),
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="org_unique_external"
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("contacts:organization", args=[self.pk])

    def __str__(self) -> str:
        return self.name


class Person(TimeStamped):
    email = models.CharField(max_length=254, blank=True, default="")
    email_normalized = models.CharField(max_length=254, blank=True, default="", editable=False)
    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    title = models.CharField(max_length=150, blank=True, default="")
    phone = models.CharField(max_length=50, blank=True, default="")
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
        db_index=False,  # person_org_idx
    )
    country = models.CharField(max_length=2, blank=True, default="")
    region = models.CharField(max_length=100, blank=True, default="")
    city = models.CharField(max_length=100, blank=True, default="")
    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.LEAD
    )
    stage_changed_at = models.DateTimeField(default=timezone.now)
    owner = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # person_owner_idx leads with it
    )
    sales_owns_conversation = models.BooleanField(
        default=False, help_text="Sales holds the conversation: marketing sends hold off."
    )
    score = models.IntegerField(default=0)
    consent = models.CharField(
        max_length=10, choices=ConsentStatus.choices, default=ConsentStatus.UNKNOWN
    )
    consent_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    source_program = models.ForeignKey(
        "marketing.Program",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sourced_people",
        db_index=False,  # person_source_idx leads with it
        help_text="The program of the person's first touch.",
    )
    first_touch_at = models.DateTimeField(null=True, blank=True)
    custom = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(
        max_length=100, blank=True, default="", help_text="Their id in another system."
    )
    search_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(
                fields=["email_normalized"],
                condition=~Q(email_normalized=""),
                name="person_unique_email",
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="person_unique_external",
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="person_name_idx"),
            models.Index(fields=["owner", "lifecycle_stage"], name="person_owner_idx"),
            models.Index(fields=["lifecycle_stage", "stage_changed_at"], name="person_stage_idx"),
            models.Index(
                fields=["lifecycle_stage", "-created_at"], name="person_stage_created_idx"
            ),
            models.Index(fields=["source_program", "first_touch_at"], name="person_source_idx"),
            # source program and id too: the funnel and the period's leads read them from the
            # index alone
            models.Index(
                fields=["first_touch_at", "source_program", "id"],
                name="person_first_touch_cover_idx",
            ),
            models.Index(fields=["organization"], name="person_org_idx"),
            models.Index(fields=["-created_at"], name="person_created_idx"),
        ]

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email or f"Person {self.pk}"

    @property
    def is_suppressed(self) -> bool:
        return bool(self.unsubscribed_at or self.bounced_at or self.complained_at)

    def get_absolute_url(self) -> str:
        return reverse("contacts:person", args=[self.pk])

    def __str__(self) -> str:
        return self.name


class LifecycleTransition(models.Model):
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="transitions",
        db_index=False,  # transition_person_cover_idx leads with it
    )
    from_stage = models.CharField(max_length=20, choices=LifecycleStage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=LifecycleStage.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        indexes = [
            # person too: "who reached SQL, when" is read from the index alone
            models.Index(fields=["to_stage", "at", "person"], name="transition_stage_person_idx"),
            # stage too: the funnel and "ever reached SQL" read it from the index alone
            models.Index(fields=["person", "at", "to_stage"], name="transition_person_cover_idx"),
        ]
        ordering = ["at", "id"]


class ConsentRecord(models.Model):
    """Proof of consent: what the person agreed to, when, and where."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    granted = models.BooleanField()
    wording = models.TextField()
    source = models.CharField(max_length=100)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]


class CustomField(TimeStamped):
    """A field a team adds to people or organizations: its values live in the record's
    `custom` under `key`, checked by its kind, options, whether it is required and who may
    edit it (tandem.contacts.custom_fields)."""

    class RecordType(models.TextChoices):
        PERSON = "person", "People"
        ORGANIZATION = "organization", "Organizations"

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        CHOICE = "choice", "One of a list"
        YES_NO = "yes_no", "Yes or no"

    class Editors(models.TextChoices):
        EVERYONE = "everyone", "Everyone"
        MARKETING = "marketing", "Marketing"
        SALES = "sales", "Sales"
        ADMINS = "admins", "Admins only"

    record_type = models.CharField(max_length=20, choices=RecordType.choices)
    key = models.SlugField(max_length=40, help_text="Lower-case letters, digits and _.")
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    options = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    editable_by = models.CharField(max_length=10, choices=Editors.choices, default=Editors.EVERYONE)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["record_type", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["record_type", "key"], name="customfield_unique_key")
        ]

    def get_absolute_url(self) -> str:
        return reverse("settings:custom_fields")

    def __str__(self) -> str:
        return self.label


class ErasedAddress(models.Model):
    """A salted hash of an erased person's email (tandem.contacts.privacy): whoever arrives
    with that address again is never mailed."""

    hash = models.CharField(max_length=64, unique=True)
    at = models.DateTimeField(default=timezone.now)
