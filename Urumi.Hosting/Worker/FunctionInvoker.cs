using System.Collections.Concurrent;
using System.Reflection;

namespace Urumi.Hosting.Worker;

/// <summary>
/// Calls a function's method and awaits what it returns (Task, Task&lt;T&gt;, ValueTask, ValueTask&lt;T&gt;, void or a
/// value). Exceptions come out as the method threw them, not wrapped. Awaits keep the caller's context, as an
/// orchestrator's replay requires.
/// </summary>
internal static class FunctionInvoker
{
    private static readonly ConcurrentDictionary<Type, Func<object, Task<object?>>> _unwrappers = new();

    public static Task<object?> InvokeAsync(DurableFunction function, object? target, object?[] arguments)
    {
        var result = function.Method.Invoke(target, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
        return result is null ? Task.FromResult<object?>(null) : _unwrappers.GetOrAdd(function.Method.ReturnType, Unwrapper)(result);
    }

    private static Func<object, Task<object?>> Unwrapper(Type returnType)
    {
        if (returnType == typeof(Task))
        {
            return AwaitTask;
        }
        if (returnType == typeof(ValueTask))
        {
            return result => AwaitTask(((ValueTask)result).AsTask());
        }
        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            return Generic(nameof(AwaitTaskOf), returnType.GetGenericArguments()[0]);
        }
        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            return Generic(nameof(AwaitValueTaskOf), returnType.GetGenericArguments()[0]);
        }
        return result => Task.FromResult<object?>(result);
    }

    private static Func<object, Task<object?>> Generic(string name, Type resultType) =>
        typeof(FunctionInvoker).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(resultType)
            .CreateDelegate<Func<object, Task<object?>>>();

    private static async Task<object?> AwaitTask(object task)
    {
        await (Task)task;
        return null;
    }

    private static async Task<object?> AwaitTaskOf<T>(object task) => await (Task<T>)task;

    private static async Task<object?> AwaitValueTaskOf<T>(object task) => await (ValueTask<T>)task;
}
