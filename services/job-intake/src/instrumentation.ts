import { startTelemetry } from '@tsbit/service-kit';

startTelemetry('job-intake');
