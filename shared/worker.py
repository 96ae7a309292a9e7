"""A service's worker process: event consumer, outbox relay and timers, each on its own thread."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from shared.bus import EventConsumer, Handler, OutboxRelay, relay_wakeup
from shared.config import Config
from shared.db import PlatformTables

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timer:
    """Periodic work, e.g. deadline checks. `run` opens its own units of work, one per estate."""

    name: str
    interval: float
    run: Callable[[sessionmaker[Session]], None]


class Worker:
    def __init__(
        self,
        config: Config,
        sessions: sessionmaker[Session],
        platform: PlatformTables,
        handlers: dict[str, list[Handler]],
        timers: tuple[Timer, ...] = (),
    ):
        self.config = config
        self.sessions = sessions
        self.consumer = EventConsumer(
            config.service,
            handlers,
            sessions,
            platform,
            config.broker_url,
            delivery_limit=config.delivery_limit,
        )
        self.relay = OutboxRelay(
            sessions, platform, config.broker_url, confirm_timeout=config.confirm_timeout
        )
        self.timers = timers
        self.stop_event = threading.Event()
        self.consumer_ready = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        name = self.config.service
        targets = [
            (f"{name}-consumer", lambda: self.consumer.run(self.stop_event, self.consumer_ready)),
            (f"{name}-relay", self._relay_loop),
        ]
        targets += [(f"{name}-timer-{t.name}", lambda t=t: self._timer_loop(t)) for t in self.timers]
        for thread_name, target in targets:
            thread = threading.Thread(target=target, name=thread_name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        relay_wakeup(self.config.service).set()
        for thread in self._threads:
            thread.join(timeout)
        self.relay.close()

    def run_forever(self) -> None:
        """The `estatedesk worker <service>` process: run until SIGTERM/SIGINT."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop_event.set())
        self.start()
        log.info("worker started", extra={"timers": [t.name for t in self.timers]})
        self.stop_event.wait()
        self.stop()
        log.info("worker stopped")

    def _relay_loop(self) -> None:
        wake = relay_wakeup(self.config.service)
        while not self.stop_event.is_set():
            try:
                while self.relay.relay_once():
                    pass
            except Exception:  # noqa: BLE001 - a database outage must not kill the relay thread
                log.exception("outbox relay failed")
            wake.wait(self.config.relay_interval)
            wake.clear()

    def _timer_loop(self, timer: Timer) -> None:
        while not self.stop_event.wait(timer.interval):
            try:
                timer.run(self.sessions)
            except Exception:  # noqa: BLE001 - one failed tick must not stop the timer
                log.exception("timer failed", extra={"timer": timer.name})


def build_worker(config: Config, platform: PlatformTables, handlers, *, timers=(), engine=None) -> Worker:
    from shared.db import make_engine, make_session_factory
    from shared.housekeeping import prune

    sessions = make_session_factory(engine or make_engine(config))
    housekeeping = Timer("housekeeping", 3600.0, lambda s: prune(s, platform))
    return Worker(config, sessions, platform, handlers, (*timers, housekeeping))
