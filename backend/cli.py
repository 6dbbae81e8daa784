"""``winroom-backend``: migrate, create-user, device-token, close-period, export, serve,
worker, simulate, demo.

Every command exits non-zero with one clear line on bad input (``winroom-backend: ...``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from backend.settings import Settings, SettingsError, load_settings

PROG = "winroom-backend"


class CliError(Exception):
    """A one-line failure shown to the operator (exit code ``code``)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number (1-65535), got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        sys.stderr.write(f"{self.prog}: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Win Room backend: API, live events, ingestion worker.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    sub.add_parser("migrate", help="create or upgrade the schema on WINROOM_DATABASE_URL")

    cu = sub.add_parser("create-user", help="create a user (password read from stdin)")
    cu.add_argument("--email", required=True)
    cu.add_argument("--name", required=True)
    cu.add_argument("--role", required=True, choices=["sales", "sales_lead", "finance", "admin"])
    cu.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password from the first line of standard input",
    )

    dt = sub.add_parser(
        "device-token", help="issue (or --revoke) a read-only TV token, or --pair a TV"
    )
    dt.add_argument("--name", help="a name for the screen, e.g. 'Floor TV 1'")
    dt.add_argument("--revoke", metavar="NAME", help="revoke the token of that name")
    dt.add_argument("--pair", metavar="CODE", help="approve the TV showing this code (--name)")

    sv = sub.add_parser("serve", help="HTTP API and Socket.IO on one port (+ worker)")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=_port, default=8000)
    sv.add_argument("--no-worker", action="store_true", help="do not run the poller and jobs")

    sub.add_parser("worker", help="the core-database poller and the scheduled jobs alone")

    sm = sub.add_parser("simulate", help="write realistic fake sales into the core database")
    sm.add_argument("--count", type=_positive_int, help="sales to write (default: until stopped)")
    sm.add_argument(
        "--rate",
        type=_positive_float,
        help="sales per second (default: 0.2 until stopped; with --count, no pause)",
    )
    sm.add_argument("--seed", type=int, help="random seed for a reproducible floor")

    cp = sub.add_parser("close-period", help="close a past month: freeze its statement")
    cp.add_argument("month", metavar="YYYY-MM")

    ex = sub.add_parser("export", help="write claims.csv or a month's statement.csv")
    ex.add_argument("what", choices=["claims", "statement"])
    ex.add_argument("--month", metavar="YYYY-MM", help="the statement's month (required)")
    ex.add_argument("--from", dest="from_", metavar="YYYY-MM-DD", help="claims from this day")
    ex.add_argument("--to", metavar="YYYY-MM-DD", help="claims up to this day (inclusive)")
    ex.add_argument("--seller-id", type=_positive_int)
    ex.add_argument("--finance-status")
    ex.add_argument("--claim-type")
    ex.add_argument("--refunded", choices=["true", "false"])
    ex.add_argument("--q", help="substring of customer email or name, campaign name")
    ex.add_argument("--sort", help="claimed_at, revenue_usd, margin_amount_usd (- descending)")
    ex.add_argument("-o", "--output", help="file to write (default: standard output)")

    dm = sub.add_parser("demo", help="everything the demo needs in one process tree")
    dm.add_argument("--port", type=_port, default=8000)
    dm.add_argument("--data-dir", help="where the demo databases live (default: the data dir)")
    dm.add_argument("--rate", type=_positive_float, default=0.2, help="simulated sales per second")
    dm.add_argument(
        "--no-bots", action="store_true", help="no demo sellers claiming sales by themselves"
    )
    return p


def _cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    # lazy: a command loads only what it runs
    from backend.db.migrate import upgrade

    upgrade(settings.db_url)
    print(f"migrated {settings.db_url.split('@')[-1]} to the latest schema")
    return 0


def _cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    # lazy: a command loads only what it runs
    from backend.accounts import AccountError, create_user
    from backend.passwords import RECOMMENDED_LENGTH
    from backend.runtime import open_database

    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CliError("no password on standard input (pipe it in: echo ... | create-user ...)")
    db = open_database(settings)
    try:
        with db.transaction() as s:
            user = create_user(
                s, email=args.email, name=args.name, role=args.role, password=password
            )
            print(f"created {user.role} {user.email} (id {user.id})")
        if len(password) < RECOMMENDED_LENGTH:
            print(
                f"winroom-backend: warning: the password is shorter than {RECOMMENDED_LENGTH}"
                " characters; choose a longer one for a real floor",
                file=sys.stderr,
            )
    except AccountError as exc:
        raise CliError(str(exc)) from None
    finally:
        db.dispose()
    return 0


def _device_token_mode(args: argparse.Namespace) -> str:
    """``name``, ``revoke`` or ``pair``; a wrong combination is a usage error (exit 2)."""
    if args.revoke is not None:
        if args.name is not None or args.pair is not None:
            raise CliError("--revoke takes no --name or --pair", 2)
        return "revoke"
    if args.name is None:
        raise CliError("give --name NAME, --revoke NAME or --pair CODE --name NAME", 2)
    return "pair" if args.pair is not None else "name"


def _cmd_device_token(settings: Settings, args: argparse.Namespace) -> int:
    # lazy: a command loads only what it runs
    from backend.accounts import AccountError, issue_device_token, revoke_device_token
    from backend.runtime import open_database

    mode = _device_token_mode(args)
    db = open_database(settings)
    try:
        with db.transaction() as s:
            if mode == "pair":
                # lazy: a command loads what it needs when it runs (as _lazy does)
                from backend.actions.devices import approve_pairing
                from backend.db.types import utcnow
                from backend.errors import DomainError

                try:
                    dev = approve_pairing(s, None, args.pair, args.name, utcnow())
                except DomainError as exc:
                    raise CliError(exc.message) from None
                print(f"approved: the TV showing {args.pair.strip()} is now {dev.name!r}")
            elif mode == "revoke":
                if revoke_device_token(s, args.revoke):
                    print(f"revoked the device token {args.revoke!r}")
                else:
                    print(f"the device token {args.revoke!r} was revoked already")
            else:
                token = issue_device_token(s, args.name)
                print(f"device token for {args.name!r} (role tv, read-only, never expires):")
                print(token)
    except AccountError as exc:
        raise CliError(str(exc)) from None
    finally:
        db.dispose()
    return 0


def _lazy(module: str, func: str) -> Callable[[Settings, argparse.Namespace], int]:
    def run(settings: Settings, args: argparse.Namespace) -> int:
        import importlib

        fn = getattr(importlib.import_module(module), func)
        return int(fn(settings, args) or 0)

    return run


def _cmd_close_period(settings: Settings, args: argparse.Namespace) -> int:
    # lazy: a command loads what it needs when it runs (as _lazy does)
    from backend.actions.periods import close_period
    from backend.errors import DomainError
    from backend.runtime import open_database

    db = open_database(settings)
    try:
        with db.transaction() as s:
            row = close_period(s, args.month, settings=settings)
            rows = row.statement_csv.count("\r\n") - 1
        print(f"closed {args.month}: its statement ({rows} sellers) is frozen")
    except DomainError as exc:
        raise CliError(exc.message) from None
    finally:
        db.dispose()
    return 0


def _cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    # lazy: a command loads what it needs when it runs (as _lazy does)
    from backend.errors import DomainError
    from backend.reads import claims, exports, statement
    from backend.runtime import open_database

    db = open_database(settings)
    out = None
    try:
        if args.what == "statement":
            month = statement.parse_month(args.month, "--month")
            with db.read() as s:
                chunks = [statement.statement_text(s, month, settings.tz).encode("utf-8")]
        else:
            with db.read() as s:
                f = claims.parse_filters(
                    s,
                    settings.tz,
                    from_=args.from_,
                    to=args.to,
                    seller_id=args.seller_id,
                    finance_status=args.finance_status,
                    claim_type=args.claim_type,
                    refunded=args.refunded,
                    q=args.q,
                )
            sort = claims.parse_sort(args.sort)
            chunks = exports.claims_csv(db.read, f, sort)  # type: ignore[assignment]
        out = open(args.output, "wb") if args.output else sys.stdout.buffer  # noqa: SIM115
        for chunk in chunks:
            out.write(chunk)
        out.flush()
    except DomainError as exc:
        field = exc.extra.get("field")
        raise CliError(f"{field}: {exc.message}" if field else exc.message, 2) from None
    finally:
        if out is not None and args.output:
            out.close()
        db.dispose()
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "migrate": _cmd_migrate,
    "create-user": _cmd_create_user,
    "device-token": _cmd_device_token,
    "close-period": _cmd_close_period,
    "export": _cmd_export,
    "serve": _lazy("backend.server", "serve_command"),
    "worker": _lazy("backend.ingest.worker", "worker_command"),
    "simulate": _lazy("backend.simulate", "simulate_command"),
    "demo": _lazy("backend.demo", "demo_command"),
}


# The commands that sign or check tokens: only these need WINROOM_JWT_SECRET on a database
# that is not SQLite (CONTRACT §2: "refuse to start without it").
TOKEN_COMMANDS = frozenset({"serve", "demo"})

# The long-running commands: they also log to <data dir>/logs/<command>.log.
LOG_FILE_COMMANDS = frozenset({"serve", "worker", "demo"})


def _os_error_line(exc: OSError) -> str:
    """One line for an OSError that escaped (e.g. a directory that cannot be created)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{reason}: {exc.filename}" if exc.filename else reason


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    # lazy: a command loads only what it runs
    from sqlalchemy.exc import OperationalError

    from backend import logfile
    from backend.db.migrate import NotMigrated

    try:
        overrides = {}
        if getattr(args, "data_dir", None):
            from pathlib import Path

            overrides["data_dir"] = Path(args.data_dir)
        settings = load_settings(require_jwt_secret=args.command in TOKEN_COMMANDS, **overrides)
        for notice in settings.notices:
            print(f"{PROG}: warning: {notice}", file=sys.stderr)
        if args.command in TOKEN_COMMANDS:
            settings.jwt_key()  # generated now, or an empty/short one stops the command here
        if args.command in LOG_FILE_COMMANDS:
            logfile.install(settings.data_dir, args.command, prog=PROG)
        return COMMANDS[args.command](settings, args)
    except SettingsError as exc:
        message = str(exc)
        if getattr(args, "data_dir", None) and message.startswith("WINROOM_DATA_DIR:"):
            message = "--data-dir" + message.removeprefix("WINROOM_DATA_DIR")  # the flag won
        print(f"{PROG}: {message}", file=sys.stderr)
        return 2
    except NotMigrated as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except CliError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exc.code
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        print(f"{PROG}: cannot reach the database: {reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # last resort: e.g. a directory that cannot be created
        print(f"{PROG}: {_os_error_line(exc)}", file=sys.stderr)
        return 1
    finally:
        logfile.uninstall()  # main() called in-process (tests) leaves no handler behind


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
