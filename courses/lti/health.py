"""Records of whether each registered platform's key set and token endpoint answered, and when.

The tool records the outcome wherever it fetches a platform's key set (launch
validation) or asks for a service token (grades, roster), so that an administrator
sees a platform that cannot be reached (a firewall, a renamed host) before a teacher
reports it. ``courses.lti.platform_check`` tries both on demand.
"""

from __future__ import annotations

import logging
from typing import Literal

from django.db import DatabaseError, transaction
from django.utils import timezone
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.models import PlatformHealth

logger = logging.getLogger("courses.lti")

MAX_MESSAGE_LENGTH = 500
Endpoint = Literal["key_set", "token"]


def platform_health_record(
    *, registration: LtiTool | None, endpoint: Endpoint, ok: bool, message: str = ""
) -> None:
    """Note that ``endpoint`` of a platform answered (``ok``) or failed, with what it said.

    Never raises: a launch or a grade must not fail because its bookkeeping did.
    """
    if registration is None or registration.pk is None:
        return
    now = timezone.now()
    values = {f"{endpoint}_message": message[:MAX_MESSAGE_LENGTH]}
    values[f"{endpoint}_ok_at" if ok else f"{endpoint}_failed_at"] = now
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the caller's work intact
            updated = PlatformHealth.objects.filter(registration_id=registration.pk).update(
                **values
            )
            if not updated:
                PlatformHealth.objects.update_or_create(
                    registration_id=registration.pk, defaults=values
                )
    except DatabaseError:
        logger.exception("Could not record the %s check of %s", endpoint, registration.issuer)


def registration_by_params(*, issuer: str, client_id: str | None) -> LtiTool | None:
    """The active registration of an issuer (and client id, when known)."""
    tools = LtiTool.objects.filter(issuer=issuer, is_active=True)
    if client_id:
        tools = tools.filter(client_id=client_id)
    return tools.first()
