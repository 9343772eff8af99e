"""Impact: what each displayed gallery image did to click-through and conversion (pure).

Where it sits: after the store and the ads stage. It takes values (sightings and ads days), joins them
per marketplace-local day, and estimates per variant CTR and CVR with 95% intervals that include the
ordinary day-to-day variation; the CLI, the report and the alerts show its results.
"""
