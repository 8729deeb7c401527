from django.urls import path

from tandem.accounts import settings_views

app_name = "settings"
urlpatterns = [
    path("", settings_views.index, name="index"),
    path("users/", settings_views.users, name="users"),
    path("users/<int:pk>/", settings_views.user_edit, name="user"),
    path("teams/", settings_views.teams, name="teams"),
]
