// The node's route digest: what every NameServer node should agree on, maintained incrementally.
export { RouteDigestTracker } from './route-digest-tracker.js';
export type { DigestRouteSource } from './route-digest-tracker.js';
export { hex8, textHash, topicQueueHash, topicSeed } from './digest-hash.js';
