"""Settings, one area of the app over several apps' pages (each page checks its own rights)."""

from django.urls import path

from tandem.accounts import settings_views as accounts
from tandem.contacts import settings_views as contacts
from tandem.core import settings_views as core
from tandem.core import trash_views, webhook_views
from tandem.marketing import retention_views
from tandem.sales import settings_views as sales

app_name = "settings"
urlpatterns = [
    path("", core.index, name="index"),
    path("mail/", core.mail, name="mail"),
    path("audit/", core.audit, name="audit"),
    path("retention/", retention_views.retention_page, name="retention"),
    path("trash/", trash_views.trash_page, name="trash"),
    path("trash/<int:pk>/restore", trash_views.trash_restore, name="trash_restore"),
    path("trash/delete/<slug:kind>/<int:pk>", trash_views.trash_record, name="trash_record"),
    path("webhooks/", webhook_views.webhooks_page, name="webhooks"),
    path("webhooks/<int:pk>/", webhook_views.webhook_page, name="webhook"),
    path(
        "webhooks/deliveries/<int:pk>/resend", webhook_views.webhook_resend, name="webhook_resend"
    ),
    path("users/", accounts.users, name="users"),
    path("users/<int:pk>/", accounts.user_edit, name="user"),
    path("teams/", accounts.teams, name="teams"),
    path("pipelines/", sales.pipelines, name="pipelines"),
    path("pipelines/new", sales.pipeline_new, name="pipeline_new"),
    path("pipelines/<int:pk>/default", sales.pipeline_default, name="pipeline_default"),
    path("pipelines/<int:pk>/stages", sales.stage_new, name="stage_new"),
    path("pipelines/<int:pk>/order", sales.stage_order, name="stage_order"),
    path("stages/<int:pk>", sales.stage_edit, name="stage_edit"),
    path("quotas/", sales.quotas, name="quotas"),
    path("territories/", sales.territories, name="territories"),
    path("fields/", contacts.custom_fields_page, name="custom_fields"),
    path("fields/<int:pk>/", contacts.custom_field_edit, name="custom_field"),
    path("fields/<int:pk>/delete", contacts.custom_field_delete, name="custom_field_delete"),
]
