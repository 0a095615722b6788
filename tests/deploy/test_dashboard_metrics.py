"""Every metric and label the Grafana dashboard and the Prometheus alerts query is one the
services really export, spelt as Prometheus stores it.

tests/deploy/metrics_scrape.py runs the directory service through the chassis (an HTTP request,
the outbox relay, the consumer, a dead letter, the gauges) with its Deployment's environment,
in a process of its own, and returns a real Prometheus scrape (the OpenTelemetry SDK's
Prometheus reader) with the OpenTelemetry view of the same metrics.

In the cluster Prometheus scrapes the OpenTelemetry Collector's prometheus exporter, not the
services. So the names queries must use are derived from the OpenTelemetry metrics with the
collector's rules (`collector_name`: a port of prometheus/otlptranslator's normalizeName, which
the exporter uses with its default add_metric_suffixes), and one test checks that the Python
scrape spells every one of them the same way.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import ALERT_RULES, DASHBOARD, REPO, Rendered, main_container, start_broker
from prometheus_client.parser import text_string_to_metric_families

SCRAPER = Path(__file__).resolve().parent / "metrics_scrape.py"

# --- the collector's naming (prometheus/otlptranslator, normalizeName) -----------------------

UNITS = {
    **{"d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds"},
    **{"us": "microseconds", "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes"},
    **{"MiBy": "mebibytes", "GiBy": "gibibytes", "TiBy": "tibibytes", "KBy": "kilobytes"},
    **{"MBy": "megabytes", "GBy": "gigabytes", "TBy": "terabytes", "m": "meters"},
    **{"V": "volts", "A": "amperes", "J": "joules", "W": "watts", "g": "grams"},
    **{"Cel": "celsius", "Hz": "hertz", "1": "", "%": "percent"},
}
PER_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month"}
PER_UNITS["y"] = "year"


def clean_unit(unit: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-zA-Z0-9:]", "_", unit)).removeprefix("_")


def collector_name(metric: str, unit: str, *, monotonic: bool, gauge: bool) -> str:
    """The name the collector's prometheus exporter gives an OpenTelemetry metric."""
    tokens = [token for token in re.split(r"[^a-zA-Z0-9:]+", metric) if token]
    main, _, per = (part.strip() for part in unit.partition("/"))
    main_suffix = UNITS.get(main, main) if main and not re.search(r"[{}]", main) else ""
    per_suffix = ""
    if per and not re.search(r"[{}]", per):
        per_suffix = "per_" + PER_UNITS.get(per, per)
    main_suffix, per_suffix = clean_unit(main_suffix), clean_unit(per_suffix)
    if main_suffix in tokens:
        main_suffix = ""
    per_suffix = "" if per_suffix == "per_" else per_suffix.removesuffix("_")
    if per_suffix in tokens:
        per_suffix = ""
    if per_suffix:
        main_suffix = main_suffix.removesuffix("_")
    tokens += [suffix for suffix in (main_suffix, per_suffix) if suffix]
    if monotonic:
        tokens = [token for token in tokens if token != "total"] + ["total"]
    if unit == "1" and gauge:
        tokens = [token for token in tokens if token != "ratio"] + ["ratio"]
    return "_".join(tokens)


def label_name(key: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", key)


# --- the scrape ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exported:
    """One OpenTelemetry metric as the collector exposes it to Prometheus."""

    otel_name: str
    name: str
    samples: frozenset[str]
    labels: frozenset[str]


@dataclass(frozen=True)
class Scrape:
    metrics: dict[str, Exported]  # by OpenTelemetry name
    python_samples: dict[str, set[str]]  # sample name -> label names, from the real scrape

    def by_sample(self) -> dict[str, Exported]:
        return {sample: m for m in self.metrics.values() for sample in m.samples}


def exported(scraped: dict[str, Any]) -> dict[str, Exported]:
    # resource_to_telemetry_conversion (otel-collector/config.yaml) turns every resource
    # attribute into a label; the exporter adds job, instance and the instrumentation scope.
    resource = {label_name(key) for key in scraped["resource"]}
    extra = {"job", "instance", "otel_scope_name", "otel_scope_version", "otel_scope_schema_url"}
    found = {}
    for otel_name, info in scraped["metrics"].items():
        name = collector_name(
            otel_name,
            info["unit"],
            monotonic=info["monotonic"],
            gauge=not info["monotonic"] and not info["histogram"],
        )
        samples = (
            {f"{name}_bucket", f"{name}_count", f"{name}_sum"} if info["histogram"] else {name}
        )
        labels = {label_name(key) for key in info["attributes"]} | resource | extra
        found[otel_name] = Exported(otel_name, name, frozenset(samples), frozenset(labels))
    return found


@pytest.fixture(scope="module")
async def scrape(
    infrastructure: Any, rendered: dict[str, Rendered], tmp_path_factory: Any
) -> Scrape:
    deployment = rendered["prod"].get("Deployment", "directory")
    environment = {
        name: value
        for name, value in rendered["prod"]
        .environment(main_container(deployment), pod_name="directory-0")
        .items()
        # Nothing is exported over the network: the scraper installs its own readers.
        if not name.startswith("OTEL_EXPORTER_OTLP")
    }
    broker = start_broker(tmp_path_factory.mktemp("broker"))
    try:
        payload = {
            "database_url": await infrastructure.create_database("convene_deploy_metrics"),
            "kafka_bootstrap_servers": broker.bootstrap_servers,
            "environment": environment,
        }
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, str(SCRAPER)],
            input=json.dumps(payload),
            cwd=REPO,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
                **environment,
            },
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        broker.stop()
    assert result.returncode == 0, result.stderr[-4000:]
    scraped = json.loads(result.stdout)
    python_samples: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(scraped["exposition"]):
        for sample in family.samples:
            python_samples.setdefault(sample.name, set()).update(sample.labels)
    return Scrape(exported(scraped), python_samples)


# --- PromQL ----------------------------------------------------------------------------------

PROMQL_WORDS = {
    *("by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"),
    *("and", "or", "unless", "inf", "nan"),
}


@dataclass(frozen=True)
class Query:
    where: str
    expr: str

    def selectors(self) -> Iterator[tuple[str, set[str]]]:
        """(metric name, label names matched on it) for each series selector."""
        expr = re.sub(r'"(?:\\.|[^"\\])*"', '""', self.expr)
        expr = re.sub(r"\[[^\]]*\]", "", expr)
        for match in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}", expr):
            yield (
                match.group(1),
                set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*[=!]~?", match.group(2))),
            )
        expr = re.sub(r"([A-Za-z_:][A-Za-z0-9_:]*)?\s*\{[^}]*\}", " ", expr)
        expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
        for match in re.finditer(r"(?<![\w.$])([A-Za-z_:][A-Za-z0-9_:]*)\b(?!\s*\()", expr):
            if match.group(1) not in PROMQL_WORDS:
                yield match.group(1), set()

    def grouping_labels(self) -> set[str]:
        found: set[str] = set()
        for clause in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", self.expr):
            found |= {label.strip() for label in clause.split(",") if label.strip()}
        return found


def queries() -> list[Query]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    found = [
        Query(f"dashboard panel {panel['title']!r}", target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = (
                variable["query"]["query"]
                if isinstance(variable["query"], dict)
                else variable["query"]
            )
            metric, label = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", query).groups()  # type: ignore[union-attr]
            found.append(
                Query(f"dashboard variable {variable['name']}", f'{metric}{{{label}!=""}}')
            )
    rules = yaml.safe_load(ALERT_RULES.read_text(encoding="utf-8"))
    found += [
        Query(f"alert {rule['alert']}", rule["expr"])
        for group in rules["groups"]
        for rule in group["rules"]
    ]
    return found


def test_queries_are_parsed() -> None:
    """The parser finds what a person reads in a few known queries (so the checks bite)."""
    query = Query(
        "example",
        "histogram_quantile(0.95, sum by (service_name, le) (rate("
        'http_server_request_duration_seconds_bucket{service_name=~"$service"}'
        "[$__rate_interval]))) / on(job) vector(0) > 1",
    )
    assert list(query.selectors()) == [
        ("http_server_request_duration_seconds_bucket", {"service_name"})
    ]
    assert query.grouping_labels() == {"service_name", "le", "job"}
    assert list(Query("x", "sum by (topic) (convene_consumer_lag) > 0").selectors()) == [
        ("convene_consumer_lag", set())
    ]
    assert len(queries()) >= 20


# --- the checks ------------------------------------------------------------------------------


def test_the_scrape_covers_every_chassis_signal(scrape: Scrape) -> None:
    assert {
        "http.server.request.duration",
        "convene.events.published",
        "convene.events.consumed",
        "convene.dlq.messages",
        "convene.outbox.backlog",
        "convene.outbox.oldest_age",
        "convene.consumer.lag",
    } <= set(scrape.metrics)


#: Metrics the two exporters name differently, and why. The Python exporter appends a unit
#: unless the name ends with it; the collector leaves it out when the name holds it anywhere.
NAMED_DIFFERENTLY = {
    "db.client.connections.usage": "unit `connections` is inside the name: the collector "
    "exports db_client_connections_usage, the Python exporter adds _connections",
}


def test_the_python_exporter_names_metrics_as_the_collector_does(scrape: Scrape) -> None:
    """Same unit suffixes, `_total` on counters, `_bucket/_count/_sum` on histograms, and the
    same attribute labels: true of every metric but the listed ones (none of which a query
    uses), so a name read off a local scrape is the name to put in a query."""
    differ = set()
    for metric in scrape.metrics.values():
        if not metric.samples <= set(scrape.python_samples):
            differ.add(metric.otel_name)
            continue
        for sample in metric.samples:
            assert scrape.python_samples[sample] <= metric.labels | {"le"}, sample
    assert differ == set(NAMED_DIFFERENTLY), (
        f"named differently by the two exporters: {sorted(differ)}; expected "
        f"{sorted(NAMED_DIFFERENTLY)} (update NAMED_DIFFERENTLY with the reason)"
    )
    used = {name for query in queries() for name, _ in query.selectors()}
    assert not used & {
        sample for name in NAMED_DIFFERENTLY for sample in scrape.metrics[name].samples
    }


@pytest.mark.parametrize("query", queries(), ids=lambda q: q.where)
def test_every_query_names_exported_metrics_and_labels(scrape: Scrape, query: Query) -> None:
    available = scrape.by_sample()
    used = list(query.selectors())
    assert used, f"{query.where}: no metric found in {query.expr}"
    metrics = []
    for name, labels in used:
        assert name in available, (
            f"{query.where} queries {name}, which nothing exports; exported: {sorted(available)}"
        )
        metric = available[name]
        metrics.append(metric)
        allowed = metric.labels | ({"le"} if name.endswith("_bucket") else set())
        assert labels <= allowed, f"{query.where}: {name} has no label {sorted(labels - allowed)}"
    grouping = set().union(*(m.labels for m in metrics)) | {"le"}
    missing = query.grouping_labels() - grouping
    assert not missing, f"{query.where} groups by {sorted(missing)}, which no metric here has"
