"""``switchdesk`` command line: ``serve`` (real FreeSWITCH), ``demo`` (the simulator), ``init-db``,
``token`` (bearer tokens for the REST API)."""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
from gevent import pywsgi  # noqa: E402

from .config import EslAddress, Settings  # noqa: E402
from .db import create_tables, open_database  # noqa: E402
from .runtime import freeze_startup_heap, keep_survivors_frozen, tune_greenlets  # noqa: E402

log = logging.getLogger("switchdesk")


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    # the callback job runs every second: its "Running job"/"executed" lines would bury the
    # log an operator reads; its failures are still logged (WARNING and up)
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if verbose else logging.WARNING)


def build(settings: Settings):
    """Open the database, build the contact center and the web app."""
    from web import create_app

    from .service import ContactCenter

    open_database(settings.database_url, background_checkpoints=True)
    create_tables()
    cc = ContactCenter(settings)
    app, socketio = create_app(cc, settings)
    return cc, app, socketio


class _NoDelayHandler(pywsgi.WSGIHandler):
    """pywsgi's handler with Nagle's algorithm off on each connection.

    A desktop is sent several small frames in a row (the agent's state, then the call's):
    with Nagle on, each frame written before the browser acknowledged the previous one
    waits for its delayed ACK, up to 40 ms on Linux.
    """

    def handle(self):
        try:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # not TCP (a Unix socket)
            pass
        return super().handle()


def serve_web(app, socketio, settings: Settings):
    """Start the web server (gevent's WSGI server, as ``socketio.run`` would) in a greenlet; returns it."""
    server = pywsgi.WSGIServer((settings.web_host, settings.web_port), app, log=None,
                               handler_class=_NoDelayHandler)
    socketio.wsgi_server = server
    return gevent.spawn(server.serve_forever)


def cmd_serve(args, settings: Settings) -> int:
    if settings.esl is None:
        print("switchdesk serve needs FREESWITCH_ESL=esl://:password@host:8021 (or run `switchdesk demo`)",
              file=sys.stderr)
        return 2
    tune_greenlets()
    cc, app, socketio = build(settings)
    cc.start()
    freeze_startup_heap()
    keep_survivors_frozen()
    web = serve_web(app, socketio, settings)
    log.info("switchdesk serving on http://%s:%d, FreeSWITCH at %s", settings.web_host, settings.web_port, settings.esl)
    _wait(web, cc)
    return 0


def cmd_demo(args, settings: Settings) -> int:
    from fssim import Simulator

    from .ivr.service import install_shipped_conf
    from .seed import DEMO_CHANNEL_VARIABLES, DEMO_PEOPLE, DEMO_QUEUES, seed_demo, seed_ivr

    os.makedirs("var", exist_ok=True)
    tune_greenlets()
    # the simulator reads the FreeSWITCH configuration the IVR editor publishes to
    conf_dir = os.path.abspath(settings.fs_conf_dir)
    install_shipped_conf(conf_dir)
    sim = Simulator(host="127.0.0.1", port=args.esl_port, password="ClueCon",
                    recordings_dir=os.path.abspath(settings.recordings_dir), http_port=args.sim_http_port,
                    conf_dir=conf_dir)
    sim.start()
    for _user, _name, ext, role, _pw, _queues in DEMO_PEOPLE:
        if role == "agent":
            sim.add_phone(ext, answer_after=1.0)
    for name, _label, did in DEMO_QUEUES:
        # the demo's callers carry call data (customer name, account, order) as a CRM would set it
        sim.add_did(did, queue=name, variables=DEMO_CHANNEL_VARIABLES.get(name))
    settings.esl = EslAddress("127.0.0.1", sim.port, "ClueCon")
    cc, app, socketio = build(settings)
    credentials = seed_demo()
    seed_ivr(conf_dir)
    cc.start()
    freeze_startup_heap()
    keep_survivors_frozen()
    web = serve_web(app, socketio, settings)
    print("\nswitchdesk demo is running: http://%s:%d" % (settings.web_host, settings.web_port))
    print("FreeSWITCH simulator: ESL on 127.0.0.1:%d (password ClueCon), control API on %s" % (
        sim.port, f"http://127.0.0.1:{sim.http_port}" if sim.http_port else "(off)"))
    print("Log in as:")
    for username, password, role in credentials:
        print(f"  {username:<8} password {password:<12} ({role})")
    print(f"IVR menus and dialplan: {conf_dir} (the simulator runs them; the main menu is DID 8005550300)")
    print(f"A simulated customer calls every {settings.demo_call_interval:g}s "
          "(SWITCHDESK_DEMO_CALL_INTERVAL); press Ctrl-C to stop.\n", flush=True)
    if settings.demo_call_interval > 0:
        gevent.spawn(_customers, sim, settings)
    _wait(web, cc, sim)
    return 0


def _customers(sim, settings: Settings) -> None:
    from .seed import DEMO_QUEUES

    rng = random.Random()
    while True:
        gevent.sleep(settings.demo_call_interval)
        _name, _label, did = rng.choice(DEMO_QUEUES)
        ani = "+1555%07d" % rng.randrange(10**7)
        try:
            sim.customer_call(did, ani=ani, hangup_after=settings.demo_hangup_after)
        except Exception:
            log.exception("simulated customer call failed")


def _wait(web, cc, sim=None) -> None:
    stop = gevent.event.Event()
    gevent.signal_handler(signal.SIGINT, stop.set)
    gevent.signal_handler(signal.SIGTERM, stop.set)
    while not stop.wait(1):
        if web.dead:
            log.error("web server stopped: %s", web.exception)
            break
    cc.stop()
    if sim is not None:
        sim.stop()


def cmd_init_db(args, settings: Settings) -> int:
    open_database(settings.database_url)
    create_tables()
    print(f"database ready: {settings.database_url.split('@')[-1]}")
    return 0


def cmd_token(args, settings: Settings) -> int:
    """``token create|list|revoke``: bearer tokens for integrations (see docs/api.md)."""
    from web import tokens

    open_database(settings.database_url)
    create_tables()
    if args.token_command == "create":
        try:
            row, token = tokens.issue(args.user, args.name)
        except (LookupError, ValueError) as exc:
            print(f"switchdesk token create: {exc}", file=sys.stderr)
            return 1
        print(f"token {row.id} ({row.name}) acts as {row.agent.username} ({row.agent.role}). "
              "It is shown only now: switchdesk keeps only its hash.", file=sys.stderr)
        print(token, flush=True)  # alone on stdout: TOKEN=$(switchdesk token create ...)
        return 0
    if args.token_command == "list":
        rows = tokens.all_tokens()
        if not rows:
            print("no tokens")
            return 0
        print(f"{'id':>4}  {'name':<20} {'user':<12} {'created (UTC)':<19}  {'last used (UTC)':<19}  status")
        for row in rows:
            used = f"{row.last_used_at:%Y-%m-%d %H:%M:%S}" if row.last_used_at else "never"
            print(f"{row.id:>4}  {row.name:<20} {row.agent.username:<12} {row.created_at:%Y-%m-%d %H:%M:%S}  "
                  f"{used:<19}  {'revoked' if row.revoked else 'active'}")
        return 0
    row = tokens.revoke(args.id)
    if row is None:
        print(f"switchdesk token revoke: no token {args.id}", file=sys.stderr)
        return 1
    print(f"token {row.id} ({row.name}) of {row.agent.username} is revoked")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="switchdesk", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run against the FreeSWITCH named by FREESWITCH_ESL")
    demo = sub.add_parser("demo", help="run with the FreeSWITCH simulator and simulated customers")
    demo.add_argument("--port", type=int, help="web port (default SWITCHDESK_PORT or 5000)")
    demo.add_argument("--esl-port", type=int, default=0, help="simulator ESL port (default: any free port)")
    demo.add_argument("--sim-http-port", type=int, default=0, help="simulator control API port (0: any)")
    demo.add_argument("--call-interval", type=float, help="seconds between simulated customer calls (0: none)")
    demo.add_argument("--database", help="database URL (default DATABASE_URL or sqlite:///var/switchdesk.db)")
    sub.add_parser("init-db", help="create the database tables")
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--database", help="database URL (default DATABASE_URL or sqlite:///var/switchdesk.db)")
    token = sub.add_parser("token", help="bearer tokens for integrations: create, list, revoke")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", parents=[database],
                                  help="make a token that acts as a user; prints it once")
    create.add_argument("--user", required=True, help="username the token acts as (with that user's role)")
    create.add_argument("--name", required=True, help="what the token is for, e.g. crm")
    token_sub.add_parser("list", parents=[database], help="list tokens (never the tokens themselves)")
    revoke = token_sub.add_parser("revoke", parents=[database], help="revoke a token for good")
    revoke.add_argument("id", type=int, help="the token's id, from `switchdesk token list`")
    args = parser.parse_args(argv)
    _logging(args.verbose)
    settings = Settings.from_env()
    if getattr(args, "port", None):
        settings.web_port = args.port
    if getattr(args, "call_interval", None) is not None:
        settings.demo_call_interval = args.call_interval
    if getattr(args, "database", None):
        settings.database_url = args.database
    handler = {"serve": cmd_serve, "demo": cmd_demo, "init-db": cmd_init_db, "token": cmd_token}[args.command]
    return handler(args, settings)


if __name__ == "__main__":
    sys.exit(main())
