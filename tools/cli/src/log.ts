import { ApiProblem } from './api-client';

/**
 * `tsbit log --follow`: the live build log as server-sent events (see services/artifact's
 * `/logs` routes). Each event carries whole lines and has as its id the byte offset after them;
 * the last one, `end`, says the log is complete. A dropped connection is resumed from the last id,
 * so no line is printed twice.
 */

/** How long to wait before reconnecting to a log whose stream broke off. */
export const RECONNECT_DELAY_MS = 1000;
/** Reconnections in a row that bring nothing new before giving up. */
export const MAX_FRUITLESS_RECONNECTS = 5;

export interface ServerSentEvent {
  event: string;
  data: string;
  id?: string;
}

/** Parses an event stream as it arrives, text chunk by text chunk, as EventSource does. */
export class EventStreamParser {
  private buffered = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;

  push(text: string): ServerSentEvent[] {
    this.buffered += text;
    const events: ServerSentEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffered);
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (!match || (match[0] === '\r' && match.index === this.buffered.length - 1)) break;
      const line = this.buffered.slice(0, match.index);
      this.buffered = this.buffered.slice(match.index + match[0].length);
      if (line === '') {
        if (this.data.length > 0 || this.id !== undefined) {
          events.push({ event: this.event || 'message', data: this.data.join('\n'), ...(this.id === undefined ? {} : { id: this.id }) });
        }
        this.data = [];
        this.event = '';
        this.id = undefined;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'id') this.id = value;
    }
    return events;
  }
}

export interface LogFollowDependencies {
  /** Opens the log's event stream, from `lastEventId` when given; yields its text as it comes. */
  open(lastEventId: string | undefined): Promise<AsyncIterable<string>>;
  /** Prints log text. */
  write(text: string): void;
  sleep(ms: number): Promise<void>;
}

/** How a followed log ended: complete, or its attempt ended without completing it. */
export type LogEnd = { complete: true } | { complete: false; detail: string };

/** Prints a log's lines as they come until its `end` event; reconnects where it broke off. */
export async function followLog({ open, write, sleep }: LogFollowDependencies): Promise<LogEnd> {
  let lastEventId: string | undefined;
  let fruitless = 0;
  for (;;) {
    const parser = new EventStreamParser();
    let progressed = false;
    let failure: unknown;
    try {
      for await (const text of await open(lastEventId)) {
        for (const event of parser.push(text)) {
          if (event.event === 'end') return endOf(event.data);
          if (event.id !== undefined) lastEventId = event.id;
          write(`${event.data}\n`);
          progressed = true;
        }
      }
    } catch (error) {
      // The API refused (no such job, no log yet): asking again will not help.
      if (error instanceof ApiProblem) throw error;
      failure = error;
    }
    fruitless = progressed ? 0 : fruitless + 1;
    if (fruitless >= MAX_FRUITLESS_RECONNECTS) {
      throw failure instanceof Error ? failure : new Error(`the log stream ended ${fruitless} times in a row without its end`);
    }
    await sleep(RECONNECT_DELAY_MS);
  }
}

function endOf(data: string): LogEnd {
  try {
    const end = JSON.parse(data) as { complete?: unknown; detail?: unknown };
    if (end.complete === false) return { complete: false, detail: typeof end.detail === 'string' ? end.detail : 'the build ended without completing its log' };
  } catch {
    // An end without details: complete.
  }
  return { complete: true };
}
