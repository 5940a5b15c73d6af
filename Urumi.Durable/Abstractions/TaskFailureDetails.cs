namespace Urumi.Durable;

/// <summary>Details of a failed activity, sub-orchestration or orchestration.</summary>
public sealed record TaskFailureDetails(string ErrorType, string ErrorMessage, string? StackTrace = null, TaskFailureDetails? InnerFailure = null)
{
    /// <summary>True when the failure was caused by an exception of type <typeparamref name="T"/> (or a subclass).</summary>
    public bool IsCausedBy<T>() where T : Exception
    {
        for (var type = Type.GetType(ErrorType, throwOnError: false); type is not null; type = type.BaseType)
        {
            if (type == typeof(T))
            {
                return true;
            }
        }
        return ErrorType == typeof(T).FullName;
    }

    public static TaskFailureDetails FromException(Exception e) => new(
        e.GetType().FullName ?? e.GetType().Name,
        e.Message,
        e.StackTrace,
        e.InnerException is null ? null : FromException(e.InnerException));

    public override string ToString() => $"{ErrorType}: {ErrorMessage}";
}
