"""pylti1p3's launch failures, translated into words an LMS admin or a user can act on."""

from __future__ import annotations

from pylti1p3.exception import LtiException, OIDCException

from courses.lti.errors import LaunchError

COOKIE_HINT = (
    "Launch the assignment again from your course. If this keeps happening inside the "
    "course page, your browser is blocking the tool's cookies: allow third-party cookies "
    "for this site, or use the 'open in a new window' link the tool offers."
)
ADMIN_HINT = "An LMS administrator can fix this in the tool's registration (Django admin, or python manage.py lti_register)."


ADD_AGAIN = (
    "To start a new assignment here instead, remove this link from the course and add "
    "the tool again (add an activity or assignment, then select content)."
)
COPY_REFUSALS = {
    # The LMS named the courses this one was copied from, and the source is not among them.
    "history": (
        "This link was not copied with its course",
        "This link names an assignment of another course, and the LMS says this course "
        "was not copied from that one, so the tool does not copy its spec and questions here.",
        "To bring the assignment over, ask an instructor of the original course to copy or "
        "import that course's content into this course in the LMS (the LMS then records "
        "where the link came from). " + ADD_AGAIN,
    ),
    # No history from the LMS; an instructor who does not teach the source course.
    "stranger": (
        "This link belongs to a course you do not teach",
        "This link names an assignment of another course, and the LMS did not say that this "
        "course was copied from it. Without that, the tool copies an assignment's spec and "
        "questions only for an instructor of the original course.",
        "Ask an instructor of the original course who also teaches this course to open "
        "this link once: the tool then copies the assignment here for everyone. " + ADD_AGAIN,
    ),
    # No history from the LMS; a learner cannot vouch for the copy.
    "learner": (
        "This assignment is not set up in this course yet",
        "This link was copied from another course, and your instructor has not opened it "
        "in this course yet.",
        "Tell your instructor: an instructor of the original course needs to open this "
        "link once in this course, then it works for everyone.",
    ),
}


def course_copy_refused(*, reason: str, issuer: str = "", client_id: str = "") -> LaunchError:
    """The page for a copied link the tool will not copy (``reason``: a key of COPY_REFUSALS)."""
    title, message, hint = COPY_REFUSALS[reason]
    return LaunchError(
        message, title=title, hint=hint, status=403, issuer=issuer, client_id=client_id
    )


def launch_error_from(
    exc: Exception,
    *,
    issuer: str = "",
    client_id: str = "",
    header: dict | None = None,
    deployment_id: str = "",
) -> LaunchError:
    """Turn a pylti1p3 failure into a message an LMS admin or a user can act on."""
    text = str(exc)
    who = f"issuer {issuer or '?'}, client id {client_id or '?'}"

    def error(title: str, message: str, hint: str = "", status: int = 400) -> LaunchError:
        return LaunchError(
            _printable(message),
            title=title,
            hint=_printable(hint),
            status=status,
            issuer=_printable(issuer, 300),
            client_id=_printable(client_id, 300),
        )

    if "Missing state" in text:
        return error(
            "The launch is missing its state",
            "The LMS posted a launch without the 'state' this tool issued when the launch began.",
            COOKIE_HINT,
        )
    if "State not found" in text or "cookie" in text.lower():
        return error(
            "The launch could not be matched to your browser",
            "The launch's state does not match the one this browser received when the "
            "launch began: the tool's cookie was blocked or has expired, or the launch was "
            "opened in another browser.",
            COOKIE_HINT,
            status=401,
        )
    if "Nonce already used" in text or "Invalid Nonce" in text or '"nonce" is empty' in text:
        return error(
            "This launch was already used",
            "Each launch from the LMS can be used once; this one was used before or was "
            "never issued to this tool (a replayed or reloaded launch).",
            "Go back to your course and click the assignment again.",
            status=401,
        )
    if (
        "not found in settings" in text
        or "Registration not found" in text
        or "Could not find registration" in text
    ):
        return error(
            "This LMS is not registered with the tool",
            f"No active registration matches {who}.",
            "Register the platform (python manage.py lti_register, or LTI Dynamic "
            "Registration), or check the client id in the LMS matches the one registered.",
        )
    if "Client id not registered" in text:
        return error(
            "The launch is for another client id",
            f"The launch's audience does not match the registered client id ({who}).",
            ADMIN_HINT,
        )
    if "Unable to find public key" in text or "JWT KID not found" in text:
        kid = (header or {}).get("kid", "?")
        return error(
            "The launch was signed with an unknown key",
            f"The LMS signed this launch with key id {kid}, which its published key set "
            f"does not contain ({who}).",
            "Check the key set URL of the registration points at this LMS's JWKS.",
            status=401,
        )
    if "Signature has expired" in text:
        return error(
            "The launch has expired",
            "The launch token is past its expiry time.",
            "Launch again. If it keeps failing, the clock of the LMS server or of this "
            "tool's server is wrong (clock skew): both must use NTP.",
            status=401,
        )
    if "not yet valid" in text or "ImmatureSignature" in text:
        return error(
            "The launch is dated in the future",
            "The launch token was issued later than this server's current time.",
            "The clock of the LMS server or of this tool's server is wrong (clock skew): "
            "both must use NTP.",
            status=401,
        )
    if "Can't decode id_token" in text and ("must be" in text or "claim" in text):
        # PyJWT checks the registered claims' types (sub must be text, iat a number...)
        # once the signature has verified: the token is genuine but malformed.
        detail = text.split("Can't decode id_token:", 1)[-1].strip().rstrip(".")
        return error(
            "The LMS sent a malformed launch",
            f"The launch token's claims are not valid: {detail[:300]}.",
            "This is a fault of the LMS or of the tool's configuration there: tell the LMS "
            "administrator, with the time of this launch.",
        )
    if "Can't decode id_token" in text or "Signature verification failed" in text:
        return error(
            "The launch signature is not valid",
            f"The launch token's signature does not verify with the LMS's published keys ({who}).",
            "Check the key set URL of the registration. Someone may also have altered the launch.",
            status=401,
        )
    if "Unable to find deployment" in text or "deployment_id is not set" in text:
        return error(
            "This deployment is not registered",
            f"The LMS launched from deployment {deployment_id or '(none)'}, which the tool's "
            f"registration ({who}) does not list.",
            "Add it: python manage.py lti_register ... --deployment-id "
            f"{deployment_id or 'ID'}, or in the admin under the registration's deployment ids.",
            status=403,
        )
    if (
        "Missing id_token" in text
        or "JWT must contain 3 parts" in text
        or "Invalid JWT format" in text
    ):
        return error(
            "The launch is malformed",
            "The LMS posted no readable id_token to the launch URL.",
            "Check that the LMS's redirect URI is this tool's launch URL.",
        )
    if "Could not find issuer" in text or "Could not find login hint" in text:
        return error(
            "This launch request is incomplete",
            "The LMS started a launch without its issuer or login hint.",
            ADMIN_HINT,
        )
    if not isinstance(exc, LtiException | OIDCException):
        # pylti1p3 reads claims of the wrong type with AttributeErrors and the like:
        # their text names Python's types, not the launch's fault (the log keeps it).
        return error(
            "The LMS sent a malformed launch",
            "The launch's claims could not be read: a claim such as the resource link, "
            "the roles or the deep linking settings is not of the type LTI 1.3 requires.",
            "This is a fault of the LMS or of the tool's configuration there: tell the LMS "
            "administrator, with the time of this launch.",
        )
    return error(
        "This launch could not be completed",
        f"The LMS sent a launch the tool could not accept: {text or exc.__class__.__name__}.",
        ADMIN_HINT,
    )


def _printable(text: str, limit: int = 2000) -> str:
    """Text from an unverified token, safe to put in a page: UTF-8, no NUL, not too long.

    A token's JSON may hold lone surrogates ("\\ud800"), which no response can encode.
    """
    text = str(text).replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"
