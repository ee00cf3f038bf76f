/**
 * @atkd/jetstream — atkd over NATS JetStream: record batches as JetStream messages, a source over a
 * durable pull consumer, a publishing sink, reordering by step, dead letters, stages as services.
 * See README.md.
 */
export { BatchMessageError, JetStreamError } from './errors.js';
export { connectNats, connectionOptions, parseNatsUrl, redactUrl, type NatsOptions } from './connect.js';
export { HEADERS, batchMessageId, batchSubject, checkConsumerName, checkStreamName, deadLetterStream, deadLetterSubject, serviceSubject } from './subjects.js';
export { decodeBatchMessage, encodeBatchMessage, type EncodedBatch, type Envelope } from './codec.js';
export { ensureBatchStream, ensureConsumer, isNotFound, type BatchStreamOptions, type ConsumerOptions } from './streams.js';
export { batchSource, type Delivery, type SourceOptions } from './source.js';
export { publishBatch, publishBatches, type PublishedBatch, type SinkOptions } from './sink.js';
export { aheadThrottle, type AheadThrottle, type RoomWait, type ThrottleOptions, type WaitForRoomOptions } from './throttle.js';
export { reorderByStep, type ReorderOptions } from './reorder.js';
export { deadLetter } from './dead-letter.js';
export { startStageService, type StageServiceHandle, type StageServiceOptions, type StageServiceStats } from './service.js';
// the client pieces callers need alongside this lib (one import for the CLI)
export { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
export type { NatsConnection } from '@nats-io/transport-node';
export { OrderedStreamReader, type OrderedReaderOptions, type OrderedReaderStats, type StreamPosition } from './ordered-reader.js';
export { DEFAULT_OUTAGE_TIMEOUT_MS, outageTimeoutMs } from './outage.js';
