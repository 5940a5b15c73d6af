namespace Urumi.Durable.Storage.AzureStorage;

/// <summary>Table, queue and container names of a task hub, as DurableTask.AzureStorage names them.</summary>
internal sealed record AzureStorageNames(string Hub)
{
    private string Lower => Hub.ToLowerInvariant();

    public string InstancesTable => Hub + "Instances";

    public string HistoryTable => Hub + "History";

    public string PoisonTable => Hub + "Poison";

    public string ControlQueue(int partition) => $"{Lower}-control-{partition:00}";

    public string WorkItemQueue => $"{Lower}-workitems";

    public string LeasesContainer => $"{Lower}-leases";

    public string LargeMessagesContainer => $"{Lower}-largemessages";

    /// <summary>Table keys cannot hold / \ # ? or control characters: those are percent-encoded (prefix-preserving).</summary>
    public static string Key(string value)
    {
        var builder = new System.Text.StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c is '%' or '/' or '\\' or '#' or '?' || char.IsControl(c))
            {
                builder.Append('%').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}
