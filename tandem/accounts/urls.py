from django.contrib.auth import views as auth_views
from django.urls import path

from tandem.accounts import views

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/", views.account, name="account"),
    path("me/tokens/<int:token_id>/revoke", views.revoke_token, name="revoke_token"),
]
