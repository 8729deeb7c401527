from django.urls import path

from tandem.handoff import views

app_name = "handoff"
urlpatterns = [path("", views.queue, name="queue")]
