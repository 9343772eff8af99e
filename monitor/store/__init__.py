"""Store: what ismon remembers between runs — tables, the database, stored files, history queries.

Where it sits: under every stage that keeps or reads something. The sweep and the gallery refresh write
sightings, page visits and gallery images here; the ads stage writes ads days into its tables; the alerts,
the report and the CLI read back. SQLite by default, PostgreSQL by URL, with the Alembic migrations in
``migrations/`` applied on open.

Modules (import them directly; this package re-exports nothing, so importing one pulls in no other):

- ``models``: the SQLModel tables (``Marketplace``, ``Product``, ``Keyword``, ``GalleryImage``,
  ``SweepRun``, ``PageVisit``, ``Sighting``, ``Event``, ``Outbox``, ``Heartbeat``, ``AdsDay``,
  ``AdsAdvertised``, ``AdsReportJob``, ``OptOutRequest``);
- ``db``: ``open_database(url)`` (engine, migrations, a clear error for an unreachable or too-new database);
- ``queries``: products and keywords from the config, the current gallery, the last sweep, recent
  screenshots;
- ``history``: ``ismon history`` and the report's view of what was seen;
- ``files``: ``BlobStore``, content-addressed image and screenshot files under ``data_dir``;
- ``folders``: the folders ismon writes to, checked with one clear line each;
- ``lock``: ``sweep_lock`` and ``exclusive``, one job of a kind per ``data_dir``.
"""
