"""Add or update an LMS platform registration (idempotent)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.lti.addresses import tool_urls
from courses.lti.errors import RegistrationError
from courses.lti.registration import (
    PlatformSettings,
    canvas_preset,
    moodle_preset,
    platform_register,
)


class Command(BaseCommand):
    help = (
        "Add or update a platform registration. Presets: --canvas (Canvas Cloud's URLs) or "
        "--moodle SITE_URL (derives Moodle's). Re-running it updates the same registration."
    )

    def add_arguments(self, parser):
        preset = parser.add_mutually_exclusive_group()
        preset.add_argument(
            "--canvas",
            action="store_true",
            help="Use Canvas Cloud's URLs (override any for a self-hosted Canvas) and mark the "
            "registration as Canvas.",
        )
        preset.add_argument("--moodle", metavar="SITE_URL", help="Derive Moodle's URLs.")
        parser.add_argument("--issuer")
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--auth-login-url")
        parser.add_argument("--auth-token-url")
        parser.add_argument("--auth-audience", default="")
        keys = parser.add_mutually_exclusive_group()
        keys.add_argument("--key-set-url")
        keys.add_argument("--key-set-file", type=Path, help="A JWKS file, if there is no URL.")
        parser.add_argument(
            "--deployment-id",
            action="append",
            default=[],
            dest="deployment_ids",
            help="Repeatable. Added to the deployments already registered.",
        )
        parser.add_argument(
            "--replace-deployments",
            action="store_true",
            help="Keep only the --deployment-id values given now.",
        )
        parser.add_argument("--title", default="")

    def handle(self, *args, **options):
        values: dict[str, str] = {}
        if options["canvas"]:
            values.update(canvas_preset())
        elif options["moodle"]:
            try:
                values.update(moodle_preset(options["moodle"]))
            except RegistrationError as exc:
                raise CommandError(exc.message) from exc
        for name in ("issuer", "auth_login_url", "auth_token_url", "key_set_url"):
            if options.get(name):
                values[name] = options[name]
        key_set = None
        if options.get("key_set_file"):
            try:
                key_set = json.loads(options["key_set_file"].read_text())
            except (OSError, ValueError) as exc:
                raise CommandError(
                    f"Cannot read a JWKS from {options['key_set_file']}: {exc}"
                ) from exc
            values.pop("key_set_url", None)
        missing = [
            "--" + name.replace("_", "-")
            for name in ("issuer", "auth_login_url", "auth_token_url")
            if not values.get(name)
        ]
        if missing:
            raise CommandError(f"Missing {', '.join(missing)} (or use --canvas / --moodle).")
        if not options["deployment_ids"]:
            self.stderr.write(
                "No --deployment-id given: launches are refused until the registration has one."
            )
        settings = PlatformSettings(
            issuer=values["issuer"],
            client_id=options["client_id"],
            auth_login_url=values["auth_login_url"],
            auth_token_url=values["auth_token_url"],
            key_set_url=values.get("key_set_url", ""),
            key_set=key_set,
            auth_audience=options["auth_audience"],
            deployment_ids=options["deployment_ids"],
            title=options["title"],
        )
        try:
            tool, created = platform_register(
                settings=settings,
                replace_deployments=options["replace_deployments"],
                # Self-hosted Canvas (--canvas with its own --issuer) is still Canvas.
                details={"product_family_code": "canvas"} if options["canvas"] else None,
            )
        except RegistrationError as exc:
            raise CommandError(exc.message) from exc
        verb = "Registered" if created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {tool.title}: issuer {tool.issuer}, client id {tool.client_id}"
            )
            + f", deployments {', '.join(json.loads(tool.deployment_ids)) or '(none)'}."
        )
        urls = tool_urls()
        self.stdout.write(
            "Tool URLs to give the platform:\n"
            f"  OIDC login (initiate login) URL: {urls['login']}\n"
            f"  Launch (redirect / target link) URL: {urls['launch']}\n"
            f"  Public keyset (JWKS) URL: {urls['jwks']}"
        )
