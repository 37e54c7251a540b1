from django.urls import path

from courses.views import home

app_name = "courses"

urlpatterns = [
    path("", home.home, name="home"),
]
