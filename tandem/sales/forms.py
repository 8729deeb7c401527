from django import forms

from tandem.core.pickers import Picker
from tandem.sales.models import (
    Activity,
    Competitor,
    ContactRole,
    LossReason,
    Objection,
    Opportunity,
    Product,
    Stage,
)


class OpportunityForm(forms.ModelForm):
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), required=False)

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "organization",
            "person",
            "owner",
            "amount",
            "currency",
            "expected_close",
            "channel",
            "forecast_category",
        ]
        widgets = {
            "expected_close": forms.DateInput(attrs={"type": "date"}),
            "organization": Picker("organization", "Type to find an organization…"),
            "person": Picker("person", "Type to find the contact person…"),
            "owner": Picker("user", "Me — or type a colleague's name…"),
        }

    def __init__(self, *args, organizations, people, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["person"].queryset = people
        self.fields["person"].label = "Contact person"
        self.fields["person"].help_text = (
            "Who you sell to. The won revenue is credited to the programs that touched "
            "the people on the deal."
        )
        self.fields["owner"].queryset = owners
        self.fields["owner"].required = False
        self.fields["owner"].empty_label = "Me"
        self.fields["stage"].queryset = Stage.objects.select_related("pipeline").order_by(
            "pipeline", "order"
        )
        self.fields["stage"].empty_label = "The first stage of the default pipeline"
        if self.instance.pk:
            del self.fields["stage"]
            self.fields["owner"].required = True
            self.fields["owner"].queryset = owners | owners.model.objects.filter(
                pk=self.instance.owner_id
            )

    def _post_clean(self):
        """Rules live in the services."""


class MoveForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=Stage.objects.all())
    loss_reason = forms.ModelChoiceField(
        queryset=LossReason.objects.filter(active=True), required=False
    )
    lost_to = forms.ModelChoiceField(
        queryset=Competitor.objects.filter(active=True), required=False, label="Lost to"
    )


class BulkMoveForm(MoveForm):
    """Moves the deals whose ids come as `ids`; each follows the single-move rules."""


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["kind", "subject", "due_at", "selling", "notes"]
        widgets = {"due_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def _post_clean(self):
        """Rules live in the services."""


class LineForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(active=True),
        widget=Picker("product", "Type a product's name or SKU…"),
    )
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1)
    unit_price = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2)
    reason = forms.CharField(max_length=500, required=False, label="Reason (if beyond policy)")


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=(("1", "Approve"), ("0", "Reject")), coerce=lambda v: v == "1"
    )
    comment = forms.CharField(max_length=500, required=False)


class PriceForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.all(), widget=Picker("product", "Type a product's name or SKU…")
    )
    list_price = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2)


class ProductForm(forms.Form):
    sku = forms.CharField(max_length=50, label="SKU")
    name = forms.CharField(max_length=200)
    family = forms.CharField(
        max_length=100, required=False, help_text="Discount rules apply by family."
    )
    list_price = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2)


class PolicyForm(forms.Form):
    role = forms.ChoiceField(
        choices=(("sales_rep", "Sales rep"), ("sales_manager", "Sales manager"))
    )
    product_family = forms.CharField(max_length=100, required=False)
    max_discount_pct = forms.DecimalField(
        min_value=0, max_value=100, max_digits=5, decimal_places=2
    )


class ObjectionForm(forms.Form):
    objection = forms.ModelChoiceField(queryset=Objection.objects.filter(active=True))
    note = forms.CharField(max_length=500, required=False)
    handled = forms.BooleanField(required=False)


class CompetitorForm(forms.Form):
    competitor = forms.ModelChoiceField(queryset=Competitor.objects.filter(active=True))


class ContactForm(forms.Form):
    person = forms.ModelChoiceField(
        queryset=None, widget=Picker("person", "Type to find a person…"), label="Person"
    )
    role = forms.ChoiceField(choices=ContactRole.choices, label="Role")

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
