using Urumi.Durable.Hosting;
using Urumi.Functions;

// The Urumi control plane: a function app (host.json, local.settings.json, keys) on Urumi.Durable.
var builder = FunctionsApplication.CreateBuilder(args);
builder.Services
    .AddUrumiOptions(builder.Configuration)   // Urumi:* settings, validated at start
    .AddCluster()                             // Urumi:Cluster:Mode: kubeconfig, in-cluster or the simulator
    .AddHelm()                                // helm binary, its version, the store charts
    .AddStoreRegistry(builder.Configuration)  // the stores table (read model)
    .AddGuardrails()                          // rate limit on creates
    .AddProvisioning()                        // activities' services and the provisioning gate
    .AddAudit();                              // timelines from orchestration histories
await builder.Build().RunAsync();
