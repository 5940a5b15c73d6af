using System.Collections;
using System.Collections.Immutable;
using Microsoft.Azure.Functions.Worker;

namespace Urumi.Hosting.Worker;

/// <summary>
/// The FunctionContext a durable function gets when the self-host runs it: its invocation id, its definition (name,
/// entry point, parameters), the invocation's services (the activity's DI scope) and the cancellation token. There are
/// no bindings besides the trigger, so binding data is empty.
/// </summary>
internal sealed class SelfHostedFunctionContext(
    DurableFunction function, IServiceProvider services, CancellationToken cancellationToken) : FunctionContext
{
    public override string InvocationId { get; } = Guid.NewGuid().ToString();

    public override string FunctionId => function.Name;

    public override TraceContext TraceContext { get; } = new EmptyTraceContext();

    public override BindingContext BindingContext { get; } = new EmptyBindingContext();

    public override RetryContext RetryContext => null!;

    public override IServiceProvider InstanceServices { get; set; } = services;

    public override FunctionDefinition FunctionDefinition { get; } = new SelfHostedFunctionDefinition(function);

    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

    public override IInvocationFeatures Features { get; } = new InvocationFeatures();

    public override CancellationToken CancellationToken => cancellationToken;

    private sealed class EmptyTraceContext : TraceContext
    {
        public override string TraceParent => string.Empty;

        public override string TraceState => string.Empty;
    }

    private sealed class EmptyBindingContext : BindingContext
    {
        public override IReadOnlyDictionary<string, object?> BindingData { get; } = ImmutableDictionary<string, object?>.Empty;
    }

    private sealed class InvocationFeatures : IInvocationFeatures
    {
        private readonly Dictionary<Type, object> _features = [];

        public T? Get<T>() => _features.TryGetValue(typeof(T), out var feature) ? (T)feature : default;

        public void Set<T>(T instance) => _features[typeof(T)] = instance!;

        public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() => _features.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class SelfHostedFunctionDefinition(DurableFunction function) : FunctionDefinition
    {
        public override ImmutableArray<FunctionParameter> Parameters { get; } =
            [.. function.Method.GetParameters().Select(p => new FunctionParameter(p.Name!, p.ParameterType))];

        public override string PathToAssembly => function.Method.DeclaringType!.Assembly.Location;

        public override string EntryPoint => function.MethodName;

        public override string Id => function.Name;

        public override string Name => function.Name;

        public override IImmutableDictionary<string, BindingMetadata> InputBindings { get; } =
            ImmutableDictionary<string, BindingMetadata>.Empty;

        public override IImmutableDictionary<string, BindingMetadata> OutputBindings { get; } =
            ImmutableDictionary<string, BindingMetadata>.Empty;
    }
}
