"""The demo LMS's routes, included at /demo/ when the app is installed."""

from django.urls import path

from demo_lms import views

app_name = "demo_lms"

urlpatterns = [
    path("", views.home, name="home"),
    path("play/", views.play, name="play"),
    path("start/", views.start, name="start"),
    path("storage/", views.storage, name="storage"),
    path("auth/", views.auth, name="auth"),
    path("jwks/", views.jwks, name="jwks"),
    path("token/", views.token, name="token"),
    path("deep-link-return/", views.deep_link_return, name="deep_link_return"),
    path("lineitems/", views.lineitems, name="lineitems"),
    path("lineitems/<int:lineitem_id>/", views.lineitem, name="lineitem"),
    path("lineitems/<int:lineitem_id>/scores", views.lineitem_scores, name="lineitem_scores"),
    path("memberships/", views.memberships, name="memberships"),
    path("gradebook/", views.gradebook, name="gradebook"),
]
