"""``fssim`` console script: run the simulator standalone."""
import argparse
import logging

import gevent


def main(argv=None):
    from fssim import Simulator

    parser = argparse.ArgumentParser(description="FreeSWITCH 1.10 ESL simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8021)
    parser.add_argument("--password", default="ClueCon")
    parser.add_argument("--http-port", type=int, default=None, help="control API port (none = off)")
    parser.add_argument("--recordings-dir", default=None)
    parser.add_argument("--heartbeat", type=float, default=20.0)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--phone", action="append", default=[], metavar="EXT[:ANSWER_AFTER]",
                        help="register an answering agent phone, e.g. 1000:0.5 (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    sim = Simulator(host=args.host, port=args.port, password=args.password, recordings_dir=args.recordings_dir,
                    heartbeat_interval=args.heartbeat, http_port=args.http_port, time_scale=args.time_scale)
    for spec in args.phone:
        ext, _, after = spec.partition(":")
        sim.add_phone(ext, answer_after=float(after or 0.5))
    sim.start()
    logging.getLogger("fssim").info("ESL on %s:%s, HTTP control on %s", args.host, sim.port, sim.http_port)
    try:
        gevent.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
