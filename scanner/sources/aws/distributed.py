"""The distributed executor: a scan's (account, region) units on Celery workers, through Redis.

Imported only when a broker is named (``--broker`` or ``$VENDORGUARD_BROKER``); celery and redis-py
come with the ``distributed`` extra.  Workers run `units.execute` — the task function the local
executor runs — on the `Unit` the coordinator sends, and answer with the same plain data.

Nothing lost, nothing twice:
- late acknowledgement, and a task whose worker process dies is put back (`task_reject_on_worker_lost`);
  a message whose whole worker died is put back by Redis once its visibility timeout has passed
  (`VISIBILITY`, checked by the workers every few seconds, not the hour Redis would wait);
- a unit's task id is its (scan, account, region): sent again, it runs again and *replaces* its one
  result — never a second answer; a worker started with ``--store`` also keeps each answer in the
  store (`store.runs`), where a redelivered unit replaces its row;
- a scan whose coordinator died is resumed by its id (`vendorguard scan resume`): planned again, the
  same units have the same task ids, so the answers the store or the result backend hold are taken
  and only the others are sent;
- the coordinator gives every started unit a deadline (`DEADLINE`), sends it again when that passes
  or the unit failed (`RESENDS` times), and then answers it itself with gaps (its rules UNKNOWN,
  saying why) — never a hang; a broker that stops answering for `OUTAGE` seconds ends the scan
  with one line (exit 2), and one that comes back (restarted, empty) gets every unit not yet
  answered again.

No secret in the broker: a unit names the profile, the role and a *reference* to the ExternalId;
workers resolve credentials themselves (`units.Sessions`), and answers hold redacted resources.

AWS's rate limits are per account and region, so workers share one token bucket per (account,
region, service) in Redis (`RateLimit`): ten workers do not call one account harder than one would.
"""
from __future__ import annotations

import logging
import os
import time
import urllib.parse
from collections import Counter
from typing import Any

from celery import Celery, signals
from kombu.exceptions import OperationalError
from redis import Redis
from redis.exceptions import RedisError

from ...errors import InputError
from .progress import OnProgress
from .session import Guard, ReadOnlyViolation
from .units import Sessions, Unit, add_calls, execute, failed_unit

TASK = "vendorguard.unit"


def _seconds(name: str, default: float) -> float:
    """A duration from the environment (the tests shorten them; a site may lengthen them)."""
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        raise InputError(name, f"{os.environ[name]!r} is not a number of seconds") from None


#: Seconds an unacknowledged message (its worker gone) waits before Redis hands it out again: longer
#: than a unit takes, or a slow unit would run twice (harmlessly: same task id, same result key).
VISIBILITY = _seconds("VENDORGUARD_VISIBILITY_TIMEOUT", 900)
#: Seconds a started unit may run before the coordinator sends it again (once), then gives up on it.
DEADLINE = _seconds("VENDORGUARD_TASK_DEADLINE", 1800)
#: How many times the coordinator sends a unit again (past its deadline, or failed — a worker killed
#: mid-unit records WorkerLostError) before it answers the unit itself, with gaps.
RESENDS = 2
#: Seconds the coordinator waits for a broker that does not answer before it ends the scan.
OUTAGE = _seconds("VENDORGUARD_BROKER_OUTAGE", 120)

app = Celery("vendorguard", set_as_current=False)
app.conf.update(
    task_serializer="json", result_serializer="json", accept_content=["json"], result_accept_content=["json"],
    task_acks_late=True, task_reject_on_worker_lost=True, task_track_started=True,
    worker_prefetch_multiplier=1, worker_max_tasks_per_child=50, worker_max_memory_per_child=1_000_000,  # KiB
    broker_transport_options={"visibility_timeout": VISIBILITY, "unacked_restore_interval": 5,
                              "unacked_restore_throttle": 1},
    result_expires=max(6 * 3600, int(DEADLINE * 2)), broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False, worker_send_task_events=False, task_send_sent_event=False,
)


def configure(broker: str) -> None:
    """Point the app at `broker` (Redis: both the queue and the answers), after checking it answers."""
    scheme = urllib.parse.urlsplit(broker).scheme
    if scheme not in ("redis", "rediss"):
        raise InputError(f"--broker {broker}", "not a Redis URL (redis://HOST:PORT/DB or rediss://…)")
    try:
        Redis.from_url(broker, socket_connect_timeout=5, socket_timeout=5).ping()
    except (RedisError, OSError) as exc:
        raise InputError(f"--broker {broker}", f"the broker does not answer: {exc}") from None
    app.conf.update(broker_url=broker, result_backend=broker)


# -- the worker side -----------------------------------------------------------------------------------
class RateLimit:
    """A token bucket per (account, region, service) in Redis, shared by every worker: `rate` calls
    a second, bursts of `burst`.  A caller takes a token, or reserves the next one and sleeps until
    its turn (one round trip per call, no polling).  Buckets expire once idle: Redis keeps nothing."""

    SCRIPT = """
    local now_parts = redis.call('TIME')
    local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
    local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
    local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
    local tokens = tonumber(bucket[1]) or burst
    local at = tonumber(bucket[2]) or now
    tokens = math.min(burst, tokens + (now - at) * rate / 1000) - 1
    redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
    redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
    if tokens >= 0 then return 0 end
    return math.ceil(-tokens * 1000 / rate)
    """

    def __init__(self, client: Redis, rate: float, burst: float | None = None) -> None:
        self.rate, self.burst = rate, burst if burst is not None else max(1.0, 5 * rate)
        self._take = client.register_script(self.SCRIPT)

    def wait(self, account: str, region: str, service: str) -> float:
        """Block until this call may go; the seconds waited.  A broker that cannot be asked does not
        stop the scan: botocore's adaptive retries still back off from AWS's own throttling."""
        try:
            delay = int(self._take(keys=[f"vg:rate:{account}:{region}:{service}"], args=[self.rate, self.burst])) / 1000
        except RedisError:
            return 0.0
        if delay:
            time.sleep(delay)
        return delay


#: What one worker process holds between units: credentials (a bounded cache) and the rate limit.
#: Made on first use in each pool process, after the fork.
_held: dict[str, Any] = {}


def _allowed(types: Any) -> set[tuple[str, str]]:
    from .units import declared_operations, needed_collectors

    return declared_operations(needed_collectors(types))


@app.task(name=TASK)
def unit_task(data: dict[str, Any]) -> dict[str, Any]:
    """One unit on a worker (its answer is stored under its task id, and nowhere else)."""
    if "sessions" not in _held:
        _held["sessions"] = Sessions()
        rate = float(app.conf.get("vendorguard_rate") or 0)
        _held["limit"] = RateLimit(Redis.from_url(app.conf.broker_url), rate) if rate > 0 else None
    limit = _held["limit"]
    answer = execute(data, _held["sessions"], _allowed, limit.wait if limit else None)
    if app.conf.get("vendorguard_store"):
        _keep(data, answer)
    return answer


def _keep(data: dict[str, Any], answer: dict[str, Any]) -> None:
    """Keep the answer in the worker's store too, for a resume that outlives the result backend (a
    Redis restarted empty).  A store that fails does not fail the unit: its answer still goes back
    through the result backend, and a resume sends a unit the store lacks again."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        if "store" not in _held:
            from ...store.db import Store

            _held["store"] = Store.open(app.conf.vendorguard_store)
        _held["store"].put_answer(data["scan"], data["account"], data["region"], answer)
    except (SQLAlchemyError, InputError) as exc:
        logging.getLogger(__name__).warning("unit %s/%s of scan %s not kept in the store: %s",
                                            data["account"], data["region"], data["scan"], exc)


@signals.worker_process_init.connect
def _fresh_process(**_: Any) -> None:
    _held.clear()  # nothing inherited from the parent: each pool process opens its own


def start_worker(broker: str, concurrency: int, rate: float, store: str | None = None) -> int:
    """Run a worker in this process until it is stopped: `concurrency` pool processes, each replaced
    after `worker_max_tasks_per_child` units (or past `worker_max_memory_per_child`); with a
    `store`, each answer is also kept there (checked to open now: a typo fails at start, not per unit)."""
    from .units import _fewer_malloc_arenas

    configure(broker)
    if store:
        from ...store.db import Store

        Store.open(store).close()
    _fewer_malloc_arenas()
    app.conf.update(vendorguard_rate=rate, vendorguard_store=store, result_backend_always_retry=True,
                    result_backend_max_retries=30)
    worker = app.Worker(concurrency=concurrency, pool_cls="prefork", loglevel="WARNING", quiet=True,
                        without_gossip=True, without_mingle=True, without_heartbeat=True, optimization="fair",
                        hostname=f"vendorguard-{os.getpid()}@%h")
    worker.start()
    return int(worker.exitcode or 0)


# -- the coordinator -------------------------------------------------------------------------------
_BROKER_DOWN = (RedisError, OperationalError, OSError)


def run_on_workers(broker: str, units: list[Unit], guard: Guard, on_progress: OnProgress | None = None,
                   kept: dict[tuple[str, str], dict[str, Any]] | None = None, poll: float = 0.5) -> list[dict[str, Any]]:
    """Send every unit not answered yet, gather every answer (in the units' order), add the workers'
    call counts to `guard`.  Answered already: those `kept` in the store by (account, region), and
    those the result backend holds (a resumed scan's; a unit a worker is running is not sent again).
    Ends: every unit answered by a worker or, past its deadline, by the coordinator."""
    configure(broker)
    kept = kept or {}
    pending = {u.task_id: u for u in units}
    answers: dict[str, dict[str, Any]] = {}
    started: dict[str, float] = {}
    resent: Counter[str] = Counter()
    moved = time.monotonic()  # when a unit last started or finished
    down_since: float | None = None

    def send(unit: Unit) -> None:
        app.send_task(TASK, args=[unit.to_json()], task_id=unit.task_id)

    def answer(tid: str, result: dict[str, Any]) -> None:
        if "violation" in result:
            raise ReadOnlyViolation(result["violation"])
        add_calls(guard.calls, result)
        answers[tid] = {k: v for k, v in result.items() if k != "calls"}
        unit = pending.pop(tid)
        if on_progress:
            on_progress(unit, units)

    def settle(tid: str) -> str:
        """The state of the unit's task in the backend; its answer taken (and forgotten there) once
        it succeeded."""
        result = app.AsyncResult(tid)
        state = result.state
        if state == "SUCCESS":
            answer(tid, result.result)
            result.forget()
        return state

    for unit in units:
        if (unit.account, unit.region) in kept:
            answer(unit.task_id, kept[unit.account, unit.region])
    try:
        for tid in list(pending):
            state = settle(tid)
            if state == "STARTED":
                started[tid] = time.monotonic()  # its deadline applies, as to any unit
            elif state != "SUCCESS":
                send(pending[tid])
    except _BROKER_DOWN:  # it answered `configure` a moment ago: a restart; once back, it gets every unit pending
        down_since = time.monotonic()
    while pending:
        now = time.monotonic()
        try:
            if down_since is not None:  # back: what it held may be gone (a restarted Redis keeps nothing)
                for tid in list(pending):
                    send(pending[tid])
                    started.pop(tid, None)
                down_since, moved = None, now
            for tid in list(pending):
                state = settle(tid)
                if state == "SUCCESS":
                    moved = now
                elif state in ("FAILURE", "REVOKED", "REJECTED"):
                    result = app.AsyncResult(tid)
                    if resent[tid] < RESENDS:  # a worker killed mid-unit records WorkerLostError: try again
                        resent[tid] += 1
                        result.forget()
                        started.pop(tid, None)
                        send(pending[tid])
                    else:
                        answer(tid, failed_unit(pending[tid], f"the worker failed on it: {result.result!r}"))
                        result.forget()
                elif state == "STARTED" and tid not in started:
                    started[tid], moved = now, now
            for tid in [t for t, at in started.items() if t in pending and now - at > DEADLINE]:
                if resent[tid] < RESENDS:
                    resent[tid] += 1
                    started[tid] = now
                    send(pending[tid])
                else:
                    answer(tid, failed_unit(pending[tid], f"no worker finished it in {RESENDS + 1} tries "
                                                          f"of {DEADLINE:g} s"))
        except _BROKER_DOWN as exc:
            down_since = down_since or now
            if now - down_since > OUTAGE:
                raise InputError(f"--broker {broker}", f"the broker stopped answering for {OUTAGE:g} s "
                                                       f"({type(exc).__name__}); {len(pending)} of {len(units)} "
                                                       "units unanswered") from None
        if pending and down_since is None and now - moved > DEADLINE:
            for tid in list(pending):  # no worker has taken anything for a whole deadline
                answer(tid, failed_unit(pending[tid], f"no worker took it within {DEADLINE:g} s"))
        time.sleep(poll)
    return [answers[u.task_id] for u in units]
