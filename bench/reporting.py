"""Benchmark: reporting with 500 estates × 24 months of history on PostgreSQL.

    .venv/bin/python bench/reporting.py [--estates 500] [--months 24] [--postgres URL]

Creates a fresh database (dropped at the end), migrates reporting's schema, loads a synthetic but
realistic history (estates of different sizes and quality; repairs, complaints, inquiries…;
callbacks by rule with skips and failures) by building facts in memory, deriving each
estate-month's counters with the projection's own domain code, and COPYing both in. Then it
measures the group comparison and the dashboard through the real Flask app (median and p95),
and the projection's event ingest rate through the real consumer path (inbox, event log, facts,
counters) and in rebuild-style batches. Target: group comparison p95 < 150 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from services.reporting import domain  # noqa: E402
from services.reporting.projection import month_details  # noqa: E402
from shared.events import RATINGS, parse_event  # noqa: E402

GROUP = "bench-group"
SECRET = "bench-secret-not-for-production-0123456789"
REGIONS = ["North", "South", "East", "West", "Central", "Bay", "Hills", "Lakes", "Coast", "Valley"]
KINDS = [
    ("repair", 0.55),
    ("complaint", 0.15),
    ("inquiry", 0.15),
    ("help", 0.05),
    ("suggestion", 0.05),
    ("special_service", 0.05),
]
CATEGORIES = [
    ("engineering", 0.45),
    ("cleaning", 0.12),
    ("greening", 0.05),
    ("security", 0.1),
    ("noise", 0.06),
    ("pest_control", 0.04),
    ("waste", 0.05),
    ("parking", 0.06),
    ("fees", 0.04),
    ("other", 0.03),
]
CHANNELS = ["phone", "phone", "phone", "visit", "online", "inspection", "letter", "email"]
RULES = {
    "repair": "repair",
    "complaint": "complaint",
    "help": "emergency_aid",
    "special_service": "special_service",
}


def pick(rng: random.Random, weighted):
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def month_start(month: str) -> datetime:
    y, m = domain.parse_month(month)
    return datetime(y, m, 1, tzinfo=UTC) - timedelta(hours=8)  # local (Shanghai) midnight


def synth_month(rng: random.Random, estate: str, month: str, size: int, quality: float, seq: list[int]):
    """One estate-month of facts, as the projection would have stored them."""
    start = month_start(month)
    tickets, callbacks = [], []
    for _ in range(max(1, int(rng.gauss(size, size * 0.2)))):
        seq[0] += 1
        kind, category = pick(rng, KINDS), pick(rng, CATEGORIES)
        opened = start + timedelta(minutes=rng.randrange(0, 27 * 24 * 60))
        reply = opened + timedelta(minutes=rng.expovariate(1 / (30 + 200 * (1 - quality))))
        resolved = opened + timedelta(hours=rng.expovariate(1 / (6 + 40 * (1 - quality))))
        t = domain.TicketFact(
            estate_id=estate,
            ticket_id=f"t{seq[0]}",
            number=f"T{seq[0]}",
            kind=kind,
            category=category,
            channel=rng.choice(CHANNELS),
            severity=rng.choice(["minor", "minor", "important", "major"]) if kind == "complaint" else None,
            place=f"{rng.randint(1, 30)}-{rng.randint(1, 20)}0{rng.randint(1, 4)}",
            opened_at=opened,
            month=month,
            first_reply_due=opened + timedelta(hours=8),
            first_reply_at=reply,
            resolve_due=opened + timedelta(hours=72),
            resolved_at=resolved,
            arrived_on_time=rng.random() < 0.6 + 0.35 * quality if kind == "repair" else False,
            reopen_count=1 if rng.random() < 0.08 * (1.5 - quality) else 0,
        )
        t.arrive_breached = kind == "repair" and not t.arrived_on_time
        tickets.append(t)
        rule = RULES.get(kind)
        if rule is None:
            continue
        seq[0] += 1
        cb = domain.CallbackFact(estate_id=estate, callback_id=f"c{seq[0]}", ticket_id=t.ticket_id, rule=rule)
        cb.kind, cb.category, cb.decided_at, cb.month = kind, category, resolved, month
        sampled = rule != "repair" or rng.random() < 0.8
        if not sampled:
            cb.status, cb.skip_reason = "skipped", "not_sampled"
        elif rng.random() < 0.05:
            cb.status, cb.failed_at, cb.outcome_month = "failed", resolved + timedelta(days=3), month
        else:
            cb.status, cb.completed_at, cb.outcome_month = "completed", resolved + timedelta(days=1), month
            r = rng.random()
            cb.satisfaction = (
                "satisfied" if r < quality else "fairly_satisfied" if r < quality + 0.15 else "unsatisfied"
            )
            cb.quality = cb.satisfaction
            cb.attitude = rng.choice(RATINGS[:2]) if rng.random() < quality + 0.1 else "unsatisfied"
            cb.punctuality = rng.choice(RATINGS)
        callbacks.append(cb)
    return tickets, callbacks


TICKET_COLS = [
    "estate_id",
    "ticket_id",
    "number",
    "kind",
    "category",
    "channel",
    "severity",
    "urgent",
    "place",
    "opened_at",
    "month",
    "first_reply_due",
    "first_reply_at",
    "first_reply_on_time",
    "resolve_due",
    "resolved_at",
    "resolved_on_time",
    "resolve_breached",
    "arrived_on_time",
    "arrive_breached",
    "reopen_count",
    "closed_at",
    "close_reason",
]
CALLBACK_COLS = [
    "estate_id",
    "callback_id",
    "ticket_id",
    "rule",
    "kind",
    "category",
    "status",
    "mandatory",
    "skip_reason",
    "target",
    "decided_at",
    "month",
    "completed_at",
    "outcome_month",
    "failed_at",
    "satisfaction",
    "quality",
    "attitude",
    "punctuality",
    "unit",
    "on_time",
]


def load_history(url: str, estates: int, months: list[str], seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    seq = [0]
    n_tickets = n_callbacks = 0
    started = time.perf_counter()
    with (
        psycopg.connect(url, options="-csearch_path=reporting", autocommit=False) as conn,
        conn.cursor() as cur,
    ):
        with cur.copy(
            "COPY estates (estate_id, group_id, name, code, timezone, calendar, region) FROM STDIN"
        ) as cp:
            for i in range(estates):
                cp.write_row(
                    (
                        f"estate-{i:04d}",
                        GROUP,
                        f"Estate {i:04d} 小区",
                        f"E{i:04d}",
                        "Asia/Shanghai",
                        "CN",
                        REGIONS[i % len(REGIONS)],
                    )
                )
        for i in range(estates):
            estate = f"estate-{i:04d}"
            size, quality = rng.choice([15, 30, 45, 60, 90]), rng.uniform(0.55, 0.95)
            month_rows, area_rows, rule_rows, all_t, all_c = [], [], [], [], []
            for month in months:
                tickets, callbacks = synth_month(rng, estate, month, size, quality, seq)
                summary = domain.summarise_month(month, tickets, callbacks)
                month_rows.append(
                    (
                        estate,
                        month,
                        *(summary.counters[f] for f in domain.COUNTER_FIELDS),
                        json.dumps(month_details(summary)),
                        datetime.now(UTC),
                    )
                )
                area_rows += [
                    (estate, month, a, c["satisfied"], c["fairly_satisfied"], c["unsatisfied"])
                    for a, c in summary.areas.items()
                    if any(c.values())
                ]
                rule_rows += [
                    (estate, month, r, f["eligible"], f["done"], f["target"])
                    for r, f in summary.rules.items()
                ]
                all_t += tickets
                all_c += callbacks
            with cur.copy(f"COPY ticket_facts ({', '.join(TICKET_COLS)}) FROM STDIN") as cp:
                for t in all_t:
                    cp.write_row([getattr(t, c) for c in TICKET_COLS])
            with cur.copy(f"COPY callback_facts ({', '.join(CALLBACK_COLS)}) FROM STDIN") as cp:
                for c in all_c:
                    cp.write_row([getattr(c, k) for k in CALLBACK_COLS])
            columns = ", ".join(["estate_id", "month", *domain.COUNTER_FIELDS, "details", "updated_at"])
            with cur.copy(f"COPY estate_months ({columns}) FROM STDIN") as cp:
                for row in month_rows:
                    cp.write_row(row)
            with cur.copy(
                "COPY area_months (estate_id, month, area, satisfied, fairly_satisfied, unsatisfied)"
                " FROM STDIN"
            ) as cp:
                for row in area_rows:
                    cp.write_row(row)
            with cur.copy(
                "COPY rule_months (estate_id, month, rule, eligible, done, target) FROM STDIN"
            ) as cp:
                for row in rule_rows:
                    cp.write_row(row)
            n_tickets += len(all_t)
            n_callbacks += len(all_c)
            if (i + 1) % 50 == 0:
                conn.commit()
                rate = n_tickets / (time.perf_counter() - started)
                print(
                    f"  loaded {i + 1}/{estates} estates: {n_tickets:,} tickets, "
                    f"{n_callbacks:,} callbacks ({rate:,.0f} tickets/s)",
                    flush=True,
                )
        conn.commit()
        cur.execute("ANALYZE")
    return n_tickets, n_callbacks


def timed(fn, n: int) -> list[float]:
    fn()  # warm up caches and the connection pool
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def describe(name: str, samples: list[float]) -> dict:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)]
    figures = {"median_ms": round(statistics.median(samples), 1), "p95_ms": round(p95, 1), "n": len(samples)}
    print(
        f"  {name:<44} median {figures['median_ms']:>7.1f} ms   "
        f"p95 {figures['p95_ms']:>7.1f} ms   (n={len(samples)})",
        flush=True,
    )
    return figures


def ingest_events(estates: int, n: int, month: str, seed: int) -> list:
    """Contract-valid events of a realistic day: tickets, replies, completions, callbacks."""
    rng = random.Random(seed)
    events = []
    start = month_start(month) + timedelta(days=10)

    def ev(type_, estate, data, at, producer):
        return parse_event(
            {
                "id": str(uuid.uuid4()),
                "type": type_,
                "version": 1,
                "estate": estate,
                "group": GROUP,
                "occurred_at": at.isoformat(),
                "producer": producer,
                "correlation_id": str(uuid.uuid4()),
                "data": data,
            }
        )

    while len(events) < n:
        estate = f"estate-{rng.randrange(estates):04d}"
        tid, cid = f"live-{uuid.uuid4().hex[:12]}", f"cb-{uuid.uuid4().hex[:12]}"
        at = start + timedelta(minutes=rng.randrange(0, 10 * 24 * 60))
        category = pick(rng, CATEGORIES)
        facts = {"ticket_id": tid, "kind": "repair", "category": category, "location": {"unit": "1-101"}}
        events += [
            ev(
                "ticket.opened",
                estate,
                {
                    **facts,
                    "number": tid,
                    "channel": "phone",
                    "opened_at": at.isoformat(),
                    "first_reply_due": (at + timedelta(hours=8)).isoformat(),
                },
                at,
                "intake",
            ),
            ev(
                "ticket.replied",
                estate,
                {
                    "ticket_id": tid,
                    "number": tid,
                    "first": True,
                    "channel": "phone",
                    "replied_at": (at + timedelta(minutes=20)).isoformat(),
                },
                at,
                "intake",
            ),
            ev(
                "workorder.completed",
                estate,
                {
                    **facts,
                    "work_order_id": f"w-{tid}",
                    "team_id": "eng",
                    "completed_at": (at + timedelta(hours=3)).isoformat(),
                    "resident_signed": True,
                },
                at,
                "dispatch",
            ),
            ev(
                "callback.scheduled",
                estate,
                {
                    "callback_id": cid,
                    "ticket_id": tid,
                    "rule": "repair",
                    "assignee_role": "agent",
                    "method": "phone",
                },
                at + timedelta(hours=3),
                "callback",
            ),
            ev(
                "callback.completed",
                estate,
                {
                    "callback_id": cid,
                    "ticket_id": tid,
                    "rule": "repair",
                    "method": "phone",
                    "satisfaction": rng.choice(RATINGS),
                    "ratings": {"attitude": "satisfied"},
                    "completed_at": (at + timedelta(days=1)).isoformat(),
                },
                at + timedelta(days=1),
                "callback",
            ),
        ]
    return events[:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estates", type=int, default=500)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument(
        "--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres", help="server (admin database)"
    )
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()

    from sqlalchemy.engine import make_url

    from shared.config import Config
    from shared.migrations import upgrade

    admin = args.postgres
    name = f"bench_reporting_{uuid.uuid4().hex[:8]}"
    db_url = make_url(admin.replace("postgresql://", "postgresql+psycopg://")).set(database=name)
    plain_url = db_url.set(drivername="postgresql").render_as_string(hide_password=False)
    last = domain.local_month(datetime.now(UTC), domain.DEFAULT_TIMEZONE)
    last = domain.shift_month(last, -1)
    months = domain.months_between(domain.shift_month(last, -(args.months - 1)), last)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    print(
        f"reporting benchmark: {args.estates} estates × {args.months} months "
        f"({months[0]}…{months[-1]}) in database {name}",
        flush=True,
    )
    results: dict = {}
    try:
        config = Config.from_env(
            "reporting",
            env={},
            database_url=db_url.render_as_string(hide_password=False),
            jwt_secret=SECRET,
            rate_limit="100000/minute",
            log_level="WARNING",  # an access-log line per timed request would bury the figures
        )
        upgrade(config)
        t0 = time.perf_counter()
        n_tickets, n_callbacks = load_history(plain_url, args.estates, months, args.seed)
        load_s = time.perf_counter() - t0
        print(
            f"loaded {n_tickets:,} ticket facts and {n_callbacks:,} callback facts in {load_s:.1f} s",
            flush=True,
        )
        results["history"] = {"tickets": n_tickets, "callbacks": n_callbacks, "seconds": round(load_s, 1)}

        from services.reporting.app import create_app
        from shared.auth import mint_token

        app = create_app(config)
        client = app.test_client()
        headers = {
            "Authorization": f"Bearer {mint_token(SECRET, group=GROUP, roles=['head_office'], estates=['*'])}"
        }

        def get(path: str):
            def call():
                r = client.get(path, headers=headers)
                assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:300])

            return call

        base = f"/reporting/v1/groups/{GROUP}/estates"
        one = base + f"?month={last}"
        body = client.get(one, headers=headers).get_json()
        assert len(body["items"]) == args.estates, len(body["items"])
        print("latency (Flask app in-process, PostgreSQL):", flush=True)
        results["group_month"] = describe("group comparison, one month", timed(get(one), args.requests))
        results["group_month_sorted"] = describe(
            "group comparison, sorted by callback rate",
            timed(get(one + "&sort=callback_rate"), args.requests),
        )
        results["group_year"] = describe(
            "group comparison, 12-month range",
            timed(get(base + f"?from={months[-min(12, len(months))]}&to={last}"), args.requests),
        )
        results["group_csv"] = describe(
            "group comparison as CSV", timed(get(one + "&format=csv"), args.requests // 2)
        )
        results["dashboard"] = describe(
            "dashboard page (table + 4 charts)",
            timed(get(f"/reporting/dashboard?month={last}&lang=en"), max(10, args.requests // 3)),
        )
        results["estate_qr004"] = describe(
            "one estate's QR004",
            timed(get(f"/reporting/v1/estates/estate-0007/callback-stats?month={last}"), args.requests),
        )
        y, m = domain.parse_month(last)
        results["nonconformance"] = describe(
            "one estate's quarterly nonconformance",
            timed(
                get(f"/reporting/v1/estates/estate-0007/nonconformance?quarter={y}Q{(m - 1) // 3 + 1}"),
                args.requests,
            ),
        )

        from services.reporting.handlers import HANDLERS
        from services.reporting.models import platform
        from services.reporting.projection import record
        from services.reporting.rebuild import rebuild
        from shared.bus import EventConsumer
        from shared.db import make_engine, make_session_factory, unit_of_work

        engine = make_engine(config)
        sessions = make_session_factory(engine)
        consumer = EventConsumer("reporting", HANDLERS, sessions, platform, "memory://")
        events = ingest_events(args.estates, args.events, last, args.seed)
        print(
            f"ingest: {len(events)} events through the consumer "
            "(inbox + log + facts + counters, one transaction each)…",
            flush=True,
        )
        t0 = time.perf_counter()
        for i, event in enumerate(events, 1):
            assert consumer.apply(event.to_dict()) == "applied"
            if i % 500 == 0:
                print(f"  {i}/{len(events)} events ({i / (time.perf_counter() - t0):,.0f}/s)", flush=True)
        rate = len(events) / (time.perf_counter() - t0)
        results["ingest_per_event_tx"] = round(rate, 1)
        print(f"  consumer ingest rate: {rate:,.0f} events/s", flush=True)

        # Rebuild: replay a long log (a few busy estates) into fresh projections.
        replay = ingest_events(5, args.events * 2, last, args.seed + 1)
        by_estate: dict[str, list] = {}
        for event in replay:
            by_estate.setdefault(event.estate, []).append(event)
        for estate, group in by_estate.items():
            with unit_of_work(sessions, estate=estate) as session:
                for event in group:
                    record(session, event)
        t0 = time.perf_counter()
        totals = rebuild(sessions, estates=sorted(by_estate))
        rate = totals["events"] / (time.perf_counter() - t0)
        results["ingest_rebuild"] = round(rate, 1)
        print(
            f"  rebuild rate: {totals['events']:,} logged events of {totals['estates']} estates "
            f"replayed at {rate:,.0f} events/s",
            flush=True,
        )
        engine.dispose()
        app.extensions["estatedesk"].engine.dispose()

        target_ok = results["group_month"]["p95_ms"] < 150
        print("\nsummary:")
        print(json.dumps(results, indent=2))
        print(
            f"group comparison p95 {results['group_month']['p95_ms']} ms — "
            f"target < 150 ms: {'MET' if target_ok else 'MISSED'}"
        )
        return 0 if target_ok else 1
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"dropped {name}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
