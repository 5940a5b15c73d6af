{{/* Names and labels shared by every object of the release. */}}
{{- define "woocommerce.fullname" -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "woocommerce.labels" -}}
app.kubernetes.io/name: woocommerce
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: urumi-store
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: include with (dict "root" $ "component" "wordpress"). */}}
{{- define "woocommerce.selector" -}}
app.kubernetes.io/name: woocommerce
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "woocommerce.secret" -}}
{{- default (printf "%s-credentials" .Release.Name) .Values.existingSecret -}}
{{- end -}}

{{- define "woocommerce.host" -}}
{{- default (printf "%s.%s" .Release.Name .Values.ingress.domain) .Values.ingress.host -}}
{{- end -}}

{{- define "woocommerce.url" -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) (include "woocommerce.host" .) -}}
{{- end -}}

{{- define "woocommerce.image" -}}
{{- printf "%s:%s" .repository .tag -}}
{{- end -}}

{{/* Pod Security "restricted": a fixed non-root user, RuntimeDefault seccomp. */}}
{{- define "woocommerce.podSecurity" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
fsGroup: {{ . }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "woocommerce.containerSecurity" -}}
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
{{- end -}}

{{/* The database settings the wordpress image's wp-config.php reads, and its keys and salts. */}}
{{- define "woocommerce.wordpressEnv" -}}
- name: WORDPRESS_DB_HOST
  value: {{ include "woocommerce.fullname" . }}-mariadb
- name: WORDPRESS_DB_NAME
  value: {{ .Values.mariadb.database | quote }}
- name: WORDPRESS_DB_USER
  value: {{ .Values.mariadb.user | quote }}
- name: WORDPRESS_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "woocommerce.secret" . }}
      key: mariadb-password
{{- range list "auth-key" "secure-auth-key" "logged-in-key" "nonce-key" "auth-salt" "secure-auth-salt" "logged-in-salt" "nonce-salt" }}
- name: WORDPRESS_{{ . | upper | replace "-" "_" }}
  valueFrom:
    secretKeyRef:
      name: {{ include "woocommerce.secret" $ }}
      key: wordpress-{{ . }}
{{- end }}
{{- end -}}
