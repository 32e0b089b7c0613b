"""Documentation generated from the code: the event catalogue (from the contract registry),
AsyncAPI (FastStream's document of each service, with our CloudEvents payloads filled in) and
OpenAPI (FastAPI's). `pulse docs` writes them; `pulse docs --check` fails when they are stale."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

from faststream.specification import AsyncAPI

from ops.paths import REPO
from ops.system import SERVICES
from shared import codes
from shared import inbound_policy as policy
from shared.contracts import Contract, all_contracts, json_schema
from shared.contracts import assurance as assurance_contracts
from shared.contracts import casework as casework_contracts
from shared.contracts import intake as intake_contracts
from shared.contracts import reviews as reviews_contracts
from shared.contracts import training as training_contracts
from shared.events import Envelope
from shared.inbound_policy import POLICY_KEY
from shared.topics import Topics

DOCS = REPO / "docs"
VERSION = "0.1.0"
_TOPICS = Topics()


def _app(service: str) -> Any:
    module = importlib.import_module(f"services.{service}.main")
    # Placeholder addresses: building an app opens no connection.
    settings = module.SETTINGS(
        kafka_bootstrap_servers="kafka:9092",
        mongodb_url="mongodb://mongodb:27017/",
        auth_disabled=True,
    )
    return module.create_app(settings)


def _topic(contract: Contract) -> str:
    return str(getattr(_TOPICS, contract.topic))


_POLICY_WORDS = {
    "identifier": "closed-format identifier",
    "child-ref": "opaque child reference",
    "partnership": "partnership code",
    "free-text": "free text, screened",
    "occurred": "2000-01-01 to tomorrow",
    "planned": "2000-01-01 to 5 years ahead",
}


def _type_name(prop: dict[str, Any]) -> str:
    policy = prop.get(POLICY_KEY)
    if policy:
        plain = {k: v for k, v in prop.items() if k != POLICY_KEY}
        return f"{_type_name(plain)} ({_POLICY_WORDS[policy]})"
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " or ".join(_type_name(p) for p in prop["anyOf"])
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    if prop.get("type") == "array":
        return f"list of {_type_name(prop.get('items', {}))}"
    kind = str(prop.get("type", "any"))
    return f"{kind} ({prop['format']})" if "format" in prop else kind


def _fields(contract: Contract) -> Iterator[str]:
    schema = json_schema(contract.model)
    required = set(schema.get("required", ()))
    defs = schema.get("$defs", {})
    for name, prop in schema.get("properties", {}).items():
        ref = prop.get("$ref", "")
        target = defs.get(ref.rsplit("/", 1)[-1], {}) if ref else {}
        kind = _type_name(target) if "enum" in target else _type_name(prop)
        description = (prop.get("description") or target.get("description") or "").replace(
            "\n", " "
        )
        yield f"| `{name}` | {kind} | {'yes' if name in required else 'no'} | {description} |"


def _code_lists() -> Iterator[str]:
    lists: list[tuple[str, type[StrEnum]]] = [
        (name, value)
        for name, value in vars(codes).items()
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
    ]
    for module in (
        intake_contracts,
        casework_contracts,
        reviews_contracts,
        assurance_contracts,
        training_contracts,
    ):
        short = module.__name__.rsplit(".", 1)[-1]
        lists += [
            (f"{short}.{name}", value)
            for name, value in vars(module).items()
            if isinstance(value, type)
            and issubclass(value, StrEnum)
            and value is not StrEnum
            and value.__module__ == module.__name__
        ]
    for name, kind in lists:
        doc = " ".join((kind.__doc__ or "").split())
        values = ", ".join(f"`{m.value}`" for m in kind)
        yield f"| `{name}` | {values} | {doc} |"


def inbound_policy() -> list[str]:
    """The inbound policy (`shared/inbound_policy.py`) and the closed code lists, as the top
    of the event catalogue."""
    return [
        "## The inbound policy",
        "",
        "Every value arriving from outside (HTTP bodies, headers and query parameters, Kafka",
        "records, xAPI statements and the CloudEvents envelope itself) is checked against one",
        "policy, `shared/inbound_policy.py`, before anything is stored:",
        "",
        "- **Identifiers** (event `id`, `subject`, contact, review, action, escalation, course",
        "  and learner ids, agency codes, `Idempotency-Key`) are closed formats:",
        f"  `{policy.ID_PATTERN}`, or a UUID. One that could hold personal data is refused as",
        "  `personal-data`: ten digits passing the NHS mod-11 check (alone or 3-3-4), any",
        "  calendar date (`2015-03-04`, `04.03.2015`, `20150304`, ...), an e-mail address, a",
        "  postcode segment, two capitalised words (`Jane-Doe`) or a lower-case `first.last`.",
        f"- **Partnership** (`partnership`, `X-Partnership`, `?partnership=`): "
        f"`{policy.PARTNERSHIP_PATTERN}`.",
        f"- **`child_ref`**: `{policy.CHILD_REF_PATTERN}` whose last segment has a digit (the",
        "  sending agency's opaque reference, e.g. `glos-police-004512`), with the identifier",
        "  checks above: `jane.doe.2015-03-04` is refused.",
        "- **Free text** (review titles, recommendation text, action descriptions and notes,",
        "  rapid-review rationale, escalation subject and outcome, course titles, the xAPI",
        "  actor's display name) is screened for NHS numbers in any layout (ten digits with any",
        "  separators, incl. spaces, dots, slashes and no-break spaces, passing mod-11), UK",
        f"  postcodes, full dates within the last {policy.DOB_YEARS_BACK} years (could be a date",
        "  of birth), e-mail addresses and phone numbers. Every other string of a payload is",
        "  screened for NHS numbers, postcodes, e-mail addresses and phone numbers, and field",
        "  names such as `name`, `dob`, `address`, `postcode`, `nhs_number` are refused.",
        '- A hit is refused with HTTP 422 `{"error": "personal-data"}` or a dead letter',
        "  with `dlq.reason: personal-data`, naming the field and the kind of data and never the",
        "  value; such a dead letter carries no value and no headers (`dlq.redacted`).",
        "- **Dates**: what happened (receipts, decisions, completions, the envelope's `time`)",
        f"  lies between {policy.EARLIEST.isoformat()} and the end of tomorrow; planned and",
        f"  target dates up to {policy.PLANNED_YEARS_AHEAD} years ahead; query bounds within the",
        "  same years. Reporting dead-letters a canonical event it cannot place in a financial",
        "  year (`unplaceable-period`).",
        "- **Numbers** are finite (no `NaN`, `Infinity`) and integers within BSON int64; pages",
        f"  at most {policy.MAX_PAGE}, offsets at most {policy.MAX_OFFSET}.",
        f"- **Documents**: at most {policy.MAX_BODY_BYTES} bytes (HTTP 413), UTF-8, nested at",
        f"  most {policy.MAX_NESTING} deep (checked before parsing), strings at most",
        f"  {policy.MAX_STRING} characters, no lone surrogates. HTTP",
        "  bodies must be `application/json` or `application/cloudevents+json` (415).",
        "- **Agency**: an event whose data names its sending `agency` (a contact) must come",
        "  from that agency (`source` = `agency/<agency>`, vouched for by the API key or the",
        "  agency's own topic), else it is refused as `forbidden-source` (403).",
        '- **Who** (README, "Who may read and write what"): an API key names its agency, its',
        "  partnerships and its roles (`submit`, `decide`, `staff`, `trusted-system`). Only",
        "  `decide` records MASH decisions, early-help allocations and VIST receipts",
        "  (`forbidden-role`, 403; on an agency's Kafka topic they are dead-lettered); an event",
        "  for a partnership the key does not name is refused as `forbidden-partnership` (403).",
        "- **Codes**: fields that feed a figure are codes from the closed lists below (an",
        "  action's owner is a role code with the owner's agency, never a name or a job title",
        "  in free text).",
        "",
        "### Closed code lists",
        "",
        "| list | codes | meaning |",
        "|---|---|---|",
        *_code_lists(),
        "",
    ]


def event_catalogue() -> str:
    lines = [
        "# Event catalogue",
        "",
        "Generated by `pulse docs` from the contract registry (`shared/contracts/`); a test fails",
        "when this file and the code disagree. Every event is a CloudEvents 1.0 JSON document",
        "(`specversion`, `id`, `source`, `type`, `time`, `subject`, the `partnership` extension)",
        "whose `data` is the model below. Dead-letter topics are `<topic>.dlq`, with headers",
        "`dlq.reason`, `dlq.error`, `dlq.service`, `dlq.topic`, `dlq.partition`, `dlq.offset`.",
        "",
        *inbound_policy(),
    ]
    contracts = all_contracts()
    for service in SERVICES:
        mine = [c for c in contracts if c.service == service]
        if not mine:
            continue
        lines += [f"## {service}", ""]
        for contract in mine:
            doc = " ".join((contract.model.__doc__ or "").split())
            lines += [
                f"### `{contract.type}`",
                "",
                f"{contract.summary}",
                "",
                f"- direction: {contract.direction}; topic: `{_topic(contract)}`",
            ]
            if doc and doc != contract.summary:
                lines.append(f"- {doc}")
            lines += ["", "| field | type | required | description |", "|---|---|---|---|"]
            lines += list(_fields(contract))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _message(contract: Contract) -> dict[str, Any]:
    envelope = Envelope.model_json_schema()
    envelope["properties"]["type"] = {"const": contract.type, "type": "string"}
    envelope["properties"]["data"] = json_schema(contract.model)
    envelope["title"] = contract.type
    return {
        "name": contract.type,
        "title": contract.model.__name__,
        "summary": contract.summary,
        "contentType": "application/cloudevents+json",
        "payload": envelope,
    }


def asyncapi(service: str) -> dict[str, Any]:
    app = _app(service)
    spec: dict[str, Any] = (
        AsyncAPI(
            app.state.runtime.broker, title=app.title, version=VERSION, description=app.description
        )
        .to_specification()
        .to_jsonable()
    )
    contracts = all_contracts()
    by_topic: dict[str, list[Contract]] = {}
    for c in contracts:
        by_topic.setdefault(_topic(c), []).append(c)
    components = spec.setdefault("components", {})
    messages = components.setdefault("messages", {})
    channels = spec.setdefault("channels", {})
    operations = spec.setdefault("operations", {})
    module = importlib.import_module(f"services.{service}.main")
    svc_spec = module.spec(_TOPICS)
    for action, topics in (("receive", svc_spec.consumes), ("send", svc_spec.produces)):
        for topic in topics:
            key = f"{topic}:{service}:{action}"
            refs = {}
            for contract in by_topic.get(topic, []):
                messages[contract.type] = _message(contract)
                refs[contract.type] = {"$ref": f"#/components/messages/{contract.type}"}
            # FastStream's own channel for a subscriber describes raw bytes; ours replaces it.
            for existing in [k for k, v in channels.items() if v.get("address") == topic]:
                channels.pop(existing)
                operations.pop(existing, None)
            channels[key] = {
                "address": topic,
                "messages": refs,
                "bindings": {"kafka": {"topic": topic, "bindingVersion": "0.4.0"}},
            }
            operations[key] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{key}"},
                "messages": [{"$ref": f"#/channels/{key}/messages/{name}"} for name in refs],
            }
    for name in [n for n in components.get("schemas", {}) if n.endswith(":Payload")]:
        components["schemas"].pop(name)
    for name in [n for n in messages if n.endswith(":SubscribeMessage")]:
        messages.pop(name)
    spec["servers"] = {
        "local": {"host": "127.0.0.1:19092", "protocol": "kafka", "description": "make run"},
        "compose": {"host": "kafka:9092", "protocol": "kafka", "description": "docker compose"},
    }
    return spec


def openapi(service: str) -> dict[str, Any]:
    spec: dict[str, Any] = _app(service).openapi()
    return spec


_STACK_VARIABLES = [
    ("PULSE_KAFKA_PORT", "19092", "local stack: Kafka listener port on 127.0.0.1"),
    ("PULSE_KAFKA_CONTROLLER_PORT", "19093", "local stack: KRaft controller port"),
    (
        "PULSE_KAFKA_SASL_PORT",
        "19094",
        "local stack: Kafka's SASL/SCRAM-SHA-512 listener (user `pulse-local`), for the tests "
        "that prove the services authenticate as compose requires",
    ),
    ("PULSE_FERRETDB_PORT", "27027", "local stack: FerretDB (MongoDB wire) port"),
    ("PULSE_KAFKA_HEAP", "1g", "local stack: Kafka JVM heap"),
    ("PULSE_STATE_DIR", "./.pulse", "local stack data, logs and pid files"),
    (
        "PULSE_CACHE_DIR",
        "~/.cache/partnership-pulse",
        "built FerretDB and Kafka jars, shared by clones",
    ),
    ("PULSE_NO_DOCKER", "(unset)", "set to 1 to ignore a reachable Docker engine"),
    (
        "PULSE_KAFKA_SASL_SERVERS",
        "(unset)",
        "tests with KAFKA_BOOTSTRAP_SERVERS set: the SASL listener of that local stack",
    ),
    ("CI", "(unset)", "`true`: integration tests fail instead of skipping without infrastructure"),
]
README = REPO / "README.md"
_START, _END = "<!-- configuration:start -->", "<!-- configuration:end -->"


def configuration_table() -> str:
    """Every environment variable a service reads (from the settings classes) and the local
    stack's own, with defaults."""
    from shared.settings import ServiceSettings

    seen: dict[str, dict[str, str]] = {}  # variable -> {service: default}
    descriptions: dict[str, str] = {}
    for service in SERVICES:
        module = importlib.import_module(f"services.{service}.main")
        for name, field in module.SETTINGS.model_fields.items():
            if name == "service_name":
                continue
            base = ServiceSettings.model_fields.get(name)
            env = name.upper()
            if field.is_required():
                default = "(required)"
            elif field.default_factory is not None:
                default = f"`{field.get_default(call_default_factory=True)}`"
            else:
                default = f"`{field.default}`"
            seen.setdefault(env, {})[service] = "(empty)" if default == "``" else default
            descriptions[env] = field.description or (base.description if base else "") or ""
    lines = ["| variable | default | what it does |", "|---|---|---|"]
    for env, per_service in seen.items():
        defaults = set(per_service.values())
        if len(defaults) == 1:
            default = defaults.pop()
        else:
            default = ", ".join(f"{svc} {d}" for svc, d in per_service.items())
        description = descriptions[env]
        if len(per_service) < len(SERVICES):
            description += f" ({', '.join(per_service)} only)"
        lines.append(f"| `{env}` | {default} | {description} |")
    lines += [f"| `{env}` | {default} | {what} |" for env, default, what in _STACK_VARIABLES]
    return "\n".join(lines)


def _readme_with_configuration() -> str:
    text = README.read_text()
    if _START not in text or _END not in text:
        return text
    head, rest = text.split(_START, 1)
    _, tail = rest.split(_END, 1)
    return f"{head}{_START}\n{configuration_table()}\n{_END}{tail}"


_GROUPS = ("front door", "reviews", "assurance", "training", "breakdowns", "tables")


def _target_text(name: str) -> str:
    from services.reporting.targets import DEFAULT_TARGETS

    target = DEFAULT_TARGETS.get(name)
    if target is None:
        return ""
    sign = ">=" if target.direction == "at_least" else "<="
    return f"{sign} {target.target:g} (amber {target.amber:g})"


def metrics_glossary() -> str:
    """docs/metrics.md: every figure reporting computes, with its one definition, unit, default
    target and the seed sentence it comes from (`services/reporting/glossary.py` and the
    `define` calls beside each figure's code)."""
    from services.reporting.glossary import DEFINITIONS
    from services.reporting.metrics import AVERAGES, COUNTS, RATES

    kind = dict.fromkeys(COUNTS, "count") | dict.fromkeys(RATES, "rate")
    kind |= dict.fromkeys(AVERAGES, "average")
    lines = [
        "# Metrics glossary",
        "",
        "Generated by `pulse docs` from the code (`services/reporting/glossary.py` and the",
        "`define(...)` beside each figure in `services/reporting/`); a test fails when this file",
        "and the code disagree. One definition per figure: the scorecard, the tables, the",
        "snapshots on Kafka and the Prometheus gauges all use these names. Targets are the",
        "defaults (`METRIC_TARGETS` overrides them); `c` in a published figure is disclosure",
        "control (counts 1-5, docs/disclosure.md). Rates are per cent of their denominator,",
        "averages are over the cases named.",
        "",
    ]
    for group in _GROUPS:
        mine = [d for d in DEFINITIONS.values() if d.group == group]
        if not mine:
            continue
        lines += [
            f"## {group}",
            "",
            "| figure | definition | unit | target | from |",
            "|---|---|---|---|---|",
        ]
        for d in mine:
            how = ""
            if d.name in RATES:
                num, den = RATES[d.name]
                how = f" (`{num}` / `{den}`)"
            elif d.name in AVERAGES:
                _samples, summary, cases = AVERAGES[d.name]
                how = f" ({summary} over `{cases}`)"
            name = f"`{d.name}`" + (f" ({kind[d.name]})" if d.name in kind else "")
            source = d.cited.replace("|", "\\|")
            lines.append(
                f"| {name} | {d.definition}{how} | {d.unit} | {_target_text(d.name)} | {source} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def generated() -> dict[Path, str]:
    files = {
        DOCS / "events.md": event_catalogue(),
        DOCS / "metrics.md": metrics_glossary(),
        README: _readme_with_configuration(),
    }
    for service in SERVICES:
        files[DOCS / "asyncapi" / f"{service}.json"] = (
            json.dumps(asyncapi(service), indent=2) + "\n"
        )
        files[DOCS / "openapi" / f"{service}.json"] = json.dumps(openapi(service), indent=2) + "\n"
    return files


def stale() -> list[Path]:
    return [p for p, text in generated().items() if not p.exists() or p.read_text() != text]


def write() -> list[Path]:
    written = []
    for path, text in generated().items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
    return written
