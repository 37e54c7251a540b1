"""Routes of the LTI endpoints (included in the ``courses`` namespace).

The paths admins paste into an LMS are fixed.
"""

from django.urls import path

from courses.views import lti

urlpatterns = [
    path("lti/", lti.setup, name="lti_setup"),
    path("lti/login/", lti.login, name="lti_login"),
    path("lti/launch/", lti.launch, name="lti_launch"),
    path("lti/jwks/", lti.jwks, name="lti_jwks"),
    path("lti/canvas.json", lti.canvas_json, name="lti_canvas_json"),
    path("lti/register/", lti.register, name="lti_register"),
    path("lti/deep-link/<str:launch_id>/", lti.deep_link, name="lti_deep_link"),
]
