"""Impact: what each displayed gallery image did to click-through and conversion (pure).

Where it sits: after the store and the ads stage. It takes values (sightings and ads days), joins them
per marketplace-local day, and estimates per variant CTR and CVR with 95% intervals that include the
ordinary day-to-day variation; the CLI, the report and the alerts show its results.

Modules (import them directly; this package re-exports nothing):

- ``facts``: ``SightingFact``/``AdsFact`` from stored rows, history JSON or report files;
- ``join``: ``join_days`` per marketplace-local day -> ``DayRow``; ``shares``: what a day's sightings
  stand for;
- ``model`` and ``estimate``: the rate model and ``estimate`` -> ``KeywordImpact`` with intervals;
- ``table``: the image tracking table and the weekly sentence; ``text``: the numbers in words;
- ``chart``: the daily CTR chart's geometry; ``zones``: marketplace reporting days;
- ``optout``: did Amazon stop replacing MAIN after an opt-out request;
- ``simulate``: accounts with known effects, for tests and ``bench/impact.py``.

The store side (reading sightings and ads days back) is ``monitor.ads.impact_rows``; the ``ctr_drop``
rule is ``monitor.alerts.ctr_drop_rule``.
"""
