{{/* Names, labels and the pieces both roles share. */}}

{{- define "baton.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "baton.fullname" -}}
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

{{- define "baton.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "baton.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one role: call with (dict "ctx" $ "component" "server"). */}}
{{- define "baton.selectorLabels" -}}
app.kubernetes.io/name: {{ include "baton.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "baton.serverImage" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "baton.workerImage" -}}
{{- $repo := default (printf "%s-worker" .Values.image.repository) .Values.workers.image.repository }}
{{- printf "%s:%s" $repo (default (default .Chart.AppVersion .Values.image.tag) .Values.workers.image.tag) }}
{{- end }}

{{/* The chart's Secret, holding what was given inline. */}}
{{- define "baton.secretName" -}}
{{- printf "%s-secrets" (include "baton.fullname" .) }}
{{- end }}

{{/* Where a secret value lives: (dict "ctx" $ "v" .Values.database) -> name. */}}
{{- define "baton.secretRef" -}}
{{- default (include "baton.secretName" .ctx) .v.existingSecret }}
{{- end }}

{{- define "baton.tlsSecret" -}}
{{- default (printf "%s-tls" (include "baton.fullname" .)) .Values.tls.existingSecret }}
{{- end }}

{{- define "baton.clientTLSSecret" -}}
{{- default (printf "%s-client-tls" (include "baton.fullname" .)) .Values.tls.clientAuth.existingSecret }}
{{- end }}

{{- define "baton.scheme" -}}
{{- if .Values.tls.enabled }}https{{ else }}http{{ end }}
{{- end }}

{{/* The URL workers reach the servers at: the Service. */}}
{{- define "baton.serverURL" -}}
{{- printf "%s://%s-server.%s.svc:%d" (include "baton.scheme" .) (include "baton.fullname" .) .Release.Namespace (int .Values.server.service.port) }}
{{- end }}

{{/* A zone name made fit for a resource name. */}}
{{- define "baton.zoneSlug" -}}
{{- . | lower | replace "_" "-" | replace "." "-" | trunc 20 | trimSuffix "-" }}
{{- end }}

{{/* Refuse values that cannot work, with the value's name. */}}
{{- define "baton.validate" -}}
{{- if and (not .Values.database.url) (not .Values.database.existingSecret) }}
{{- fail "database: set database.url or database.existingSecret (the PostgreSQL URL every server uses)" }}
{{- end }}
{{- if and .Values.workers.zones (not .Values.joinToken.value) (not .Values.joinToken.existingSecret) }}
{{- fail "joinToken: workers need a join token: set joinToken.value or joinToken.existingSecret" }}
{{- end }}
{{- if and .Values.tls.clientAuth.enabled (not .Values.tls.enabled) }}
{{- fail "tls.clientAuth.enabled needs tls.enabled" }}
{{- end }}
{{- if and .Values.tls.enabled (not .Values.tls.existingSecret) (or (not .Values.tls.cert) (not .Values.tls.key) (not .Values.tls.ca)) }}
{{- fail "tls: set tls.existingSecret, or tls.cert, tls.key and tls.ca (PEM, with --set-file)" }}
{{- end }}
{{- if and .Values.tls.clientAuth.enabled (not .Values.tls.clientAuth.existingSecret) (or (not .Values.tls.clientAuth.cert) (not .Values.tls.clientAuth.key) (not .Values.tls.clientAuth.ca)) }}
{{- fail "tls.clientAuth: set tls.clientAuth.existingSecret, or its cert, key and ca (PEM, with --set-file)" }}
{{- end }}
{{- if lt (int .Values.workers.shutdownGraceSeconds) 1 }}
{{- fail "workers.shutdownGraceSeconds: must be at least 1" }}
{{- end }}
{{- if lt (int .Values.workers.stopMarginSeconds) 30 }}
{{- fail "workers.stopMarginSeconds: must be at least 30 (kill grace, reports, stop call)" }}
{{- end }}
{{- $seen := dict }}
{{- range $i, $z := .Values.workers.zones }}
{{- if not $z.name }}
{{- fail (printf "workers.zones[%d].name: required (the nodes' topology.kubernetes.io/zone value)" $i) }}
{{- end }}
{{- $slug := include "baton.zoneSlug" $z.name }}
{{- if hasKey $seen $slug }}
{{- fail (printf "workers.zones[%d].name: %q repeats zone %q" $i $z.name (get $seen $slug)) }}
{{- end }}
{{- $_ := set $seen $slug $z.name }}
{{- end }}
{{- end }}

{{/* Volumes of a role: (dict "ctx" $ "role" "server"|"worker"). */}}
{{- define "baton.volumes" -}}
{{- $ := .ctx -}}
- name: config
  configMap:
    name: {{ include "baton.fullname" $ }}-config
    items:
      - key: {{ .role }}.yaml
        path: baton.yaml
{{- $secrets := list }}
{{- if eq .role "server" }}
{{- if or $.Values.bootstrapToken.value $.Values.bootstrapToken.existingSecret }}
{{- $secrets = append $secrets (dict "v" $.Values.bootstrapToken "path" "bootstrap-token") }}
{{- end }}
{{- if or $.Values.secretKey.value $.Values.secretKey.existingSecret }}
{{- $secrets = append $secrets (dict "v" $.Values.secretKey "path" "secret-key") }}
{{- end }}
{{- else }}
{{- $secrets = append $secrets (dict "v" $.Values.joinToken "path" "join-token") }}
{{- end }}
{{- if $secrets }}
- name: secrets
  projected:
    defaultMode: 0440
    sources:
      {{- range $secrets }}
      - secret:
          name: {{ include "baton.secretRef" (dict "ctx" $ "v" .v) }}
          items:
            - key: {{ .v.existingSecretKey }}
              path: {{ .path }}
      {{- end }}
{{- end }}
{{- if $.Values.tls.enabled }}
- name: tls-server
  secret:
    secretName: {{ include "baton.tlsSecret" $ }}
    defaultMode: 0440
    items:
      {{- if eq .role "server" }}
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
      {{- end }}
      - key: ca.crt
        path: ca.crt
{{- if $.Values.tls.clientAuth.enabled }}
- name: tls-client
  secret:
    secretName: {{ include "baton.clientTLSSecret" $ }}
    defaultMode: 0440
    items:
      {{- if eq .role "worker" }}
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
      {{- end }}
      - key: ca.crt
        path: ca.crt
{{- end }}
{{- end }}
- name: tmp
  emptyDir: {}
{{- end }}

{{/* Volume mounts matching baton.volumes. */}}
{{- define "baton.volumeMounts" -}}
{{- $ := .ctx -}}
- name: config
  mountPath: /etc/baton/config
  readOnly: true
{{- if or (eq .role "worker") $.Values.bootstrapToken.value $.Values.bootstrapToken.existingSecret $.Values.secretKey.value $.Values.secretKey.existingSecret }}
- name: secrets
  mountPath: /etc/baton/secrets
  readOnly: true
{{- end }}
{{- if $.Values.tls.enabled }}
- name: tls-server
  mountPath: /etc/baton/tls/server
  readOnly: true
{{- if $.Values.tls.clientAuth.enabled }}
- name: tls-client
  mountPath: /etc/baton/tls/client
  readOnly: true
{{- end }}
{{- end }}
- name: tmp
  mountPath: /tmp
{{- end }}
