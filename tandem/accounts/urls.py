from django.urls import path

from tandem.accounts import views

app_name = "accounts"
urlpatterns = [
    path("me/", views.account, name="account"),
    path("me/tokens/<int:token_id>/revoke", views.revoke_token, name="revoke_token"),
    path("me/preferences", views.preferences, name="preferences"),
    path("me/logout-everywhere", views.logout_everywhere, name="logout_everywhere"),
    path("invitation/<str:token>/", views.accept, name="accept"),
]
