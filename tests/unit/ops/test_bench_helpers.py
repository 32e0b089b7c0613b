"""The bench's pure parts (no network): its payloads are contacts intake accepts, each one
distinct; latency percentiles; the generated section of docs/benchmarks.md."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ops.bench import (
    BEGIN,
    END,
    BenchOptions,
    BenchResult,
    Machine,
    Rate,
    financial_year_label,
    payloads,
    percentile,
    write_doc,
)
from shared.contracts import accepted_types, decode_inbound

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_bench_payloads_are_distinct_contacts_intake_accepts() -> None:
    data = payloads("bench-x", NOW, count=20)
    accepted = accepted_types("intake")
    ids, contacts = set(), set()
    for n in (0, 1, 99_999, 100_000, 1_234_567):
        key, value = data.message(n)
        inbound = decode_inbound(value, accepted)  # includes the NHS-number-shape refusal
        ids.add(inbound.envelope.id)
        contacts.add(inbound.envelope.subject)
        assert key.decode() == inbound.envelope.subject
        assert inbound.envelope.partnership == "bench-x"
    assert len(ids) == len(contacts) == 5
    assert 300 < data.mean_size < 2000


def test_financial_year_label() -> None:
    assert financial_year_label(NOW) == "2026-27"
    assert financial_year_label(datetime(2027, 3, 31, 12, tzinfo=UTC)) == "2026-27"
    assert financial_year_label(datetime(2027, 4, 1, 12, tzinfo=UTC)) == "2027-28"


def testpercentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) in (50.0, 51.0)
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.95) == 3.0


def _result() -> BenchResult:
    result = BenchResult(
        Machine(2, 4.0, "Test CPU", "Linux", "3.11"),
        NOW,
        BenchOptions(
            bootstrap_servers="k:9092", mongodb_url="mongodb://m/", command="pulse bench", doc=None
        ),
    )
    result.rates += [Rate("raw ceiling: produce", 1000, 1.0), Rate("pipeline", 500, 1.0)]
    return result


def test_figures_are_given_as_a_share_of_the_raw_ceiling() -> None:
    result = _result()
    assert result.ceiling == 1000
    assert result.ratio(result.rates[1]) == "50.0%"


def test_the_generated_section_is_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nhand-written\n\n{BEGIN}\nold figures\n{END}\n\nmore\n")
    write_doc(_result(), doc)
    text = doc.read_text()
    assert "old figures" not in text
    assert "hand-written" in text
    assert text.rstrip().endswith("more")
    assert "2 CPUs (Test CPU)" in text
    assert "`pulse bench`" in text
    assert "| pipeline  | 500 | 1.0 | 500 | 50.0% |" in text


def test_peak_memory_per_process_is_reported_when_measured(tmp_path: Path) -> None:
    """Issue 12: "A 1,000,000-event run, with memory (peak RSS per service) reported"."""
    doc = tmp_path / "benchmarks.md"
    result = _result()
    write_doc(result, doc)
    assert "peak resident memory" not in doc.read_text()
    result.peak_rss_mib.update({"intake": 180.4, "reporting": 1234.6})
    write_doc(result, doc)
    assert "- peak resident memory (VmHWM): intake 180 MiB, reporting 1,235 MiB" in doc.read_text()
    assert "peak memory: intake 180 MiB, reporting 1,235 MiB" in result.lines()
