from django.urls import path

from tandem.contacts import views

app_name = "contacts"
urlpatterns = [
    path("people/", views.people, name="people"),
    path("people/new", views.person_new, name="person_new"),
    path("people/bulk", views.people_bulk, name="people_bulk"),
    path("people/export", views.people_export, name="people_export"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/edit", views.person_edit, name="person_edit"),
    path("people/<int:pk>/export", views.person_export_data, name="person_export_data"),
    path("people/<int:pk>/erase", views.person_erase, name="person_erase"),
    path("people/<int:pk>/stage", views.person_stage, name="person_stage"),
    path("people/<int:pk>/field/<str:name>", views.person_field, name="person_field"),
    path("organizations/", views.organizations, name="organizations"),
    path("organizations/new", views.organization_new, name="organization_new"),
    path("organizations/export", views.organizations_export, name="organizations_export"),
    path("organizations/<int:pk>/", views.organization, name="organization"),
    path("organizations/<int:pk>/edit", views.organization_edit, name="organization_edit"),
    path(
        "organizations/<int:pk>/field/<str:name>",
        views.organization_field,
        name="organization_field",
    ),
]
