/**
 * The log's table and its append function. Hand-written SQL, because the guarantees live here:
 * an append takes a transaction-scoped advisory lock before it numbers its events, so positions
 * are handed out in commit order and a reader never sees position n+1 while n is still in flight
 * (a plain sequence would let a later transaction commit first and leave a gap that fills in
 * later, which would make a subscriber skip the late event for ever).
 */
export const WRONG_EXPECTED_VERSION_SQLSTATE = 'TB001';

export function schemaSql(schema: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${schema};

CREATE TABLE IF NOT EXISTS ${schema}.events (
  position    bigint      PRIMARY KEY,
  stream      text        NOT NULL,
  version     integer     NOT NULL,
  type        text        NOT NULL,
  data        jsonb       NOT NULL,
  metadata    jsonb       NOT NULL DEFAULT '{}',
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (stream, version)
);

-- Appends events to several streams atomically, set-based: one statement checks every expected
-- version (-1: the stream must not exist, -2: any) and one inserts every event. Raises
-- ${WRONG_EXPECTED_VERSION_SQLSTATE} on the first conflict. A stream may appear once per call.
CREATE OR REPLACE FUNCTION ${schema}.append_events(
  streams text[], expected integer[], counts integer[], types text[], datas jsonb[], metadatas jsonb[]
) RETURNS TABLE (stream text, last_version integer, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  first_position bigint;
  conflict record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('${schema}.events'));
  SELECT coalesce(max(e.position), 0) + 1 INTO first_position FROM ${schema}.events e;

  CREATE TEMP TABLE IF NOT EXISTS pg_temp.tsbit_append (stream text, expected integer, count integer, first_event bigint, current_version integer) ON COMMIT DELETE ROWS;
  DELETE FROM pg_temp.tsbit_append;
  INSERT INTO pg_temp.tsbit_append
  SELECT a.stream, a.expected, a.count, sum(a.count) OVER (ORDER BY a.ord) - a.count, coalesce(v.version, -1)
  FROM unnest(streams, expected, counts) WITH ORDINALITY AS a(stream, expected, count, ord)
  LEFT JOIN (SELECT e.stream, max(e.version) AS version FROM ${schema}.events e WHERE e.stream = ANY(streams) GROUP BY e.stream) v
    ON v.stream = a.stream;

  SELECT t.stream, t.current_version INTO conflict FROM pg_temp.tsbit_append t
  WHERE t.expected <> -2 AND t.expected <> t.current_version LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = '${WRONG_EXPECTED_VERSION_SQLSTATE}', MESSAGE = conflict.stream, DETAIL = conflict.current_version::text;
  END IF;

  INSERT INTO ${schema}.events (position, stream, version, type, data, metadata)
  SELECT first_position + t.first_event + n - 1, t.stream, t.current_version + n,
         types[t.first_event + n], datas[t.first_event + n], metadatas[t.first_event + n]
  FROM pg_temp.tsbit_append t CROSS JOIN LATERAL generate_series(1, t.count) AS n;

  PERFORM pg_notify('${schema}_events', (first_position + coalesce(array_length(types, 1), 0) - 1)::text);
  RETURN QUERY SELECT t.stream, t.current_version + t.count, first_position + t.first_event + t.count - 1
  FROM pg_temp.tsbit_append t;
END
$fn$;
`;
}
