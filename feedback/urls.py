from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("<int:page_id>/", views.post_feedback, name="post"),
    path("<int:page_id>/token/", views.fresh_token, name="token"),
    path("<int:page_id>/rapportera-brist/", views.report, name="report"),
]
