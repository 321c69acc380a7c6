/**
 * The log's table and its append function. Hand-written SQL, because the guarantees live here:
 * an append takes a transaction-scoped advisory lock before it numbers its events, so positions
 * are handed out in commit order and a reader never sees position n+1 while n is still in flight
 * (a plain sequence would let a later transaction commit first and leave a gap that fills in
 * later, which would make a subscriber skip the late event for ever).
 */

/** Raised by append_events on a version conflict; DETAIL carries {"stream", "actual"} as JSON. */
export const WRONG_EXPECTED_VERSION_SQLSTATE = 'TB001';
/** Raised by any UPDATE, DELETE or TRUNCATE of the events table. */
export const EVENTS_ARE_IMMUTABLE_SQLSTATE = 'TB002';
/** How expected versions travel to the function: a version >= 0, or one of these. */
export const EXPECTED_NO_STREAM = -1;
export const EXPECTED_ANY = -2;

/** Lowercase SQL identifier, short enough that `<schema>_events` is a valid channel name (63 bytes). */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,55}$/;

export const notifyChannel = (schema: string): string => `${schema}_events`;

export function schemaSql(schema: string): string {
  const s = schema;
  return `
CREATE SCHEMA IF NOT EXISTS ${s};

-- Rows are only ever inserted, by ${s}.append_events (a trigger below refuses the rest). No separate index on stream: the unique
-- (stream, version) index starts with stream, so it serves every per-stream read and lookup, and
-- a second index would only slow appends down.
CREATE TABLE IF NOT EXISTS ${s}.events (
  position    bigint      PRIMARY KEY,
  stream      text        NOT NULL,
  version     integer     NOT NULL,
  type        text        NOT NULL,
  data        jsonb       NOT NULL,
  metadata    jsonb       NOT NULL DEFAULT '{}',
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stream, version)
);

-- The log is append-only: events are facts, and every reader relies on them never changing.
CREATE OR REPLACE FUNCTION ${s}.refuse_event_changes() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION USING ERRCODE = '${EVENTS_ARE_IMMUTABLE_SQLSTATE}', MESSAGE = '${s}.events is append-only: events are never updated or deleted';
END
$fn$;

DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'events_append_only' AND tgrelid = '${s}.events'::regclass) THEN
    CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${s}.events
      FOR EACH STATEMENT EXECUTE FUNCTION ${s}.refuse_event_changes();
  END IF;
END
$do$;

-- Appends events to one or more streams, all or nothing, in one call (one round trip).
-- Append i writes counts[i] events to streams[i], taken in order from types/datas/metadatas;
-- expected[i] is the version of the stream's last event, ${EXPECTED_NO_STREAM} (must not exist) or ${EXPECTED_ANY} (any).
-- Set-based: a thousand streams cost one lookup query and one INSERT, not a thousand statements.
-- Returns one row per append, in order: the stream's new last version and the position of its
-- last event.
CREATE OR REPLACE FUNCTION ${s}.append_events(
  streams text[], expected integer[], counts integer[], types text[], datas jsonb[], metadatas jsonb[]
) RETURNS TABLE (stream text, last_version integer, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  n integer := coalesce(array_length(streams, 1), 0);
  total integer := coalesce(array_length(types, 1), 0);
  head bigint;
  stamp timestamptz;
  currents integer[];
  lasts bigint[];
BEGIN
  IF n <> coalesce(array_length(expected, 1), 0) OR n <> coalesce(array_length(counts, 1), 0)
     OR total <> coalesce(array_length(datas, 1), 0) OR total <> coalesce(array_length(metadatas, 1), 0)
     OR total <> (SELECT coalesce(sum(c), 0) FROM unnest(counts) AS c) THEN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = '${s}.append_events: the arrays do not describe the same appends';
  END IF;

  -- Every append of this log queues here until the one before it commits: the numbering below
  -- then continues exactly where the last committed append stopped.
  PERFORM pg_advisory_xact_lock(hashtext('${s}.events'));
  SELECT coalesce(max(e.position), 0) INTO head FROM ${s}.events e;
  stamp := clock_timestamp();

  SELECT array_agg(coalesce(v.version, ${EXPECTED_NO_STREAM}) ORDER BY a.ord), array_agg(coalesce(v.position, 0) ORDER BY a.ord)
    INTO currents, lasts
    FROM unnest(streams) WITH ORDINALITY AS a(name, ord)
    LEFT JOIN LATERAL (
      SELECT e.version, e.position FROM ${s}.events e WHERE e.stream = a.name ORDER BY e.version DESC LIMIT 1
    ) v ON true;

  FOR i IN 1..n LOOP
    IF expected[i] <> ${EXPECTED_ANY} AND expected[i] <> currents[i] THEN
      RAISE EXCEPTION USING
        ERRCODE = '${WRONG_EXPECTED_VERSION_SQLSTATE}',
        MESSAGE = format('stream %s: expected version %s, but it is at %s', streams[i], expected[i], currents[i]),
        DETAIL = json_build_object('stream', streams[i], 'actual', currents[i])::text;
    END IF;
  END LOOP;

  IF total > 0 THEN
    INSERT INTO ${s}.events (position, stream, version, type, data, metadata, recorded_at)
    SELECT head + p.offs + k, streams[p.ord], currents[p.ord] + k,
           types[p.offs + k], datas[p.offs + k], metadatas[p.offs + k], stamp
      FROM (
        SELECT a.ord::integer AS ord, a.count, (sum(a.count) OVER (ORDER BY a.ord) - a.count)::integer AS offs
          FROM unnest(counts) WITH ORDINALITY AS a(count, ord)
      ) p
      CROSS JOIN LATERAL generate_series(1, p.count) AS k;
    -- Delivered at commit, so a woken subscriber finds the events already visible.
    PERFORM pg_notify('${notifyChannel(s)}', (head + total)::text);
  END IF;

  RETURN QUERY
    SELECT a.name, currents[a.ord::integer] + a.count,
           CASE WHEN a.count = 0 THEN lasts[a.ord::integer] ELSE head + sum(a.count) OVER (ORDER BY a.ord) END
      FROM unnest(streams, counts) WITH ORDINALITY AS a(name, count, ord)
     ORDER BY a.ord;
END
$fn$;
`;
}
