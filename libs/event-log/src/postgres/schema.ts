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

-- Appends events to several streams atomically. Each stream's expected version is its last
-- version (-1: must not exist, -2: any). Raises ${WRONG_EXPECTED_VERSION_SQLSTATE} on a conflict.
CREATE OR REPLACE FUNCTION ${schema}.append_events(
  streams text[], expected integer[], counts integer[], types text[], datas jsonb[], metadatas jsonb[]
) RETURNS TABLE (stream text, last_version integer, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  next_position bigint;
  current_version integer;
  offset_index integer := 0;
  i integer;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('${schema}.events'));
  SELECT coalesce(max(e.position), 0) + 1 INTO next_position FROM ${schema}.events e;
  FOR i IN 1 .. coalesce(array_length(streams, 1), 0) LOOP
    SELECT max(e.version) INTO current_version FROM ${schema}.events e WHERE e.stream = streams[i];
    current_version := coalesce(current_version, -1);
    IF expected[i] <> -2 AND expected[i] <> current_version THEN
      RAISE EXCEPTION USING ERRCODE = '${WRONG_EXPECTED_VERSION_SQLSTATE}',
        MESSAGE = streams[i], DETAIL = current_version::text;
    END IF;
    INSERT INTO ${schema}.events (position, stream, version, type, data, metadata)
    SELECT next_position + n - 1, streams[i], current_version + n, types[offset_index + n],
           datas[offset_index + n], metadatas[offset_index + n]
    FROM generate_series(1, counts[i]) AS n;
    next_position := next_position + counts[i];
    offset_index := offset_index + counts[i];
    stream := streams[i];
    last_version := current_version + counts[i];
    last_position := next_position - 1;
    RETURN NEXT;
  END LOOP;
  PERFORM pg_notify('${schema}_events', (next_position - 1)::text);
END
$fn$;
`;
}
