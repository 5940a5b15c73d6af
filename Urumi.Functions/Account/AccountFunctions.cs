using Microsoft.Extensions.Options;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Urumi.Hosting.Http;
using Urumi.Functions.Configuration;
using Urumi.Functions.Guardrails;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Account;

/// <summary>
/// GET /api/me: who the key belongs to and the owner's store slots, so a dashboard can check a pasted key (a wrong
/// one is 401) and show used and free slots.
/// </summary>
public sealed class AccountFunctions(StoreRegistry registry, IOptions<UrumiOptions> options)
{
    [Function("MeHttp")]
    public async Task<IResult> Me(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "me")] HttpRequest request,
        CancellationToken ct)
    {
        var caller = Caller.From(request.HttpContext);
        var limit = options.Value.MaxActiveStoresPerOwner;
        var active = caller.IsAdmin ? (int?)null : (await registry.ListOwnedAsync(caller.Owner, ct)).Count(s => s.IsActive);
        return Results.Json(new
        {
            owner = caller.Owner,
            isAdmin = caller.IsAdmin,
            maxActiveStores = limit,
            activeStores = active,
            freeSlots = active is { } used ? Math.Max(0, limit - used) : (int?)null,
        });
    }
}
