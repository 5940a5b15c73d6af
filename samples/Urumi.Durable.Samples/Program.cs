using Urumi.Durable.Hosting;

FunctionsApplication.CreateBuilder(args).Build().Run();
