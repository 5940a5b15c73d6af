{{- define "urumi.fullname" -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "urumi.labels" -}}
app.kubernetes.io/name: urumi
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: control-plane
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "urumi.selector" -}}
app.kubernetes.io/name: urumi
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
