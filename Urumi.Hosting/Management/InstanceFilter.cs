using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;

namespace Urumi.Hosting.Management;

/// <summary>The instance filter of the list and purge routes, read from the query string.</summary>
internal sealed record InstanceFilter(
    DateTimeOffset? CreatedFrom,
    DateTimeOffset? CreatedTo,
    IReadOnlyList<OrchestrationRuntimeStatus>? Statuses,
    string? InstanceIdPrefix)
{
    /// <summary>The filter, or null with a 400 problem naming the parameter that is not what it should be.</summary>
    public static InstanceFilter? Parse(IQueryCollection query, out IResult? problem)
    {
        problem = null;
        if (!TryTime(query, "createdTimeFrom", out var from, ref problem)
            || !TryTime(query, "createdTimeTo", out var to, ref problem))
        {
            return null;
        }
        List<OrchestrationRuntimeStatus>? statuses = null;
        if (query["runtimeStatus"].FirstOrDefault() is { Length: > 0 } list)
        {
            statuses = [];
            foreach (var s in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Enum.TryParse<OrchestrationRuntimeStatus>(s, ignoreCase: true, out var status)
                    || int.TryParse(s, out _))
                {
                    problem = ManagementProblems.InvalidQuery("runtimeStatus",
                        $"'{s}' is not a runtime status "
                        + $"({string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}).");
                    return null;
                }
                statuses.Add(status);
            }
        }
        return new InstanceFilter(from, to, statuses, query["instanceIdPrefix"].FirstOrDefault());
    }

    private static bool TryTime(IQueryCollection query, string name, out DateTimeOffset? value, ref IResult? problem)
    {
        value = null;
        if (query[name].FirstOrDefault() is not { } text)
        {
            return true;
        }
        if (!DateTimeOffset.TryParse(
            text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            problem = ManagementProblems.InvalidQuery(name, $"'{text}' is not a date-time.");
            return false;
        }
        value = parsed;
        return true;
    }
}
