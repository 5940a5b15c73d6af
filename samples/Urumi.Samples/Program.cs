using Microsoft.Extensions.Hosting;
using Urumi.Hosting;

// The samples app: the Functions worker under the Functions host, Urumi.Hosting otherwise.
await FunctionsApp.Create(args, typeof(Urumi.Samples.Starter).Assembly, (_, _) => { }).RunAsync();
