namespace Urumi.Hosting.Worker;

/// <summary>The scoped facts of one activity invocation that the SDK's activity interface does not carry.</summary>
internal sealed class ActivityInvocation
{
    /// <summary>Cancelled when the worker stops: the activity is then abandoned and runs again elsewhere.</summary>
    public CancellationToken Cancellation { get; set; }
}
