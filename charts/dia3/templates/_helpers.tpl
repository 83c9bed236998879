{{- define "dia3.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dia3.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "dia3.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "dia3.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "dia3.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ include "dia3.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* selector labels of one component: (dict "root" $ "component" "api") */}}
{{- define "dia3.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dia3.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "dia3.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "dia3.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "dia3.secretName" -}}
{{- default (include "dia3.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The image of a role (api, worker, ui, chroma: compose/Dockerfile's targets), e.g.
registry.example.com/dia3-worker:0.1.0: (dict "root" $ "role" "worker") */}}
{{- define "dia3.image" -}}
{{- $image := .root.Values.image -}}
{{- printf "%s-%s:%s" $image.repository .role (default .root.Chart.AppVersion $image.tag) -}}
{{- end -}}

{{- define "dia3.redisHost" -}}
{{- printf "%s-redis" (include "dia3.fullname" .) -}}
{{- end -}}

{{/* TLS between the components: where the certificates are mounted, and the checks that
the Secrets they come from are named. */}}
{{- define "dia3.tlsDir" -}}/etc/dia3/tls{{- end -}}

{{- define "dia3.tlsRequired" -}}
{{- if .Values.tls.enabled -}}
{{- if not .Values.tls.clientSecret -}}
{{- fail "tls.clientSecret is required with tls.enabled: the client certificate the components present to Redis" -}}
{{- end -}}
{{- if not .Values.tls.apiSecret -}}
{{- fail "tls.apiSecret is required with tls.enabled: the API's server certificate" -}}
{{- end -}}
{{- if and .Values.redis.enabled (not .Values.tls.redisSecret) -}}
{{- fail "tls.redisSecret is required with tls.enabled and the bundled Redis: its server certificate" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The bundled Redis's probe command: redis-cli ping, over TLS with a client certificate
when tls.enabled. */}}
{{- define "dia3.redisPing" -}}
["redis-cli"{{ if .Values.tls.enabled }}, "--tls", "--cacert", "/tls/client/ca.crt", "--cert", "/tls/client/tls.crt", "--key", "/tls/client/tls.key"{{ end }}, "ping"]
{{- end -}}

{{/* Restarts pods when their configuration or secrets change. */}}
{{- define "dia3.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}

{{- define "dia3.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "dia3.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* No Service environment variables in the pods (enableServiceLinks): with a release named
dia3 the kubelet would set DIA3_MCP_PORT=tcp://10.0.0.7:8000 for the Service dia3-mcp, which
DIA3 reads as its own (malformed) setting. Services are found by DNS. */}}
{{- define "dia3.noServiceLinks" -}}
enableServiceLinks: false
{{- end -}}

{{/* Pod spec parts shared by every DIA3 component. */}}
{{- define "dia3.podCommon" -}}
serviceAccountName: {{ include "dia3.serviceAccountName" . }}
automountServiceAccountToken: false
{{ include "dia3.noServiceLinks" . }}
securityContext:
  {{- include "dia3.podSecurityContext" . | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: data
    {{- if .Values.persistence.existingClaim }}
    persistentVolumeClaim:
      claimName: {{ .Values.persistence.existingClaim }}
    {{- else }}
    emptyDir: {}
    {{- end }}
  - name: tmp
    emptyDir: {}
{{- if .Values.tls.enabled }}
  - name: redis-client-tls
    secret:
      secretName: {{ .Values.tls.clientSecret }}
      defaultMode: 0440
{{- end }}
{{- end -}}

{{/* Container parts shared by every DIA3 component:
(dict "root" $ "role" "api" "resources" .resources) */}}
{{- define "dia3.containerCommon" -}}
image: {{ include "dia3.image" . }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
securityContext:
  {{- include "dia3.containerSecurityContext" .root | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ include "dia3.fullname" .root }}
  - secretRef:
      name: {{ include "dia3.secretName" .root }}
resources:
  {{- toYaml (default .root.Values.resources .resources) | nindent 2 }}
volumeMounts:
  - name: data
    mountPath: /var/lib/dia3
  - name: tmp
    mountPath: /tmp
{{- if .root.Values.tls.enabled }}
  - name: redis-client-tls
    mountPath: {{ include "dia3.tlsDir" .root }}/redis-client
    readOnly: true
{{- end }}
{{- end -}}

{{/* The distinct ports of redis.sentinel.addresses besides 6379, comma-separated (the egress
the Sentinels need). */}}
{{- define "dia3.sentinelPorts" -}}
{{- $ports := list -}}
{{- range $address := splitList "," .Values.redis.sentinel.addresses | compact -}}
{{- $port := last (splitList ":" (trim $address)) -}}
{{- if ne $port "6379" -}}{{- $ports = append $ports $port -}}{{- end -}}
{{- end -}}
{{- $ports | uniq | join "," -}}
{{- end }}
