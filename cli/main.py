"""The click front end: parse arguments, call `vendorguard.scanner`, print, set the exit code.

Exit codes: 0 nothing failed at or above ``--fail-on``; 1 findings; 2 bad usage or unreadable
input (one line on stderr, no traceback).  Heavy modules (boto3, pulumi, rich) are imported inside
the commands that need them, so ``vendorguard scan plan`` starts fast.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import sys
from dataclasses import dataclass, field, fields
from typing import Any, Callable

import click

from vendorguard.scanner import __version__
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.model import SEVERITIES
from vendorguard.scanner.reports import FORMATS


class _Group(click.Group):
    """Turns InputError, usage errors (and any unexpected error) into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            code = super().invoke(ctx)
        except InputError as exc:
            click.echo(f"vendorguard: error: {exc}", err=True)
            ctx.exit(2)
        except click.UsageError as exc:
            if isinstance(exc, click.exceptions.NoArgsIsHelpError):
                raise  # a bare group: its help, as click shows it
            click.echo(f"vendorguard: error: {exc.format_message()}", err=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("vendorguard: interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
            if isinstance(exc, BrokenPipeError) and _reader_gone():
                ctx.exit(0)  # `vendorguard packs show hipaa | head`: the reader has seen enough
            if os.environ.get("VENDORGUARD_DEBUG"):
                raise
            click.echo(f"vendorguard: internal error: {type(exc).__name__}: {exc} "
                       "(set VENDORGUARD_DEBUG=1 for the traceback)", err=True)
            ctx.exit(2)
        ctx.exit(code or 0)  # a command returns its exit code (`Output.emit`'s); None is success


def _reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (a BrokenPipeError from anything else
    is a failure, not the end of the output).  If so, what is left to print goes to /dev/null,
    so that no later flush fails again: Python's recipe,
    https://docs.python.org/3/library/signal.html#note-on-sigpipe (SIGPIPE's default action would
    also end the scan when a socket to AWS or the store breaks)."""
    import select

    poll = select.poll()
    try:
        poll.register(sys.stdout.fileno(), select.POLLOUT)
    except (OSError, ValueError):  # not a file: a test's captured output
        return False
    if not any(events & select.POLLERR for _, events in poll.poll(0)):
        return False
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return True


@dataclass
class Output:
    """Where a scan's report goes and what decides its exit code (the options every scan shares)."""

    packs: tuple[str, ...]
    formats: tuple[str, ...]
    output: str | None
    output_dir: str | None
    fail_on: str
    fail_on_unknown: bool
    waivers: str | None
    baseline: str | None
    quiet: bool
    store: str | None = None
    vendor: str | None = None
    #: The store, opened by `check` before the scan: one that cannot be reached fails at once,
    #: not after a long live scan.
    opened: Any = field(default=None, init=False, repr=False)
    #: With a store, what keeps a distributed scan under way there (`journal`), resumable by its id.
    runs: Any = field(default=None, init=False, repr=False)

    def check(self) -> None:
        if len(self.formats) > 1 and not self.output_dir:
            raise click.UsageError("several --format need --output-dir")
        if self.output and self.output_dir:
            raise click.UsageError("--output and --output-dir are alternatives")
        if self.formats[:1] == ("html",) and not (self.output or self.output_dir) and sys.stdout.isatty():
            raise click.UsageError("--format html is a page to open in a browser: write it with -o FILE.html")
        if self.vendor is not None and not self.vendor.strip():
            raise click.UsageError("--vendor needs a name")
        self.opened = _open_store(self.store, required=False, create=True)

    def keep(self, document: dict[str, Any], vendor: str | None = None) -> dict[str, Any]:
        """Record the scan in the store, if there is one: the document as stored (scan id, each
        result's first_seen and new), which the reports then show."""
        if self.opened is None:
            return document
        from vendorguard.scanner.store.record import default_vendor, scan_source

        name = vendor or self.vendor or default_vendor(document)
        run = self.runs.take() if self.runs and scan_source(document) == "aws" else None
        stored = self.opened.record(document, name, run)
        if not self.quiet:
            new = sum(1 for r in stored["results"] if r.get("new"))
            click.echo(f"kept as scan {stored['scan']['id']} of {name!r} in {self.opened.label}: "
                       f"{new} failing result{'s' if new != 1 else ''} new since its previous scan", err=True)
        return stored

    def journal(self, command: str, resume: str | None = None) -> Any:
        """With a store, the journal of the distributed scans `command` runs (`store.runs`): their
        runs, with these options, so that `scan resume` finishes one as this command would have."""
        if self.opened is None:
            return None
        from vendorguard.scanner.store.runs import Journal

        note = None if self.quiet else functools.partial(click.echo, err=True)
        self.runs = Journal(self.opened, {"command": command, "output": self.request()}, resume, note)
        return self.runs

    def request(self) -> dict[str, Any]:
        """These options as a scan resumed from another directory needs them: paths made absolute,
        and the waivers file this directory holds by default named."""
        from vendorguard.scanner.waivers import DEFAULT_FILE

        def absolute(path: str | None) -> str | None:
            return os.path.abspath(path) if path else None

        waivers = self.waivers or (DEFAULT_FILE if os.path.isfile(DEFAULT_FILE) else None)
        return {"packs": [absolute(p) if os.path.isfile(p) else p for p in self.packs], "formats": list(self.formats),
                "output": absolute(self.output), "output_dir": absolute(self.output_dir), "fail_on": self.fail_on,
                "fail_on_unknown": self.fail_on_unknown, "waivers": absolute(waivers),
                "baseline": absolute(self.baseline), "quiet": self.quiet, "vendor": self.vendor}

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> "Output":
        """The options `request` kept (JSON: its lists back to tuples)."""
        return cls(**{**request, "packs": tuple(request["packs"]), "formats": tuple(request["formats"])})

    def decisions(self) -> Any:
        from vendorguard.scanner.decisions import Decisions

        return Decisions.load(self.waivers, self.baseline)

    def emit(self, document: dict[str, Any], stem: str = "vendorguard", vendor: str | None = None) -> Any:
        """Keep (with a store), render and write; the `Verdict` the results call for, whose reason
        ends the scan on stderr even with --quiet: a CI log must say why the build failed."""
        from vendorguard.scanner.reports import render, write_file, write_reports
        from vendorguard.scanner.results import verdict

        document = self.keep(document, vendor)
        formats = list(self.formats or ("table",))
        written: list[Any] = []
        if self.output_dir:
            written = write_reports(document, formats, self.output_dir, stem)
        elif self.output:
            write_file(self.output, render(document, formats[0]))
            written = [self.output]
        else:
            options = {"color": sys.stdout.isatty()} if formats[0] == "table" else {}
            try:
                click.echo(render(document, formats[0], **options), nl=False)
                sys.stdout.flush()
            except BrokenPipeError:  # `vendorguard scan … | head`: the findings still decide the exit code
                if not _reader_gone():
                    raise
        if written and not self.quiet:
            counts = document["summary"]["by_status"]
            click.echo(f"wrote {', '.join(str(p) for p in written)}: "
                       + ", ".join(f"{k} {v}" for k, v in counts.items() if v), err=True)
        decided = verdict(document, self.fail_on, self.fail_on_unknown)
        click.echo(f"vendor {vendor!r}: {decided}" if vendor else str(decided), err=True)
        return decided


def _without_cycle_collector() -> None:
    """A file scan builds millions of objects that form no cycles, keeps them to the report and
    exits: the cyclic collector would only walk them again and again (a fifth of a large plan's
    scan).  Live scans keep it: boto3's clients leave cyclic garbage behind."""
    import gc

    gc.disable()


def _destination(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A report's file or folder, refused before any scan runs when it cannot be written."""
    if value is not None:
        from vendorguard.scanner.reports import destination_problem

        if problem := destination_problem(value):
            raise click.BadParameter(f"{value!r}: {problem}", ctx, param)
    return value


_OUTPUT_OPTIONS = [
    click.option("--pack", "packs", multiple=True, metavar="NAME|FILE",
                 help="Pack to run (repeatable): a shipped pack name or a policy file. Default: hipaa and vendor-article."),
    click.option("--format", "formats", multiple=True, type=click.Choice(list(FORMATS)),
                 help="Report format (repeatable with --output-dir). Default: table."),
    click.option("--output", "-o", type=click.Path(dir_okay=False), callback=_destination,
                 help="Write the report to this file (in an existing directory)."),
    click.option("--output-dir", type=click.Path(file_okay=False), callback=_destination,
                 help="Write one report per --format here (made if missing; its parent must exist)."),
    click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
                 help="Exit 1 when a FAIL of this severity or worse is found."),
    click.option("--fail-on-unknown", is_flag=True,
                 help="Also exit 1 when a rule at or above --fail-on could not be decided (UNKNOWN)."),
    click.option("--waivers", type=click.Path(dir_okay=False),
                 help="Waivers file (default: .vendorguard-waivers.yaml when present)."),
    click.option("--baseline", type=click.Path(dir_okay=False),
                 help="An earlier JSON report: only new FAILs decide the exit code; fixed ones are listed."),
    click.option("--quiet", "-q", is_flag=True,
                 help="On stderr, only the exit code's reason (no summary, progress or file list)."),
    click.option("--store", metavar="URL",
                 help="Keep the scan in this store: a file (SQLite), sqlite:///PATH or postgresql://… "
                      "(default: $VENDORGUARD_STORE)."),
    click.option("--vendor", help="Whose scan this is, in the store (default: the account id, or the input's file name)."),
]


def _open_store(value: str | None, required: bool = True, create: bool = False) -> Any:
    """The store `value` (or $VENDORGUARD_STORE) names, opened; None when neither names one.
    Only a scan `create`s it: a command that reads one given a mistyped path must not answer
    from a new, empty store."""
    from vendorguard.scanner.store.location import chosen

    url = chosen(value)
    if url is None:
        if required:
            raise click.UsageError("name the store with --store URL (or $VENDORGUARD_STORE)")
        return None
    from vendorguard.scanner.store.db import Store

    return Store.open(url, create)


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared options, and hand them to the command as one `out: Output`."""
    keys = [f.name for f in fields(Output) if f.init]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        out = Output(**{k: kwargs.pop(k) for k in keys})
        out.check()
        return func(out=out, **kwargs)

    for decorator in reversed(_OUTPUT_OPTIONS):
        wrapper = decorator(wrapper)
    return wrapper


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vendorguard")
def main() -> None:
    """Check a billing vendor's cloud against the controls a healthcare practice must demand."""


class _ScanGroup(click.Group):
    """``vendorguard scan``: one command per registered source, made from the registry when the
    group is first used, so that ``--version`` and the other commands do not import every source.
    A source that reads JSON files needs nothing here; others have a command factory below."""

    def _commands(self) -> dict[str, click.Command]:
        if not self.commands:
            from vendorguard.scanner import sources

            for source in sources.names():
                registered = sources.get(source)
                factory = _COMMAND_FACTORIES.get(source, _document_command)
                self.add_command(factory(registered), registered.command)
            self.add_command(_vendors_command(), "vendors")
            self.add_command(_resume_command(), "resume")
        return self.commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._commands())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._commands().get(cmd_name)


@main.group(cls=_ScanGroup)
def scan() -> None:
    """Scan one kind of input (each a registered source, scanner/sources/), or every vendor of a vendors file."""


_CHECKOV_PATH = click.option(
    "--checkov", metavar="PATH",
    help="The checkov program (default: $VENDORGUARD_CHECKOV, .venv-checkov/bin/checkov, checkov on PATH).")
_ALL_CHECKOV = click.option("--all-checkov", is_flag=True,
                            help="Also report checkov checks no selected rule cites (domain: unmapped).")

_SOURCE_OPTIONS: dict[str, list[Callable[[Callable[..., Any]], Callable[..., Any]]]] = {
    "terraform-plan": [
        click.option("--with-checkov", is_flag=True, help="Also run checkov on the plan and merge its verdicts."),
        _CHECKOV_PATH, _ALL_CHECKOV,
    ],
}
"""Options a file source takes beyond FILES and --account-id, handed to its `read` as they are."""


def _command(source: Any, run: Callable[..., int], options: list[Callable[..., Any]]) -> click.Command:
    """A scan command for `source`: `options` (outermost first) over the shared output options."""
    decorated: Callable[..., Any] = output_options(run)
    for option in reversed(options):
        decorated = option(decorated)
    return click.command(source.command, help=source.summary)(decorated)


def _scan(source: Any, inputs: tuple[str, ...], out: Output, **options: Any) -> Any:
    """The pipeline over one source's inputs, with `out`'s packs, waivers and baseline."""
    from vendorguard.scanner.pipeline import scan as run_scan

    return run_scan(source, inputs, out.packs, out.decisions(), **options)


def _document_command(source: Any) -> click.Command:
    """``vendorguard scan <command> FILE...`` for a source that reads JSON files."""

    def run(files: tuple[str, ...], out: Output, **options: Any) -> int:
        _without_cycle_collector()
        report = _scan(source, files, out, **options)
        return out.emit(report.to_document()).code

    return _command(source, run, [
        click.argument("files", nargs=-1, required=True),
        click.option("--account-id", callback=_account_id,
                     help="The AWS account the input deploys into, when it does not say "
                          "(decides whether a trust policy's principal is foreign)."),
        *_SOURCE_OPTIONS.get(source.name, []),
    ])


def _hcl_command(source: Any) -> click.Command:
    """``vendorguard scan terraform DIR...``: checkov's own parser over HCL directories."""

    def run(dirs: tuple[str, ...], out: Output, **options: Any) -> int:
        report = _scan(source, dirs, out, **options)
        return out.emit(report.to_document()).code

    return _command(source, run, [
        click.argument("dirs", nargs=-1, required=True), _CHECKOV_PATH, _ALL_CHECKOV,
        click.option("--var-file", "var_files", multiple=True, help="A .tfvars file for checkov (repeatable)."),
    ])


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _account_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An AWS account id is exactly 12 digits: a typo would otherwise scan, trust or assume into
    the wrong account — or, as --account-id, make every principal look foreign."""
    if value is not None and not (len(value) == 12 and value.isascii() and value.isdigit()):
        raise click.BadParameter(f"{value!r} is not an AWS account id (12 digits)", ctx, param)
    return value


def _account_ids(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    """Comma-separated account ids, each checked as `_account_id` does."""
    if value is None:
        return None
    ids = _csv(value)
    if not ids:
        raise click.BadParameter("no account id given", ctx, param)
    for account in ids:
        _account_id(ctx, param, account)
    return ids


_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+")


def _role_arn(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An IAM role's ARN (STS would refuse anything else only once the scan starts, in its own words)."""
    if value is not None and not _ROLE_ARN.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT_ID:role/NAME)", ctx, param)
    return value


def _check_roles(role_arn: str | None, role_name: str | None, accounts: list[str] | None, org: bool) -> None:
    """The roles `scan aws` assumes and `iam-policy --auditor` lets assume: one --role-arn, or
    --role-name in each account of --accounts or --org — an option that does not apply is an error,
    never silently ignored (a scan of the caller's own account instead of the vendor's)."""
    if role_arn and (role_name or accounts or org):
        raise click.UsageError("--role-arn, and --role-name with --accounts/--org, are alternatives")
    if accounts and org:
        raise click.UsageError("--org and --accounts are alternatives")
    if role_name and not (accounts or org):
        raise click.UsageError("--role-name goes with --accounts or --org (--role-arn names one role)")
    if (accounts or org) and not role_name:
        raise click.UsageError(f"{'--org' if org else '--accounts'} needs --role-name: the role to assume in each account")


def _endpoint_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An endpoint botocore can use (it would otherwise fail deep inside the first client)."""
    if value is not None:
        from vendorguard.scanner.sources.aws.session import endpoint_problem

        if problem := endpoint_problem(value):
            raise click.BadParameter(f"{value!r}: {problem}", ctx, param)
    return value


_ACCOUNTS = click.option("--accounts", callback=_account_ids,
                         help="Comma-separated account ids to scan through --role-name.")
_ROLE_NAME = click.option("--role-name", help="Role to assume in each account of --accounts/--org.")
_BROKER = click.option("--broker", envvar="VENDORGUARD_BROKER", metavar="URL",
                       help="Run the (account, region) units on the workers of this Redis broker "
                            "(`vendorguard worker`; default: $VENDORGUARD_BROKER; needs vendorguard[distributed]).")


def _aws_command(source: Any) -> click.Command:
    """``vendorguard scan aws``: live accounts, by the caller's credentials or assumed roles."""

    def run(profile: str | None, role_arn: str | None, external_id: str | None, regions: str,
            accounts: list[str] | None, org: bool, role_name: str | None, endpoint_url: str | None,
            broker: str | None, out: Output) -> int:
        from vendorguard.scanner.sources.aws.live import Target

        _check_roles(role_arn, role_name, accounts, org)
        if external_id and not (role_arn or role_name):
            raise click.UsageError("--external-id goes with --role-arn or --role-name: it is sent when assuming the role")
        target = Target(profile=profile, role_arn=role_arn, external_id=external_id, accounts=accounts,
                        org=org, role_name=role_name, regions=_csv(regions), endpoint_url=endpoint_url)
        with progress_line(enabled=not out.quiet) as on_progress:
            report = _scan(source, (), out, target=target, on_progress=on_progress, broker=broker,
                           journal=out.journal("aws"))
        return out.emit(report.to_document()).code

    return _command(source, run, [
        click.option("--profile", help="AWS profile to use (default: the environment's credentials)."),
        click.option("--role-arn", callback=_role_arn, help="Assume this role first (an auditor's cross-account role)."),
        click.option("--external-id", help="ExternalId the role's trust policy requires."),
        click.option("--regions", default="all", show_default=True, help="Comma-separated regions, or `all` enabled ones."),
        _ACCOUNTS,
        click.option("--org", is_flag=True, help="Scan every active account of the organization through --role-name."),
        _ROLE_NAME,
        click.option("--endpoint-url", callback=_endpoint_url,
                     help="A different AWS endpoint (moto, LocalStack, a private endpoint). "
                          "botocore's AWS_ENDPOINT_URL is honoured too."),
        _BROKER,
    ])


def _vendors_command() -> click.Command:
    """``vendorguard scan vendors vendors.yaml``: every vendor of the file, each scan kept under
    the vendor's name; one vendor that cannot be scanned is reported and the others go on."""

    def run(vendors_file: str, endpoint_url: str | None, broker: str | None, out: Output) -> int:
        from vendorguard.scanner import vendors as vendor_file
        from vendorguard.scanner.errors import InputError as Failed
        from vendorguard.scanner.results import Verdict, worst

        if out.output:
            raise click.UsageError("scan vendors writes one report per vendor and source: use --output-dir")
        if (out.formats and out.formats != ("table",)) and not out.output_dir:
            raise click.UsageError(f"--format {out.formats[0]} needs --output-dir (one report per vendor and source)")
        chosen = vendor_file.load(vendors_file)
        if out.vendor is not None:
            chosen = [v for v in chosen if v.name == out.vendor]
            if not chosen:
                raise click.UsageError(f"no vendor {out.vendor!r} in {vendors_file}")
        verdicts = []
        with progress_line(enabled=not out.quiet) as on_progress:
            for vendor, outcome in vendor_file.scan(vendors_file, chosen, out.packs, out.decisions(), endpoint_url,
                                                    broker, out.journal("vendors"), on_progress):
                if isinstance(outcome, Failed):
                    click.echo(f"vendorguard: error: vendor {vendor.name!r}: {outcome}", err=True)
                    verdicts.append((vendor.name, Verdict(2, str(outcome))))
                    continue
                document = outcome.to_document()
                if not out.output_dir and not out.quiet:
                    click.echo(f"== {vendor.name}", err=True)
                verdicts.append((vendor.name, out.emit(document, stem=_vendor_stem(vendor.name, document),
                                                       vendor=vendor.name)))
        overall = worst(verdicts)
        click.echo(str(overall), err=True)
        return overall.code

    return _command(_VENDORS, run, [
        click.argument("vendors_file", metavar="VENDORS.yaml"),
        click.option("--endpoint-url", callback=_endpoint_url, help="A different AWS endpoint (moto, LocalStack)."),
        _BROKER,
    ])


class _VENDORS:
    """What `_command` needs of a source, for the one scan command that is not a source."""

    command = "vendors"
    summary = "Scan every vendor of a vendors file (schema: policies/schemas/vendors.schema.json)."


def _file_stem(name: str) -> str:
    """A report file name from a vendor's name (text from the vendors file: no path separators)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "vendor"


def _vendor_stem(vendor: str, document: dict[str, Any]) -> str:
    """The report file name of one vendor's scan of one kind of input, as `scan vendors` writes it."""
    return _file_stem(f"{vendor}-{'-'.join(sorted({i['source'] for i in document['scan']['inputs']}))}")


def _resume_command() -> click.Command:
    """``vendorguard scan resume ID``: a scan, not a new command family — it finishes the distributed
    scan ID (of `scan aws` or `scan vendors`) with that scan's own options and report."""

    @click.command("resume")
    @click.argument("scan_id", metavar="ID")
    @click.option("--store", metavar="URL", help="The store the scan is kept in (default: $VENDORGUARD_STORE).")
    @_BROKER
    def resume(scan_id: str, store: str | None, broker: str | None) -> int:
        """Finish a distributed scan whose coordinator stopped: plan it again, take the answers the
        store and the broker hold, send only the others, and report as it would have."""
        from vendorguard.scanner import sources
        from vendorguard.scanner.sources.aws.live import Target

        if not broker:
            raise click.UsageError("scan resume needs --broker URL (or $VENDORGUARD_BROKER): its units run on workers")
        opened = _open_store(store)
        run = opened.run(scan_id)
        request, vendor = run["request"], run["vendor"]
        out = Output.from_request(request["output"])
        out.opened = opened
        target = Target.from_request(request["target"], f"scan {scan_id}")
        with progress_line(enabled=not out.quiet) as on_progress:
            report = _scan(sources.get("aws"), (), out, target=target, on_progress=on_progress, broker=broker,
                           vendor=vendor, journal=out.journal(request["command"], resume=scan_id))
        document = report.to_document()
        if request["command"] == "vendors":
            return out.emit(document, stem=_vendor_stem(vendor, document), vendor=vendor).code
        return out.emit(document).code

    return resume


#: Command factories of the sources that do not read JSON files.
_COMMAND_FACTORIES: dict[str, Callable[[Any], click.Command]] = {"terraform-hcl": _hcl_command, "aws": _aws_command}


class progress_line:
    """A live scan's progress on stderr (`Tally`: units done of all, accounts finished and still
    running): on a terminal one line, rewritten in place and erased once the scan is read (the
    report follows); in a log (CI), a line at each tenth of the scan or every 30 s."""

    def __init__(self, enabled: bool) -> None:
        self.live = enabled and sys.stderr.isatty()
        self.enabled = enabled

    def __enter__(self) -> Callable[[Any, Any], None] | None:
        if not self.enabled:
            return None
        from vendorguard.scanner.sources.aws.progress import Tally

        tally = Tally()

        def show(unit: Any, units: Any) -> None:
            tally(unit, units)
            if not tally.due(self.live):
                return
            if not self.live:
                click.echo(f"progress: {tally.line()}", err=True)
            elif tally.done < tally.total:
                width = shutil.get_terminal_size().columns - 1
                click.echo(f"\r\x1b[2K{tally.line()[:width]}", err=True, nl=False)
            else:
                self._erase()

        return show

    def _erase(self) -> None:
        click.echo("\r\x1b[2K", err=True, nl=False)

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self._erase()


@main.command()
@click.argument("results_file", metavar="[RESULTS.json]", required=False)
@click.option("--format", "formats", multiple=True, type=click.Choice(list(FORMATS)),
              help="Format (repeatable with --output-dir). Default: table; with --store alone: html.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), callback=_destination)
@click.option("--output-dir", type=click.Path(file_okay=False), callback=_destination)
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True)
@click.option("--fail-on-unknown", is_flag=True)
@click.option("--quiet", "-q", is_flag=True)
@click.option("--store", metavar="URL", help="Read from this store instead of a file (default: $VENDORGUARD_STORE).")
@click.option("--scan", "scan_id", type=click.IntRange(min=1), help="With --store: re-render this stored scan.")
def report(results_file: str | None, formats: tuple[str, ...], output: str | None, output_dir: str | None,
           fail_on: str, fail_on_unknown: bool, quiet: bool, store: str | None, scan_id: int | None) -> int:
    """Re-render a saved JSON report (or a stored scan) in other formats, without scanning again;
    with --store alone, the portfolio: every vendor's latest scan (html, json or oscal)."""
    _without_cycle_collector()
    out = Output((), formats, output, output_dir, fail_on, fail_on_unknown, None, None, quiet)
    if results_file is not None:
        if store or scan_id:
            raise click.UsageError("RESULTS.json, and --store, are alternatives")
        from vendorguard.scanner.saved import load_results

        out.check()
        return out.emit(load_results(results_file)).code
    if scan_id is None and store is None and not os.environ.get("VENDORGUARD_STORE"):
        raise click.UsageError("give RESULTS.json, or --store URL")
    opened = _open_store(store)
    out.check()
    with opened:
        if scan_id is not None:
            return out.emit(opened.document(scan_id)).code
        return _portfolio(opened, out)


_PORTFOLIO_FORMATS = {"html": "portfolio.html", "json": "portfolio.json", "oscal": "portfolio.oscal.json"}


def _portfolio(store: Any, out: Output) -> int:
    """The portfolio page, its document, or an OSCAL export of every vendor's latest scan."""
    import json

    from vendorguard.scanner.reports import make_directory, write_file

    formats = list(out.formats or ("html",))
    if unsupported := [f for f in formats if f not in _PORTFOLIO_FORMATS]:
        raise click.UsageError(f"the portfolio is written as {', '.join(_PORTFOLIO_FORMATS)}, not {unsupported[0]}")
    rendered = []
    for fmt in formats:
        if fmt == "oscal":
            from vendorguard.scanner.reports import oscal

            text = oscal.render_many(store.latest_documents(), title=f"vendorguard portfolio ({store.label})")
        elif fmt == "json":
            text = json.dumps(store.portfolio(), indent=2, sort_keys=True) + "\n"
        else:
            from vendorguard.scanner.reports import portfolio

            text = portfolio.render(store.portfolio())
        rendered.append((fmt, text))
    if out.output_dir:
        directory = make_directory(out.output_dir)
        for fmt, text in rendered:
            write_file(directory / _PORTFOLIO_FORMATS[fmt], text)
    elif out.output:
        write_file(out.output, rendered[0][1])
    else:
        click.echo(rendered[0][1], nl=False)
    return 0


_STORE = click.option("--store", metavar="URL", help="The store (default: $VENDORGUARD_STORE).")
_VENDOR = click.option("--vendor", help="Only this vendor's scans.")


def _store_view(view: str, formats: tuple[str, ...]) -> Callable[[Callable[..., Any]], click.Command]:
    """A command that asks the store one question and prints the answer in one of `formats`."""

    def decorate(func: Callable[..., Any]) -> click.Command:
        @functools.wraps(func)
        def wrapper(store: str | None, fmt: str, output: str | None, **kwargs: Any) -> None:
            from vendorguard.scanner.reports import write_file
            from vendorguard.scanner.reports.store_views import render

            with _open_store(store) as opened:
                text = render(view, func(opened, **kwargs), fmt)
            if output:
                write_file(output, text)
            else:
                click.echo(text, nl=False)

        for option in (_STORE, click.option("--format", "fmt", type=click.Choice(formats), default=formats[0],
                                              show_default=True),
                       click.option("--output", "-o", type=click.Path(dir_okay=False), callback=_destination,
                                    help="Write it to this file.")):
            wrapper = option(wrapper)
        return main.command(view)(wrapper)

    return decorate


@_store_view("history", ("table", "json"))
@_VENDOR
def history(store: Any, vendor: str | None) -> dict[str, Any]:
    """Every kept scan, newest first."""
    return store.history(vendor)


@_store_view("diff", ("table", "json", "markdown"))
@_VENDOR
@click.argument("scans", nargs=-1, type=click.IntRange(min=1), metavar="[FROM TO]")
def diff(store: Any, vendor: str | None, scans: tuple[int, ...]) -> dict[str, Any]:
    """What changed between two kept scans (default: the vendor's last two of one source):
    new, fixed, still failing, and what became decided or undecided."""
    if len(scans) not in (0, 2):
        raise click.UsageError("give two scan ids (FROM TO), or none")
    first, second = scans if scans else (None, None)
    return store.diff(vendor, first, second)


@_store_view("trend", ("table", "json"))
@_VENDOR
def trend(store: Any, vendor: str | None) -> dict[str, Any]:
    """Per vendor, by domain and by HIPAA control: the pass share scan after scan, and the mean
    time to fix."""
    return store.trend(vendor)


@main.command()
@click.option("--broker", envvar="VENDORGUARD_BROKER", required=True, metavar="URL",
              help="The Redis broker the scans send their units to (default: $VENDORGUARD_BROKER).")
@click.option("--concurrency", type=click.IntRange(min=1), default=2, show_default=True,
              help="Units run at once (pool processes).")
@click.option("--rate", type=click.FloatRange(min=0), default=20, show_default=True,
              help="AWS calls a second per (account, region, service), in bursts of five times as many, shared "
                   "by every worker of the broker (EC2's Describe calls refill at 20/s; 0: no shared limit).")
@click.option("--store", metavar="URL",
              help="Also keep each unit's answer in this store (the scans' own), so that `scan resume` finds "
                   "it even if the broker lost it (default: $VENDORGUARD_STORE).")
def worker(broker: str, concurrency: int, rate: float, store: str | None) -> int:
    """Run live-scan units sent by `scan aws|vendors --broker` until stopped (needs vendorguard[distributed])."""
    from vendorguard.scanner.sources.aws.live import distributed
    from vendorguard.scanner.store.location import chosen

    return distributed().start_worker(broker, concurrency, rate, chosen(store))


@main.group()
def provision() -> None:
    """Stand up the hardened reference stack (Pulumi), or prove offline that it passes."""


_TEMPLATE = click.option("--template", default="hipaa-baseline", show_default=True, help="Reference template.")
_STACK = click.option("--stack", required=True, help="Pulumi stack name (state kept locally by default).")
_CONFIG = click.option("--config", "config", multiple=True, metavar="KEY=VALUE",
                       help="Template configuration (repeatable); a bare KEY means vendorguard:KEY.")


@provision.command("check")
@_TEMPLATE
@_CONFIG
@output_options
def provision_check(template: str, config: tuple[str, ...], out: Output) -> int:
    """Run the template under Pulumi's mocks (no cloud, no CLI) and scan what it would build."""
    from vendorguard.scanner.provision.check import check

    report = check(template, config, out.packs, out.decisions())
    return out.emit(report.to_document()).code


def _print_json(value: Any) -> None:
    import json

    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


@provision.command("preview")
@_TEMPLATE
@_STACK
@_CONFIG
def provision_preview(template: str, stack: str, config: tuple[str, ...]) -> None:
    """Show what `up` would change (needs the Pulumi CLI)."""
    from vendorguard.scanner.provision import deploy as stacks

    _print_json(stacks.preview(template, stack, config))


@provision.command("up")
@_TEMPLATE
@_STACK
@_CONFIG
def provision_up(template: str, stack: str, config: tuple[str, ...]) -> None:
    """Create or update the stack in the current AWS account (needs the Pulumi CLI)."""
    from vendorguard.scanner.provision import deploy as stacks

    _print_json(stacks.up(template, stack, config))


@provision.command("destroy")
@_TEMPLATE
@_STACK
@_CONFIG
@click.option("--remove", is_flag=True, help="Also delete the stack and its configuration afterwards.")
def provision_destroy(template: str, stack: str, config: tuple[str, ...], remove: bool) -> None:
    """Delete everything the stack created (needs the Pulumi CLI)."""
    from vendorguard.scanner.provision import deploy as stacks

    _print_json(stacks.destroy(template, stack, config, remove=remove))


@provision.command("outputs")
@_TEMPLATE
@_STACK
def provision_outputs(template: str, stack: str) -> None:
    """The stack's outputs (secrets masked)."""
    from vendorguard.scanner.provision import deploy as stacks

    _print_json(stacks.outputs(template, stack))


@main.group()
def export() -> None:
    """Send saved results somewhere else."""


@export.command("securityhub")
@click.argument("results_file", metavar="RESULTS.json")
@click.option("--account", callback=_account_id, help="Account for results that have none (plan and Pulumi scans).")
@click.option("--region", help="Region for account-wide results (default us-east-1).")
@click.option("--no-unknown", is_flag=True, help="Do not export UNKNOWN results.")
@click.option("--no-resolved", is_flag=True, help="Do not archive findings that now PASS or are waived.")
def export_securityhub(results_file: str, account: str | None, region: str | None, no_unknown: bool,
                       no_resolved: bool) -> int:
    """Import saved results into AWS Security Hub as findings (BatchImportFindings).

    This writes to Security Hub, with the caller's own credentials — it is the one command that
    does, and only when asked."""
    from vendorguard.scanner.securityhub import export_securityhub as export_findings
    from vendorguard.scanner.saved import load_results

    document = load_results(results_file)
    outcome = export_findings(document, account=account, region=region, include_unknown=not no_unknown,
                              include_resolved=not no_resolved)
    for note in outcome.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"imported {outcome.success} findings, {outcome.failed} failed")
    for failure in outcome.failures[:10]:
        click.echo(f"  {failure.get('Id')}: {failure.get('ErrorCode')} {failure.get('ErrorMessage')}", err=True)
    return 1 if outcome.failed else 0


@main.command("iam-policy")
@click.option("--pack", "packs", multiple=True, metavar="NAME|FILE", help="Limit to what these packs need.")
@click.option("--trust-account", metavar="ACCOUNT_ID", callback=_account_id,
              help="Print instead the trust policy for an audit role this account assumes.")
@click.option("--external-id", help="The ExternalId the trust policy requires (with --trust-account).")
@click.option("--auditor", is_flag=True,
              help="Print instead the policy of the auditor's own identity, which assumes the scanning role "
                   "(with --role-arn, or --role-name and --accounts/--org).")
@click.option("--role-arn", callback=_role_arn, help="With --auditor: the scanning role it assumes.")
@_ACCOUNTS
@click.option("--org", is_flag=True, help="With --auditor: the role in every account of the organization.")
@_ROLE_NAME
def iam_policy(packs: tuple[str, ...], trust_account: str | None, external_id: str | None, auditor: bool,
               role_arn: str | None, accounts: list[str] | None, org: bool, role_name: str | None) -> None:
    """The least-privilege IAM policies: the scanning role's (from the collectors' declarations and
    the calls around them), its trust policy (--trust-account), or the auditor's own (--auditor)."""
    from vendorguard.scanner.catalog import select
    from vendorguard.scanner.sources.aws import iam_policy as policies
    from vendorguard.scanner.sources.aws.live import declared_operations, needed_collectors

    if external_id and not trust_account:
        raise click.UsageError("--external-id goes with --trust-account: the trust policy is where it is required")
    scanning_role = {"--role-arn": role_arn, "--role-name": role_name, "--accounts": accounts, "--org": org}
    if not auditor and (given := [option for option, value in scanning_role.items() if value]):
        raise click.UsageError(f"{given[0]} goes with --auditor")
    if sum(map(bool, (auditor, trust_account, packs))) > 1:
        raise click.UsageError("--auditor, --trust-account and --pack are alternatives")
    if auditor:
        arns = _scanning_role_arns(role_arn, role_name, accounts, org)
        click.echo(policies.render(policies.auditor_policy(arns, org)), nl=False)
        return
    if trust_account:
        if not external_id:
            raise click.UsageError("--trust-account needs --external-id: a cross-account role without one "
                                   "is exactly what rule VG-TPA-001 flags")
        click.echo(policies.render(policies.audit_trust_policy(trust_account, external_id)), nl=False)
        return
    _, selection = select(packs)
    types = {t for rule in selection.rules for t in rule.resource_types}
    click.echo(policies.render(policies.scanning_policy(declared_operations(needed_collectors(types)))), nl=False)


def _scanning_role_arns(role_arn: str | None, role_name: str | None, accounts: list[str] | None,
                        org: bool) -> list[str]:
    """The role(s) the auditor assumes, as `scan aws` names them: one ARN, or --role-name in each
    account of --accounts, or in any account (--org: the organization's accounts are known only
    when the scan lists them)."""
    if not (role_arn or (role_name and (accounts or org))):
        raise click.UsageError("--auditor needs --role-arn, or --role-name with --accounts or --org")
    _check_roles(role_arn, role_name, accounts, org)
    if role_arn:
        return [role_arn]
    return [f"arn:aws:iam::*:role/{role_name}"] if org else [f"arn:aws:iam::{a}:role/{role_name}" for a in accounts or []]


@main.command()
@click.option("--output-dir", default="reports", show_default=True, type=click.Path(file_okay=False))
@click.option("--waivers", type=click.Path(dir_okay=False),
              help="Waivers for the demo's scans (default: .vendorguard-waivers.yaml when present); "
                   "scanner/demo/waivers.example.yaml is one.")
def demo(output_dir: str, waivers: str | None) -> None:
    """Seed a realistic billing vendor's account on an embedded AWS endpoint, scan it, let the
    vendor fix a few findings, scan it again, scan the bundled example plan; keep every scan in
    an embedded store and write the reports, the diff and the portfolio page.  Progress goes to
    stderr; the summary, with the files to open, to stdout."""
    from vendorguard.scanner import demo as demo_run
    from vendorguard.scanner.decisions import Decisions
    from vendorguard.scanner.demo.summary import summary

    decisions = Decisions.load(waivers)  # a bad waivers file fails now, not after the scans
    os.makedirs(output_dir, exist_ok=True)  # the demo's own folder (a user's -o never gets one made)
    outcome = demo_run.run(output_dir, decisions, write=lambda text: click.echo(text, nl=False, err=True))
    click.echo(summary(outcome), nl=False)


@main.group()
def packs() -> None:
    """List, show and validate packs and rules."""


@packs.command("list")
def packs_list() -> None:
    """The shipped packs, with their control and rule counts."""
    from vendorguard.scanner.catalog import load_catalog

    catalog, _ = load_catalog()
    for pack in catalog.packs.values():
        click.echo(f"{pack.id:16} {pack.version:10} {len(pack.controls):3} controls "
                   f"{len(pack.rule_ids()):3} rules  {pack.title}")
    click.echo(f"{len(catalog.rules)} rules in the catalog")


@packs.command("show")
@click.argument("name")
def packs_show(name: str) -> None:
    """A pack's controls and the rules each cites (NAME or a policy file)."""
    from vendorguard.scanner.catalog import select
    from vendorguard.scanner.reports.escape import terminal as t  # a user's pack is untrusted text

    catalog, selection = select([name])
    for pack in selection.packs:
        click.echo(f"{t(pack.id)} {t(pack.version)} — {t(pack.title)}")
        for control in pack.controls:
            click.echo(f"  {t(control.id)}  {t(control.title)}")
            for rule_id in control.rules:
                rule = catalog.rules[rule_id]
                click.echo(f"      {t(rule.id):14} {rule.severity:8} {rule.domain:22} {t(rule.title)}")


@packs.command("validate")
@click.argument("files", nargs=-1, required=True)
def packs_validate(files: tuple[str, ...]) -> None:
    """Check policy files against the schema, compile their conditions, resolve their rule ids."""
    from vendorguard.scanner.catalog import load_catalog

    catalog, loaded = load_catalog(files)
    for path, got in zip(files, loaded):
        rules = [r for r in catalog.rules.values() if r.origin == path]
        what = f"pack {got.id} ({len(got.controls)} controls)" if not isinstance(got, str) else "no pack"
        click.echo(f"{path}: valid — {len(rules)} rules, {what}")


def run() -> None:
    """The console script: run the command, then leave without tearing down the heap (a scan
    keeps a million objects to its report; freeing them one by one is wasted time)."""
    try:
        code = main.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    run()
