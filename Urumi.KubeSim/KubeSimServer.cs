using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Auth;
using Urumi.KubeSim.Controllers;
using Urumi.KubeSim.Faults;

namespace Urumi.KubeSim;

/// <summary>
/// A simulated Kubernetes API server on 127.0.0.1 over plain HTTP (or HTTPS), with simulated controllers. Start it in-process
/// with <see cref="StartAsync"/>; point clients at <see cref="Url"/> or the kubeconfig from <see cref="Kubeconfig"/>.
/// </summary>
public sealed class KubeSimServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ControllerManager _controllers;

    private KubeSimServer(WebApplication app, Cluster cluster, ControllerManager controllers, string url, string? certificateAuthority)
    {
        _app = app;
        Cluster = cluster;
        _controllers = controllers;
        Url = url;
        CertificateAuthority = certificateAuthority;
    }

    public string Url { get; }

    /// <summary>The PEM of the server's self-signed certificate when it serves HTTPS (clients trust it as their CA).</summary>
    public string? CertificateAuthority { get; }
    public Cluster Cluster { get; }
    public FaultInjector Faults => Cluster.Faults;
    public OperationLog Operations => Cluster.Operations;

    /// <summary>A kubeconfig whose current context points at this server (with the bearer token when one is set).</summary>
    public string Kubeconfig => KubeconfigFor(Cluster.Options.Token);

    /// <summary>A kubeconfig for this server that authenticates with <paramref name="token"/> (a ServiceAccount's, say).</summary>
    public string KubeconfigFor(string? token) => KubeconfigFile.Render(Url, token, CertificateAuthority);

    /// <summary>Writes the kubeconfig readable by its owner only: it may hold a token.</summary>
    public void WriteKubeconfig(string path, string? token = null)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var writer = new StreamWriter(path, System.Text.Encoding.UTF8, options);
        writer.Write(token is null ? Kubeconfig : KubeconfigFor(token));
    }

    public static async Task<KubeSimServer> StartAsync(KubeSimOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new KubeSimOptions();
        options.Validate();
        var cluster = new Cluster(options);
        cluster.Bootstrap();
        var certificate = options.Https || options.Rbac ? SelfSignedCertificate.Create() : null;

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.Port, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.AllowSynchronousIO = false;
        });
        var app = builder.Build();
        ApiHandler? api = null;
        ControllerManager? controllersRef = null;
        var admin = new AdminApi(cluster);
        app.Run(async context =>
        {
            var path = context.Request.Path.Value ?? "/";
            if (!await Gatekeeper.AdmitsAsync(cluster, context, path))
            {
                return;
            }

            if (path == "/_kubesim/controllers")
            {
                await context.Response.WriteAsync($"current: {controllersRef?.Current}\nerrors: {controllersRef?.Faults.Count}\nlast event: {controllersRef?.LastEvent} of {cluster.Store.ResourceVersion}\nphase: {controllersRef?.Phase}\nqueue: {controllersRef?.QueueState}\n");
                return;
            }

            if (path.StartsWith("/_kubesim/", StringComparison.Ordinal))
            {
                await admin.HandleAsync(context);
                return;
            }

            var delay = cluster.Faults.LatencyFor(context.Request.Method, path);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, context.RequestAborted);
            }

            if (cluster.Faults.NextRequestFault(context.Request.Method, path) is { } fault)
            {
                cluster.Operations.Record("fault", path, null, null, fault.DropConnection ? 0 : fault.StatusCode, context.Request.Headers.UserAgent.ToString(), context.Request.Method);
                if (fault.DropConnection)
                {
                    context.Abort();
                    return;
                }

                await ApiHandler.WriteStatusAsync(context, fault.StatusCode switch
                {
                    429 => new StatusException(429, "TooManyRequests", "the server has received too many requests and has asked us to try again later (injected by KubeSim)"),
                    503 => new StatusException(503, "ServiceUnavailable", "the server is currently unable to handle the request (injected by KubeSim)"),
                    var code => new StatusException(code, "InternalError", "Internal error occurred: injected by KubeSim"),
                });
                return;
            }

            await api!.HandleAsync(context);
        });

        await app.StartAsync(cancellation);
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        var url = $"{(certificate is null ? "http" : "https")}://127.0.0.1:{port}";
        api = new ApiHandler(cluster, $"127.0.0.1:{port}");
        var controllers = new ControllerManager(cluster);
        controllers.Start();
        controllersRef = controllers;
        return new KubeSimServer(app, cluster, controllers, url, certificate is null ? null : certificate.ExportCertificatePem());
    }

    /// <summary>Completes when the host is asked to stop (Ctrl+C or SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellation = default) => _app.WaitForShutdownAsync(cancellation);

    public async ValueTask DisposeAsync()
    {
        await _controllers.DisposeAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
