"""Secrets: passwords and tokens come from environment variables the config names, never from the file.

Where it sits: beside the config. Parsing the config never reads a secret; a command reads one at the
moment it needs it (the mailer when it logs in to SMTP, ``ismon ads pull`` when it asks for a token),
through ``Secrets``: a view of the environment that names the variable and the config key in its error.
So ``history`` or ``report`` work on a machine that has no password at all, and a command that sends
says which variable is missing (``MissingSecretError``, exit code 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from monitor.config import Email
from monitor.errors import ConfigError


class MissingSecretError(ConfigError):
    """A secret the config asks for is not in the environment. Exit code 2."""


@dataclass(frozen=True)
class Secrets:
    """The environment (normally ``os.environ``) as the source of every secret the config names."""

    env: Mapping[str, str]
    config_path: Path | None = None

    def get(self, variable: str, *, key: str, needed_for: str, empty_ok: bool = True) -> str:
        """The value of ``variable``; ``key`` is the config key naming it, ``needed_for`` says why.

        Raises ``MissingSecretError`` naming the variable, the key and what to do when it is unset.
        An empty value counts as set (some relays take an empty password) unless ``empty_ok`` is False.
        """
        value = self.env.get(variable)
        if value is None or (not empty_ok and not value.strip()):
            raise MissingSecretError(
                f"{self.config_path or 'config'}: {key}: environment variable {variable} is not set "
                f"({needed_for}); set it in the environment of ismon (systemd: EnvironmentFile=)"
            )
        return value

    def smtp_password(self, email: Email | None) -> str:
        """The SMTP password, or "" when ``[email] username`` is empty (no login)."""
        if email is None or not email.username:
            return ""
        return self.get(
            email.password_env,
            key="email.password_env",
            needed_for=f"the SMTP login of {email.username!r}",
        )
