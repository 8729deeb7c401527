from django.urls import path

from tandem.insights import views

app_name = "insights"
urlpatterns = [path("funnel/", views.funnel, name="funnel")]
