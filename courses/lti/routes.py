"""Routes of the LTI layer (included in the ``courses`` namespace); paths admins paste are fixed."""

from django.urls import path

from courses.views import demo, lti

urlpatterns = [
    path("lti/", lti.setup, name="lti_setup"),
    path("lti/login/", lti.login, name="lti_login"),
    path("lti/launch/", lti.launch, name="lti_launch"),
    path("lti/jwks/", lti.jwks, name="lti_jwks"),
    path("lti/canvas.json", lti.canvas_json, name="lti_canvas_json"),
    path("lti/register/", lti.register, name="lti_register"),
    path("lti/deep-link/<str:launch_id>/", lti.deep_link, name="lti_deep_link"),
    # The demo LMS: every view answers 404 unless DATAGEN_DEMO_MODE is on.
    path("demo/", demo.demo_home, name="demo_home"),
    path("demo/play/", demo.demo_play, name="demo_play"),
    path("demo/start/", demo.demo_start, name="demo_start"),
    path("demo/auth/", demo.demo_auth, name="demo_auth"),
    path("demo/jwks/", demo.demo_jwks, name="demo_jwks"),
    path("demo/token/", demo.demo_token, name="demo_token"),
    path("demo/deep-link-return/", demo.demo_deep_link_return, name="demo_deep_link_return"),
    path("demo/lineitems/", demo.demo_lineitems, name="demo_lineitems"),
    path("demo/lineitems/<int:lineitem_id>/", demo.demo_lineitem, name="demo_lineitem"),
    path(
        "demo/lineitems/<int:lineitem_id>/scores",
        demo.demo_lineitem_scores,
        name="demo_lineitem_scores",
    ),
    path("demo/memberships/", demo.demo_memberships, name="demo_memberships"),
    path("demo/gradebook/", demo.demo_gradebook, name="demo_gradebook"),
]
