"""The `estatedesk` command line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from shared.config import SERVICES, Config, ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="estatedesk", description="EstateDesk service desk.")
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="run everything in one process (SQLite, in-memory bus, demo data)")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--data-dir", type=Path, default=Path("var"))
    dev.add_argument("--no-demo", action="store_true", help="do not seed the demo property group")

    web = commands.add_parser("web", help="serve one service's HTTP API with gunicorn")
    web.add_argument("service", choices=SERVICES)
    web.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))

    worker = commands.add_parser("worker", help="run one service's consumer, outbox relay and timers")
    worker.add_argument("service", choices=SERVICES)

    migrate = commands.add_parser("migrate", help="apply database migrations (all services by default)")
    migrate.add_argument("service", nargs="?", choices=SERVICES)

    demo = commands.add_parser("demo", help="seed the demo property group into a running stack")
    demo.add_argument("--url", default="http://127.0.0.1:8080", help="gateway URL")
    demo.add_argument("--data-dir", type=Path, default=Path("var"))

    replay = commands.add_parser("replay-dead", help="move parked messages back into a service's queue")
    replay.add_argument("service", choices=SERVICES)
    replay.add_argument("--limit", type=int, default=None)

    token = commands.add_parser("token", help="print a development JWT")
    token.add_argument("--role", action="append", required=True, dest="roles")
    token.add_argument("--group", required=True)
    token.add_argument("--estate", action="append", dest="estates", default=[])
    token.add_argument("--sub", default=None)
    token.add_argument("--name", default=None)
    token.add_argument("--contractor", default=None)
    token.add_argument("--hours", type=float, default=12.0)
    token.add_argument("--data-dir", type=Path, default=Path("var"))

    reporting = commands.add_parser("reporting", help="reporting's maintenance commands")
    reporting_commands = reporting.add_subparsers(dest="reporting_command", required=True)
    reporting_commands.add_parser("rebuild", help="replay reporting's event log into fresh projections")

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"estatedesk: {exc}", file=sys.stderr)
        return 2


def _dev(args) -> int:
    from estatedesk.dev import run

    run(args.port, args.data_dir, seed=not args.no_demo)
    return 0


def _web(args) -> int:
    Config.from_env(args.service)  # fail fast on bad settings, before gunicorn forks
    conf = Path("deploy/gunicorn.conf.py")
    if not conf.exists():
        conf = Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"
    env = {**os.environ, "PORT": str(args.port), "ESTATEDESK_SERVICE": args.service}
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(conf),
        "--bind",
        f"0.0.0.0:{args.port}",
        f"services.{args.service}.app:create_app()",
    ]
    os.execvpe(cmd[0], cmd, env)
    return 0  # not reached


def _worker(args) -> int:
    from estatedesk.registry import worker_builder

    worker_builder(args.service)(Config.from_env(args.service)).run_forever()
    return 0


def _migrate(args) -> int:
    from shared.migrations import upgrade

    for service in [args.service] if args.service else SERVICES:
        config = Config.from_env(service)
        print(f"migrating {service} …", flush=True)
        upgrade(config)
    print("migrations applied", flush=True)
    return 0


def _demo(args) -> int:
    from estatedesk import demo
    from estatedesk.secrets import dev_secret
    from shared.auth import mint_token

    secret = dev_secret(args.data_dir, create=False)
    if not secret:
        print("estatedesk: set ESTATEDESK_JWT_SECRET to the stack's secret", file=sys.stderr)
        return 2
    token = mint_token(
        secret,
        sub="demo-admin",
        group=demo.DEMO_GROUP,
        estates=["*"],
        roles=["admin", "head_office", "manager"],
    )
    print(f"Seeding demo data into {args.url}:", flush=True)
    try:
        demo.seed(args.url, token)
    except (demo.SeedError, OSError) as exc:
        print(f"estatedesk: {exc}", file=sys.stderr)
        return 1
    print("done", flush=True)
    return 0


def _replay_dead(args) -> int:
    from shared.bus import replay_dead_letters

    config = Config.from_env(args.service)
    moved = replay_dead_letters(config.broker_url, args.service, args.limit)
    print(f"{moved} message(s) moved from {args.service}.dead back to {args.service}")
    return 0


def _token(args) -> int:
    from datetime import timedelta

    from estatedesk.secrets import dev_secret
    from shared.auth import AuthError, mint_token

    secret = dev_secret(args.data_dir, create=False)
    if not secret:
        print(
            "estatedesk: no secret: set ESTATEDESK_JWT_SECRET or run `estatedesk dev` "
            f"with --data-dir {args.data_dir} first",
            file=sys.stderr,
        )
        return 2
    try:
        print(
            mint_token(
                secret,
                group=args.group,
                roles=args.roles,
                estates=args.estates,
                sub=args.sub,
                name=args.name,
                contractor=args.contractor,
                ttl=timedelta(hours=args.hours),
            )
        )
    except AuthError as exc:
        print(f"estatedesk: {exc}", file=sys.stderr)
        return 2
    return 0


def _reporting(args) -> int:
    from services.reporting.rebuild import rebuild_from_config

    totals = rebuild_from_config(Config.from_env("reporting"), progress=lambda m: print(m, flush=True))
    print(f"rebuilt {totals['estates']} estates from {totals['events']} events ({totals['months']} months)")
    return 0


COMMANDS = {
    "dev": _dev,
    "web": _web,
    "worker": _worker,
    "migrate": _migrate,
    "demo": _demo,
    "token": _token,
    "replay-dead": _replay_dead,
    "reporting": _reporting,
}

if __name__ == "__main__":
    sys.exit(main())
