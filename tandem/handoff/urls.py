from django.urls import path

from tandem.handoff import views

app_name = "handoff"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("inbox/", views.inbox, name="inbox"),
    path("mqls/", views.mqls, name="mqls"),
    path("sla/", views.sla_board, name="sla"),
    path("scoring/", views.scoring, name="scoring"),
    path("scoring/preview", views.scoring_preview, name="scoring_preview"),
    path("scoring/scores", views.scoring_scores, name="scoring_scores"),
    path("leakage/", views.leakage, name="leakage"),
    path("scoring/predictive/", views.predictive_page, name="predictive"),
    path("scoring/predictive/train", views.predictive_train, name="predictive_train"),
    path("<int:pk>/accept", views.accept, name="accept"),
    path("<int:pk>/reject", views.reject, name="reject"),
    path("<int:pk>/convert", views.convert, name="convert"),
    path("<int:pk>/reassign", views.reassign, name="reassign"),
]
