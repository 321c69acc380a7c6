{{/* Every object's name starts with the release's, so that two releases can share a namespace. */}}
{{- define "tsbit.fullname" -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "tsbit.labels" -}}
app.kubernetes.io/part-of: tsbit
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "artifact"). */}}
{{- define "tsbit.selectorLabels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* A service's image: (dict "root" $ "service" "builder"). */}}
{{- define "tsbit.image" -}}
{{ .root.Values.image.repository }}/{{ .service }}:{{ .root.Values.image.tag | default .root.Chart.AppVersion }}
{{- end -}}

{{/* The in-cluster gateway's address: builders' TSBIT_API_URL. */}}
{{- define "tsbit.gatewayUrl" -}}
http://{{ include "tsbit.fullname" . }}-gateway.{{ .Release.Namespace }}.svc
{{- end -}}

{{/* TSBIT_PUBLIC_URL: the value, else the ingress host, else the in-cluster gateway. */}}
{{- define "tsbit.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{ .Values.publicUrl | trimSuffix "/" }}
{{- else if and .Values.ingress.enabled .Values.ingress.host -}}
{{- $tls := false -}}
{{- range .Values.ingress.tls -}}{{- if has $.Values.ingress.host .hosts -}}{{- $tls = true -}}{{- end -}}{{- end -}}
{{ ternary "https" "http" $tls }}://{{ .Values.ingress.host }}
{{- else -}}
{{ include "tsbit.gatewayUrl" . }}
{{- end -}}
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

{{/* The non-root, no-privilege container security context of every service but the builder. */}}
{{- define "tsbit.restrictedContainer" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities: { drop: [ALL] }
{{- end -}}

{{- define "tsbit.restrictedPod" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile: { type: RuntimeDefault }
{{- end -}}

{{/*
The chroot tarballs a pool needs, one line per tarball: "<suite> <arch> [<cross host arch>]",
the arguments of services/builder/scripts/make-chroot.sh. (dict "root" $ "pool" $pool)
- arch = nodeArch, or i386 on amd64 nodes: <suite>-<arch>.tar, run natively;
- another arch, foreignMode cross: <suite>-<nodeArch>-cross-<arch>.tar (sbuild --host);
- another arch, foreignMode emulated: <suite>-<arch>.tar, run under qemu through binfmt_misc.
*/}}
{{- define "tsbit.chrootSpecs" -}}
{{- $pool := .pool -}}
{{- range $suite := .root.Values.builder.suites -}}
{{- range $arch := $pool.arches -}}
{{- if or (eq $arch $pool.nodeArch) (and (eq $pool.nodeArch "amd64") (eq $arch "i386")) -}}
{{ $suite }} {{ $arch }}
{{ else if eq ($pool.foreignMode | default "cross") "cross" -}}
{{ $suite }} {{ $pool.nodeArch }} {{ $arch }}
{{ else -}}
{{ $suite }} {{ $arch }}
{{ end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Does a pool build any arch under emulation? "true" or "". */}}
{{- define "tsbit.poolEmulates" -}}
{{- $pool := . -}}
{{- range $arch := $pool.arches -}}
{{- if not (or (eq $arch $pool.nodeArch) (and (eq $pool.nodeArch "amd64") (eq $arch "i386"))) -}}
{{- if eq ($pool.foreignMode | default "cross") "emulated" -}}true{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Makes a pool's chroot tarballs in TSBIT_CHROOT_DIR, one at a time under a lock (pods of a pool
may share a volume). $1 is "missing" (only those not there: the init container) or "all" (the
weekly refresh). make-chroot.sh writes beside the target and renames, so a build in flight keeps
the tarball it opened.
*/}}
{{- define "tsbit.makeChrootsScript" -}}
set -eu
refresh="$1"
dir="$TSBIT_CHROOT_DIR"
exec 9>"$dir/.make-chroot.lock"
flock 9
while read -r suite arch cross; do
  [ -n "$suite" ] || continue
  name="$suite-$arch${cross:+-cross-$cross}.tar"
  if [ "$refresh" = missing ] && [ -s "$dir/$name" ]; then
    echo "make-chroot: $dir/$name is there"
    continue
  fi
  /app/services/builder/scripts/make-chroot.sh "$suite" "$arch" ${cross:+--cross "$cross"} --mirror "$TSBIT_CHROOT_MIRROR"
done <<'CHROOTS'
{{ include "tsbit.chrootSpecs" . }}CHROOTS
{{- end -}}
