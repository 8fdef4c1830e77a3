{{/* The chart's name, 63 characters at most (a label value). */}}
{{- define "latchkey.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's object names: the release name alone when it already contains the chart name. */}}
{{- define "latchkey.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The name of RBAC objects outside the release namespace (cluster-scoped, or in a watched namespace) carries the
release namespace: two releases of one name in two namespaces (an operator per tenant with watchNamespaces) must
not share a ClusterRole, or a Role in a namespace both watch.
*/}}
{{- define "latchkey.qualifiedName" -}}
{{- printf "%s-%s" (include "latchkey.fullname" .) .Release.Namespace }}
{{- end }}

{{- define "latchkey.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "latchkey.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "latchkey.selectorLabels" -}}
app.kubernetes.io/name: {{ include "latchkey.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "latchkey.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "latchkey.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: name the existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "latchkey.tlsEnabled" -}}
{{- if ne .Values.tls.mode "none" }}true{{ end }}
{{- end }}

{{/* The Secret holding tls.crt and tls.key. */}}
{{- define "latchkey.tlsSecretName" -}}
{{- if eq .Values.tls.mode "certManager" }}
{{- default (printf "%s-tls" (include "latchkey.fullname" .)) .Values.tls.secretName }}
{{- else }}
{{- required "tls.secretName: name the kubernetes.io/tls Secret to serve when tls.mode is secret" .Values.tls.secretName }}
{{- end }}
{{- end }}

{{/* The issuer URL: the value, or the Service's DNS name with the scheme TLS implies (no default port). */}}
{{- define "latchkey.issuer" -}}
{{- if .Values.issuer }}
{{- .Values.issuer | trimSuffix "/" }}
{{- else }}
{{- $scheme := ternary "https" "http" (eq (include "latchkey.tlsEnabled" .) "true") }}
{{- $port := int .Values.service.port }}
{{- $defaultPort := ternary 443 80 (eq $scheme "https") }}
{{- $host := printf "%s.%s.svc" (include "latchkey.fullname" .) .Release.Namespace }}
{{- if eq $port $defaultPort }}
{{- printf "%s://%s" $scheme $host }}
{{- else }}
{{- printf "%s://%s:%d" $scheme $host $port }}
{{- end }}
{{- end }}
{{- end }}

{{/* The image reference: a digest wins over the tag. */}}
{{- define "latchkey.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
What the operator does in a namespace it watches (src/operator/run.ts, controller.ts, recorder.ts): list and
watch the five kinds and Secrets, read a Secret an OAuthClient names, create and patch the Secrets it generates,
write status through the status subresource, record events.k8s.io Events about the objects.
*/}}
{{- define "latchkey.watchedRules" -}}
- apiGroups: [latchkey.dev]
  resources: [connections, oauthclients, organizations, resourceservers, roles]
  verbs: [list, watch]
- apiGroups: [latchkey.dev]
  resources: [connections/status, oauthclients/status, organizations/status, resourceservers/status, roles/status]
  verbs: [patch]
- apiGroups: ['']
  resources: [secrets]
  verbs: [get, list, watch, create, patch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create]
{{- end }}
