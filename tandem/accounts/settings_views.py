"""Settings → Users and Teams: admins invite people, give them a role and a team, and
deactivate them, without the Django admin."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from tandem.accounts import selectors
from tandem.accounts import users as user_services
from tandem.accounts.models import Team, User
from tandem.core import access
from tandem.core.errors import DomainError, Forbidden
from tandem.core.roles import Role
from tandem.core.web import add_domain_error, guarded


def _admin(request) -> None:
    if not access.is_admin(request.user):
        raise Forbidden("Only an admin manages users and teams.")


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.SALES_REP)
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False)


class UserForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "role", "team", "capacity", "is_active"]
        labels = {"is_active": "Active (may sign in)", "capacity": "Share of routed leads"}

    def _post_clean(self):
        """Rules live in the services."""


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100)
    function = forms.ChoiceField(choices=[("sales", "Sales"), ("marketing", "Marketing")])
    manager = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("first_name"), required=False
    )


@guarded
def users(request):
    _admin(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invited = user_services.user_invite(
                actor=request.user, base_url=request.build_absolute_uri("/"), **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invited.email}.")
            return redirect("settings:users")
    context = {"form": form, "people": selectors.users_list(), "roles": Role.choices}
    return render(request, "accounts/settings_users.html", context)


@guarded
def user_edit(request, pk: int):
    _admin(request)
    person = get_object_or_404(User, pk=pk)
    form = UserForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            user_services.user_update(actor=request.user, user=person, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{person.display_name} is saved.")
            return redirect("settings:users")
    return render(request, "accounts/settings_user.html", {"form": form, "person": person})


@guarded
def teams(request):
    _admin(request)
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_services.team_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Team created.")
            return redirect("settings:teams")
    return render(request, "accounts/settings_teams.html",
                  {"form": form, "teams": selectors.teams()})  # fmt: skip
