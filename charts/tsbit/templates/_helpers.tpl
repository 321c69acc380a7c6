{{- define "tsbit.labels" -}}
app.kubernetes.io/part-of: tsbit
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "tsbit.env" -}}
- { name: TSBIT_PG_SCHEMA, value: {{ .Values.config.pgSchema | quote }} }
- { name: TSBIT_EVENT_LOG, value: {{ .Values.config.eventLog | quote }} }
- { name: TSBIT_EVENTSTOREDB_URL, value: {{ .Values.config.eventStoreDbUrl | quote }} }
- { name: TSBIT_AMQP_PREFIX, value: {{ .Values.config.amqpPrefix | quote }} }
- { name: TSBIT_LOG_LEVEL, value: {{ .Values.config.logLevel | quote }} }
- { name: TSBIT_HEARTBEAT_MS, value: {{ .Values.config.heartbeatMs | quote }} }
- { name: OTEL_EXPORTER_OTLP_ENDPOINT, value: {{ .Values.config.otlpEndpoint | quote }} }
{{- end -}}
