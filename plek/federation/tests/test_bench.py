"""The arithmetic of `plek bench harvest` (the speed itself is measured by the benchmark, not a test)."""

from __future__ import annotations

from lxml import etree

from plek.federation.bench import page_body, summarise


def test_summarise_computes_rate_peak_and_second_half_growth() -> None:
    samples = [(0, 100.0), (2500, 150.0), (5000, 160.0), (7500, 162.0), (10000, 161.0)]
    result = summarise(10_000, 25.0, samples)
    assert result["records_per_s"] == 400.0
    assert result["peak_rss_mb"] == 162.0
    assert result["rss_growth_second_half_mb"] == 2.0  # 162 - 160
    assert result["meets_goal"] is True
    slow = summarise(3000, 20.0, [(0, 50.0), (3000, 80.0)])
    assert slow["records_per_s"] == 150.0 and slow["meets_goal"] is False
    assert summarise(0, 0.0, [])["records_per_s"] == 0.0


def test_generated_pages_carry_tokens_until_the_last() -> None:
    ns = {"o": "http://www.openarchives.org/OAI/2.0/"}
    first = etree.fromstring(page_body(0, 250))
    assert len(first.findall(".//o:record", ns)) == 100
    assert first.find(".//o:resumptionToken", ns).text == "100"
    last = etree.fromstring(page_body(200, 250))
    assert len(last.findall(".//o:record", ns)) == 50
    assert last.find(".//o:resumptionToken", ns) is None
