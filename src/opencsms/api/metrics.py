"""GET /metrics: Prometheus text exposition (no key needed, like /health)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from opencsms.api.deps import BusDep, DomainDep, SessionsDep, api_state
from opencsms.billing.service import RevenueCounters
from opencsms.metrics import LATENCY_BUCKETS, OcppMetrics
from opencsms.store.schema import transactions

router = APIRouter(tags=["operations"])


class _Snapshot(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def _store_figures(connection: Connection) -> tuple[int, float]:
    active = connection.execute(
        select(func.count()).select_from(transactions).where(transactions.c.status == "active")
    ).scalar_one()
    delivered = connection.execute(
        select(
            func.coalesce(func.sum(transactions.c.meter_stop_wh - transactions.c.meter_start_wh), 0.0)
        ).where(
            transactions.c.status == "ended",
            transactions.c.meter_stop_wh >= transactions.c.meter_start_wh,
        )
    ).scalar_one()
    return int(active), float(delivered)


def ocpp_families(metrics: OcppMetrics) -> Iterable[Metric]:
    messages = CounterMetricFamily(
        "opencsms_ocpp_messages",
        "OCPP calls by action, direction (in: from stations, out: to stations) and result",
        labels=["action", "direction", "result"],
    )
    for (action, direction, result), count in sorted(metrics.messages.items()):
        messages.add_metric([action, direction, result], count)
    latency = HistogramMetricFamily(
        "opencsms_ocpp_call_latency_seconds",
        "in: time to handle a station's call; out: time for a station to answer ours",
        labels=["action", "direction"],
    )
    for (action, direction), histogram in sorted(metrics.latency.items()):
        cumulative, buckets = 0, []
        for bound, count in zip((*LATENCY_BUCKETS, float("inf")), histogram.buckets, strict=True):
            cumulative += count
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
        latency.add_metric([action, direction], buckets, histogram.total)
    violations = CounterMetricFamily(
        "opencsms_ocpp_schema_violations",
        "messages refused for breaking the schema or framing",
        labels=["code"],
    )
    for code, count in sorted(metrics.schema_violations.items()):
        violations.add_metric([code], count)
    return [messages, latency, violations]


def revenue_families(revenue: RevenueCounters) -> list[Metric]:
    """CDRs and revenue this node billed since it started, per currency (credits apart, so both
    counters only grow; net revenue is billed minus credited)."""
    cdrs = CounterMetricFamily(
        "opencsms_cdrs", "charge detail records issued (credit CDRs included)", labels=["currency"]
    )
    for currency, count in sorted(revenue.cdrs.items()):
        cdrs.add_metric([currency], count)
    billed = CounterMetricFamily(
        "opencsms_revenue", "revenue billed in CDRs, in the currency's units", labels=["currency", "vat"]
    )
    credited = CounterMetricFamily(
        "opencsms_revenue_credited",
        "revenue cancelled by credit CDRs, in the currency's units",
        labels=["currency", "vat"],
    )
    for family, excl, incl in ((billed, revenue.billed_excl, revenue.billed_incl),
                               (credited, revenue.credited_excl, revenue.credited_incl)):  # fmt: skip
        for currency in sorted(excl):
            family.add_metric([currency, "excl"], excl[currency] / 1_000_000)
            family.add_metric([currency, "incl"], incl[currency] / 1_000_000)
    return [cdrs, billed, credited]


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(request: Request, domain: DomainDep, sessions: SessionsDep, bus: BusDep) -> Response:
    """Prometheus metrics: stations connected by version, messages by action/direction/result, call
    latency, schema violations, active transactions, energy delivered."""
    connected = GaugeMetricFamily(
        "opencsms_stations_connected", "stations connected to this node", labels=["ocpp_version"]
    )
    for version, count in sorted(Counter(s.context.version for s in sessions.sessions.values()).items()):
        connected.add_metric([version], count)
    active, delivered = await domain.store.read(_store_figures)
    families: list[Metric] = [
        connected,
        GaugeMetricFamily("opencsms_transactions_active", "transactions not yet ended", value=active),
        CounterMetricFamily(
            "opencsms_energy_delivered_wh", "energy delivered by ended transactions, Wh", value=delivered
        ),
        *ocpp_families(sessions.metrics),
        CounterMetricFamily(
            "opencsms_events_published", "domain events on the bus", value=getattr(bus, "published", 0)
        ),
    ]
    security_events = CounterMetricFamily(
        "opencsms_security_events",
        "security events recorded since start, by source (csms or station) and type",
        labels=["source", "event_type"],
    )
    for (source, event_type), count in sorted(domain.security.event_counts.items()):
        security_events.add_metric([source, event_type], count)
    families.append(security_events)
    refusals = CounterMetricFamily(
        "opencsms_handshake_refusals", "WebSocket handshakes refused, by reason", labels=["reason"]
    )
    for reason, count in sorted(api_state(request).extras.get("handshake_refusals", {}).items()):
        refusals.add_metric([reason], count)
    families.append(refusals)
    billing = api_state(request).extras.get("billing")
    if billing is not None:
        families.extend(revenue_families(billing.revenue))
    message_log = api_state(request).message_log
    if message_log is not None:
        families.append(
            CounterMetricFamily(
                "opencsms_message_log_dropped", "frames not logged (buffer full)", value=message_log.dropped
            )
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(families))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
