"""Deploying a reference template: ``vendorguard provision preview|up|destroy|outputs --template
hipaa-baseline --stack NAME`` drives the template's Pulumi program in process (an inline Automation
API program) with the Pulumi CLI as the engine.  Unlike the offline proof, it needs the CLI, an AWS
account and a place to keep state and secrets:

- **State** is local by default: ``file://$XDG_DATA_HOME/vendorguard/pulumi-state`` (created,
  mode 0700); ``PULUMI_BACKEND_URL`` chooses another backend (S3, Pulumi Cloud, …).
- **Secrets** use the passphrase provider.  ``PULUMI_CONFIG_PASSPHRASE`` or
  ``PULUMI_CONFIG_PASSPHRASE_FILE`` from the environment win; otherwise a random passphrase is
  generated once into ``pulumi-state/passphrase`` (mode 0600) and used from then on.  Back that file
  up with the state: without it the stack's secrets cannot be decrypted.
- **Stack config** (``--config KEY=VALUE``; a key without a namespace is ``vendorguard:KEY``) is
  kept in ``$XDG_DATA_HOME/vendorguard/pulumi-projects/<project>/Pulumi.<stack>.yaml`` and
  re-applied on every command that is given it.
- **Progress** is streamed line by line to `on_output`.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from ..errors import InputError
from .templates import installed_version, parse_config, project_name, run_program, template_dir

INSTALL_HINT = "install it with `curl -fsSL https://get.pulumi.com | sh`"

_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def data_dir() -> Path:
    """``$XDG_DATA_HOME/vendorguard`` (default ``~/.local/share/vendorguard``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "vendorguard"


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def state_dir() -> Path:
    return _private_dir(data_dir() / "pulumi-state")


def backend_url() -> str:
    return os.environ.get("PULUMI_BACKEND_URL") or state_dir().as_uri()


def passphrase_env() -> dict[str, str]:
    """How the passphrase secrets provider gets its passphrase (see the module docstring)."""
    for name in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        if os.environ.get(name) is not None:
            return {name: os.environ[name]}
    path = state_dir() / "passphrase"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
    return {"PULUMI_CONFIG_PASSPHRASE_FILE": str(path)}


def pulumi_cli() -> Path:
    """The Pulumi CLI: on PATH, or where its installer puts it (``~/.pulumi/bin``)."""
    found = shutil.which("pulumi")
    candidates = [Path(found)] if found else []
    candidates.append(Path.home() / ".pulumi" / "bin" / "pulumi")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise InputError("pulumi", f"the Pulumi CLI is not installed (provision preview/up/destroy/outputs "
                               f"need it): {INSTALL_HINT}; `vendorguard provision check` works without it")


def _command() -> Any:
    from pulumi import automation as auto

    cli = pulumi_cli()
    try:
        return auto.PulumiCommand(root=str(cli.parent.parent))
    except auto.InvalidVersionError as exc:
        raise InputError(str(cli), f"unsupported Pulumi CLI version: {exc}; {INSTALL_HINT}") from None
    except (OSError, subprocess.CalledProcessError) as exc:  # `pulumi version` did not run
        raise InputError(str(cli), f"the Pulumi CLI does not run ({exc}); {INSTALL_HINT}") from None


@dataclass
class Deployment:
    """One template deployed as one stack: what the CLI's provision commands act on."""

    template: str
    stack: str
    config: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _STACK_NAME.match(self.stack):
            raise InputError("--stack", f"not a stack name: {self.stack!r} (letters, digits, _ . -)")
        self.config = parse_config(self.config)
        self.folder = template_dir(self.template)
        self.project = project_name(self.template)

    def workspace_dir(self) -> Path:
        return _private_dir(data_dir() / "pulumi-projects" / self.project)

    def open(self) -> Any:
        """The Automation API stack (created on first use), with `config` applied."""
        from pulumi import automation as auto

        command = _command()
        folder = self.folder
        settings = auto.ProjectSettings(name=self.project, runtime="python",
                                        backend=auto.ProjectBackend(backend_url()))
        options = auto.LocalWorkspaceOptions(
            work_dir=str(self.workspace_dir()),
            project_settings=settings,
            secrets_provider="passphrase",
            env_vars={**passphrase_env(), "PULUMI_SKIP_UPDATE_CHECK": "true"},
            pulumi_command=command,
        )
        try:
            stack = auto.create_or_select_stack(self.stack, project_name=self.project,
                                                program=lambda: run_program(folder), opts=options)
            if self.config:
                stack.set_all_config({k: auto.ConfigValue(v) for k, v in self.config.items()})
        except auto.CommandError as exc:
            raise ProvisionError(f"stack {self.stack}", _last_line(str(exc))) from None
        return stack

    def _install_provider(self, stack: Any) -> None:
        version = installed_version("pulumi_aws")
        if version:
            stack.workspace.install_plugin("aws", f"v{version}")


class ProvisionError(InputError):
    """A Pulumi operation that failed (one line; the CLI prints it and exits 2)."""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "failed"


def _echo(line: str) -> None:
    sys.stdout.write(line if line.endswith("\n") else line + "\n")
    sys.stdout.flush()


@contextmanager
def _operation(what: str, stack: str) -> Iterator[None]:
    from pulumi import automation as auto

    try:
        yield
    except auto.CommandError as exc:
        raise ProvisionError(f"pulumi {what} ({stack})", _last_line(str(exc))) from None


def _on_stack(template: str, stack: str, config: Mapping[str, str] | Iterable[str] | None, what: str,
              work: Callable[[Any], Any], provider: bool = True) -> Any:
    """`work` on the template's stack, opened with its config (and the AWS provider installed
    where the operation plans resources); a Pulumi failure is one line."""
    deployment = Deployment(template, stack, parse_config(config))
    handle = deployment.open()
    with _operation(what, stack):
        if provider:
            deployment._install_provider(handle)
        return work(handle)


def preview(template: str, stack: str, config: Mapping[str, str] | Iterable[str] | None = None,
            on_output: Callable[[str], None] | None = _echo) -> dict[str, int]:
    """``pulumi preview``: the change summary (operation → count)."""
    result = _on_stack(template, stack, config, "preview",
                       lambda handle: handle.preview(on_output=on_output, color="never", diff=False))
    return {str(k): v for k, v in (result.change_summary or {}).items()}


def up(template: str, stack: str, config: Mapping[str, str] | Iterable[str] | None = None,
       on_output: Callable[[str], None] | None = _echo) -> dict[str, Any]:
    """``pulumi up``: the stack's outputs afterwards (secrets masked)."""
    result = _on_stack(template, stack, config, "up", lambda handle: handle.up(on_output=on_output, color="never"))
    return _shown(result.outputs)


def destroy(template: str, stack: str, config: Mapping[str, str] | Iterable[str] | None = None,
            on_output: Callable[[str], None] | None = _echo, remove: bool = False) -> dict[str, int]:
    """``pulumi destroy`` (deletion protection and non-empty buckets stop it: see the README);
    `remove` also deletes the stack and its config afterwards."""

    def work(handle: Any) -> Any:
        result = handle.destroy(on_output=on_output, color="never")
        if remove:
            handle.workspace.remove_stack(stack)
        return result

    result = _on_stack(template, stack, config, "destroy", work, provider=False)
    return dict(result.summary.resource_changes or {})


def outputs(template: str, stack: str, config: Mapping[str, str] | Iterable[str] | None = None) -> dict[str, Any]:
    """The stack's outputs (secrets masked)."""
    return _shown(_on_stack(template, stack, config, "stack output", lambda handle: handle.outputs(),
                            provider=False))


def _shown(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: "[secret]" if getattr(v, "secret", False) else getattr(v, "value", v)
            for name, v in sorted(values.items())}
