using Urumi.Functions;
using Urumi.Functions.Telemetry;
using Urumi.Hosting;

// The Urumi control plane: an Azure Functions isolated app. Started by the Functions host (func start, Azure), the
// Functions worker runs it; started on its own (dotnet run, a container), Urumi.Hosting runs the same functions.
var app = FunctionsApp.Create(args, typeof(ServiceRegistration).Assembly, (services, configuration) => services
    .AddUrumiOptions(configuration)             // Urumi:* settings, validated at start
    .AddCluster()                               // Urumi:Cluster:Mode: kubeconfig, in-cluster or the simulator
    .AddHelm()                                  // helm binary, its version, the store charts
    .AddStoreRegistry(configuration)            // the stores table (read model)
    .AddGuardrails()                            // rate limit on creates
    .AddProvisioning()                          // activities' services and the provisioning gate
    .AddAudit()                                 // timelines from orchestration histories
    .AddHealth()                                // /api/health: storage, cluster, provisioning
    .AddTelemetry(configuration));              // OpenTelemetry: traces, metrics, logs (OTLP, /metrics)
return await FunctionsApp.RunAsync(app);
