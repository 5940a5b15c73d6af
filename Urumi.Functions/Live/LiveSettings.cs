namespace Urumi.Functions.Live;

/// <summary>Urumi:Live: how the live streams follow the store registry.</summary>
public sealed class LiveSettings
{
    /// <summary>How often a stream reads the registry for changes (a step reaches the page within about this).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A comment is sent after this long without an event, so idle connections stay open.</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The list stream reads rows written up to this long before its last event again: a row written by a slow
    /// writer can carry a table time earlier than one already seen. Rows already sent are not sent twice.
    /// </summary>
    public TimeSpan Overlap { get; set; } = TimeSpan.FromSeconds(2);
}
