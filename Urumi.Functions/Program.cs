using Urumi.Durable.Hosting;

// The store lifecycle (HTTP functions, orchestrations, activities) is registered here as it lands (issue 5).
FunctionsApplication.CreateBuilder(args).Build().Run();
