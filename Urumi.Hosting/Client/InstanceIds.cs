namespace Urumi.Hosting.Client;

/// <summary>The instance ids Durable Functions accepts (Azure Storage uses them as table keys).</summary>
public static class InstanceIds
{
    public const int MaxLength = 256;

    public static void Validate(string instanceId)
    {
        if (string.IsNullOrWhiteSpace(instanceId))
        {
            throw new ArgumentException("An instance id must not be empty.", nameof(instanceId));
        }
        if (instanceId.Length > MaxLength)
        {
            throw new ArgumentException($"An instance id must be at most {MaxLength} characters.", nameof(instanceId));
        }
        if (instanceId.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c)))
        {
            throw new ArgumentException(
                $"Instance id '{instanceId}' contains a character that is not allowed "
                + "('/', '\\', '#', '?' or a control character).",
                nameof(instanceId));
        }
    }
}
