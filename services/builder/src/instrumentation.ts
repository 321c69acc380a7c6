import { startTelemetry } from '@tsbit/service-kit';

// Loaded first by main.ts, so that http and amqplib are patched before anything imports them.
startTelemetry('builder');
