"""alerts: what changed in the ads -> events -> outbox rows -> HTML emails delivered over SMTP.

Where it sits: after the store, inside the sweep's transaction and after it. The sweep stores a
page's sightings and calls the outbox, which reads the ad keys' history back from the store, asks the
pure change detection what changed and adds the events with the outbox row that will carry them
(DESIGN rule 5); at the end of a sweep the outbox adds the sweep's checks, overdue opt-outs and CTR
drops. Later the mailer loads what each email shows, renders it once and sends it, retried with
backoff until a server accepts it. The entry points (``ismon``, the daemon, the demo) hand the package
an ``AlertSettings``, built by ``alert_settings`` in ``monitor/run/settings.py``; nothing here sees
the whole Config. The report (above) reads opt-outs and variant colours from here.

What it exports, by module (import from the module; this file re-exports nothing):

- ``kinds``: the vocabulary: event kinds (``MAIN_REPLACED`` ...), ``KIND_ORDER``/``sort_key``, image
  states, page statuses, ``Detected``, ``Settings`` (detection thresholds), ``apply_cooldown``. Pure.
- ``changes``: image change detection: ``Observation``, ``replay``, ``image_transition``,
  ``detect_image_event``, ``detect_listing_main_change``, ``state_of``, ``run_start``. Pure.
- ``sweep_checks``: ``detect_blocked``, ``detect_not_seen``, ``detect_parser_drift``. Pure.
- ``settings``: ``AlertSettings`` (``[alerts]``, ``[email]``, products, reporting zones).
- ``observations``: ``key_history``: an ad key's past read back from the store.
- ``outbox``: ``record_page_events``, ``close_sweep_events``, ``record_gallery_change``, ``events_of``.
- ``optouts``: ``record_optouts``, ``optout_states``, ``overdue_optouts`` (opt-out requests).
- ``ctr_drop``: ``ctr_drop_candidates``, ``impact_facts`` and ``chart_png`` (CTR in an email).
- ``pending``: outbox states (``PENDING`` ...), ``list_outbox``, ``outbox_counts``, stale digests.
- ``items``: ``AlertItem``, ``Picture``, ``Share``, ``ImpactFacts``: what an email shows, as values.
- ``item_loading``: ``load_alert_items``: those values loaded from the store for an email's events.
- ``render``: ``render_html``, ``render_text``, ``subject_for``. Pure. ``support_text``: the
  ready-to-paste Seller Support texts it includes. ``message``: ``build_message``, the MIME email
  with its pictures by Content-ID (pure).
- ``colours``: ``variant_colour``, one colour per variant for emails and the report.
- ``smtp``: ``Conversation``, ``check_smtp``: one SMTP conversation with a deadline.
- ``mailer``: ``flush_outbox``, ``flush_configured``, ``preview_latest``: delivery and preview.
"""
