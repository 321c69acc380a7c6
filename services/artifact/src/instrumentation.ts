import { startTelemetry } from '@tsbit/service-kit';

startTelemetry('artifact');
