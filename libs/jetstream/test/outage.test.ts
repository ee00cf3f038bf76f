// ATKD_NATS_OUTAGE_S: how long the source, the sink and the throttle keep retrying while the server is away.
import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTAGE_TIMEOUT_MS, JetStreamError, outageTimeoutMs } from '../src/index.js';

describe('outageTimeoutMs', () => {
  it('is 120 s unless ATKD_NATS_OUTAGE_S says otherwise (seconds, fractions allowed)', () => {
    expect(DEFAULT_OUTAGE_TIMEOUT_MS).toBe(120_000);
    expect(outageTimeoutMs({})).toBe(120_000);
    expect(outageTimeoutMs({ ATKD_NATS_OUTAGE_S: '' })).toBe(120_000);
    expect(outageTimeoutMs({ ATKD_NATS_OUTAGE_S: '3' })).toBe(3000);
    expect(outageTimeoutMs({ ATKD_NATS_OUTAGE_S: '0.5' })).toBe(500);
  });

  it('names the variable and the value when it is not a positive number', () => {
    for (const bad of ['0', '-2', 'soon', 'Infinity']) {
      expect(() => outageTimeoutMs({ ATKD_NATS_OUTAGE_S: bad })).toThrow(JetStreamError);
      expect(() => outageTimeoutMs({ ATKD_NATS_OUTAGE_S: bad })).toThrow(`ATKD_NATS_OUTAGE_S must be a positive number of seconds, got "${bad}"`);
    }
  });
});
