export { registerLogRoutes, MAX_APPEND_BYTES, type LogRoutesDeps } from './routes';
export { LiveLogStore, type LogKey } from './live-log-store';
export { LogNotifier } from './log-notifier';
export { attemptStanding, type AttemptStanding } from './attempt-standing';
