"""OpenTelemetry set-up from the standard `OTEL_*` variables: traces, metrics and logs.

With `OTEL_EXPORTER_OTLP_ENDPOINT` (or a per-signal endpoint) set, everything is exported over
OTLP/HTTP to a collector; without it, spans are still created (so trace ids reach logs and
Kafka headers) but go nowhere. A provider installed earlier (a test's) is kept. With
`OTEL_SDK_DISABLED=true` nothing is recorded and the apps leave their instrumentation out.
"""

from __future__ import annotations

import logging
import os

from fastapi.telemetry import TelemetryConfig
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.logging import LoggingInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span

log = logging.getLogger(__name__)


def _otlp_configured(signal: str) -> bool:
    # The SDK reads OTEL_* itself; this only decides whether an exporter is wanted at all.
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    )


#: For `FastAPI(telemetry=...)`. FastAPI's own telemetry would trace and measure every
#: request a second time, beside the OpenTelemetry instrumentation whose span names and
#: metrics the dashboards use; and wherever that instrumentation is left out (telemetry off) it
#: still ran a no-op span around every dependency (a tenth of a remembered search's CPU).
FASTAPI_OWN_TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def telemetry_enabled() -> bool:
    """False when the operator switched OpenTelemetry off (`OTEL_SDK_DISABLED=true`).

    The SDK then records nothing, but instrumentation hooks still run on every request and
    every upstream call (about a tenth of the gateway's CPU per proxied search): with
    telemetry off, the apps do not install them at all.
    """
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() != "true"


def setup_telemetry(service_name: str) -> None:
    """Install tracer, meter and logger providers for this process (once; idempotent)."""
    # The stable HTTP semantic conventions (http.server.request.duration in seconds), which the
    # ops dashboard queries; an operator's explicit choice still wins.
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service_name)})

    tracer_provider = TracerProvider(resource=resource)
    if _otlp_configured("TRACES"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(tracer_provider)

    readers = []
    if _otlp_configured("METRICS"):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))

    if _otlp_configured("LOGS"):
        from opentelemetry._logs import set_logger_provider
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

        logger_provider = LoggerProvider(resource=resource)
        logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
        set_logger_provider(logger_provider)
        logging.getLogger().addHandler(LoggingHandler(logger_provider=logger_provider))

    # Puts trace and span ids into every log record, so logs and traces join up.
    LoggingInstrumentor().instrument(set_logging_format=False)


#: What a server span records about the caller (stable and older semantic conventions).
CALLER_ATTRIBUTES = ("client.address", "client.port", "user_agent.original", "http.user_agent")


def blank_caller(span: Span) -> None:
    """Blank what the server span says about who is calling (a span cannot drop an attribute),
    keeping the request itself: method, route, status, timing, trace."""
    if span.is_recording():
        for attribute in CALLER_ATTRIBUTES:
            span.set_attribute(attribute, "")
