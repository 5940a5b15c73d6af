{{/* Names and labels shared by every object of the release. */}}
{{- define "medusa.fullname" -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "medusa.labels" -}}
app.kubernetes.io/name: medusa
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: urumi-store
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: include with (dict "root" $ "component" "wordpress"). */}}
{{- define "medusa.selector" -}}
app.kubernetes.io/name: medusa
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "medusa.secret" -}}
{{- default (printf "%s-credentials" .Release.Name) .Values.existingSecret -}}
{{- end -}}

{{- define "medusa.host" -}}
{{- default (printf "%s.%s" .Release.Name .Values.ingress.domain) .Values.ingress.host -}}
{{- end -}}

{{- define "medusa.url" -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) (include "medusa.host" .) -}}
{{- end -}}

{{- define "medusa.image" -}}
{{- printf "%s:%s" .repository .tag -}}
{{- end -}}

{{/* Pod Security "restricted": a fixed non-root user, RuntimeDefault seccomp. */}}
{{- define "medusa.podSecurity" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
fsGroup: {{ . }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "medusa.containerSecurity" -}}
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "medusa.imageRequired" -}}
{{- $repository := required "image.repository: the Medusa image is required (build it from images/medusa)" .Values.image.repository -}}
{{- $tag := required "image.tag: pin the Medusa image tag" .Values.image.tag -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}

{{/* What the server, worker, migrations and seed all need to reach PostgreSQL and Redis. */}}
{{- define "medusa.appEnv" -}}
- name: NODE_ENV
  value: production
- name: HOME
  value: /tmp
- name: POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "medusa.secret" . }}
      key: postgres-password
- name: DATABASE_URL
  value: postgres://{{ .Values.postgres.user }}:$(POSTGRES_PASSWORD)@{{ include "medusa.fullname" . }}-postgres:5432/{{ .Values.postgres.database }}
- name: REDIS_URL
  value: redis://{{ include "medusa.fullname" . }}-redis:6379
- name: JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "medusa.secret" . }}
      key: jwt-secret
- name: COOKIE_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "medusa.secret" . }}
      key: cookie-secret
- name: STORE_CORS
  value: {{ include "medusa.url" . | quote }}
- name: ADMIN_CORS
  value: {{ include "medusa.url" . | quote }}
- name: AUTH_CORS
  value: {{ include "medusa.url" . | quote }}
- name: MEDUSA_BACKEND_URL
  value: {{ include "medusa.url" . | quote }}
- name: PORT
  value: "9000"
{{- /* Off without TLS: a browser drops a Secure cookie set over http (see images/medusa/medusa-config.ts). */}}
- name: COOKIE_SECURE
  value: {{ .Values.ingress.tls.enabled | quote }}
{{- /* The store's pods reach nothing outside the namespace: no usage analytics. */}}
- name: MEDUSA_DISABLE_TELEMETRY
  value: "true"
{{- end -}}

{{/* Readiness, liveness and startup probes on Medusa's /health. */}}
{{- define "medusa.probes" -}}
startupProbe:
  httpGet:
    path: /health
    port: http
  periodSeconds: 5
  failureThreshold: 60
readinessProbe:
  httpGet:
    path: /health
    port: http
  periodSeconds: 10
  timeoutSeconds: 5
livenessProbe:
  httpGet:
    path: /health
    port: http
  periodSeconds: 20
  timeoutSeconds: 5
  failureThreshold: 6
{{- end -}}
