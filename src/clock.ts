/** Milliseconds since the epoch. Logic takes a clock in its deps so tests can freeze time. */
export type Clock = () => number;

// The one place that reads the real clock; everything else receives a Clock.
// eslint-disable-next-line no-restricted-properties
export const systemClock: Clock = () => Date.now();
