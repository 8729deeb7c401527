from django.urls import path

from tandem.marketing import views

app_name = "marketing"
urlpatterns = [
    path("programs/", views.programs, name="programs"),
    path("programs/new", views.program_new, name="program_new"),
    path("programs/<int:pk>/", views.program, name="program"),
    path("programs/<int:pk>/edit", views.program_edit, name="program_edit"),
    path("programs/<int:pk>/costs", views.program_cost, name="program_cost"),
]
