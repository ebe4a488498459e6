import { DEFAULT_MAX_BACKLOG_BYTES, tooFarBehind } from '../src/subscriptions/backpressure';

describe('slow-consumer policy', () => {
  it('cuts a client off only once its unsent bytes pass the limit', () => {
    expect(tooFarBehind(0, DEFAULT_MAX_BACKLOG_BYTES)).toBe(false);
    expect(tooFarBehind(DEFAULT_MAX_BACKLOG_BYTES, DEFAULT_MAX_BACKLOG_BYTES)).toBe(false);
    expect(tooFarBehind(DEFAULT_MAX_BACKLOG_BYTES + 1, DEFAULT_MAX_BACKLOG_BYTES)).toBe(true);
  });
});
