namespace Urumi.KubeSim;

/// <summary>Renders the kubeconfig clients use to reach KubeSim (cluster, user and context all named "kubesim").</summary>
public static class KubeconfigFile
{
    public static string Render(string url, string? token, string? certificateAuthorityPem = null) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: kubesim
          cluster:
            server: {url}{(certificateAuthorityPem is null ? "" : $"\n    certificate-authority-data: {Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(certificateAuthorityPem))}")}
        users:
        - name: kubesim
          user: {(token is null ? "{}" : $"\n    token: {token}")}
        contexts:
        - name: kubesim
          context:
            cluster: kubesim
            user: kubesim
            namespace: default
        current-context: kubesim
        preferences: {"{}"}

        """;
}
