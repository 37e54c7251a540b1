"""CHIPS: the cookies a cross-site LMS frame needs are sent ``Partitioned``."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import RequestFactory

from datagen_lti.middleware import PartitionedCookiesMiddleware, cookies_partition


def _set_cookie_lines(response: HttpResponse) -> dict[str, str]:
    """The Set-Cookie header lines as the WSGI handler writes them, by cookie name."""
    return {key: morsel.output(header="").strip() for key, morsel in response.cookies.items()}


def _attributes(line: str) -> list[str]:
    return [part.strip().lower() for part in line.split(";")]


def test_cross_site_cookie_gains_partitioned_and_keeps_its_other_attributes() -> None:
    response = HttpResponse()
    response.set_cookie("datagen_session", "abc", secure=True, samesite="None", httponly=True)
    cookies_partition(response)
    line = _set_cookie_lines(response)["datagen_session"]
    assert line.startswith("datagen_session=abc;")
    attributes = _attributes(line)
    assert attributes[-1] == "partitioned"
    assert {"secure", "httponly", "samesite=none", "path=/"} <= set(attributes)


def test_cookies_without_secure_or_with_samesite_lax_stay_unpartitioned() -> None:
    response = HttpResponse()
    response.set_cookie("lax", "1", secure=True, samesite="Lax")
    response.set_cookie("plain", "1")
    cookies_partition(response)
    lines = _set_cookie_lines(response)
    assert "partitioned" not in _attributes(lines["lax"])
    assert "partitioned" not in _attributes(lines["plain"])


def test_partitioning_twice_adds_the_attribute_once() -> None:
    response = HttpResponse()
    response.set_cookie("lti1p3-session-id", "x", secure=True, samesite="None")
    cookies_partition(response)
    cookies_partition(response)
    assert _attributes(_set_cookie_lines(response)["lti1p3-session-id"]).count("partitioned") == 1


def test_deleting_a_partitioned_cookie_is_partitioned_too() -> None:
    # A partitioned cookie is only removed by a Set-Cookie that names the same partition.
    response = HttpResponse()
    response.delete_cookie("datagen_session", samesite="None")
    cookies_partition(response)
    attributes = _attributes(_set_cookie_lines(response)["datagen_session"])
    assert "max-age=0" in attributes and "partitioned" in attributes


def _middleware_response(settings, *, enabled: bool) -> HttpResponse:
    settings.DATAGEN_PARTITIONED_COOKIES = enabled

    def view(request):
        response = HttpResponse("ok")
        response.set_cookie("datagen_csrftoken", "t", secure=True, samesite="None")
        return response

    return PartitionedCookiesMiddleware(view)(RequestFactory().get("/"))


def test_middleware_partitions_unless_switched_off(settings) -> None:
    on = _middleware_response(settings, enabled=True)
    assert "partitioned" in _attributes(_set_cookie_lines(on)["datagen_csrftoken"])
    off = _middleware_response(settings, enabled=False)
    assert "partitioned" not in _attributes(_set_cookie_lines(off)["datagen_csrftoken"])
