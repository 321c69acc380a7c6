import { NodeSDK } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';

/**
 * Starts OpenTelemetry tracing for a service; each service's instrumentation.ts calls it before
 * anything else is loaded so that http, pg and amqplib are patched. Exporters follow the standard
 * OTEL_* variables (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT); with none set, nothing is
 * exported, so a developer's machine needs no collector.
 */
export function startTelemetry(serviceName: string): NodeSDK | undefined {
  if (process.env.OTEL_SDK_DISABLED === 'true') return undefined;
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT && !process.env.OTEL_TRACES_EXPORTER) return undefined;
  const sdk = new NodeSDK({
    serviceName,
    instrumentations: [new HttpInstrumentation(), new PgInstrumentation(), new AmqplibInstrumentation()],
  });
  sdk.start();
  process.once('beforeExit', () => void sdk.shutdown());
  return sdk;
}
