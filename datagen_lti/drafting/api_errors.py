"""Turn the openai SDK's exceptions into ``DraftError`` messages an admin can act on."""

from __future__ import annotations

import openai

from datagen_lti.drafting.draft import DraftError

TEMPLATE_FALLBACK = " Meanwhile, start from a template instead."


def draft_error_for(exc: openai.OpenAIError, *, model: str, base_url: str) -> DraftError:
    """The ``DraftError`` that explains ``exc``; the order matters (subclasses first)."""
    if isinstance(exc, openai.APITimeoutError):
        return DraftError(
            f"The language model service at {base_url} did not answer in time; try again "
            "later, or raise the drafting timeout." + TEMPLATE_FALLBACK,
            reason="timeout",
        )
    if isinstance(exc, openai.APIConnectionError):
        return DraftError(
            f"Could not reach the language model service at {base_url}; check OPENAI_BASE_URL "
            "and the server's network access." + TEMPLATE_FALLBACK,
            reason="connection",
        )
    if isinstance(exc, openai.AuthenticationError):
        # The service's own text may echo part of the key: leave it out.
        return DraftError(
            "The language model service rejected the API key (HTTP 401); check OPENAI_API_KEY."
            + TEMPLATE_FALLBACK,
            reason="auth",
        )
    if isinstance(exc, openai.PermissionDeniedError):
        return DraftError(
            f"The API key may not use the model {model!r} (HTTP 403); check the key's "
            "permissions or choose another OPENAI_MODEL." + TEMPLATE_FALLBACK,
            reason="permission",
        )
    if isinstance(exc, openai.NotFoundError):
        return DraftError(
            f"The language model service at {base_url} does not know the model {model!r} "
            "(HTTP 404); check OPENAI_MODEL and OPENAI_BASE_URL." + TEMPLATE_FALLBACK,
            reason="not_found",
        )
    if isinstance(exc, openai.RateLimitError):
        return DraftError(
            "The language model service is limiting requests or the account has run out of "
            "quota (HTTP 429); wait a minute and try again, or check the account's billing."
            + TEMPLATE_FALLBACK,
            reason="rate_limit",
        )
    if isinstance(exc, openai.BadRequestError | openai.UnprocessableEntityError):
        return DraftError(
            f"The language model service refused the request (HTTP {exc.status_code}: "
            f"{_detail(exc)}); the model {model!r} may not support structured outputs with a "
            "JSON schema, so choose another OPENAI_MODEL." + TEMPLATE_FALLBACK,
            reason="bad_request",
        )
    if isinstance(exc, openai.InternalServerError):
        return DraftError(
            f"The language model service had an internal error (HTTP {exc.status_code}); try "
            "again later." + TEMPLATE_FALLBACK,
            reason="server",
        )
    if isinstance(exc, openai.APIStatusError):
        return DraftError(
            f"The language model service answered HTTP {exc.status_code} ({_detail(exc)})."
            + TEMPLATE_FALLBACK,
            reason="api",
        )
    if isinstance(exc, openai.APIResponseValidationError):
        return DraftError(
            f"The service at {base_url} sent a response that is not an OpenAI-compatible chat "
            "completion; check OPENAI_BASE_URL." + TEMPLATE_FALLBACK,
            reason="api",
        )
    return DraftError(f"The language model client failed: {exc}." + TEMPLATE_FALLBACK, reason="api")


def _detail(exc: openai.APIStatusError) -> str:
    """The service's own short explanation, when it gives one."""
    body = exc.body
    message = None
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else error
    text = " ".join(str(message or exc.message or "no details").split())
    return text[:300]
