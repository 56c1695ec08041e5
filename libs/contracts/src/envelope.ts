/**
 * The message envelope: what travels with every event across a process boundary.
 * On Kafka it is carried in headers named after CloudEvents attributes (binary content mode,
 * `ce_` prefix); header values are always strings. The value is the event's JSON `data`.
 */
export type Envelope<TData = unknown> = Readonly<{
  /** Unique event id: consumers de-duplicate on it. */
  id: string;
  type: string;
  /** The service that produced the message, e.g. `keywarden/key-registry`. */
  source: string;
  schemaVersion: number;
  /** Organisation id: the Kafka message key, so one organisation's messages stay in order. */
  orgId: string;
  /** Event-store stream and revision the event was recorded at, when it came from the store. */
  streamId?: string;
  streamRevision?: number;
  /** Occurred-at, ISO 8601 UTC. */
  time: string;
  /** The request id of the admin call (or edge request) that caused this message. */
  correlationId?: string;
  /** The id of the message or command that caused this one. */
  causationId?: string;
  data: TData;
}>;

export const CE_HEADERS = {
  specVersion: 'ce_specversion',
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  time: 'ce_time',
  subject: 'ce_subject',
  contentType: 'content-type',
  schemaVersion: 'ce_schemaversion',
  streamId: 'ce_streamid',
  streamRevision: 'ce_streamrevision',
  correlationId: 'ce_correlationid',
  causationId: 'ce_causationid',
} as const;

export type MessageHeaders = Record<string, string>;

export function envelopeToHeaders(envelope: Omit<Envelope, 'data'>): MessageHeaders {
  const headers: MessageHeaders = {
    [CE_HEADERS.specVersion]: '1.0',
    [CE_HEADERS.id]: envelope.id,
    [CE_HEADERS.type]: envelope.type,
    [CE_HEADERS.source]: envelope.source,
    [CE_HEADERS.time]: envelope.time,
    [CE_HEADERS.subject]: envelope.orgId,
    [CE_HEADERS.contentType]: 'application/json',
    [CE_HEADERS.schemaVersion]: String(envelope.schemaVersion),
  };
  if (envelope.streamId !== undefined) headers[CE_HEADERS.streamId] = envelope.streamId;
  if (envelope.streamRevision !== undefined) headers[CE_HEADERS.streamRevision] = String(envelope.streamRevision);
  if (envelope.correlationId) headers[CE_HEADERS.correlationId] = envelope.correlationId;
  if (envelope.causationId) headers[CE_HEADERS.causationId] = envelope.causationId;
  return headers;
}

export class EnvelopeError extends Error {
  readonly code = 'BAD_ENVELOPE';
}

/** Rebuilds the envelope from headers and a JSON value; throws EnvelopeError (poison) when malformed. */
export function envelopeFromMessage(headers: MessageHeaders, key: string, value: string): Envelope {
  const required = (name: string): string => {
    const v = headers[name];
    if (v === undefined || v === '') throw new EnvelopeError(`message header ${name} is missing`);
    return v;
  };
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch {
    throw new EnvelopeError('message value is not JSON');
  }
  const revision = headers[CE_HEADERS.streamRevision];
  const schemaVersion = Number(required(CE_HEADERS.schemaVersion));
  if (!Number.isInteger(schemaVersion)) throw new EnvelopeError(`${CE_HEADERS.schemaVersion} is not an integer`);
  return {
    id: required(CE_HEADERS.id),
    type: required(CE_HEADERS.type),
    source: required(CE_HEADERS.source),
    time: required(CE_HEADERS.time),
    schemaVersion,
    orgId: key,
    streamId: headers[CE_HEADERS.streamId],
    streamRevision: revision === undefined ? undefined : Number(revision),
    correlationId: headers[CE_HEADERS.correlationId],
    causationId: headers[CE_HEADERS.causationId],
    data,
  };
}
