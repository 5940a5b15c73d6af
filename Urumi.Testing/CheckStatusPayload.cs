namespace Urumi.Testing;

/// <summary>
/// The URIs of Durable Functions' check-status payload for one instance, as its HTTP management API documents them:
/// what a start through the management API or a starter must answer (both tests of it read this one list).
/// </summary>
public static class CheckStatusPayload
{
    /// <param name="instance">The instance's status URI: {base}/runtime/webhooks/durabletask/instances/{id}.</param>
    public static IReadOnlyList<(string Field, string Uri)> Uris(string instance) =>
    [
        ("statusQueryGetUri", instance),
        ("sendEventPostUri", instance + "/raiseEvent/{eventName}"),
        ("terminatePostUri", instance + "/terminate?reason={text}"),
        ("purgeHistoryDeleteUri", instance),
        ("restartPostUri", instance + "/restart"),
        ("suspendPostUri", instance + "/suspend?reason={text}"),
        ("resumePostUri", instance + "/resume?reason={text}"),
    ];
}
