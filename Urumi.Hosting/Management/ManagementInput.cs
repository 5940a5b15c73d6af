using System.Globalization;
using Microsoft.AspNetCore.Http;
using Urumi.Hosting.Client;
using Urumi.Hosting.Http;

namespace Urumi.Hosting.Management;

/// <summary>
/// The checks every management route's input passes before it runs, so no malformed id or parameter reaches the
/// task hub (where it would be a 500 or be read as something else): 400 naming each.
/// </summary>
internal static class ManagementInput
{
    private static readonly string[] Filters = ["runtimeStatus", "createdTimeFrom", "createdTimeTo", "instanceIdPrefix", "top"];
    private static readonly string[] Flags = ["showInput", "showHistory", "showHistoryOutput", "restartWithNewInstanceId"];

    public static async ValueTask<object?> CheckAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        Problem(context.HttpContext.Request) ?? await next(context);

    private static IResult? Problem(HttpRequest request)
    {
        if (SingleValues.Problem(request) is { } repeated)
        {
            return repeated;
        }
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (name, values) in request.Query)
        {
            if (values.Count > 1)
            {
                errors[name] = [$"is given {values.Count} times; give it once"];
            }
            else if (string.IsNullOrEmpty(values[0]) && Filters.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                // An empty filter is not "no filter": a purge with ?runtimeStatus= would otherwise purge everything.
                errors[name] = ["must not be empty (leave it out for no filter)"];
            }
            else if (!RequestText.IsPrintable(values[0] ?? ""))
            {
                errors[name] = ["must be printable text"];
            }
        }
        CheckInstanceId(request, errors);
        if (request.RouteValues.TryGetValue("eventName", out var eventName) && eventName is string eventText && !RequestText.IsPrintable(eventText))
        {
            errors["eventName"] = ["must be printable text"];
        }
        if (request.Query["top"] is [{ } top]
            && !(int.TryParse(top, NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t is >= 1 and <= 1000))
        {
            errors["top"] = ["must be a whole number from 1 to 1000"];
        }
        foreach (var flag in Flags)
        {
            if (request.Query[flag] is [{ } value] && value.Length > 0 && !bool.TryParse(value, out _))
            {
                errors[flag] = ["must be true or false"];
            }
        }
        return errors.Count == 0 ? null : Problems.Validation(errors);
    }

    private static void CheckInstanceId(HttpRequest request, Dictionary<string, string[]> errors)
    {
        if (!request.RouteValues.TryGetValue("instanceId", out var value) || value is not string instanceId)
        {
            return;
        }
        try
        {
            InstanceIds.Validate(instanceId);
            if (!RequestText.IsPrintable(instanceId))
            {
                errors["instanceId"] = ["must be printable text"];
            }
        }
        catch (ArgumentException e)
        {
            errors["instanceId"] = [e.Message.Split(" (Parameter")[0]];
        }
    }
}
